// What every method figure shares: the verdict line of the explained input ("True: X,
// Predicted: Y"), how a class's value is named (a probability, or a raw output for a linear
// head), value formatting, and provenance embedding. Plain data in, strings out.

import type { InputImage } from '../methods/inputs.js';
import { embedSvgProvenance, type Provenance } from './provenance.js';
import { formatValue } from './scale.js';
import { FONT_SIZE, textWidth } from './svg.js';

/** The model's verdict on the input a figure explains (an InputSelection fits). */
export interface Verdict {
  /** Index of the input in x (0-based). */
  readonly index: number;
  /** True class, or null without labels. */
  readonly trueClass: number | null;
  readonly predictedClass: number;
  /** Value of every class (probabilities, or for a linear head the class reading of the output). */
  readonly probabilities: readonly number[];
  /** Class names in class order. */
  readonly classNames: readonly string[];
}

/** Options every method figure accepts. */
export interface FigureOptions {
  /** Embedded in the SVG as <metadata id="convscope-provenance"> (default none). */
  readonly provenance?: Provenance;
  /**
   * False when the head's outputs are not probabilities (a linear unit): values are then called
   * "output(<class>)" instead of "p(<class>)" (default true).
   */
  readonly probabilities?: boolean;
}

/** Options of figures that explain one input. */
export interface InputFigureOptions extends FigureOptions {
  /** The model's verdict on the input, for the title (default: no verdict line). */
  readonly verdict?: Verdict;
}

/** "True: X, Predicted: Y" (the original's titles); "True: unknown" without labels. */
export function verdictText(v: Verdict): string {
  const t = v.trueClass === null ? 'unknown' : (v.classNames[v.trueClass] ?? String(v.trueClass));
  return `True: ${t}, Predicted: ${v.classNames[v.predictedClass] ?? String(v.predictedClass)}`;
}

/** Name of class c, or its number when no names are known. */
export function className(c: number, names: readonly string[] | undefined): string {
  return names?.[c] ?? String(c);
}

/** How the value of class c is called: "p(Selection)", or "output(1)" for a linear head. */
export function valueName(c: number, names: readonly string[] | undefined, options: FigureOptions): string {
  return `${options.probabilities === false ? 'output' : 'p'}(${className(c, names)})`;
}

/** A number for titles: 3 significant decimals, exponent form for tiny or huge values. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return formatValue(Number(v.toPrecision(3)));
}

/** Embeds provenance when given. */
export function withProvenance(svg: string, options: FigureOptions): string {
  return options.provenance !== undefined ? embedSvgProvenance(svg, options.provenance) : svg;
}

/** Symmetric colour range about 0 for signed maps; [-1, 1] for an all-zero map. */
export function symmetricRange(values: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i] as number);
    if (Number.isFinite(v) && v > m) m = v;
  }
  return m > 0 ? [-m, m] : [-1, 1];
}

/** Data range of a map, widened when flat so that colours stay meaningful. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  if (lo === hi) return lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.05, hi + Math.abs(hi) * 0.05];
  return [lo, hi];
}

/** Sums a per-input array (laid out like one model input) over channels: a (height x width) map. */
export function sumChannels(values: ArrayLike<number>, image: Pick<InputImage, 'height' | 'width' | 'channels' | 'dataFormat'>): Float32Array {
  const { height: h, width: w, channels: c } = image;
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += values[image.dataFormat === 'channels_first' ? (k * h + y) * w + x : (y * w + x) * c + k] as number;
      out[y * w + x] = s;
    }
  }
  return out;
}

/** The gray base image for overlays. */
export function baseOf(image: InputImage, alpha: number): { values: Float32Array; height: number; width: number; alpha: number; min: number; max: number } {
  return { values: image.gray, height: image.height, width: image.width, alpha, min: image.min, max: image.max };
}

/**
 * Longer side in px of a drawn image of height x width: at least `base`, and large enough that
 * the image is `minHeight` px tall (a rotated colour-bar label must fit beside it), at most 720.
 */
export function panelSize(height: number, width: number, base: number, minHeight = 0): number {
  const aspect = Math.max(height, width) / height;
  return Math.min(720, Math.max(base, minHeight * aspect));
}

/** Height in px a colour bar needs for its rotated label. */
export function labelRoom(label: string): number {
  return textWidth(label, FONT_SIZE.label) + 16;
}
