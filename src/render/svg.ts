// SVG building blocks shared by every figure: escaping, number formatting, text metrics
// (DejaVu Sans advance widths) and the standalone document wrapper. Pure strings, no DOM.

/** Font stack of every figure; DejaVu Sans is what the PNG renderer loads (src/node/png.ts). */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

/** Pixels per point: figures are laid out in CSS pixels at 96 dpi, so 1 pt = 4/3 px. */
export const PX_PER_PT = 4 / 3;

/** Font sizes in px, chosen for paper: titles 12 pt, axis labels 11 pt, ticks and notes 10 pt. */
export const FONT_SIZE = {
  title: 12 * PX_PER_PT,
  label: 11 * PX_PER_PT,
  tick: 10 * PX_PER_PT,
} as const;

/** Colours of figure furniture (text, axes, grid lines). */
export const INK = {
  text: '#222222',
  muted: '#555555',
  axis: '#444444',
  grid: '#e6e6e6',
  frame: '#888888',
} as const;

/** Escapes text for use in SVG text content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/**
 * Formats a coordinate for SVG: at most 2 decimals, no trailing zeros, never "-0".
 * Two decimals are far below a device pixel at any print scale and keep snapshots stable.
 */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`num: non-finite coordinate ${value}`);
  const r = Math.round(value * 100) / 100;
  if (r === 0) return '0';
  return String(r);
}

// Advance widths of DejaVu Sans and DejaVu Sans Bold for ASCII 32..126, in 1/1000 em, read from
// the fonts' hmtx tables. Used to lay out labels, legends and colour bars without a DOM.
const SANS_WIDTHS = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
  603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
  634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];
const BOLD_WIDTHS = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696,
  696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
  733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
  712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
];

/**
 * Width in px of `text` set in DejaVu Sans at `fontSize` px. Exact for ASCII; other characters
 * count as a wide glyph (0.84 em: the width of DejaVu's minus, plus-minus and multiply signs),
 * so layouts err on the roomy side.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? BOLD_WIDTHS : SANS_WIDTHS;
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    units += code >= 32 && code < 127 ? (table[code - 32] ?? 838) : 838;
  }
  return (units / 1000) * fontSize;
}

/** Options of {@link svgText}. */
export interface TextOptions {
  /** Font size in px (default FONT_SIZE.tick). */
  readonly size?: number;
  /** Horizontal anchor (default 'start'). */
  readonly anchor?: 'start' | 'middle' | 'end';
  /** Bold text (default false). */
  readonly bold?: boolean;
  /** Fill colour (default INK.text). */
  readonly fill?: string;
  /** Rotation in degrees about (x, y), clockwise (default 0). */
  readonly rotate?: number;
  /** Extra attributes, already formatted (default none). */
  readonly extra?: string;
}

/**
 * One line of text whose *baseline* sits at y. To centre a line vertically on y, pass
 * y + 0.35 * size (DejaVu's x-height centre), as {@link middleBaseline} does.
 */
export function svgText(x: number, y: number, text: string, options: TextOptions = {}): string {
  const { size = FONT_SIZE.tick, anchor = 'start', bold = false, fill = INK.text, rotate = 0, extra = '' } = options;
  const attrs = [`x="${num(x)}"`, `y="${num(y)}"`, `font-size="${num(size)}"`];
  if (anchor !== 'start') attrs.push(`text-anchor="${anchor}"`);
  if (bold) attrs.push('font-weight="bold"');
  if (fill !== INK.text) attrs.push(`fill="${fill}"`);
  if (rotate !== 0) attrs.push(`transform="rotate(${num(rotate)} ${num(x)} ${num(y)})"`);
  if (extra !== '') attrs.push(extra);
  return `<text ${attrs.join(' ')}>${escapeXml(text)}</text>`;
}

/** Baseline that centres a line of `size` px text vertically on y. */
export function middleBaseline(y: number, size: number): number {
  return y + 0.36 * size;
}

/** Line height (baseline to baseline) as a multiple of the font size. */
export const LINE_HEIGHT = 1.25;

/** Splits a title on newlines, dropping a trailing empty line; undefined or '' gives no lines. */
export function splitLines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.replace(/\r\n?/g, '\n').split('\n');
}

/** A block of centred title lines (and optional smaller, muted subtitle lines). */
export interface TitleBlock {
  /** SVG markup of the block. */
  readonly svg: string;
  /** Height the block takes in px (0 when empty), including the gap below it. */
  readonly height: number;
  /** Widest line in px. */
  readonly width: number;
}

/**
 * Lays out `title` (12 pt; one line per "\n") and `subtitle` (10 pt, muted) centred on cx,
 * starting at top. Returns the markup and the height used.
 */
export function titleBlock(cx: number, top: number, title: string | undefined, subtitle?: string): TitleBlock {
  const lines = splitLines(title);
  const subLines = splitLines(subtitle);
  const parts: string[] = [];
  let y = top;
  let width = 0;
  for (const line of lines) {
    y += FONT_SIZE.title;
    parts.push(svgText(cx, y, line, { size: FONT_SIZE.title, anchor: 'middle' }));
    width = Math.max(width, textWidth(line, FONT_SIZE.title));
    y += (LINE_HEIGHT - 1) * FONT_SIZE.title;
  }
  for (const line of subLines) {
    y += FONT_SIZE.tick;
    parts.push(svgText(cx, y, line, { size: FONT_SIZE.tick, anchor: 'middle', fill: INK.muted }));
    width = Math.max(width, textWidth(line, FONT_SIZE.tick));
    y += (LINE_HEIGHT - 1) * FONT_SIZE.tick;
  }
  const used = y - top;
  return { svg: parts.join(''), height: used > 0 ? used + 8 : 0, width };
}

/**
 * Horizontal centre for a title of `blockWidth` px: over the plot (`preferred`, as matplotlib
 * centres titles over the axes) unless that would push it past the page margins.
 */
export function titleCenter(preferred: number, blockWidth: number, pageWidth: number, margin: number): number {
  const lo = margin + blockWidth / 2;
  const hi = pageWidth - margin - blockWidth / 2;
  return lo > hi ? pageWidth / 2 : Math.min(hi, Math.max(lo, preferred));
}

/** Options of {@link svgDocument}. */
export interface DocumentOptions {
  /** Width in px. */
  readonly width: number;
  /** Height in px. */
  readonly height: number;
  /** Inner markup. */
  readonly body: string;
  /** Accessible title (the `<title>` element; default none). */
  readonly title?: string;
  /** Background fill (default 'white'; 'none' for transparent). */
  readonly background?: string;
}

/**
 * Wraps markup in a standalone SVG document with width, height, viewBox and the figure font.
 * The output is deterministic: no ids from counters, no dates.
 */
export function svgDocument(options: DocumentOptions): string {
  const { width, height, body, title, background = 'white' } = options;
  const w = num(Math.ceil(width));
  const h = num(Math.ceil(height));
  const head =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT_FAMILY}" fill="${INK.text}">`;
  const titleEl = title !== undefined && title !== '' ? `<title>${escapeXml(title.replace(/\n/g, ' — '))}</title>` : '';
  const bg = background === 'none' ? '' : `<rect width="${w}" height="${h}" fill="${background}"/>`;
  return `${head}\n${titleEl}${bg}\n${body}\n</svg>\n`;
}
