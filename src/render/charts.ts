// Charts for method results: class-coloured scatter (PCA, t-SNE, UMAP), line charts (training
// curves, profiles with a shaded band), bar charts (class counts) and the confusion matrix.
// Values in, standalone SVG string out.
//
// Hand-written rather than vega-lite: vega 6 does run headless (View + renderer 'none' +
// toSVG), but (1) it is asynchronous, where every other render* here returns a string; (2) it
// cannot put custom attributes such as data-index on marks (only aria-label through the
// description channel); (3) its SVG carries hidden overlapping labels (opacity 0), many empty
// aria groups and float noise, and measures text without the figure font; (4) it would add
// about 1 MB to the dashboard bundle. Our needs are a few mark types on linear axes.

import { ArgumentError } from '../errors.js';
import {
  legendSize,
  renderAxes,
  renderLegend,
  xAxisHeight,
  yAxisWidth,
  type AxisSpec,
  type LegendEntry,
  colorbarWidth,
  renderColorbar,
} from './axes.js';
import { categoryColor, checkColormap, colormapHex, luminance, type ColormapName } from './colormaps.js';
import { formatFixed, formatValue, linearScale, niceDomain, niceTicks, paddedDomain } from './scale.js';
import { FONT_SIZE, INK, middleBaseline, num, svgDocument, svgText, textWidth, titleBlock, titleCenter } from './svg.js';

const MARGIN = 12;
const LEGEND_GAP = 16;
/** Room around the plot area that lines and markers may use before being clipped, px. */
const CLIP_PAD = 4;

/** Plot area size in px. */
export interface PlotSize {
  readonly width: number;
  readonly height: number;
}

function badArgument(message: string, hint?: string): ArgumentError {
  return new ArgumentError('BAD_ARGUMENT', message, hint !== undefined ? { hint } : {});
}

function finiteMinMax(arrays: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** FNV-1a hash of a string as 8 hex digits (for deterministic element ids). */
function hashString(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

interface Layout {
  readonly frame: { left: number; top: number; width: number; height: number };
  readonly totalW: number;
  readonly totalH: number;
  readonly legendX: number;
}

/** Places title, y axis, plot, legend and x axis; returns the plot frame and page size. */
function layoutChart(
  size: PlotSize,
  x: AxisSpec,
  y: AxisSpec,
  heading: { width: number; height: number },
  legend: { width: number; height: number } | undefined,
): Layout {
  const left = yAxisWidth(y);
  const legendW = legend !== undefined ? LEGEND_GAP + legend.width : 0;
  const contentW = left + size.width + legendW;
  const totalW = Math.max(contentW, heading.width) + 2 * MARGIN;
  const x0 = MARGIN + (totalW - 2 * MARGIN - contentW) / 2 + left;
  const top = MARGIN + heading.height;
  const totalH = top + Math.max(size.height, legend?.height ?? 0) + xAxisHeight(x) + MARGIN;
  return { frame: { left: x0, top, width: size.width, height: size.height }, totalW, totalH, legendX: x0 + size.width + LEGEND_GAP };
}

/** Axis spec over [lo, hi] plus 5% margins (as matplotlib), with nice ticks inside. */
function paddedAxis(lo: number, hi: number, title: string | undefined, count: number): AxisSpec {
  const [d0, d1] = paddedDomain(lo, hi);
  return { scale: linearScale([d0, d1], [0, 0]), ticks: niceTicks(d0, d1, count), title };
}

// ---------------------------------------------------------------------------------------------
// Scatter

/** Options of {@link renderScatter}. */
export interface ScatterOptions {
  /** x coordinates. */
  readonly x: ArrayLike<number>;
  /** y coordinates (same length as x). */
  readonly y: ArrayLike<number>;
  /** Class of each point, an index into classNames (same length as x). */
  readonly classes: ArrayLike<number>;
  /** Name of each class, in class-index order. */
  readonly classNames: readonly string[];
  /** Index of each point in the caller's data set, kept as `data-index` (default 0, 1, 2, ...). */
  readonly indices?: ArrayLike<number>;
  /** Title; "\n" starts a new line (default none). */
  readonly title?: string;
  /** Smaller line(s) under the title (default none). */
  readonly subtitle?: string;
  /** x axis title, e.g. "PC1 (11.8%)" (default none). */
  readonly xLabel?: string;
  /** y axis title (default none). */
  readonly yLabel?: string;
  /** Legend title (default 'Class'; '' for none). */
  readonly legendTitle?: string;
  /** Plot area in px (default 420 x 360). */
  readonly size?: PlotSize;
  /** Point radius in px (default 3.5). */
  readonly radius?: number;
  /** Point opacity 0..1 (default 0.8). */
  readonly opacity?: number;
  /**
   * Drawing order (default 'interleave'): 'interleave' takes points class by class in turns, so
   * no class is painted over all others only because it came last; 'input' keeps the given order.
   */
  readonly order?: 'interleave' | 'input';
}

/**
 * A scatter plot of points coloured by class (matplotlib's tab10 colours, as the original),
 * with a legend of class names. Each `<circle>` carries `data-index` (its index in the
 * caller's data) and `data-class`, so a viewer can find the image behind a point.
 */
export function renderScatter(options: ScatterOptions): string {
  const {
    x,
    y,
    classes,
    classNames,
    indices,
    title,
    subtitle,
    xLabel,
    yLabel,
    legendTitle = 'Class',
    size = { width: 420, height: 360 },
    radius = 3.5,
    opacity = 0.8,
    order = 'interleave',
  } = options;
  const n = x.length;
  if (y.length !== n || classes.length !== n || (indices !== undefined && indices.length !== n)) {
    throw new ArgumentError(
      'SHAPE_MISMATCH',
      `renderScatter: x has ${n} values but y has ${y.length}, classes ${classes.length}${indices !== undefined ? `, indices ${indices.length}` : ''}.`,
      { hint: 'Pass one x, y, class (and index) per point.' },
    );
  }
  for (let i = 0; i < n; i++) {
    const c = classes[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= classNames.length) {
      throw new ArgumentError('LABEL_MISMATCH', `renderScatter: point ${i} has class ${c}, but there are ${classNames.length} class names.`, {
        hint: 'Class values must be integers indexing classNames.',
        details: { point: i, class: c, classNames: [...classNames] },
      });
    }
  }
  if (order !== 'interleave' && order !== 'input') throw badArgument(`renderScatter: order must be 'interleave' or 'input'; got '${String(order)}'.`);

  const [xlo, xhi] = finiteMinMax([x]);
  const [ylo, yhi] = finiteMinMax([y]);
  const xAxis = paddedAxis(xlo, xhi, xLabel, 5);
  const yAxis = paddedAxis(ylo, yhi, yLabel, 5);
  const entries: LegendEntry[] = classNames.map((name, k) => ({ label: name, color: categoryColor(k) }));
  const legend = legendSize(entries, legendTitle);
  const heading = titleBlock(0, 0, title, subtitle);
  const { frame, totalW, totalH, legendX } = layoutChart(size, xAxis, yAxis, heading, legend);
  const sx = linearScale(xAxis.scale.domain, [frame.left, frame.left + frame.width]);
  const sy = linearScale(yAxis.scale.domain, [frame.top + frame.height, frame.top]);

  // Drawing order.
  let drawOrder: number[] = Array.from({ length: n }, (_, i) => i);
  if (order === 'interleave') {
    const byClass: number[][] = classNames.map(() => []);
    for (let i = 0; i < n; i++) (byClass[classes[i] as number] as number[]).push(i);
    drawOrder = [];
    for (let r = 0; drawOrder.length < n; r++) for (const list of byClass) if (r < list.length) drawOrder.push(list[r] as number);
  }
  const circles: string[] = [];
  for (const i of drawOrder) {
    const px = x[i] as number;
    const py = y[i] as number;
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    const c = classes[i] as number;
    const idx = indices !== undefined ? (indices[i] as number) : i;
    circles.push(`<circle cx="${num(sx(px))}" cy="${num(sy(py))}" r="${num(radius)}" fill="${categoryColor(c)}" data-index="${idx}" data-class="${c}"/>`);
  }

  const parts = [
    titleBlock(titleCenter(frame.left + frame.width / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg,
    renderAxes(frame, { ...xAxis, scale: sx }, { ...yAxis, scale: sy }),
    `<g class="points" fill-opacity="${num(opacity)}" stroke="white" stroke-width="0.5">\n${circles.join('\n')}\n</g>`,
    renderLegend(legendX, frame.top, entries, legendTitle),
  ];
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}

// ---------------------------------------------------------------------------------------------
// Line chart

/** One line of a line chart. */
export interface LineSeries {
  /** Legend label. */
  readonly name: string;
  /** y values; non-finite values break the line. */
  readonly y: ArrayLike<number>;
  /** x values (default 0, 1, 2, ...). */
  readonly x?: ArrayLike<number>;
  /**
   * Shaded band around the line (default none): either a half-width per point (y ± spread, e.g.
   * one standard deviation) or explicit lower and upper edges.
   */
  readonly band?: ArrayLike<number> | { readonly lower: ArrayLike<number>; readonly upper: ArrayLike<number> };
  /** Line colour (default: the series' tab10 colour). */
  readonly color?: string;
  /** Dash pattern, e.g. "6 3" (default solid). */
  readonly dash?: string;
}

/** Options of {@link renderLineChart}. */
export interface LineChartOptions {
  readonly series: readonly LineSeries[];
  /** Title; "\n" starts a new line (default none). */
  readonly title?: string;
  /** Smaller line(s) under the title (default none). */
  readonly subtitle?: string;
  /** x axis title (default none). */
  readonly xLabel?: string;
  /** y axis title (default none). */
  readonly yLabel?: string;
  /** Lower end of the y axis (default: nice value below the data). */
  readonly yMin?: number;
  /** Upper end of the y axis (default: nice value above the data). */
  readonly yMax?: number;
  /** Plot area in px (default 480 x 300). */
  readonly size?: PlotSize;
  /** Show point markers: 'auto' (default) draws them on series of at most 25 points. */
  readonly markers?: boolean | 'auto';
  /** Band opacity 0..1 (default 0.2). */
  readonly bandOpacity?: number;
  /** Legend (default: shown when there are two or more series). */
  readonly legend?: boolean;
}

function bandEdges(s: LineSeries, n: number): [ArrayLike<number>, ArrayLike<number>] | undefined {
  if (s.band === undefined) return undefined;
  if ('lower' in s.band) {
    if (s.band.lower.length !== n || s.band.upper.length !== n) {
      throw new ArgumentError('SHAPE_MISMATCH', `renderLineChart: series '${s.name}' has ${n} points but its band edges have ${s.band.lower.length} and ${s.band.upper.length}.`);
    }
    return [s.band.lower, s.band.upper];
  }
  const spread = s.band as ArrayLike<number>;
  if (spread.length !== n) {
    throw new ArgumentError('SHAPE_MISMATCH', `renderLineChart: series '${s.name}' has ${n} points but its band has ${spread.length}.`);
  }
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = (s.y[i] as number) - (spread[i] as number);
    hi[i] = (s.y[i] as number) + (spread[i] as number);
  }
  return [lo, hi];
}

/** Splits indices into runs where every listed array is finite (gaps break lines and bands). */
function finiteRuns(n: number, arrays: readonly ArrayLike<number>[]): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < n; i++) {
    if (arrays.every((a) => Number.isFinite(a[i] as number))) run.push(i);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * A line chart of one or more series with optional shaded bands (mean ± sd, min..max) and a
 * legend: training curves, row and column profiles.
 */
export function renderLineChart(options: LineChartOptions): string {
  const { series, title, subtitle, xLabel, yLabel, size = { width: 480, height: 300 }, markers = 'auto', bandOpacity = 0.2 } = options;
  if (series.length === 0) throw badArgument('renderLineChart: no series to draw.', 'Pass at least one series.');
  const showLegend = options.legend ?? series.length > 1;
  const xs = series.map((s) => {
    if (s.x !== undefined && s.x.length !== s.y.length) {
      throw new ArgumentError('SHAPE_MISMATCH', `renderLineChart: series '${s.name}' has ${s.y.length} y values but ${s.x.length} x values.`);
    }
    return s.x ?? Float64Array.from({ length: s.y.length }, (_, i) => i);
  });
  const bands = series.map((s) => bandEdges(s, s.y.length));
  const [xlo, xhi] = finiteMinMax(xs);
  const [ylo, yhi] = finiteMinMax([...series.map((s) => s.y), ...bands.flatMap((b) => (b !== undefined ? b : []))]);
  const lo = options.yMin ?? ylo;
  const hi = options.yMax ?? yhi;
  if (lo > hi) throw badArgument(`renderLineChart: yMin (${lo}) is above yMax (${hi}).`);
  const [d0, d1] = paddedDomain(lo, hi);
  const yDomain: [number, number] = [options.yMin ?? d0, options.yMax ?? d1];
  const yAxis: AxisSpec = { scale: linearScale(yDomain, [0, 0]), ticks: niceTicks(yDomain[0], yDomain[1], 5), title: yLabel };
  // x spans the data exactly (lines reach both sides); integer x (epochs, pixel rows) gets
  // integer ticks only.
  const integral = xs.every((a) => Array.from(a).every((v) => !Number.isFinite(v) || Number.isInteger(v)));
  const xDomain: [number, number] = xhi > xlo ? [xlo, xhi] : niceDomain(xlo, xhi, 6);
  const xTicks = niceTicks(xDomain[0], xDomain[1], 6).filter((t) => !integral || Number.isInteger(t));
  const xAxis: AxisSpec = { scale: linearScale(xDomain, [0, 0]), ticks: xTicks, title: xLabel };

  const colors = series.map((s, k) => s.color ?? categoryColor(k));
  const entries: LegendEntry[] = series.map((s, k) => ({ label: s.name, color: colors[k] as string, key: 'line', ...(s.dash !== undefined ? { dash: s.dash } : {}) }));
  const legend = showLegend ? legendSize(entries) : undefined;
  const heading = titleBlock(0, 0, title, subtitle);
  const { frame, totalW, totalH, legendX } = layoutChart(size, xAxis, yAxis, heading, legend);
  const sx = linearScale(xDomain, [frame.left, frame.left + frame.width]);
  const sy = linearScale(yDomain, [frame.top + frame.height, frame.top]);

  const layers: string[] = [];
  // Bands first, so every line sits on top of every band.
  series.forEach((s, k) => {
    const b = bands[k];
    if (b === undefined) return;
    const xv = xs[k] as ArrayLike<number>;
    for (const run of finiteRuns(s.y.length, [xv, b[0], b[1]])) {
      const upper = run.map((i) => `${num(sx(xv[i] as number))} ${num(sy(b[1][i] as number))}`);
      const lower = run.reverse().map((i) => `${num(sx(xv[i] as number))} ${num(sy(b[0][i] as number))}`);
      layers.push(`<path class="band" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${colors[k]}" fill-opacity="${num(bandOpacity)}"/>`);
    }
  });
  series.forEach((s, k) => {
    const xv = xs[k] as ArrayLike<number>;
    const dash = s.dash !== undefined ? ` stroke-dasharray="${s.dash}"` : '';
    const d = finiteRuns(s.y.length, [xv, s.y])
      .map((run) => `M${run.map((i) => `${num(sx(xv[i] as number))} ${num(sy(s.y[i] as number))}`).join('L')}`)
      .join('');
    if (d !== '') layers.push(`<path class="line" data-series="${k}" d="${d}" fill="none" stroke="${colors[k]}" stroke-width="2" stroke-linejoin="round"${dash}/>`);
    const withMarkers = markers === 'auto' ? s.y.length <= 25 : markers;
    if (withMarkers) {
      const dots = finiteRuns(s.y.length, [xv, s.y])
        .flat()
        .map((i) => `<circle cx="${num(sx(xv[i] as number))}" cy="${num(sy(s.y[i] as number))}" r="3"/>`);
      layers.push(`<g fill="${colors[k]}">${dots.join('')}</g>`);
    }
  });

  const body = layers.join('\n');
  const clipId = `clip-${hashString(body)}`;
  const parts = [
    titleBlock(titleCenter(frame.left + frame.width / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg,
    renderAxes(frame, { ...xAxis, scale: sx }, { ...yAxis, scale: sy }),
    // Clip so explicit yMin/yMax cannot let lines run over the axes. The id is a hash of the
    // content: deterministic, and distinct for different charts inlined in one page.
    `<clipPath id="${clipId}"><rect x="${num(frame.left - CLIP_PAD)}" y="${num(frame.top - CLIP_PAD)}" width="${num(frame.width + 2 * CLIP_PAD)}" height="${num(frame.height + 2 * CLIP_PAD)}"/></clipPath>`,
    `<g clip-path="url(#${clipId})">\n${body}\n</g>`,
  ];
  if (showLegend) parts.push(renderLegend(legendX, frame.top, entries));
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}

// ---------------------------------------------------------------------------------------------
// Bar chart

/** Options of {@link renderBarChart}. */
export interface BarChartOptions {
  /** Bar names, left to right (class names). */
  readonly categories: readonly string[];
  /** Bar heights (counts); same length as categories, finite and >= 0. */
  readonly values: ArrayLike<number>;
  /** Title; "\n" starts a new line (default none). */
  readonly title?: string;
  /** Smaller line(s) under the title (default none). */
  readonly subtitle?: string;
  /** x axis title (default none). */
  readonly xLabel?: string;
  /** y axis title (default 'Count'). */
  readonly yLabel?: string;
  /** Bar colours: 'category' (default, tab10 by position, matching the scatter's class colours) or one CSS colour. */
  readonly color?: string;
  /** Write each value above its bar (default true). */
  readonly showValues?: boolean;
  /** Plot area in px (default: 70 px per bar, at least 240, x 260). */
  readonly size?: PlotSize;
}

/** A vertical bar chart of non-negative values, such as class counts. */
export function renderBarChart(options: BarChartOptions): string {
  const { categories, values, title, subtitle, xLabel, yLabel = 'Count', color = 'category', showValues = true } = options;
  const n = categories.length;
  if (n === 0) throw badArgument('renderBarChart: no categories to draw.');
  if (values.length !== n) {
    throw new ArgumentError('SHAPE_MISMATCH', `renderBarChart: ${n} categories but ${values.length} values.`, { hint: 'Pass one value per category.' });
  }
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v) || v < 0) throw badArgument(`renderBarChart: value ${i} ('${categories[i]}') is ${v}; bars need finite values >= 0.`);
  }
  const widestName = Math.max(...categories.map((c) => textWidth(c, FONT_SIZE.tick)));
  const size = options.size ?? { width: Math.max(240, n * Math.max(70, widestName + 12)), height: 260 };
  const [, vmax] = finiteMinMax([values]);
  const top = niceDomain(0, vmax > 0 ? vmax * (showValues ? 1.08 : 1) : 1, 5)[1];
  const yAxis: AxisSpec = { scale: linearScale([0, top], [0, 0]), ticks: niceTicks(0, top, 5), title: yLabel };
  const band = size.width / n;
  const xAxis: AxisSpec = {
    scale: linearScale([0, n], [0, 0]),
    ticks: categories.map((_, i) => i + 0.5),
    labels: categories,
    title: xLabel,
    grid: false,
  };
  const heading = titleBlock(0, 0, title, subtitle);
  const { frame, totalW, totalH } = layoutChart(size, xAxis, yAxis, heading, undefined);
  const sx = linearScale([0, n], [frame.left, frame.left + frame.width]);
  const sy = linearScale([0, top], [frame.top + frame.height, frame.top]);
  const bars: string[] = [];
  const labels: string[] = [];
  const barW = band * 0.7;
  const integers = Array.from(values).every((v) => Number.isInteger(v));
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const x = sx(i + 0.5) - barW / 2;
    const y = sy(v);
    const fill = color === 'category' ? categoryColor(i) : color;
    bars.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(barW)}" height="${num(sy(0) - y)}" fill="${fill}" data-index="${i}"/>`);
    if (showValues) labels.push(svgText(sx(i + 0.5), y - 4, integers ? formatFixed(v, 0) : formatValue(v), { anchor: 'middle' }));
  }
  const parts = [
    titleBlock(titleCenter(frame.left + frame.width / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg,
    renderAxes(frame, { ...xAxis, scale: sx }, { ...yAxis, scale: sy }),
    `<g class="bars">${bars.join('')}</g>`,
    labels.length > 0 ? `<g class="values">${labels.join('')}</g>` : '',
  ];
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}

// ---------------------------------------------------------------------------------------------
// Confusion matrix

/** Options of {@link renderConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** counts[t][p]: images of true class t predicted as p. Square, classNames.length rows. */
  readonly counts: readonly (readonly number[])[];
  /** Class names, in class-index order. */
  readonly classNames: readonly string[];
  /** Title; "\n" starts a new line (default 'Confusion matrix'). */
  readonly title?: string;
  /** Smaller line(s) under the title, e.g. accuracy (default none). */
  readonly subtitle?: string;
  /** Colour map of the cells (default 'Blues'). */
  readonly colormap?: ColormapName;
  /**
   * Colour by 'count' or by 'row' fraction (share of each true class; default 'row', so rare
   * classes are as visible as common ones).
   */
  readonly colorBy?: 'count' | 'row';
  /** Under each count, the percentage of its true class (row) (default true). */
  readonly showPercent?: boolean;
  /** Side of a cell in px (default: 360 / classes, between 56 and 110). */
  readonly cellSize?: number;
  /** Colour bar (default false: cells carry their numbers). */
  readonly colorbar?: boolean;
}

/**
 * A confusion matrix: rows are true classes ("True"), columns predicted classes ("Predicted"),
 * each cell coloured and annotated with its count and row percentage. Any number of classes.
 */
export function renderConfusionMatrix(options: ConfusionMatrixOptions): string {
  const { counts, classNames, title = 'Confusion matrix', subtitle, colorBy = 'row', showPercent = true, colorbar = false } = options;
  const colormap = checkColormap(options.colormap ?? 'Blues');
  const n = classNames.length;
  if (n === 0) throw badArgument('renderConfusionMatrix: no classes.');
  if (counts.length !== n || counts.some((row) => row.length !== n)) {
    throw new ArgumentError(
      'SHAPE_MISMATCH',
      `renderConfusionMatrix: counts must be ${n} x ${n} for ${n} class names; got ${counts.length} rows of lengths ${counts.map((r) => r.length).join(', ')}.`,
      { hint: 'Pass counts[true][predicted] with one row and one column per class.' },
    );
  }
  for (const row of counts) {
    for (const v of row) if (!Number.isFinite(v) || v < 0) throw badArgument(`renderConfusionMatrix: counts must be finite and >= 0; got ${v}.`);
  }
  if (colorBy !== 'count' && colorBy !== 'row') throw badArgument(`renderConfusionMatrix: colorBy must be 'count' or 'row'; got '${String(colorBy)}'.`);
  const cell = options.cellSize ?? Math.min(110, Math.max(56, 360 / n));
  const rowSums = counts.map((row) => row.reduce((a, b) => a + b, 0));
  const maxCount = Math.max(...counts.flat());
  const colorValue = (t: number, p: number): number => {
    const v = (counts[t] as readonly number[])[p] as number;
    if (colorBy === 'row') return (rowSums[t] as number) > 0 ? v / (rowSums[t] as number) : 0;
    return v;
  };
  const cmax = colorBy === 'row' ? 1 : maxCount > 0 ? maxCount : 1;

  // Layout: y tick labels (true classes) left; x tick labels (predicted) below, rotated when long.
  const yLabelW = Math.max(...classNames.map((c) => textWidth(c, FONT_SIZE.tick)));
  const xLabelW = Math.max(...classNames.map((c) => textWidth(c, FONT_SIZE.tick)));
  const rotate = xLabelW > cell - 6;
  const xLabelH = rotate ? xLabelW * Math.sin(Math.PI / 6) + FONT_SIZE.tick : FONT_SIZE.tick * 1.2;
  const axisTitle = FONT_SIZE.label * 1.2;
  const left = axisTitle + 6 + yLabelW + 8;
  const matrixW = n * cell;
  const cbW = colorbar ? 14 + colorbarWidth({ min: 0, max: cmax, label: colorBy === 'row' ? 'Fraction of true class' : 'Count' }) : 0;
  // Rotated labels hang left of their cell; keep room for the first one.
  const hang = rotate ? Math.max(0, xLabelW * Math.cos(Math.PI / 6) - cell / 2 - left) : 0;
  const contentW = hang + left + matrixW + cbW;
  const heading = titleBlock(0, 0, title, subtitle);
  const totalW = Math.max(contentW, heading.width) + 2 * MARGIN;
  const x0 = MARGIN + (totalW - 2 * MARGIN - contentW) / 2 + hang + left;
  const y0 = MARGIN + heading.height;
  const totalH = y0 + n * cell + 8 + xLabelH + 6 + axisTitle + MARGIN;

  const parts: string[] = [titleBlock(titleCenter(x0 + matrixW / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg];
  const cells: string[] = [];
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) {
      const v = (counts[t] as readonly number[])[p] as number;
      const fill = colormapHex(colormap, colorValue(t, p) / cmax);
      const ink = luminance(fill) < 0.4 ? 'white' : INK.text;
      const cx = x0 + p * cell;
      const cy = y0 + t * cell;
      cells.push(`<rect x="${num(cx)}" y="${num(cy)}" width="${num(cell)}" height="${num(cell)}" fill="${fill}" data-true="${t}" data-predicted="${p}"/>`);
      const countText = Number.isInteger(v) ? formatFixed(v, 0) : formatValue(v);
      const pct = showPercent && (rowSums[t] as number) > 0 ? `${formatFixed((100 * v) / (rowSums[t] as number), 1)}%` : undefined;
      const mid = cy + cell / 2;
      if (pct !== undefined) {
        cells.push(svgText(cx + cell / 2, mid - 2, countText, { size: FONT_SIZE.label, anchor: 'middle', bold: true, fill: ink }));
        cells.push(svgText(cx + cell / 2, mid + FONT_SIZE.tick + 1, pct, { anchor: 'middle', fill: ink }));
      } else {
        cells.push(svgText(cx + cell / 2, middleBaseline(mid, FONT_SIZE.label), countText, { size: FONT_SIZE.label, anchor: 'middle', bold: true, fill: ink }));
      }
    }
  }
  parts.push(`<g class="cells">${cells.join('')}</g>`);
  parts.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(matrixW)}" height="${num(n * cell)}" fill="none" stroke="${INK.axis}" stroke-width="1"/>`);
  const ticks: string[] = [];
  classNames.forEach((name, k) => {
    ticks.push(svgText(x0 - 8, middleBaseline(y0 + (k + 0.5) * cell, FONT_SIZE.tick), name, { anchor: 'end' }));
    const tx = x0 + (k + 0.5) * cell;
    const ty = y0 + n * cell + 8 + FONT_SIZE.tick * 0.8;
    ticks.push(rotate ? svgText(tx, ty, name, { anchor: 'end', rotate: -30 }) : svgText(tx, ty, name, { anchor: 'middle' }));
  });
  parts.push(`<g class="tick-labels">${ticks.join('')}</g>`);
  parts.push(svgText(x0 + matrixW / 2, y0 + n * cell + 8 + xLabelH + 6 + FONT_SIZE.label, 'Predicted', { size: FONT_SIZE.label, anchor: 'middle', extra: 'class="axis-title"' }));
  parts.push(svgText(x0 - left + FONT_SIZE.label, y0 + (n * cell) / 2, 'True', { size: FONT_SIZE.label, anchor: 'middle', rotate: -90, extra: 'class="axis-title"' }));
  if (colorbar) {
    parts.push(renderColorbar({ x: x0 + matrixW + 14, y: y0, height: n * cell, colormap, min: 0, max: cmax, label: colorBy === 'row' ? 'Fraction of true class' : 'Count' }));
  }
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}
