// Method figures, part 2: attribution maps of one input (occlusion, Grad-CAM, saliency,
// SmoothGrad, Integrated Gradients) and class-average maps with their profiles. Each takes a
// method result (plain data) and returns a standalone SVG with its provenance.

import type { OcclusionResult } from '../methods/occlusion.js';
import type { GradCamResult } from '../methods/gradcam.js';
import type { AttributionResult } from '../methods/gradients.js';
import type { ClassAverageResult } from '../methods/class-average.js';
import type { InputImage } from '../methods/inputs.js';
import { renderLineChart } from './charts.js';
import { composeFigure, panelOf, type Panel } from './compose.js';
import { renderHeatmap } from './heatmap.js';
import type { ColormapName } from './colormaps.js';
import { baseOf, className, fmt, labelRoom, panelSize, sumChannels, symmetricRange, valueName, valueRange, verdictText, withProvenance, type InputFigureOptions } from './figure-common.js';

const AXES = { xLabel: 'Column', yLabel: 'Row' } as const;
const PANEL = 260;

/** Class names from the options or the verdict. */
function namesOf(options: { classNames?: readonly string[]; verdict?: { classNames: readonly string[] } }): readonly string[] | undefined {
  return options.classNames ?? options.verdict?.classNames;
}

/** Title: the method's name, then the verdict line (when known). */
function titleOf(head: string, options: InputFigureOptions, tail = ''): string {
  return options.verdict !== undefined ? `${head}\n${verdictText(options.verdict)}${tail}` : `${head}${tail !== '' ? `\n${tail.replace(/^, /, '')}` : ''}`;
}

/** Options of {@link renderOcclusionFigure}. */
export interface OcclusionFigureOptions extends InputFigureOptions {
  /** Class names in class order (default: the verdict's, else class numbers). */
  readonly classNames?: readonly string[];
  /**
   * 'both' (default): the target-class value per window position, and the drop overlaid on the
   * image; 'probability' or 'drop': one of them.
   */
  readonly show?: 'both' | 'probability' | 'drop';
}

/**
 * Occlusion sensitivity: title "Occlusion heat map" and "True: X, Predicted: Y"; a heat map of
 * p(class) with the window at each position (colour bar "p(<class>) with window occluded") and/or
 * the drop in p(class) per pixel overlaid on the image (alpha 0.5, diverging, centred on 0). The
 * 'original' preset shows the original's value |p - 0.5| / 0.5 over the image (jet, alpha 0.4),
 * labelled as such.
 */
export function renderOcclusionFigure(result: OcclusionResult, image: InputImage, options: OcclusionFigureOptions = {}): string {
  const { show = 'both' } = options;
  const names = namesOf(options);
  const vn = valueName(result.targetClass, names, options);
  const panels: Panel[] = [];
  const original = result.preset === 'original' && result.originalValue !== undefined;
  if (original) {
    const [min, max] = valueRange(result.originalValue!);
    panels.push(
      panelOf(
        renderHeatmap({
          values: result.originalValue!,
          height: result.rows,
          width: result.cols,
          overlayOn: baseOf(image, 0.4),
          colormap: 'jet',
          min: Math.min(0, min),
          max: Math.max(1, max),
          title: "The original's value",
          colorbar: { label: '|p − 0.5| / 0.5, window occluded' },
          axes: AXES,
          size: panelSize(image.height, image.width, PANEL, labelRoom('|p − 0.5| / 0.5, window occluded')),
        }),
      ),
    );
  }
  if (show !== 'drop' && !(original && show !== 'both')) {
    const [min, max] = valueRange(result.probability);
    panels.push(
      panelOf(
        renderHeatmap({
          values: result.probability,
          height: result.rows,
          width: result.cols,
          colormap: 'viridis',
          min,
          max,
          title: `${vn} per window position`,
          colorbar: { label: `${vn} with window occluded` },
          axes: { xLabel: `Window column (step ${result.stride} px)`, yLabel: 'Window row' },
          size: panelSize(result.rows, result.cols, PANEL, labelRoom(`${vn} with window occluded`)),
        }),
      ),
    );
  }
  if (!original && show !== 'probability') {
    const [min, max] = symmetricRange(result.overlay);
    panels.push(
      panelOf(
        renderHeatmap({
          values: result.overlay,
          height: result.height,
          width: result.width,
          overlayOn: baseOf(image, 0.5),
          colormap: 'RdBu_r',
          min,
          max,
          title: `Drop in ${vn} over the image`,
          colorbar: { label: `drop in ${vn}` },
          axes: AXES,
          size: panelSize(image.height, image.width, PANEL, labelRoom(`drop in ${vn}`)),
        }),
      ),
    );
  }
  const fill = result.fillMode === 'image-mean' ? `the image mean (${fmt(result.fill)})` : result.fillMode === 'dataset-mean' ? `the data-set mean (${fmt(result.fill)})` : fmt(result.fill);
  const sub = [
    `class ${className(result.targetClass, names)}: ${vn} = ${fmt(result.baseline)} without occlusion`,
    `window ${result.window}×${result.window} px, step ${result.stride} px, filled with ${fill}`,
  ];
  const caption = original
    ? "Original BaSe protocol, kept for comparison: a gray (0.5) square 5× the nominal size, and the confidence of whichever class wins, |p − 0.5| / 0.5, instead of the class's probability, so a patch that flips the decision confidently looks the same as one that changes nothing."
    : show !== 'probability'
      ? `Drop = ${vn} unoccluded − ${vn} occluded, averaged over the windows covering each pixel: red where hiding the pixels lowers ${vn}, blue where it raises it.`
      : undefined;
  const svg = composeFigure({
    rows: [panels],
    title: original ? 'Occlusion heat map (original BaSe protocol)' + (options.verdict !== undefined ? `\n${verdictText(options.verdict)}` : '') : titleOf('Occlusion heat map', options),
    subtitle: sub.join('\n'),
    ...(caption !== undefined ? { caption } : {}),
  });
  return withProvenance(svg, options);
}

/** Options of {@link renderGradCamFigure}. */
export interface GradCamFigureOptions extends InputFigureOptions {
  /** Class names in class order (default: the verdict's, else class numbers). */
  readonly classNames?: readonly string[];
  /** Opacity of the map over the image, 0..1 (default 0.4, as the original). */
  readonly alpha?: number;
}

/** Grad-CAM over the image (jet, alpha 0.4): title "Grad-CAM (<layer>)" and "True: X, Predicted: Y, class Z". */
export function renderGradCamFigure(result: GradCamResult, image: InputImage, options: GradCamFigureOptions = {}): string {
  const { alpha = 0.4 } = options;
  const names = namesOf(options);
  let top = 0;
  for (const v of result.map) if (v > top) top = v;
  const sub = [`${result.height}×${result.width} map at ${result.layer}, upsampled bilinearly to ${result.inputHeight}×${result.inputWidth}; score (logit) ${fmt(result.score)}`];
  if (top === 0) sub.push('The map is 0 everywhere: no positive evidence for this class at this layer.');
  const svg = renderHeatmap({
    values: result.overlay,
    height: result.inputHeight,
    width: result.inputWidth,
    overlayOn: baseOf(image, alpha),
    colormap: 'jet',
    min: 0,
    max: top > 0 ? top : 1,
    title: titleOf(`Grad-CAM (${result.layer})`, options, `, class ${className(result.targetClass, names)}`),
    subtitle: sub.join('\n'),
    colorbar: { label: 'Grad-CAM (ReLU of weighted activations)' },
    axes: AXES,
    size: panelSize(result.inputHeight, result.inputWidth, 360, labelRoom('Grad-CAM (ReLU of weighted activations)')),
  });
  return withProvenance(svg, options);
}

/** What an attribution figure reads: any of saliency, SmoothGrad and Integrated Gradients results. */
export type AttributionFigureResult = AttributionResult & {
  readonly nSamples?: number;
  readonly sigma?: number;
  readonly steps?: number;
  readonly completenessError?: number;
  readonly baselineScore?: number;
};

/** Options of {@link renderAttributionFigure}. */
export interface AttributionFigureOptions extends InputFigureOptions {
  /** Class names in class order (default: the verdict's, else class numbers). */
  readonly classNames?: readonly string[];
  /** Draw the input beside the map (default true). */
  readonly withImage?: boolean;
}

/**
 * Saliency, SmoothGrad or Integrated Gradients: the signed attribution (summed over channels)
 * on a diverging scale centred on 0 (red raises the class score, blue lowers it), beside the input.
 */
export function renderAttributionFigure(result: AttributionFigureResult, image: InputImage, options: AttributionFigureOptions = {}): string {
  const { withImage = true } = options;
  const names = namesOf(options);
  const cls = className(result.targetClass, names);
  const map = sumChannels(result.attribution, image);
  const [min, max] = symmetricRange(map);
  const chan = image.channels > 1 ? ` (sum of ${image.channels} channels)` : '';
  const spec = {
    saliency: { head: 'Saliency', label: `d score(${cls}) / d input${chan}`, sub: 'gradient of the class score at the input' },
    smoothgrad: {
      head: 'SmoothGrad',
      label: `mean d score(${cls}) / d input${chan}`,
      sub: `mean gradient over ${result.nSamples ?? '?'} noisy copies, noise σ = ${result.sigma !== undefined ? fmt(result.sigma) : '?'}`,
    },
    'integrated-gradients': {
      head: 'Integrated Gradients',
      label: `attribution to score(${cls})${chan}`,
      sub: `${result.steps ?? '?'} steps from the baseline; completeness error ${result.completenessError !== undefined ? fmt(result.completenessError) : '?'} (sum of attributions − score difference ${result.baselineScore !== undefined ? fmt(result.score - result.baselineScore) : '?'})`,
    },
  }[result.method];
  const panels: Panel[] = [];
  if (withImage) {
    panels.push(panelOf(renderHeatmap({ values: image.gray, height: image.height, width: image.width, colormap: 'gray', min: image.min, max: image.max, title: 'Input', axes: AXES, size: panelSize(image.height, image.width, PANEL, labelRoom(spec.label)) })));
  }
  panels.push(
    panelOf(
      renderHeatmap({ values: map, height: image.height, width: image.width, colormap: 'RdBu_r', min, max, title: spec.head, colorbar: { label: spec.label }, axes: AXES, size: panelSize(image.height, image.width, PANEL, labelRoom(spec.label)) }),
    ),
  );
  const svg = composeFigure({
    rows: [panels],
    title: titleOf(spec.head, options, `, class ${cls}`),
    subtitle: `${spec.sub}\nscore = logit (pre-activation value) of ${cls}: ${fmt(result.score)}`,
    caption: 'Red: raising these input values raises the class score; blue: lowers it; white: no effect.',
  });
  return withProvenance(svg, options);
}

/** Options of {@link renderClassAverageFigure}. */
export interface ClassAverageFigureOptions {
  /** Which groups to draw: 'all' (default: per class, and per correct/incorrect prediction) or 'classes' (per class only). */
  readonly groups?: 'all' | 'classes';
  readonly provenance?: InputFigureOptions['provenance'];
}

const QUANTITY = { occlusion: 'mean drop', gradcam: 'Grad-CAM', saliency: 'saliency' } as const;

/**
 * Class-average maps: one row per group (class, and correct/incorrect predictions within it)
 * with the mean map on one shared colour scale, the row profile (mean over columns) and the
 * column profile (mean over rows), each with a band of ±1 standard deviation across inputs.
 */
export function renderClassAverageFigure(result: ClassAverageResult, options: ClassAverageFigureOptions = {}): string {
  const { groups: which = 'all' } = options;
  const groups = which === 'classes' ? result.groups.filter((g) => g.correct === null) : result.groups;
  const signed = result.method !== 'gradcam';
  const colormap: ColormapName = signed ? 'RdBu_r' : 'viridis';
  const all = new Float32Array(groups.reduce((s, g) => s + g.mean.length, 0));
  let at = 0;
  for (const g of groups) {
    all.set(g.mean, at);
    at += g.mean.length;
  }
  const [min, max] = signed ? symmetricRange(all) : [0, Math.max(valueRange(all)[1], 1e-12)];
  const q = QUANTITY[result.method];
  const rows: Panel[][] = groups.map((g) => [
    panelOf(renderHeatmap({ values: g.mean, height: result.height, width: result.width, colormap, min, max, title: `${g.label} (n = ${g.n})`, axes: AXES, size: 220 })),
    panelOf(
      renderLineChart({
        series: [{ name: g.label, y: g.rowProfile, band: g.rowProfileStd }],
        title: 'Row profile (mean over columns)',
        xLabel: 'Row',
        yLabel: q,
        size: { width: 220, height: 150 },
        legend: false,
      }),
    ),
    panelOf(
      renderLineChart({
        series: [{ name: g.label, y: g.colProfile, band: g.colProfileStd }],
        title: 'Column profile (mean over rows)',
        xLabel: 'Column',
        yLabel: q,
        size: { width: 220, height: 150 },
        legend: false,
      }),
    ),
  ]);
  const svg = composeFigure({
    rows,
    title: `Class-average ${result.method === 'gradcam' ? 'Grad-CAM' : result.method} maps`,
    subtitle: `${result.quantity}; inputs drawn with seed ${result.seed}`,
    caption: `Maps share one colour scale${signed ? ' centred on 0' : ''}. Bands: ±1 standard deviation of the profile across the inputs of the group.`,
    colorbar: { colormap, min, max, label: q },
  });
  return withProvenance(svg, options);
}
