// Chart furniture shared by the figures: x/y axes with ticks, grid and titles, legends, and
// vertical colour bars. Each helper returns SVG markup plus the space it takes, so callers can
// lay figures out before drawing them.

import { colormapBytes, LUT_SIZE, type ColormapName } from './colormaps.js';
import { svgImage } from './raster.js';
import { formatTicks, niceTicks, type LinearScale } from './scale.js';
import { FONT_SIZE, INK, middleBaseline, num, svgText, textWidth } from './svg.js';

/** Length of tick marks in px. */
export const TICK_LENGTH = 5;
/** Gap between a tick mark and its label in px. */
export const TICK_PAD = 3;
/** Gap between tick labels and the axis title in px. */
export const TITLE_PAD = 6;

/** One axis: its scale, tick values (and optional labels) and title. */
export interface AxisSpec {
  /** Maps data values to px. */
  readonly scale: LinearScale;
  /** Tick values in data units. */
  readonly ticks: readonly number[];
  /** Tick labels (default: formatTicks(ticks)). */
  readonly labels?: readonly string[];
  /** Axis title, e.g. "PC1 (11.8%)" (default none). */
  readonly title?: string;
  /** Draw light grid lines at the ticks (default true). */
  readonly grid?: boolean;
}

function tickLabels(axis: AxisSpec): readonly string[] {
  return axis.labels ?? formatTicks(axis.ticks);
}

/** Width in px that a y axis needs left of the plot (tick labels, ticks and title). */
export function yAxisWidth(axis: AxisSpec): number {
  const widest = Math.max(0, ...tickLabels(axis).map((l) => textWidth(l, FONT_SIZE.tick)));
  const title = axis.title !== undefined && axis.title !== '' ? TITLE_PAD + FONT_SIZE.label : 0;
  return TICK_LENGTH + TICK_PAD + widest + title + 2;
}

/** Height in px that an x axis needs below the plot (tick labels, ticks and title). */
export function xAxisHeight(axis: AxisSpec): number {
  const title = axis.title !== undefined && axis.title !== '' ? TITLE_PAD + FONT_SIZE.label * 1.1 : 0;
  return TICK_LENGTH + TICK_PAD + FONT_SIZE.tick * 1.05 + title + 2;
}

/** The plot rectangle axes are drawn around. */
export interface PlotFrame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Draws grid lines, the left and bottom axis lines, ticks, tick labels and titles around
 * `frame`. Ticks outside the scale's range are skipped.
 */
export function renderAxes(frame: PlotFrame, x: AxisSpec, y: AxisSpec): string {
  const { left, top, width, height } = frame;
  const bottom = top + height;
  const right = left + width;
  const grid: string[] = [];
  const marks: string[] = [];
  const labels: string[] = [];
  const inside = (p: number, a: number, b: number): boolean => p >= Math.min(a, b) - 0.5 && p <= Math.max(a, b) + 0.5;

  const xl = tickLabels(x);
  x.ticks.forEach((t, i) => {
    const px = x.scale(t);
    if (!inside(px, left, right)) return;
    if (x.grid !== false) grid.push(`M${num(px)} ${num(top)}V${num(bottom)}`);
    marks.push(`M${num(px)} ${num(bottom)}v${TICK_LENGTH}`);
    labels.push(svgText(px, bottom + TICK_LENGTH + TICK_PAD + FONT_SIZE.tick * 0.95, xl[i] ?? '', { anchor: 'middle' }));
  });
  const yl = tickLabels(y);
  y.ticks.forEach((t, i) => {
    const py = y.scale(t);
    if (!inside(py, top, bottom)) return;
    if (y.grid !== false) grid.push(`M${num(left)} ${num(py)}H${num(right)}`);
    marks.push(`M${num(left)} ${num(py)}h${-TICK_LENGTH}`);
    labels.push(svgText(left - TICK_LENGTH - TICK_PAD, middleBaseline(py, FONT_SIZE.tick), yl[i] ?? '', { anchor: 'end' }));
  });

  const parts: string[] = [];
  if (grid.length > 0) parts.push(`<path class="grid" d="${grid.join('')}" stroke="${INK.grid}" stroke-width="1" fill="none"/>`);
  parts.push(
    `<path class="axis" d="M${num(left)} ${num(top)}V${num(bottom)}H${num(right)}${marks.join('')}" stroke="${INK.axis}" stroke-width="1" fill="none"/>`,
  );
  parts.push(`<g class="tick-labels">${labels.join('')}</g>`);
  if (x.title !== undefined && x.title !== '') {
    const ty = bottom + TICK_LENGTH + TICK_PAD + FONT_SIZE.tick * 1.05 + TITLE_PAD + FONT_SIZE.label * 0.95;
    parts.push(svgText(left + width / 2, ty, x.title, { size: FONT_SIZE.label, anchor: 'middle', extra: 'class="axis-title"' }));
  }
  if (y.title !== undefined && y.title !== '') {
    const tx = left - yAxisWidth(y) + FONT_SIZE.label * 0.8;
    parts.push(
      svgText(tx, top + height / 2, y.title, { size: FONT_SIZE.label, anchor: 'middle', rotate: -90, extra: 'class="axis-title"' }),
    );
  }
  return parts.join('\n');
}

/** How a legend entry's key is drawn. */
export type LegendKey = 'point' | 'line' | 'square';

/** One legend entry. */
export interface LegendEntry {
  readonly label: string;
  readonly color: string;
  /** Key shape (default 'point'). */
  readonly key?: LegendKey;
  /** Dash pattern of a line key (default solid). */
  readonly dash?: string;
}

const LEGEND_ROW = FONT_SIZE.tick * 1.5;
const LEGEND_KEY = 22;

/** Size in px of a legend with these entries and optional title. */
export function legendSize(entries: readonly LegendEntry[], title?: string): { width: number; height: number } {
  const labelW = Math.max(0, ...entries.map((e) => textWidth(e.label, FONT_SIZE.tick)));
  const titleW = title !== undefined && title !== '' ? textWidth(title, FONT_SIZE.tick, true) : 0;
  const titleH = titleW > 0 ? LEGEND_ROW : 0;
  return { width: Math.max(LEGEND_KEY + labelW, titleW), height: titleH + entries.length * LEGEND_ROW };
}

/** Draws a legend with its top-left corner at (x, y). */
export function renderLegend(x: number, y: number, entries: readonly LegendEntry[], title?: string): string {
  const parts: string[] = [];
  let row = y;
  if (title !== undefined && title !== '') {
    parts.push(svgText(x, middleBaseline(row + LEGEND_ROW / 2, FONT_SIZE.tick), title, { bold: true }));
    row += LEGEND_ROW;
  }
  for (const e of entries) {
    const cy = row + LEGEND_ROW / 2;
    const key = e.key ?? 'point';
    if (key === 'point') parts.push(`<circle cx="${num(x + 8)}" cy="${num(cy)}" r="4.5" fill="${e.color}"/>`);
    else if (key === 'square') parts.push(`<rect x="${num(x + 2)}" y="${num(cy - 6)}" width="12" height="12" fill="${e.color}"/>`);
    else {
      const dash = e.dash !== undefined ? ` stroke-dasharray="${e.dash}"` : '';
      parts.push(`<path d="M${num(x)} ${num(cy)}h16" stroke="${e.color}" stroke-width="2.5"${dash}/>`);
    }
    parts.push(svgText(x + LEGEND_KEY, middleBaseline(cy, FONT_SIZE.tick), e.label));
    row += LEGEND_ROW;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

/** Options of {@link renderColorbar}. */
export interface ColorbarOptions {
  /** Left edge of the bar in px. */
  readonly x: number;
  /** Top edge of the bar in px. */
  readonly y: number;
  /** Bar height in px. */
  readonly height: number;
  /** Bar width in px (default 16). */
  readonly width?: number;
  /** Colour map. */
  readonly colormap: ColormapName;
  /** Value at the bottom of the bar. */
  readonly min: number;
  /** Value at the top of the bar. */
  readonly max: number;
  /** Label along the bar, reading bottom to top (default none). */
  readonly label?: string;
  /** About how many ticks (default 5). */
  readonly ticks?: number;
}

const COLORBAR_WIDTH = 16;

function colorbarTicks(min: number, max: number, count: number): { ticks: number[]; labels: string[] } {
  const ticks = niceTicks(min, max, count);
  return { ticks, labels: formatTicks(ticks) };
}

/** Total width in px of a colour bar with these options (bar, ticks, labels, title). */
export function colorbarWidth(options: Omit<ColorbarOptions, 'x' | 'y' | 'height' | 'colormap'>): number {
  const { width = COLORBAR_WIDTH, min, max, label, ticks = 5 } = options;
  const { labels } = colorbarTicks(min, max, ticks);
  const widest = Math.max(0, ...labels.map((l) => textWidth(l, FONT_SIZE.tick)));
  const title = label !== undefined && label !== '' ? TITLE_PAD + FONT_SIZE.label : 0;
  return width + TICK_LENGTH - 1 + TICK_PAD + widest + title + 2;
}

/**
 * A vertical colour bar: the colour map from min (bottom) to max (top), framed, with nice ticks
 * on the right and an optional label, like matplotlib's `colorbar`.
 */
export function renderColorbar(options: ColorbarOptions): string {
  const { x, y, height, width = COLORBAR_WIDTH, colormap, min, max, label, ticks: count = 5 } = options;
  const lut = colormapBytes(colormap);
  const data = new Uint8ClampedArray(LUT_SIZE * 4);
  for (let i = 0; i < LUT_SIZE; i++) {
    const src = (LUT_SIZE - 1 - i) * 3; // top row = max
    data.set([lut[src] as number, lut[src + 1] as number, lut[src + 2] as number, 255], i * 4);
  }
  const parts: string[] = [];
  parts.push(svgImage({ width: 1, height: LUT_SIZE, data }, { x, y, width, height, preUpscale: false }));
  parts.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" fill="none" stroke="${INK.axis}" stroke-width="1"/>`);
  const { ticks, labels } = colorbarTicks(min, max, count);
  const right = x + width;
  const marks: string[] = [];
  const texts: string[] = [];
  ticks.forEach((t, i) => {
    const py = max > min ? y + height * (1 - (t - min) / (max - min)) : y + height / 2;
    marks.push(`M${num(right)} ${num(py)}h${TICK_LENGTH - 1}`);
    texts.push(svgText(right + TICK_LENGTH - 1 + TICK_PAD, middleBaseline(py, FONT_SIZE.tick), labels[i] ?? ''));
  });
  if (marks.length > 0) parts.push(`<path d="${marks.join('')}" stroke="${INK.axis}" stroke-width="1"/>`);
  parts.push(texts.join(''));
  if (label !== undefined && label !== '') {
    const widest = Math.max(0, ...labels.map((l) => textWidth(l, FONT_SIZE.tick)));
    const lx = right + TICK_LENGTH - 1 + TICK_PAD + widest + TITLE_PAD + FONT_SIZE.label * 0.8;
    parts.push(svgText(lx, y + height / 2, label, { size: FONT_SIZE.label, anchor: 'middle', rotate: -90 }));
  }
  return `<g class="colorbar">${parts.join('')}</g>`;
}
