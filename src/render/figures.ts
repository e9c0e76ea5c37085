// Method figures, part 1: one function per method result -> a standalone SVG with its
// provenance. Here: the input, kernels, activations, dead filters, embeddings and the confusion
// matrix; the attribution maps are in figures-maps.ts. Plain data in, strings out.

import type { InputImage } from '../methods/inputs.js';
import type { KernelsResult } from '../methods/kernels.js';
import type { ActivationsResult, DeadFiltersResult } from '../methods/activations.js';
import type { ConfusionResult } from '../methods/dataset.js';
import type { Projection } from '../methods/embed/index.js';
import { renderBarChart, renderConfusionMatrix, renderScatter } from './charts.js';
import { composeFigure, panelOf, wrapText, type Panel } from './compose.js';
import { renderImageGrid, type GridPanel } from './grid.js';
import { renderHeatmap } from './heatmap.js';
import { className, fmt, labelRoom, panelSize, symmetricRange, valueName, valueRange, verdictText, withProvenance, type FigureOptions, type InputFigureOptions, type Verdict } from './figure-common.js';
import { FONT_SIZE } from './svg.js';

export { renderOcclusionFigure, renderGradCamFigure, renderAttributionFigure, renderClassAverageFigure } from './figures-maps.js';
export type { OcclusionFigureOptions, AttributionFigureResult, ClassAverageFigureOptions } from './figures-maps.js';
export type { Verdict, FigureOptions, InputFigureOptions } from './figure-common.js';

const AXES = { xLabel: 'Column', yLabel: 'Row' } as const;

/** A channel note for multi-channel inputs drawn in gray. */
function channelNote(image: InputImage): string | undefined {
  return image.channels > 1 ? `gray = mean of the ${image.channels} input channels` : undefined;
}

/**
 * The input as a gray image: title "Input" and "True: X, Predicted: Y", and the value of every
 * class (probabilities, or the raw output of a linear head) under it.
 */
export function renderInputFigure(selection: Verdict, image: InputImage, options: FigureOptions = {}): string {
  const probs = selection.probabilities.map((p, c) => `${valueName(c, selection.classNames, options)} = ${fmt(p)}`);
  const lines: string[] = [];
  for (let i = 0; i < probs.length; i += 5) lines.push(probs.slice(i, i + 5).join(', '));
  if (options.probabilities === false) lines.push('(a linear output: values are not probabilities)');
  const note = channelNote(image);
  lines.push(`input ${selection.index} of x${note !== undefined ? `; ${note}` : ''}`);
  const svg = renderHeatmap({
    values: image.gray,
    height: image.height,
    width: image.width,
    colormap: 'gray',
    min: image.min,
    max: image.max,
    title: `Input\n${verdictText(selection)}`,
    subtitle: lines.join('\n'),
    colorbar: { label: image.channels > 1 ? 'Input value (channel mean)' : 'Input value' },
    axes: AXES,
    size: panelSize(image.height, image.width, 360, labelRoom('Input value (channel mean)')),
  });
  return withProvenance(svg, options);
}

/** Options of {@link renderKernelsFigure}. */
export interface KernelsFigureOptions extends FigureOptions {
  /** Draw one grid per input channel when a layer has at most this many (default 4); above, only the channel mean. */
  readonly maxChannelRows?: number;
  /** Panels per row (default 8, as the original). */
  readonly columns?: number;
}

/**
 * Convolution kernels in grids of 8 per row, numbered from 1, on one diverging scale centred on
 * 0 (red positive, blue negative) with a colour bar. Layers with several input channels get one
 * grid per channel plus the channel mean (or only the mean when there are many channels); a
 * single filter gets one panel per input channel plus its mean. The caption says which.
 */
export function renderKernelsFigure(result: KernelsResult, options: KernelsFigureOptions = {}): string {
  const { maxChannelRows = 4, columns = 8 } = options;
  const { kernelHeight: kh, kernelWidth: kw, inChannels: cin, filters, weights, aggregate } = result;
  const plane = kh * kw;
  const filterPanel = (fi: number, c: number): GridPanel => ({
    values: weights.subarray((fi * cin + c) * plane, (fi * cin + c + 1) * plane),
    height: kh,
    width: kw,
    label: String(filters[fi]! + 1),
  });
  const meanPanel = (fi: number, label: string): GridPanel => ({ values: aggregate.subarray(fi * plane, (fi + 1) * plane), height: kh, width: kw, label });
  const sections: { title?: string; panels: GridPanel[] }[] = [];
  let caption: string;
  if (cin === 1) {
    sections.push({ panels: filters.map((_, fi) => filterPanel(fi, 0)) });
    caption = `Each panel: one filter's ${kh}×${kw} kernel, numbered from 1.`;
  } else if (filters.length === 1) {
    const panels: GridPanel[] = Array.from({ length: cin }, (_, c) => ({ ...filterPanel(0, c), label: `in ${c + 1}` }));
    panels.push(meanPanel(0, 'mean'));
    sections.push({ panels });
    caption = `Filter ${filters[0]! + 1}: its kernel for each of the ${cin} input channels ('in 1'...), then their mean.`;
  } else if (cin <= maxChannelRows) {
    for (let c = 0; c < cin; c++) sections.push({ title: `Input channel ${c + 1}`, panels: filters.map((_, fi) => filterPanel(fi, c)) });
    sections.push({ title: 'Mean over input channels', panels: filters.map((f, fi) => meanPanel(fi, String(f + 1))) });
    caption = `One grid per input channel (1 to ${cin}), then the mean over channels; panels numbered by filter from 1.`;
  } else {
    sections.push({ title: `Mean over the ${cin} input channels`, panels: filters.map((f, fi) => meanPanel(fi, String(f + 1))) });
    caption = `Each panel: one filter's kernel averaged over its ${cin} input channels (per-channel kernels: pick one filter), numbered from 1.`;
  }
  const all = sections.flatMap((s) => s.panels.map((p) => p.values));
  let m = 0;
  for (const v of all) m = Math.max(m, -symmetricRange(v)[0]);
  const [min, max] = m > 0 ? [-m, m] : [-1, 1];
  const rows: Panel[][] = sections.map((s) => [
    panelOf(renderImageGrid({ panels: s.panels, columns, colormap: 'RdBu_r', scale: 'shared', min, max, caption: '', ...(s.title !== undefined ? { title: s.title } : {}) })),
  ]);
  const svg = composeFigure({
    rows,
    title: `Kernels of ${result.layer} (${result.className})`,
    subtitle: `${filters.length} filter${filters.length === 1 ? '' : 's'} shown, ${kh}×${kw}, ${cin} input channel${cin === 1 ? '' : 's'} each`,
    caption: `${caption} One colour scale for all panels, centred on 0: red positive, blue negative, white 0.`,
    colorbar: { colormap: 'RdBu_r', min, max, label: 'Weight' },
  });
  return withProvenance(svg, options);
}

/** Options of {@link renderActivationsFigure}. */
export interface ActivationsFigureOptions extends InputFigureOptions {
  /**
   * 'shared' (default): one colour scale for all maps, with a colour bar; 'panel': each map on its
   * own range (patterns, not strengths; no colour bar).
   */
  readonly scale?: 'shared' | 'panel';
  /** Maps per row (default 8). */
  readonly columns?: number;
}

/** Feature maps of one layer ('hot' colour map): a numbered grid, or one map with a colour bar. */
export function renderActivationsFigure(result: ActivationsResult, options: ActivationsFigureOptions = {}): string {
  const { scale = 'shared', columns = 8, verdict } = options;
  const hw = result.height * result.width;
  const head = `of ${result.layer} (${result.className})${verdict !== undefined ? `\n${verdictText(verdict)}` : ''}`;
  const sub = `${result.height}×${result.width} maps${verdict !== undefined ? ` for input ${verdict.index}` : ''}; range ${fmt(result.min)} to ${fmt(result.max)}`;
  let svg: string;
  if (result.channels.length === 1) {
    const [min, max] = valueRange(result.maps);
    svg = renderHeatmap({
      values: result.maps,
      height: result.height,
      width: result.width,
      colormap: 'hot',
      min,
      max,
      title: `Activation map ${result.channels[0]! + 1} ${head}`,
      subtitle: sub,
      colorbar: { label: 'Activation' },
      axes: AXES,
      size: panelSize(result.height, result.width, 360, labelRoom('Activation')),
    });
  } else {
    const panels = result.channels.map((c, i) => ({ values: result.maps.subarray(i * hw, (i + 1) * hw), height: result.height, width: result.width, label: String(c + 1) }));
    const [min, max] = valueRange(result.maps);
    svg = renderImageGrid({
      panels,
      columns,
      colormap: 'hot',
      title: `Activations ${head}`,
      subtitle: sub,
      ...(scale === 'shared' ? { scale: 'shared' as const, min, max, colorbar: { label: 'Activation' } } : { scale: 'panel' as const }),
    });
  }
  return withProvenance(svg, options);
}

/** Dead filters (never active over the sample) per layer, as a bar chart. */
export function renderDeadFiltersFigure(result: DeadFiltersResult, options: FigureOptions = {}): string {
  const svg = renderBarChart({
    categories: result.layers.map((l) => `${l.layer} (of ${l.channels})`),
    values: result.layers.map((l) => l.dead.length),
    title: 'Dead filters per layer',
    subtitle: `${result.totalDead} of ${result.totalChannels} filters are zero at every position for all ${result.nSamples} inputs sampled (seed ${result.seed})`,
    xLabel: 'Layer (filters)',
    yLabel: 'Dead filters',
    color: '#4c72b0',
  });
  return withProvenance(svg, options);
}

/** Options of {@link renderEmbeddingFigure}. */
export interface EmbeddingFigureOptions extends FigureOptions {
  /** Class names in class order (default: class numbers). */
  readonly classNames?: readonly string[];
  /** Class of each point (default: `labels` of the result; all 0 when there are none). */
  readonly classes?: ArrayLike<number>;
  /** Index into x of each point, kept as data-index (default: `indices` of the result). */
  readonly indices?: ArrayLike<number>;
  /** Layer the features came from, for the title (default: `layer` of the result when present). */
  readonly layer?: string;
}

const METHOD_TITLES = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' } as const;

/** A 2-D embedding as a scatter coloured by class; axes "PC1 (11.8%)", "t-SNE 1", "UMAP 1". */
export function renderEmbeddingFigure(result: Projection & { layer?: string; labels?: Int32Array | null; indices?: Int32Array }, options: EmbeddingFigureOptions = {}): string {
  const n = result.n;
  const known = options.classes ?? result.labels ?? null;
  const classes = known ?? new Int32Array(n);
  const k = Math.max(1, ...Array.from(classes, (c) => c + 1));
  const names = known === null ? ['input'] : (options.classNames ?? Array.from({ length: k }, (_, i) => String(i)));
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = result.coordinates[2 * i]!;
    y[i] = result.coordinates[2 * i + 1]!;
  }
  const layer = options.layer ?? result.layer;
  const notes = [`${n} inputs, ${result.d} features each`];
  if (result.explainedVarianceRatio !== undefined) notes.push(`${fmt(100 * result.explainedVarianceRatio.reduce((a, b) => a + b, 0))}% of the variance shown`);
  if (result.options.perplexityUsed !== undefined) notes.push(`perplexity ${fmt(result.options.perplexityUsed)}`);
  if (result.method !== 'pca') notes.push(`seed ${result.options.seed}`);
  if (result.trustworthiness !== undefined) notes.push(`trustworthiness ${fmt(result.trustworthiness)}`);
  if (result.knnAccuracy !== undefined) notes.push(`${result.options.qualityK ?? 10}-NN class accuracy ${fmt(100 * result.knnAccuracy)}%`);
  const svg = renderScatter({
    x,
    y,
    classes,
    classNames: names,
    ...(options.indices !== undefined ? { indices: options.indices } : result.indices !== undefined ? { indices: result.indices } : {}),
    title: `${METHOD_TITLES[result.method]} of ${layer !== undefined ? `${layer} features` : 'features'}`,
    subtitle: wrapText(notes.join('; '), 520, FONT_SIZE.tick).join('\n'),
    xLabel: result.axisLabels[0],
    yLabel: result.axisLabels[1],
    legendTitle: known === null ? '' : 'True class',
  });
  return withProvenance(svg, options);
}

/** The confusion matrix (rows true, columns predicted) with the accuracy. */
export function renderConfusionFigure(result: ConfusionResult, options: FigureOptions = {}): string {
  const correct = result.counts.reduce((s, row, i) => s + row[i]!, 0);
  const wrong = result.mostConfidentlyWrong[0];
  const sub = [`Accuracy ${fmt(100 * result.accuracy)}% (${correct} of ${result.n})`];
  if (wrong !== undefined) {
    sub.push(
      `most confidently wrong: input ${wrong.index}, ${className(wrong.trueClass, result.classNames)} taken for ${className(wrong.predictedClass, result.classNames)} (${valueName(wrong.predictedClass, result.classNames, options)} = ${fmt(wrong.probability)})`,
    );
  }
  const svg = renderConfusionMatrix({ counts: result.counts, classNames: result.classNames, subtitle: sub.join('\n'), colorbar: true });
  return withProvenance(svg, options);
}
