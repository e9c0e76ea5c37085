// Multi-panel figures: standalone SVG panels (from renderHeatmap, renderImageGrid, charts...)
// placed in rows under one title, with an optional caption and one shared colour bar. Panels
// are nested as inner <svg> elements, so each keeps its own coordinates. Strings only.

import { ArgumentError } from '../errors.js';
import { colorbarWidth, renderColorbar } from './axes.js';
import type { ColormapName } from './colormaps.js';
import { FONT_SIZE, INK, LINE_HEIGHT, num, svgDocument, svgText, textWidth, titleBlock, titleCenter } from './svg.js';

/** A standalone SVG panel and its size in px. */
export interface Panel {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

/** Reads the size of a standalone SVG document made by a render* function. */
export function panelOf(svg: string): Panel {
  const open = /^\s*<svg\b[^>]*>/.exec(svg);
  const w = open === null ? null : /\swidth="([\d.]+)"/.exec(open[0]);
  const h = open === null ? null : /\sheight="([\d.]+)"/.exec(open[0]);
  if (open === null || w === null || h === null) {
    throw new ArgumentError('BAD_ARGUMENT', 'composeFigure: a panel is not a standalone SVG document with width and height.', {
      hint: 'Pass the output of a render* function.',
    });
  }
  return { svg, width: Number(w[1]), height: Number(h[1]) };
}

/** Splits text into lines of at most `maxWidth` px (at `size` px), breaking at spaces. */
export function wrapText(text: string, maxWidth: number, size: number = FONT_SIZE.tick): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const next = line === '' ? word : `${line} ${word}`;
      if (line !== '' && textWidth(next, size) > maxWidth) {
        out.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    out.push(line);
  }
  return out;
}

/** Options of {@link composeFigure}. */
export interface ComposeOptions {
  /** Rows of panels, top to bottom; each row left to right, centred. */
  readonly rows: readonly (readonly Panel[])[];
  /** Title; "\n" starts a new line (default none). */
  readonly title?: string;
  /** Smaller, muted line(s) under the title (default none). */
  readonly subtitle?: string;
  /** Muted text under the panels, wrapped to the figure width (default none). */
  readonly caption?: string;
  /** One colour bar right of all panels, for panels drawn on one shared scale (default none). */
  readonly colorbar?: { readonly colormap: ColormapName; readonly min: number; readonly max: number; readonly label?: string };
  /** Gap between panels in px (default 12). */
  readonly gap?: number;
}

const MARGIN = 12;
const COLORBAR_GAP = 16;

/**
 * Places panels in rows under a title, with an optional shared colour bar and caption.
 *
 * 1. Measure rows, heading, colour bar and caption.
 * 2. Place each row centred over the panel area; the colour bar spans the panels' height.
 * 3. Nest every panel as an inner <svg> at its place.
 */
export function composeFigure(options: ComposeOptions): string {
  // 1. Measure.
  const { rows, title, subtitle, caption, colorbar, gap = 12 } = options;
  if (rows.length === 0 || rows.some((r) => r.length === 0)) throw new ArgumentError('BAD_ARGUMENT', 'composeFigure: every row needs at least one panel.');
  const rowW = rows.map((r) => r.reduce((s, p) => s + p.width, 0) + gap * (r.length - 1));
  const rowH = rows.map((r) => Math.max(...r.map((p) => p.height)));
  const panelsW = Math.max(...rowW);
  const panelsH = rowH.reduce((s, h) => s + h, 0) + gap * (rows.length - 1);
  const cbW = colorbar !== undefined ? COLORBAR_GAP + colorbarWidth({ min: colorbar.min, max: colorbar.max, label: colorbar.label }) : 0;
  const heading = titleBlock(0, 0, title, subtitle);
  const contentW = panelsW + cbW;
  const totalW = Math.max(contentW, heading.width) + 2 * MARGIN;
  const captionLines = caption !== undefined && caption !== '' ? wrapText(caption, Math.max(contentW, 300)) : [];
  const captionH = captionLines.length > 0 ? gap + captionLines.length * FONT_SIZE.tick * LINE_HEIGHT : 0;
  const x0 = (totalW - contentW) / 2;
  const y0 = MARGIN + heading.height;
  const totalH = y0 + panelsH + captionH + MARGIN;

  // 2-3. Place and nest.
  const parts: string[] = [titleBlock(titleCenter(x0 + panelsW / 2, heading.width, totalW, MARGIN), MARGIN, title, subtitle).svg];
  let y = y0;
  rows.forEach((row, r) => {
    let x = x0 + (panelsW - rowW[r]!) / 2;
    for (const p of row) {
      const inner = p.svg.replace(/<title>[\s\S]*?<\/title>/, '').replace(/^\s*<svg\b/, `<svg x="${num(x)}" y="${num(y + (rowH[r]! - p.height) / 2)}"`);
      parts.push(inner.trimEnd());
      x += p.width + gap;
    }
    y += rowH[r]! + gap;
  });
  if (colorbar !== undefined) {
    const h = Math.min(panelsH, Math.max(160, Math.min(360, panelsH * 0.6)));
    parts.push(renderColorbar({ x: x0 + panelsW + COLORBAR_GAP, y: y0 + (panelsH - h) / 2, height: h, colormap: colorbar.colormap, min: colorbar.min, max: colorbar.max, label: colorbar.label }));
  }
  captionLines.forEach((line, i) => {
    parts.push(svgText(totalW / 2, y0 + panelsH + gap + (i + 0.8) * FONT_SIZE.tick * LINE_HEIGHT, line, { anchor: 'middle', fill: INK.muted, extra: 'class="caption"' }));
  });
  return svgDocument({ width: totalW, height: totalH, body: parts.join('\n'), title });
}
