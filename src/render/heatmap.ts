// One image panel: a 2-D map through a colour map, optionally laid over a gray image (occlusion,
// Grad-CAM), with a multi-line title, a colour bar and pixel axes. Values in, SVG string out.

import { ArgumentError } from '../errors.js';
import { renderAxes, colorbarWidth, renderColorbar, xAxisHeight, yAxisWidth, type AxisSpec } from './axes.js';
import { checkColormap, colorize, finiteRange, type ColormapName } from './colormaps.js';
import { overlay, resizeGrid, svgImage, type Resample, type RgbaImage } from './raster.js';
import { linearScale, niceTicks } from './scale.js';
import { INK, num, svgDocument, titleBlock, titleCenter } from './svg.js';

/** A gray image to draw a heat map over. */
export interface HeatmapBase {
  /** Row-major gray values, height x width. */
  readonly values: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** Opacity of the heat map over the image, 0..1 (default 0.4, as the original). */
  readonly alpha?: number;
  /** Value drawn black (default 0: images are in [0, 1]). */
  readonly min?: number;
  /** Value drawn white (default 1). */
  readonly max?: number;
}

/** Options of {@link renderHeatmap}. */
export interface HeatmapOptions {
  /** Row-major map values, height x width. NaN draws transparent. */
  readonly values: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** Title; "\n" starts a new line, e.g. "Occlusion heat map\nTrue: Neutral, Predicted: Selection". */
  readonly title?: string;
  /** Smaller, muted line(s) under the title (default none). */
  readonly subtitle?: string;
  /** Colour map (default 'viridis'). */
  readonly colormap?: ColormapName;
  /**
   * Value at the first colour (default: the data minimum; for 'RdBu_r', -max|value| so zero is
   * white).
   */
  readonly min?: number;
  /** Value at the last colour (default: the data maximum; for 'RdBu_r', +max|value|). */
  readonly max?: number;
  /** Show a colour bar with this label (default: no colour bar). */
  readonly colorbar?: { readonly label?: string; readonly ticks?: number };
  /** Draw the map over this gray image, resampled to its size (default: map alone). */
  readonly overlayOn?: HeatmapBase;
  /** How the map is resampled onto the base image (default 'nearest'; 'bilinear' for Grad-CAM). */
  readonly resample?: Resample;
  /** Longer side of the drawn image in px (default 360: about 9.5 cm on paper). */
  readonly size?: number;
  /** Draw pixel-index axes with these titles (default: no axes, a thin frame). */
  readonly axes?: { readonly xLabel?: string; readonly yLabel?: string };
}

const MARGIN = 12;
const COLORBAR_GAP = 14;

/** Default colour scale of a map: the data range, or symmetric about zero for diverging maps. */
export function defaultRange(values: ArrayLike<number>, colormap: ColormapName, min?: number, max?: number): [number, number] {
  const [lo, hi] = finiteRange(values);
  if (colormap === 'RdBu_r' && min === undefined && max === undefined) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return [-m, m];
  }
  const a = min ?? lo;
  const b = max ?? hi;
  if (a > b) {
    throw new ArgumentError('BAD_ARGUMENT', `Colour scale min (${a}) is above max (${b}).`, {
      hint: 'Pass min <= max, or leave them out to use the data range.',
      details: { min: a, max: b },
    });
  }
  return [a, b];
}

function checkGrid(what: string, values: ArrayLike<number>, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new ArgumentError('BAD_ARGUMENT', `${what}: height and width must be positive integers; got ${height} x ${width}.`);
  }
  if (values.length !== height * width) {
    throw new ArgumentError('SHAPE_MISMATCH', `${what}: ${height} x ${width} needs ${height * width} values, got ${values.length}.`, {
      hint: 'Pass one 2-D map in row-major order with its height and width.',
      details: { height, width, length: values.length },
    });
  }
}

/**
 * Renders one heat map panel as a standalone SVG.
 *
 * 1. Resolve options and the colour scale.
 * 2. Colourise the map (resampled onto the base image and composited when `overlayOn` is set).
 * 3. Lay out title, image, axes and colour bar; draw.
 */
export function renderHeatmap(options: HeatmapOptions): string {
  // 1. Options.
  const { values, height, width, title, subtitle, colorbar, overlayOn, resample = 'nearest', size = 360, axes } = options;
  const colormap = checkColormap(options.colormap ?? 'viridis');
  checkGrid('renderHeatmap', values, height, width);
  if (!(size > 0)) throw new ArgumentError('BAD_ARGUMENT', `renderHeatmap: size must be a positive number of px; got ${size}.`);
  const [min, max] = defaultRange(values, colormap, options.min, options.max);

  // 2. Pixels.
  let image: RgbaImage;
  if (overlayOn !== undefined) {
    const { values: bv, height: bh, width: bw, alpha = 0.4, min: bmin = 0, max: bmax = 1 } = overlayOn;
    checkGrid('renderHeatmap overlayOn', bv, bh, bw);
    const heat = bh === height && bw === width ? values : resizeGrid(values, height, width, bh, bw, resample);
    const base: RgbaImage = { width: bw, height: bh, data: colorize(bv, { min: bmin, max: bmax, colormap: 'gray' }) };
    image = overlay(base, { width: bw, height: bh, data: colorize(heat, { min, max, colormap }) }, alpha);
  } else {
    image = { width, height, data: colorize(values, { min, max, colormap }) };
  }

  // 3. Layout.
  const scale = size / Math.max(image.width, image.height);
  const imgW = image.width * scale;
  const imgH = image.height * scale;
  let xAxis: AxisSpec | undefined;
  let yAxis: AxisSpec | undefined;
  if (axes !== undefined) {
    // Tick v sits at the centre of pixel v, as in matplotlib's imshow.
    const xt = niceTicks(0, image.width - 1, 5).filter(Number.isInteger);
    const yt = niceTicks(0, image.height - 1, 5).filter(Number.isInteger);
    xAxis = { scale: linearScale([-0.5, image.width - 0.5], [0, imgW]), ticks: xt, title: axes.xLabel, grid: false };
    yAxis = { scale: linearScale([-0.5, image.height - 0.5], [0, imgH]), ticks: yt, title: axes.yLabel, grid: false };
  }
  const left = yAxis !== undefined ? yAxisWidth(yAxis) : 0;
  const below = xAxis !== undefined ? xAxisHeight(xAxis) : 0;
  const cbW = colorbar !== undefined ? COLORBAR_GAP + colorbarWidth({ min, max, label: colorbar.label, ticks: colorbar.ticks }) : 0;
  const contentW = left + imgW + cbW;
  const heading = titleBlock(0, 0, title, subtitle);
  const totalW = Math.max(contentW, heading.width) + 2 * MARGIN;
  const x0 = MARGIN + (totalW - 2 * MARGIN - contentW) / 2 + left;
  const y0 = MARGIN + heading.height;
  const totalH = y0 + imgH + below + MARGIN;

  const parts: string[] = [];
  parts.push(titleBlock(titleCenter(x0 + imgW / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg);
  parts.push(svgImage(image, { x: x0, y: y0, width: imgW, height: imgH, extra: 'class="map"' }));
  if (xAxis !== undefined && yAxis !== undefined) {
    const frame = { left: x0, top: y0, width: imgW, height: imgH };
    // Axes scales are relative to the image corner; shift them onto the page.
    const shift = (a: AxisSpec, offset: number): AxisSpec => ({
      ...a,
      scale: linearScale(a.scale.domain, [a.scale.range[0] + offset, a.scale.range[1] + offset]),
    });
    parts.push(renderAxes(frame, shift(xAxis, x0), shift(yAxis, y0)));
  }
  parts.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(imgW)}" height="${num(imgH)}" fill="none" stroke="${INK.frame}" stroke-width="1"/>`);
  if (colorbar !== undefined) {
    parts.push(
      renderColorbar({ x: x0 + imgW + COLORBAR_GAP, y: y0, height: imgH, colormap, min, max, label: colorbar.label, ticks: colorbar.ticks }),
    );
  }
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}
