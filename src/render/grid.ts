// A grid of small image panels (conv kernels, activation maps), numbered from 1 as in the
// original, each scaled on its own or all on one shared scale. Values in, SVG string out.

import { ArgumentError } from '../errors.js';
import { colorbarWidth, renderColorbar } from './axes.js';
import { checkColormap, colorize, finiteRange, type ColormapName } from './colormaps.js';
import { svgImage } from './raster.js';
import { formatValue } from './scale.js';
import { FONT_SIZE, INK, num, svgDocument, svgText, textWidth, titleBlock, titleCenter } from './svg.js';

/** One panel of a grid. */
export interface GridPanel {
  /** Row-major values, height x width. NaN draws transparent. */
  readonly values: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** Text above the panel (default: its 1-based number, "1", "2", ...). */
  readonly label?: string;
}

/** How panels are mapped to colours. */
export type GridScale = 'panel' | 'shared';

/** Options of {@link renderImageGrid}. */
export interface ImageGridOptions {
  /** The panels, drawn left to right, top to bottom. */
  readonly panels: readonly GridPanel[];
  /** Panels per row (default 8, as the original). */
  readonly columns?: number;
  /** Colour map (default 'gray'; the original used 'hot' for activation maps). */
  readonly colormap?: ColormapName;
  /**
   * 'panel' (default): each panel spans its own min..max, which shows every panel's pattern but
   * hides differences in strength; 'shared': one scale for all, which allows comparing panels.
   * The caption under the grid says which was used.
   */
  readonly scale?: GridScale;
  /** Shared scale minimum (default: smallest value of all panels; 'RdBu_r': -max|value|). Shared scale only. */
  readonly min?: number;
  /** Shared scale maximum (default: largest value of all panels; 'RdBu_r': +max|value|). Shared scale only. */
  readonly max?: number;
  /** Title; "\n" starts a new line (default none). */
  readonly title?: string;
  /** Smaller line(s) under the title (default none). */
  readonly subtitle?: string;
  /** Colour bar with this label, for the shared scale (default none). Not allowed with scale 'panel'. */
  readonly colorbar?: { readonly label?: string; readonly ticks?: number };
  /** Longer side of each panel in px (default 80). */
  readonly panelSize?: number;
  /** Caption under the grid (default: a sentence naming the scale used; '' for none). */
  readonly caption?: string;
}

const MARGIN = 12;
const GAP = 8;
const COLORBAR_GAP = 14;

/**
 * Renders panels in a grid with numbered labels, a title, a scale caption and, for a shared
 * scale, an optional colour bar.
 *
 * 1. Check panels and options; resolve the colour scale(s).
 * 2. Lay out: title, rows of (label, panel), caption; colour bar on the right.
 * 3. Draw.
 */
export function renderImageGrid(options: ImageGridOptions): string {
  // 1. Options and scales.
  const { panels, columns = 8, scale = 'panel', title, subtitle, colorbar, panelSize = 80 } = options;
  const colormap = checkColormap(options.colormap ?? 'gray');
  if (panels.length === 0) {
    throw new ArgumentError('BAD_ARGUMENT', 'renderImageGrid: no panels to draw.', { hint: 'Pass at least one panel.' });
  }
  if (!Number.isInteger(columns) || columns < 1) {
    throw new ArgumentError('BAD_ARGUMENT', `renderImageGrid: columns must be a positive integer; got ${columns}.`);
  }
  if (scale !== 'panel' && scale !== 'shared') {
    throw new ArgumentError('BAD_ARGUMENT', `renderImageGrid: scale must be 'panel' or 'shared'; got '${String(scale)}'.`);
  }
  if (scale === 'panel' && (colorbar !== undefined || options.min !== undefined || options.max !== undefined)) {
    throw new ArgumentError('BAD_ARGUMENT', 'renderImageGrid: a colour bar, min and max need one shared scale.', {
      hint: "Pass scale: 'shared', or drop colorbar/min/max.",
    });
  }
  if (!(panelSize > 0)) throw new ArgumentError('BAD_ARGUMENT', `renderImageGrid: panelSize must be positive; got ${panelSize}.`);
  panels.forEach((p, i) => {
    if (!Number.isInteger(p.height) || !Number.isInteger(p.width) || p.height < 1 || p.width < 1 || p.values.length !== p.height * p.width) {
      throw new ArgumentError(
        'SHAPE_MISMATCH',
        `renderImageGrid: panel ${i + 1} is ${p.height} x ${p.width} but has ${p.values.length} values.`,
        { hint: 'Each panel needs height * width row-major values.', details: { panel: i + 1 } },
      );
    }
  });
  let shared: [number, number] = [0, 0];
  if (scale === 'shared') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of panels) {
      const [a, b] = finiteRange(p.values);
      if (a < lo) lo = a;
      if (b > hi) hi = b;
    }
    if (lo > hi) [lo, hi] = [0, 0];
    if (colormap === 'RdBu_r' && options.min === undefined && options.max === undefined) {
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      shared = [-m, m];
    } else {
      shared = [options.min ?? lo, options.max ?? hi];
    }
    if (shared[0] > shared[1]) {
      throw new ArgumentError('BAD_ARGUMENT', `renderImageGrid: min (${shared[0]}) is above max (${shared[1]}).`);
    }
  }
  const caption =
    options.caption ??
    (scale === 'shared'
      ? `Colour scale shared by all panels: ${formatValue(shared[0])} to ${formatValue(shared[1])}.`
      : colormap === 'RdBu_r'
        ? 'Each panel scaled on its own, symmetric about 0 (white = 0).'
        : 'Each panel scaled on its own range (min to max); compare patterns, not strengths.');

  // 2. Layout. Every cell is panelSize square; a panel keeps its aspect ratio inside it.
  const n = panels.length;
  const cols = Math.min(columns, n);
  const rows = Math.ceil(n / cols);
  const labelH = FONT_SIZE.tick * 1.3;
  const cellW = panelSize;
  const cellH = labelH + panelSize;
  const gridW = cols * cellW + (cols - 1) * GAP;
  const gridH = rows * cellH + (rows - 1) * GAP;
  const cbW = colorbar !== undefined ? COLORBAR_GAP + colorbarWidth({ min: shared[0], max: shared[1], label: colorbar.label, ticks: colorbar.ticks }) : 0;
  const captionW = caption !== '' ? textWidth(caption, FONT_SIZE.tick) : 0;
  const heading = titleBlock(0, 0, title, subtitle);
  const contentW = gridW + cbW;
  const totalW = Math.max(contentW, heading.width, captionW) + 2 * MARGIN;
  const x0 = (totalW - contentW) / 2;
  const y0 = MARGIN + heading.height;
  const captionH = caption !== '' ? GAP + FONT_SIZE.tick * 1.3 : 0;
  const totalH = y0 + gridH + captionH + MARGIN;

  // 3. Draw.
  const parts: string[] = [titleBlock(titleCenter(x0 + gridW / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg];
  const cells: string[] = [];
  panels.forEach((p, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const cx = x0 + c * (cellW + GAP);
    const cy = y0 + r * (cellH + GAP);
    const k = panelSize / Math.max(p.height, p.width);
    const w = p.width * k;
    const h = p.height * k;
    const px = cx + (cellW - w) / 2;
    const py = cy + labelH + (panelSize - h) / 2;
    let range: [number, number] = shared;
    if (scale === 'panel') {
      const [lo, hi] = finiteRange(p.values);
      range = colormap === 'RdBu_r' ? [-Math.max(Math.abs(lo), Math.abs(hi)), Math.max(Math.abs(lo), Math.abs(hi))] : [lo, hi];
    }
    const rgba = colorize(p.values, { min: range[0], max: range[1], colormap });
    const label = p.label ?? String(i + 1);
    cells.push(
      `<g class="panel" data-panel="${i + 1}">` +
        svgText(cx + cellW / 2, cy + FONT_SIZE.tick, label, { anchor: 'middle' }) +
        svgImage({ width: p.width, height: p.height, data: rgba }, { x: px, y: py, width: w, height: h }) +
        `<rect x="${num(px)}" y="${num(py)}" width="${num(w)}" height="${num(h)}" fill="none" stroke="${INK.frame}" stroke-width="0.75"/>` +
        '</g>',
    );
  });
  parts.push(cells.join('\n'));
  if (colorbar !== undefined) {
    const cbH = Math.min(gridH - labelH, Math.max(panelSize * 2, 120));
    parts.push(
      renderColorbar({
        x: x0 + gridW + COLORBAR_GAP,
        y: y0 + labelH + (gridH - labelH - cbH) / 2,
        height: cbH,
        colormap,
        min: shared[0],
        max: shared[1],
        label: colorbar.label,
        ticks: colorbar.ticks,
      }),
    );
  }
  if (caption !== '') {
    parts.push(svgText(totalW / 2, y0 + gridH + GAP + FONT_SIZE.tick, caption, { anchor: 'middle', fill: INK.muted, extra: 'class="caption"' }));
  }
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}
