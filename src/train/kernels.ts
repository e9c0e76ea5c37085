// The training-only arithmetic the reference engine lacks: weight gradients of Conv2D and Dense,
// BatchNormalization in training mode (batch statistics, forward and backward), and inverted
// dropout. channels_last only (what src/train builds). Everything else (convolution forward and
// input gradient, pooling, activations, the GEMM) is the reference engine's (src/engine/ref).

import { type Arr, alloc, axisGeometry } from '../engine/ref/common.js';
import { gemmNT } from '../engine/ref/gemm.js';
import type { Rng } from '../random.js';
import type { SimdGemm } from './simd.js';

/** Values per im2col chunk: 64 Ki (256 KiB in float32), as the reference engine's forward. */
const CHUNK_VALUES = 65536;

/** Geometry of a channels_last 2-D convolution (dilation 1, groups 1). */
export interface ConvGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly cin: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number;
  readonly ho: number; readonly wo: number; readonly cout: number;
  /** Padding rows/columns before the first input cell (TensorFlow 'same': the smaller half). */
  readonly padTop: number; readonly padLeft: number;
}

/** The geometry of a convolution of an (n, h, w, cin) input. */
export function convGeometry(
  n: number, h: number, w: number, cin: number, kh: number, kw: number, sh: number, sw: number, cout: number, padding: 'valid' | 'same',
): ConvGeometry {
  const gh = axisGeometry(h, kh, sh, 1, padding);
  const gw = axisGeometry(w, kw, sw, 1, padding);
  return { n, h, w, cin, kh, kw, sh, sw, ho: gh.out, wo: gw.out, cout, padTop: gh.before, padLeft: gw.before };
}

/**
 * Gathers the transposed im2col matrix of output positions [q0, q1) counted over the whole batch
 * (q = sample * ho * wo + position): row r = (ky, kx, ci) (the kernel's order), column q - q0;
 * rows are `ld` values apart.
 */
function im2colTransposed(x: Arr, g: ConvGeometry, q0: number, q1: number, cols: Arr, ld: number = q1 - q0): void {
  const { h, w, cin, kh, kw, sh, sw, wo, padTop, padLeft } = g;
  const npos = g.ho * wo;
  for (let q = q0; q < q1; q++) {
    const n = Math.floor(q / npos);
    const p = q - n * npos;
    const oy = Math.floor(p / wo);
    const ox = p - oy * wo;
    const col = q - q0;
    const base = n * h * w * cin;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - padTop + ky;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - padLeft + kx;
        let r = (ky * kw + kx) * cin * ld + col;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
          for (let ci = 0; ci < cin; ci++, r += ld) cols[r] = 0;
        } else {
          const src = base + (iy * w + ix) * cin;
          for (let ci = 0; ci < cin; ci++, r += ld) cols[r] = x[src + ci]!;
        }
      }
    }
  }
}

/**
 * Weight gradients of a channels_last Conv2D: dW (kh, kw, cin, cout) and db (cout), summed over
 * the batch, from the forward input x and dz = d loss / d pre-activation output. Both written
 * into the given arrays (overwritten). dW = cols^T dz as one GEMM per chunk of output positions
 * (chunks span samples, so small late layers still give long products).
 */
export function convWeightGradients(x: Arr, dz: Arr, g: ConvGeometry, dKernel: Arr, dBias: Arr | null, scratch: { cols: Arr | null; dzt: Arr | null }, simd: SimdGemm | null = null): void {
  const { kh, kw, cin, cout } = g;
  const k = kh * kw * cin;
  const total = g.n * g.ho * g.wo;
  if (simd !== null && x instanceof Float32Array && dz instanceof Float32Array && dKernel instanceof Float32Array) {
    convWeightGradientsSimd(x, dz, g, dKernel, simd);
    if (dBias !== null) biasGradient(dz, total, cout, dBias);
    return;
  }
  const chunk = Math.max(4, Math.min(total, Math.floor(CHUNK_VALUES / k / 4) * 4));
  if (scratch.cols === null || scratch.cols.length < chunk * k || (scratch.cols instanceof Float64Array) !== (x instanceof Float64Array)) {
    scratch.cols = alloc(x, chunk * k);
  }
  if (scratch.dzt === null || scratch.dzt.length < chunk * cout || (scratch.dzt instanceof Float64Array) !== (x instanceof Float64Array)) {
    scratch.dzt = alloc(x, chunk * cout);
  }
  const cols = scratch.cols;
  const dzt = scratch.dzt;
  // Accumulate dW^T (cout x k) across chunks (in x's precision: a Float64Array C here would make
  // the shared GEMM polymorphic and slow for every caller), then write dW (k x cout).
  const acc = alloc(x, cout * k);
  for (let q0 = 0; q0 < total; q0 += chunk) {
    const q1 = Math.min(total, q0 + chunk);
    const len = q1 - q0;
    im2colTransposed(x, g, q0, q1, cols);
    for (let q = 0; q < len; q++) {
      const src = (q0 + q) * cout;
      for (let co = 0; co < cout; co++) dzt[co * len + q] = dz[src + co]!;
    }
    gemmNT(cout, k, len, dzt, 0, len, cols, 0, len, acc, 0, k);
  }
  for (let r = 0; r < k; r++) for (let co = 0; co < cout; co++) dKernel[r * cout + co] = acc[co * k + r]!;
  if (dBias !== null) biasGradient(dz, total, cout, dBias);
}

function biasGradient(dz: Arr, total: number, cout: number, dBias: Arr): void {
  const b = new Float64Array(cout);
  for (let q = 0; q < total; q++) {
    const o = q * cout;
    for (let co = 0; co < cout; co++) b[co] = b[co]! + dz[o + co]!;
  }
  for (let co = 0; co < cout; co++) dBias[co] = b[co]!;
}

/** B-panel budget of the SIMD weight gradient: K x positions values kept near L2 size. */
const SIMD_PANEL_VALUES = 131072;

/** dW with the SIMD GEMM: per chunk of positions, C (cout x K) = dz^T (cout x len) * cols (K x len)^T. */
function convWeightGradientsSimd(x: Float32Array, dz: Float32Array, g: ConvGeometry, dKernel: Float32Array, simd: SimdGemm): void {
  const { cout } = g;
  const k = g.kh * g.kw * g.cin;
  const total = g.n * g.ho * g.wo;
  const chunk = Math.max(4, Math.min(8192, Math.floor(SIMD_PANEL_VALUES / k / 4) * 4));
  const acc = new Float32Array(cout * k);
  for (let q0 = 0; q0 < total; q0 += chunk) {
    const q1 = Math.min(total, q0 + chunk);
    const len = q1 - q0;
    const op = simd.packed(cout, k, len);
    const { kp, np, a, b, c } = op;
    // A = dz^T (cout x len), B = cols^T (k x len); zero the padding columns and B's padding rows.
    for (let co = 0; co < cout; co++) {
      const o = co * kp;
      for (let q = 0; q < len; q++) a[o + q] = dz[(q0 + q) * cout + co]!;
      if (kp > len) a.fill(0, o + len, o + kp);
    }
    im2colTransposed(x, g, q0, q1, b, kp);
    if (kp > len) for (let r = 0; r < k; r++) b.fill(0, r * kp + len, (r + 1) * kp);
    if (np > k) b.fill(0, k * kp, np * kp);
    op.run();
    for (let co = 0; co < cout; co++) {
      const src = co * np;
      const dst = co * k;
      for (let r = 0; r < k; r++) acc[dst + r] = acc[dst + r]! + c[src + r]!;
    }
  }
  for (let r = 0; r < k; r++) for (let co = 0; co < cout; co++) dKernel[r * cout + co] = acc[co * k + r]!;
}

/** A-panel budget of the SIMD convolution: positions x K values per chunk. */
const SIMD_ROWS_VALUES = 65536;

/**
 * Convolution forward with the SIMD GEMM (channels_last, dilation 1, groups 1): y (n, ho, wo,
 * cout) = im2col(x) * kt^T + bias, with kt the kernel transposed to (cout, K) rows.
 */
export function convForwardSimd(x: Float32Array, g: ConvGeometry, kt: Float32Array, bias: Float32Array | null, simd: SimdGemm): Float32Array {
  const { cout } = g;
  const k = g.kh * g.kw * g.cin;
  const total = g.n * g.ho * g.wo;
  const y = new Float32Array(total * cout);
  const chunk = Math.max(4, Math.min(total, Math.floor(SIMD_ROWS_VALUES / k / 4) * 4));
  // B first: filled once, kept across chunks (same np and kp).
  let op = simd.packed(chunk, cout, k);
  const { kp, np } = op;
  op.b.fill(0);
  for (let co = 0; co < cout; co++) op.b.set(kt.subarray(co * k, (co + 1) * k), co * kp);
  for (let q0 = 0; q0 < total; q0 += chunk) {
    const q1 = Math.min(total, q0 + chunk);
    op = simd.packed(q1 - q0, cout, k);
    im2colRows(x, g, q0, q1, op.a, kp);
    op.run();
    const c = op.c;
    if (np === cout) {
      y.set(c.subarray(0, (q1 - q0) * cout), q0 * cout);
    } else {
      for (let q = 0; q < q1 - q0; q++) y.set(c.subarray(q * np, q * np + cout), (q0 + q) * cout);
    }
  }
  if (bias !== null) for (let q = 0; q < total; q++) for (let co = 0; co < cout; co++) y[q * cout + co] = y[q * cout + co]! + bias[co]!;
  return y;
}

/** Whether convInputGradientSimd applies: stride 1, odd kernel, 'same' (the input gradient is then a 'same' convolution). */
export function flippedConvApplies(g: ConvGeometry): boolean {
  return g.sh === 1 && g.sw === 1 && g.kh % 2 === 1 && g.kw % 2 === 1 && g.ho === g.h && g.wo === g.w && g.padTop === (g.kh - 1) / 2 && g.padLeft === (g.kw - 1) / 2;
}

/**
 * d loss / d input of a stride-1 'same' convolution with an odd kernel, with the SIMD GEMM: the
 * 'same' convolution of dz with the kernel flipped in space and with in/out channels swapped.
 */
export function convInputGradientSimd(dz: Float32Array, g: ConvGeometry, kernel: Float32Array, simd: SimdGemm): Float32Array {
  const { kh, kw, cin, cout } = g;
  const k2 = kh * kw * cout;
  // Flipped kernel, transposed to rows per input channel: B'[ci][(ky*kw + kx)*cout + co] = W[kh-1-ky][kw-1-kx][ci][co].
  const kt = new Float32Array(cin * k2);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const src = ((kh - 1 - ky) * kw + (kw - 1 - kx)) * cin * cout;
      const dst = (ky * kw + kx) * cout;
      for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) kt[ci * k2 + dst + co] = kernel[src + ci * cout + co]!;
    }
  }
  const gd: ConvGeometry = { ...g, h: g.ho, w: g.wo, cin: cout, cout: cin };
  return convForwardSimd(dz, gd, kt, null, simd);
}

/** im2col rows of positions [q0, q1) over the batch into dst (row stride ld >= K; columns K..ld-1 zeroed). */
function im2colRows(x: Float32Array, g: ConvGeometry, q0: number, q1: number, dst: Float32Array, ld: number): void {
  const { h, w, cin, kh, kw, sh, sw, wo, padTop, padLeft } = g;
  const npos = g.ho * wo;
  const k = kh * kw * cin;
  for (let q = q0; q < q1; q++) {
    const n = Math.floor(q / npos);
    const p = q - n * npos;
    const oy = Math.floor(p / wo);
    const ox = p - oy * wo;
    const base = n * h * w * cin;
    let o = (q - q0) * ld;
    const rowEnd = o + ld;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - padTop + ky;
      if (iy < 0 || iy >= h) {
        dst.fill(0, o, o + kw * cin);
        o += kw * cin;
        continue;
      }
      const rowBase = base + iy * w * cin;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - padLeft + kx;
        if (ix < 0 || ix >= w) {
          dst.fill(0, o, o + cin);
        } else if (cin >= 8) {
          dst.set(x.subarray(rowBase + ix * cin, rowBase + ix * cin + cin), o);
        } else {
          const src = rowBase + ix * cin;
          for (let ci = 0; ci < cin; ci++) dst[o + ci] = x[src + ci]!;
        }
        o += cin;
      }
    }
    if (ld > k) dst.fill(0, o, rowEnd);
  }
}

/**
 * Weight gradients of Dense on a (rows, in) input: dW (in, units) = x^T dz and db = column sums
 * of dz, written into the given arrays.
 */
export function denseWeightGradients(x: Arr, dz: Arr, rows: number, inFeatures: number, units: number, dKernel: Arr, dBias: Arr | null, simd: SimdGemm | null = null): void {
  const xt = alloc(x, rows * inFeatures);
  for (let r = 0; r < rows; r++) {
    const o = r * inFeatures;
    for (let i = 0; i < inFeatures; i++) xt[i * rows + r] = x[o + i]!;
  }
  const dzt = alloc(x, rows * units);
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) dzt[u * rows + r] = dz[r * units + u]!;
  dKernel.fill(0);
  if (simd !== null && xt instanceof Float32Array && dzt instanceof Float32Array && dKernel instanceof Float32Array) {
    simd.gemmNT(inFeatures, units, rows, xt, 0, rows, dzt, 0, rows, dKernel, 0, units);
  } else {
    gemmNT(inFeatures, units, rows, xt, 0, rows, dzt, 0, rows, dKernel, 0, units);
  }
  if (dBias !== null) {
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += dzt[u * rows + r]!;
      dBias[u] = s;
    }
  }
}

/** What BatchNormalization's training forward keeps for its backward. */
export interface BatchNormSaved {
  /** Batch mean per channel. */
  readonly mean: Float64Array;
  /** 1 / sqrt(batch variance + epsilon) per channel. */
  readonly invStd: Float64Array;
  /** Biased batch variance per channel (what normalises). */
  readonly variance: Float64Array;
  /** Values per channel (batch x positions). */
  readonly count: number;
}

/**
 * BatchNormalization over the last axis in training mode: per channel, the batch mean and the
 * biased variance over every other axis normalise x; y = gamma * (x - mean) / sqrt(var + eps) +
 * beta. Statistics are computed in float64 in one pass over x.
 */
export function batchNormTrainForward(x: Arr, channels: number, gamma: Float32Array | null, beta: Float32Array | null, epsilon: number): { y: Arr; saved: BatchNormSaved } {
  const C = channels;
  const count = x.length / C;
  // One pass of shifted sums (shift = the first row, so that sum(d^2) - sum(d)^2 / m keeps its
  // precision when the mean is large against the spread), accumulated in float64.
  const first = new Float64Array(C);
  for (let c = 0; c < C; c++) first[c] = x[c]!;
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; c++) {
      const d = x[o + c]! - first[c]!;
      s1[c] = s1[c]! + d;
      s2[c] = s2[c]! + d * d;
    }
  }
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const invStd = new Float64Array(C);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const m1 = s1[c]! / count;
    mean[c] = first[c]! + m1;
    variance[c] = Math.max(0, s2[c]! / count - m1 * m1);
    invStd[c] = 1 / Math.sqrt(variance[c]! + epsilon);
    scale[c] = (gamma === null ? 1 : gamma[c]!) * invStd[c]!;
    shift[c] = (beta === null ? 0 : beta[c]!) - mean[c]! * scale[c]!;
  }
  const y = alloc(x, x.length);
  for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; c++) y[o + c] = x[o + c]! * scale[c]! + shift[c]!;
  return { y, saved: { mean, invStd, variance, count } };
}

/**
 * BatchNormalization training backward: with xhat = (x - mean) * invStd,
 * dgamma = sum(dy * xhat), dbeta = sum(dy),
 * dx = gamma * invStd * (dy - dbeta / m - xhat * dgamma / m) (m values per channel).
 * Writes dgamma/dbeta when arrays are given; returns dx.
 */
export function batchNormTrainBackward(x: Arr, dy: Arr, channels: number, gamma: Float32Array | null, saved: BatchNormSaved, dGamma: Arr | null, dBeta: Arr | null): Arr {
  const C = channels;
  const { mean, invStd, count } = saved;
  const sumDy = new Float64Array(C);
  const sumDyXhat = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; c++) {
      const g = dy[o + c]!;
      sumDy[c] = sumDy[c]! + g;
      sumDyXhat[c] = sumDyXhat[c]! + g * (x[o + c]! - mean[c]!) * invStd[c]!;
    }
  }
  if (dGamma !== null) for (let c = 0; c < C; c++) dGamma[c] = sumDyXhat[c]!;
  if (dBeta !== null) for (let c = 0; c < C; c++) dBeta[c] = sumDy[c]!;
  const k1 = new Float64Array(C);
  const k2 = new Float64Array(C);
  const k3 = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const s = (gamma === null ? 1 : gamma[c]!) * invStd[c]!;
    // dx = s * dy - s * sumDy / m - s * xhat * sumDyXhat / m, with xhat = (x - mean) * invStd
    k1[c] = s;
    k2[c] = (s * invStd[c]! * sumDyXhat[c]!) / count;
    k3[c] = (s * sumDy[c]!) / count - k2[c]! * mean[c]!;
  }
  const dx = alloc(dy, dy.length);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; c++) dx[o + c] = k1[c]! * dy[o + c]! - k2[c]! * x[o + c]! - k3[c]!;
  }
  return dx;
}

/**
 * Inverted dropout (Keras): each value is kept with probability 1 - rate and scaled by
 * 1 / (1 - rate), else zeroed. Returns the output and the per-value multiplier (0 or the scale).
 */
export function dropoutForward(x: Arr, rate: number, rng: Rng): { y: Arr; mask: Float32Array } {
  const keep = 1 - rate;
  const scale = 1 / keep;
  const mask = new Float32Array(x.length);
  const y = alloc(x, x.length);
  for (let i = 0; i < x.length; i++) {
    if (rng.next() < keep) {
      mask[i] = scale;
      y[i] = x[i]! * scale;
    }
  }
  return { y, mask };
}

/** Dropout backward: dy times the forward multiplier. */
export function dropoutBackward(dy: Arr, mask: Float32Array): Arr {
  const dx = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * mask[i]!;
  return dx;
}
