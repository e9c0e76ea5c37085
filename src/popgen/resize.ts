// Resizes a grey image (row-major, values in [0, 1]) to rows x cols, with the interpolations
// of Pillow's Image.resize (the library BaSe used) reproduced exactly, plus exact area
// averaging. Isomorphic; plain typed arrays in and out.
//
// 'bilinear' and 'bicubic' follow Pillow's Resample.c: a separable convolution, horizontal pass
// first, whose kernel (triangle; Keys cubic with a = -0.5) is stretched by the scale factor when
// shrinking (antialiasing), centred at (i + 0.5) * scale, and normalised to sum 1. With
// `quantize: 'uint8'` the image is 8-bit as in Pillow ('L' mode): 0..255 in, coefficients in
// 22-bit fixed point, each pass rounded and clipped to 0..255, result / 255. 'nearest' is
// Pillow's NEAREST: source index floor((i + 0.5) * scale). 'area' (not in Pillow) averages each
// output pixel over the exact source area it covers (like OpenCV's INTER_AREA when shrinking).

import { ArgumentError } from '../errors.js';

/** Interpolations offered by `resizeImage`. */
export type Interpolation = 'nearest' | 'area' | 'bilinear' | 'bicubic';
/** Storage of the resized image: Pillow's 8-bit grey, or floating point. */
export type Quantize = 'uint8' | 'none';

export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'area', 'bilinear', 'bicubic'];

export interface ResizeOptions {
  /** Default 'bicubic' (Pillow's default for Image.resize since Pillow 7.0; earlier: 'nearest'). */
  readonly interpolation?: Interpolation;
  /** Default 'uint8': values are multiples of 1/255, as in an 8-bit image file. */
  readonly quantize?: Quantize;
}

const PRECISION_BITS = 32 - 8 - 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

interface Coefficients {
  readonly ksize: number;
  /** Per output index: first source index, and number of taps. */
  readonly bounds: Int32Array;
  readonly weights: Float64Array;
}

/** Pillow's precompute_coeffs for one axis. */
function coefficients(inSize: number, outSize: number, filter: (x: number) => number, support: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const sup = support * filterscale;
  const ksize = Math.ceil(sup) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // (int) truncation as in C; the arguments are >= -support so trunc matches Pillow.
    let xmin = Math.trunc(center - sup + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + sup + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - center + 0.5) * ss);
      weights[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x]! /= ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function fixedPoint(c: Coefficients): Int32Array {
  const out = new Int32Array(c.weights.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < c.weights.length; i++) {
    const w = c.weights[i]!;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
  }
  return out;
}

function clip8(v: number): number {
  // v >> PRECISION_BITS with an arithmetic shift (floor), clipped to 0..255.
  const q = Math.floor(v / (1 << PRECISION_BITS));
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

/** Pillow's two-pass convolution resize (horizontal, then vertical). */
function convolve(src: Float64Array, inRows: number, inCols: number, rows: number, cols: number, filter: (x: number) => number, support: number, quantize: Quantize): Float64Array {
  const needH = cols !== inCols;
  const needV = rows !== inRows;
  const horiz = coefficients(inCols, cols, filter, support);
  const vert = coefficients(inRows, rows, filter, support);
  const q8 = quantize === 'uint8';
  let img = src;
  let h = inRows;
  let w = inCols;
  let vBounds = vert.bounds;
  if (needH) {
    // Only the source rows the vertical pass reads, as in Pillow.
    const first = vert.bounds[0]!;
    const last = vert.bounds[(rows - 1) * 2]! + vert.bounds[(rows - 1) * 2 + 1]!;
    vBounds = Int32Array.from(vert.bounds, (v, i) => (i % 2 === 0 ? v - first : v));
    const outRows = last - first;
    const tmp = new Float64Array(outRows * cols);
    const k8 = q8 ? fixedPoint(horiz) : null;
    for (let y = 0; y < outRows; y++) {
      const rowOff = (y + first) * w;
      for (let x = 0; x < cols; x++) {
        const xmin = horiz.bounds[x * 2]!;
        const taps = horiz.bounds[x * 2 + 1]!;
        const kOff = x * horiz.ksize;
        if (k8 !== null) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let t = 0; t < taps; t++) ss += img[rowOff + xmin + t]! * k8[kOff + t]!;
          tmp[y * cols + x] = clip8(ss);
        } else {
          let ss = 0;
          for (let t = 0; t < taps; t++) ss += img[rowOff + xmin + t]! * horiz.weights[kOff + t]!;
          tmp[y * cols + x] = ss;
        }
      }
    }
    img = tmp;
    h = outRows;
    w = cols;
  }
  if (needV) {
    const out = new Float64Array(rows * w);
    const k8 = q8 ? fixedPoint(vert) : null;
    for (let y = 0; y < rows; y++) {
      const ymin = vBounds[y * 2]!;
      const taps = vBounds[y * 2 + 1]!;
      const kOff = y * vert.ksize;
      for (let x = 0; x < w; x++) {
        if (k8 !== null) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let t = 0; t < taps; t++) ss += img[(ymin + t) * w + x]! * k8[kOff + t]!;
          out[y * w + x] = clip8(ss);
        } else {
          let ss = 0;
          for (let t = 0; t < taps; t++) ss += img[(ymin + t) * w + x]! * vert.weights[kOff + t]!;
          out[y * w + x] = ss;
        }
      }
    }
    img = out;
    h = rows;
  }
  void h;
  return img;
}

/** Pillow's NEAREST (ImagingScaleAffine): positions accumulated from (0.5 * scale) by scale. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const out = new Int32Array(outSize);
  let xo = scale * 0.5;
  for (let x = 0; x < outSize; x++) {
    out[x] = Math.min(inSize - 1, xo < 0 ? 0 : Math.trunc(xo));
    xo += scale;
  }
  return out;
}

/** Exact area averaging along one axis: the weights of source cells for each output cell. */
function areaWeights(inSize: number, outSize: number): { start: Int32Array; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    // Integer arithmetic on the common grid inSize * outSize keeps the weights exact.
    const lo = o * inSize;
    const hi = (o + 1) * inSize;
    const first = Math.floor(lo / outSize);
    const last = Math.ceil(hi / outSize);
    const w = new Float64Array(last - first);
    for (let i = first; i < last; i++) {
      const a = Math.max(lo, i * outSize);
      const b = Math.min(hi, (i + 1) * outSize);
      w[i - first] = (b - a) / (scale * outSize);
    }
    start[o] = first;
    weights.push(w);
  }
  return { start, weights };
}

/**
 * Resizes `src` (inRows x inCols, row-major, values in [0, 1]) to rows x cols. Returns float32
 * values in [0, 1].
 */
export function resizeImage(src: ArrayLike<number>, inRows: number, inCols: number, rows: number, cols: number, options: ResizeOptions = {}): Float32Array {
  const { interpolation = 'bicubic', quantize = 'uint8' } = options;
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown interpolation '${String(interpolation)}'.`, { hint: `Use one of: ${INTERPOLATIONS.join(', ')}.` });
  }
  if (quantize !== 'uint8' && quantize !== 'none') throw new ArgumentError('BAD_ARGUMENT', `Unknown quantize '${String(quantize)}'; use 'uint8' or 'none'.`);
  for (const [name, v] of [['inRows', inRows], ['inCols', inCols], ['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError('BAD_ARGUMENT', `resizeImage: ${name} must be an integer >= 1, got ${v}.`);
  }
  if (src.length !== inRows * inCols) throw new ArgumentError('SHAPE_MISMATCH', `resizeImage: ${src.length} values do not make ${inRows} x ${inCols}.`);
  const q8 = quantize === 'uint8';
  // Pillow works on 0..255 integers; the float path on [0, 1].
  const input = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) input[i] = q8 ? Math.round(Math.min(1, Math.max(0, src[i]!)) * 255) : src[i]!;
  let out: Float64Array;
  if (interpolation === 'nearest') {
    const ri = nearestIndices(inRows, rows);
    const ci = nearestIndices(inCols, cols);
    out = new Float64Array(rows * cols);
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) out[y * cols + x] = input[ri[y]! * inCols + ci[x]!]!;
  } else if (interpolation === 'area') {
    const rw = areaWeights(inRows, rows);
    const cw = areaWeights(inCols, cols);
    const tmp = new Float64Array(inRows * cols);
    for (let y = 0; y < inRows; y++) {
      for (let x = 0; x < cols; x++) {
        const w = cw.weights[x]!;
        const s0 = cw.start[x]!;
        let ss = 0;
        for (let t = 0; t < w.length; t++) ss += input[y * inCols + s0 + t]! * w[t]!;
        tmp[y * cols + x] = ss;
      }
    }
    out = new Float64Array(rows * cols);
    for (let y = 0; y < rows; y++) {
      const w = rw.weights[y]!;
      const s0 = rw.start[y]!;
      for (let x = 0; x < cols; x++) {
        let ss = 0;
        for (let t = 0; t < w.length; t++) ss += tmp[(s0 + t) * cols + x]! * w[t]!;
        out[y * cols + x] = q8 ? Math.round(ss) : ss;
      }
    }
  } else {
    out =
      rows === inRows && cols === inCols
        ? input
        : interpolation === 'bilinear'
          ? convolve(input, inRows, inCols, rows, cols, triangle, 1, quantize)
          : convolve(input, inRows, inCols, rows, cols, bicubic, 2, quantize);
  }
  const result = new Float32Array(rows * cols);
  for (let i = 0; i < result.length; i++) {
    const v = q8 ? out[i]! / 255 : out[i]!;
    result[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return result;
}
