// Ops that move values without arithmetic (or with fixed weights): Flatten, Reshape, Permute,
// ZeroPadding, Cropping, UpSampling (nearest, bilinear) and Concatenate, forward and backward.
// Each backward is the exact adjoint of its forward.
//
// Bilinear upsampling follows TF2 / Keras 3 (`tf.image.resize`, half-pixel centres, no
// antialiasing): source = (out + 0.5) / size - 0.5, neighbours clamped at the border. Keras 2.2
// on TensorFlow 1 used the legacy `resize_bilinear` (no half-pixel centres), which differs.

import { formatShape } from '../../errors.js';
import type { Node, Op } from '../../model/ir.js';
import { type Arr, type RTensor, type Spatial, alloc, numel, shapeError, spatialOf, spatialShape } from './common.js';

type PermuteOp = Extract<Op, { type: 'permute' }>;
type PadOp = Extract<Op, { type: 'zeroPad' }>;
type CropOp = Extract<Op, { type: 'crop' }>;
type UpsampleOp = Extract<Op, { type: 'upsample' }>;

/** Permutes the axes of a row-major array: output axis i is input axis perm[i]. */
export function permuteAxes(x: Arr, shape: readonly number[], perm: readonly number[]): Arr {
  const r = shape.length;
  const n = numel(shape);
  const out = alloc(x, n);
  if (n === 0) return out;
  if (r === 0) {
    out[0] = x[0]!;
    return out;
  }
  const inStrides = new Array<number>(r);
  let s = 1;
  for (let a = r - 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const st = perm.map((p) => inStrides[p]!);
  const idx = new Array<number>(r).fill(0);
  const lastLen = outShape[r - 1]!;
  const lastStride = st[r - 1]!;
  let base = 0;
  let o = 0;
  for (;;) {
    for (let i = 0; i < lastLen; i++) out[o++] = x[base + i * lastStride]!;
    let a = r - 2;
    for (; a >= 0; a--) {
      idx[a]!++;
      base += st[a]!;
      if (idx[a]! < outShape[a]!) break;
      base -= st[a]! * outShape[a]!;
      idx[a] = 0;
    }
    if (a < 0) return out;
  }
}

/** The inverse of a permutation. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The permutation a channels_first Flatten applies first (channel axis last), or null. */
export function flattenPermutation(rank: number, channelsFirst: boolean): number[] | null {
  if (!channelsFirst || rank < 3) return null;
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Flatten forward: (N, ...) -> (N, prod), channels_first moving the channel axis last first. */
export function flattenForward(node: Node, channelsFirst: boolean, x: RTensor): RTensor {
  if (x.shape.length < 1) throw shapeError(node, `cannot flatten a scalar`);
  const perm = flattenPermutation(x.shape.length, channelsFirst);
  const data = perm === null ? x.data : permuteAxes(x.data, x.shape, perm);
  return { shape: [x.shape[0]!, numel(x.shape.slice(1))], data };
}

/** Flatten backward. */
export function flattenBackward(channelsFirst: boolean, inShape: readonly number[], dy: Arr): Arr {
  const perm = flattenPermutation(inShape.length, channelsFirst);
  if (perm === null) return dy;
  return permuteAxes(dy, perm.map((p) => inShape[p]!), inversePermutation(perm));
}

/** Reshape forward (the data as stored; targetShape excludes the batch axis). */
export function reshapeForward(node: Node, targetShape: readonly number[], x: RTensor): RTensor {
  const per = numel(x.shape.slice(1));
  if (targetShape.some((d) => !Number.isInteger(d) || d < 0) || numel(targetShape) !== per) {
    throw shapeError(node, `cannot reshape ${formatShape(x.shape)} (${per} values per sample) to (None, ${targetShape.join(', ')})`);
  }
  return { shape: [x.shape[0]!, ...targetShape], data: x.data };
}

function permuteOf(node: Node, op: PermuteOp, rank: number): number[] {
  const dims = op.dims;
  const ok = dims.length === rank - 1 && [...dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
  if (!ok) throw shapeError(node, `has dims (${dims.join(', ')}), which is not a permutation of the ${rank - 1} non-batch axes`);
  return [0, ...dims];
}

/** Permute forward. */
export function permuteForward(node: Node, op: PermuteOp, x: RTensor): RTensor {
  const perm = permuteOf(node, op, x.shape.length);
  return { shape: perm.map((p) => x.shape[p]!), data: permuteAxes(x.data, x.shape, perm) };
}

/** Permute backward. */
export function permuteBackward(node: Node, op: PermuteOp, inShape: readonly number[], dy: Arr): Arr {
  const perm = permuteOf(node, op, inShape.length);
  return permuteAxes(dy, perm.map((p) => inShape[p]!), inversePermutation(perm));
}

/**
 * Copies (or adds) a rh x rw block between two spatial tensors with the same batch, channels
 * and layout: src cells (sy + i, sx + j) go to dst cells (ty + i, tx + j).
 */
function copyBlock(src: Arr, s: Spatial, dst: Arr, dh: number, dw: number, sy: number, sx: number, ty: number, tx: number, rh: number, rw: number, add: boolean): void {
  const { n: N, c: C } = s;
  for (let n = 0; n < N; n++) {
    for (let cc = 0; cc < (s.channelsLast ? 1 : C); cc++) {
      const sBase = (n * C + cc) * s.h * s.w;
      const dBase = (n * C + cc) * dh * dw;
      const run = s.channelsLast ? rw * C : rw;
      const cs = s.channelsLast ? C : 1;
      for (let i = 0; i < rh; i++) {
        const so = sBase + ((sy + i) * s.w + sx) * cs;
        const dO = dBase + ((ty + i) * dw + tx) * cs;
        if (add) for (let q = 0; q < run; q++) dst[dO + q] = dst[dO + q]! + src[so + q]!;
        else dst.set(src.subarray(so, so + run), dO);
      }
    }
  }
}

function padAmounts(node: Node, rank: 1 | 2, amounts: readonly (readonly [number, number])[]): [number, number, number, number] {
  if (amounts.length !== rank || amounts.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw shapeError(node, `has padding/cropping ${JSON.stringify(amounts)}; expected ${rank} pair(s) of non-negative integers`);
  }
  return rank === 1 ? [0, 0, amounts[0]![0], amounts[0]![1]] : [amounts[0]![0], amounts[0]![1], amounts[1]![0], amounts[1]![1]];
}

/** ZeroPadding forward. */
export function zeroPadForward(node: Node, op: PadOp, x: RTensor): RTensor {
  const s = spatialOf(node, x.shape, op.rank, op.dataFormat);
  const [t, b, l, r] = padAmounts(node, op.rank, op.padding);
  const h = s.h + t + b, w = s.w + l + r;
  const y = alloc(x.data, s.n * s.c * h * w);
  copyBlock(x.data, s, y, h, w, 0, 0, t, l, s.h, s.w, false);
  return { shape: spatialShape(op.rank, s.channelsLast, s.n, s.c, h, w), data: y };
}

/** ZeroPadding backward: the gradient cropped back. */
export function zeroPadBackward(node: Node, op: PadOp, inShape: readonly number[], dy: Arr): Arr {
  const s = spatialOf(node, inShape, op.rank, op.dataFormat);
  const [t, b, l, r] = padAmounts(node, op.rank, op.padding);
  const h = s.h + t + b, w = s.w + l + r;
  const dx = alloc(dy, numel(inShape));
  const big: Spatial = { ...s, h, w };
  copyBlock(dy, big, dx, s.h, s.w, t, l, 0, 0, s.h, s.w, false);
  return dx;
}

function cropSizes(node: Node, op: CropOp, shape: readonly number[]): [Spatial, number, number, number, number] {
  const s = spatialOf(node, shape, op.rank, op.dataFormat);
  const [t, b, l, r] = padAmounts(node, op.rank, op.cropping);
  const h = s.h - t - b, w = s.w - l - r;
  if (h <= 0 || w <= 0) throw shapeError(node, `crops ${JSON.stringify(op.cropping)} from ${formatShape(shape)}, leaving nothing`);
  return [s, t, l, h, w];
}

/** Cropping forward. */
export function cropForward(node: Node, op: CropOp, x: RTensor): RTensor {
  const [s, t, l, h, w] = cropSizes(node, op, x.shape);
  const y = alloc(x.data, s.n * s.c * h * w);
  copyBlock(x.data, s, y, h, w, t, l, 0, 0, h, w, false);
  return { shape: spatialShape(op.rank, s.channelsLast, s.n, s.c, h, w), data: y };
}

/** Cropping backward: the gradient zero-padded back. */
export function cropBackward(node: Node, op: CropOp, inShape: readonly number[], dy: Arr): Arr {
  const [s, t, l, h, w] = cropSizes(node, op, inShape);
  const dx = alloc(dy, numel(inShape));
  copyBlock(dy, { ...s, h, w }, dx, s.h, s.w, 0, 0, t, l, h, w, false);
  return dx;
}

/** Interpolation taps along one axis: output o reads lo[o] * (1 - f[o]) + hi[o] * f[o]. */
interface Taps {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly f: Float64Array;
}

function axisTaps(inSize: number, factor: number, bilinear: boolean): Taps {
  const out = inSize * factor;
  const lo = new Int32Array(out), hi = new Int32Array(out), f = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    if (!bilinear) {
      lo[o] = hi[o] = Math.floor(o / factor);
      continue;
    }
    const src = (o + 0.5) / factor - 0.5;
    const fl = Math.floor(src);
    lo[o] = Math.max(fl, 0);
    hi[o] = Math.min(Math.ceil(src), inSize - 1);
    f[o] = src - fl;
  }
  return { lo, hi, f };
}

function upsampleSetup(node: Node, op: UpsampleOp, shape: readonly number[]): [Spatial, Taps, Taps] {
  const s = spatialOf(node, shape, op.rank, op.dataFormat);
  if (op.size.length !== op.rank || op.size.some((v) => !Number.isInteger(v) || v < 1)) {
    throw shapeError(node, `has size (${op.size.join(', ')}); expected ${op.rank} integer(s) >= 1`);
  }
  const fh = op.rank === 1 ? 1 : op.size[0]!;
  const fw = op.rank === 1 ? op.size[0]! : op.size[1]!;
  const bilinear = op.interpolation === 'bilinear';
  return [s, axisTaps(s.h, fh, bilinear), axisTaps(s.w, fw, bilinear)];
}

/**
 * Visits each (output cell, input cell, weight) of the interpolation for one (n, c) plane:
 * indices are plane offsets in units of the channel stride.
 */
function forEachUpsampleTap(th: Taps, tw: Taps, w: number, fn: (o: number, i: number, wt: number) => void): void {
  const wo = tw.lo.length;
  for (let oy = 0; oy < th.lo.length; oy++) {
    const fy = th.f[oy]!;
    for (let ox = 0; ox < wo; ox++) {
      const fx = tw.f[ox]!;
      const o = oy * wo + ox;
      const ylo = th.lo[oy]! * w, yhi = th.hi[oy]! * w, xlo = tw.lo[ox]!, xhi = tw.hi[ox]!;
      fn(o, ylo + xlo, (1 - fy) * (1 - fx));
      if (fx !== 0) fn(o, ylo + xhi, (1 - fy) * fx);
      if (fy !== 0) {
        fn(o, yhi + xlo, fy * (1 - fx));
        if (fx !== 0) fn(o, yhi + xhi, fy * fx);
      }
    }
  }
}

/** UpSampling forward (nearest: repeat; bilinear: TF2 half-pixel interpolation). */
export function upsampleForward(node: Node, op: UpsampleOp, x: RTensor): RTensor {
  const [s, th, tw] = upsampleSetup(node, op, x.shape);
  const ho = th.lo.length, wo = tw.lo.length;
  const y = alloc(x.data, s.n * s.c * ho * wo);
  const xd = x.data;
  const cs = s.channelsLast ? s.c : 1;
  for (let n = 0; n < s.n; n++) {
    for (let c = 0; c < s.c; c++) {
      const xb = s.channelsLast ? n * s.c * s.h * s.w + c : (n * s.c + c) * s.h * s.w;
      const yb = s.channelsLast ? n * s.c * ho * wo + c : (n * s.c + c) * ho * wo;
      forEachUpsampleTap(th, tw, s.w, (o, i, wt) => {
        y[yb + o * cs] = y[yb + o * cs]! + wt * xd[xb + i * cs]!;
      });
    }
  }
  return { shape: spatialShape(op.rank, s.channelsLast, s.n, s.c, ho, wo), data: y };
}

/** UpSampling backward. */
export function upsampleBackward(node: Node, op: UpsampleOp, inShape: readonly number[], dy: Arr): Arr {
  const [s, th, tw] = upsampleSetup(node, op, inShape);
  const ho = th.lo.length, wo = tw.lo.length;
  const dx = alloc(dy, numel(inShape));
  const cs = s.channelsLast ? s.c : 1;
  for (let n = 0; n < s.n; n++) {
    for (let c = 0; c < s.c; c++) {
      const xb = s.channelsLast ? n * s.c * s.h * s.w + c : (n * s.c + c) * s.h * s.w;
      const yb = s.channelsLast ? n * s.c * ho * wo + c : (n * s.c + c) * ho * wo;
      forEachUpsampleTap(th, tw, s.w, (o, i, wt) => {
        dx[xb + i * cs] = dx[xb + i * cs]! + wt * dy[yb + o * cs]!;
      });
    }
  }
  return dx;
}

function concatGeometry(node: Node, axis: number, shapes: readonly (readonly number[])[]): [number, number[], number, number[]] {
  const first = shapes[0];
  if (first === undefined) throw shapeError(node, 'has no inputs');
  if (!Number.isInteger(axis) || axis < 0 || axis >= first.length) {
    throw shapeError(node, `concatenates along axis ${axis} of rank-${first.length} inputs`);
  }
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      throw shapeError(node, `concatenates along axis ${axis} inputs that differ elsewhere: ${shapes.map((t) => formatShape(t)).join(', ')}`);
    }
  }
  const outer = numel(first.slice(0, axis));
  const inner = numel(first.slice(axis + 1));
  const sizes = shapes.map((s) => s[axis]! * inner);
  const total = sizes.reduce((a, b) => a + b, 0);
  const outShape = [...first];
  outShape[axis] = total / inner;
  return [outer, sizes, total, outShape];
}

/** Concatenate forward. */
export function concatForward(node: Node, axis: number, xs: readonly RTensor[]): RTensor {
  const [outer, sizes, total, outShape] = concatGeometry(node, axis, xs.map((t) => t.shape));
  const y = alloc(xs[0]!.data, outer * total);
  for (let o = 0; o < outer; o++) {
    let at = o * total;
    xs.forEach((t, k) => {
      const len = sizes[k]!;
      y.set(t.data.subarray(o * len, (o + 1) * len), at);
      at += len;
    });
  }
  return { shape: outShape, data: y };
}

/** Concatenate backward: the slices of the gradient (null where not wanted). */
export function concatBackward(node: Node, axis: number, shapes: readonly (readonly number[])[], dy: Arr, want: readonly boolean[]): (Arr | null)[] {
  const [outer, sizes, total] = concatGeometry(node, axis, shapes);
  let start = 0;
  return sizes.map((len, k) => {
    const from = start;
    start += len;
    if (want[k] !== true) return null;
    const dx = alloc(dy, outer * len);
    for (let o = 0; o < outer; o++) dx.set(dy.subarray(o * total + from, o * total + from + len), o * len);
    return dx;
  });
}
