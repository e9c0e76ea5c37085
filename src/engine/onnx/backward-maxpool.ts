// Max-pool gradients for the backward graphs (backward.ts): each window's gradient goes to its
// first maximal cell in row-major order, exactly as TensorFlow's MaxPoolGrad (ties matter:
// binary haplotype images give exactly equal activations in many windows). Several forms, all
// exact; they differ in speed only. onnxruntime's MaxPool with an Indices output is its slow
// generic kernel (on BaSe's CNN the first pool's took 3x the whole forward pass), so the default
// form ('slots') finds the first maximum from fast ops instead.

import type { Op } from '../../model/ir.js';
import { OnnxBuilder, int, ints, str } from './builder.js';
import { emitSlice, type ConvWeights } from './export.js';
import { DataType } from './proto.js';

export type PoolOp = Extract<Op, { type: 'pool' }>;

/**
 * 'slots' (default): disjoint 2-D windows without padding from slot views (below), fused with a
 * stride-1 convolution of few input channels before the pool when there is one; otherwise
 * 'unpool'. 'unpool': MaxPool Indices + MaxUnpool (disjoint windows). 'windows': SpaceToDepth /
 * ArgMax / DepthToSpace (disjoint windows). 'scatter': MaxPool Indices + ScatterElements (any
 * geometry; overlapping windows add up), the fallback of every other form.
 */
export type MaxPoolGradForm = 'slots' | 'unpool' | 'windows' | 'scatter';

/**
 * Input channels up to which a convolution's input gradient is best taken by ConvTranspose
 * (GEMM + col2im on the plain layout) rather than by a convolution with flipped weights:
 * onnxruntime's blocked (NCHWc) convolution pads the output channels to a full block (8 or
 * 16), so a gradient with 1 output channel cost 16x its work there (BaSe's first layer: 26 ms
 * against 9 ms per 24 images).
 */
export const FEW_CHANNELS = 4;

/** A max pool in the backward graph, every tensor channels-first. */
export interface MaxPoolSite {
  readonly op: PoolOp;
  /** The pool's input and output values. */
  readonly xin: string;
  readonly y: string;
  /** Explicit pads, or null (SAME_UPPER with unknown sizes). */
  readonly pads: number[] | null;
  readonly inSizes: readonly (number | null)[];
  readonly outSizes: readonly (number | null)[];
  readonly channels: number;
  /** Prefix for initializer names (the pool's node name). */
  readonly hint: string;
}

/** The gradient w.r.t. the pool's input of the pooled gradient `g`, in form `form`. */
export function maxPoolGrad(b: OnnxBuilder, site: MaxPoolSite, g: string, form: MaxPoolGradForm): string {
  const { op, xin, pads } = site;
  const routed =
    form === 'slots' ? maxPoolGradSlots(b, site, g) ?? maxPoolGradUnpool(b, xin, g, op, pads)
      : form === 'unpool' ? maxPoolGradUnpool(b, xin, g, op, pads)
        : form === 'windows' ? maxPoolGradWindows(b, site, g)
          : null;
  return routed ?? maxPoolGradScatter(b, xin, g, op, pads);
}

/** Disjoint k x k windows (2-D) without padding: k, or null. */
function disjointSquare(site: MaxPoolSite): number | null {
  const { op, pads } = site;
  const k = op.poolSize[0]!;
  if (op.rank !== 2 || op.poolSize.some((p, i) => p !== k || op.strides[i] !== k)) return null;
  if (pads === null || pads.some((p) => p !== 0)) return null;
  if ([...site.inSizes, ...site.outSizes].some((v) => v === null)) return null;
  return k;
}

/**
 * Views of the first `count` slots (row-major cells) of disjoint k x k windows of `xin`, each
 * shaped like the pooled output: a depthwise convolution whose kernel is 1 at the slot and 0
 * elsewhere (exact for finite values: x * 1 plus zeros), which onnxruntime runs in its blocked
 * layout, 4x faster than a strided Slice on BaSe's first pool. A window holding an infinite or
 * NaN value may route its gradient to another cell than TensorFlow would; gradients through
 * such values carry no meaning anyway.
 */
function slotViews(b: OnnxBuilder, site: MaxPoolSite, k: number, count: number): string[] {
  const c = site.channels;
  return Array.from({ length: count }, (_, s) => {
    const onehot = new Float32Array(c * k * k);
    for (let ch = 0; ch < c; ch++) onehot[ch * k * k + s] = 1;
    const w = b.f32(`${site.hint}/slot${s}`, [c, 1, k, k], onehot);
    return b.op('Conv', [site.xin, w], { kernel_shape: ints([k, k]), strides: ints([k, k]), group: int(c) }, 'maxpool_slot');
  });
}

/** Float 0/1: the slot view equals the pooled value. */
function hits(b: OnnxBuilder, view: string, y: string): string {
  return b.op('Cast', [b.op('Equal', [view, y])], { to: int(DataType.FLOAT) });
}

/**
 * 'slots' without a convolution to fuse: MaxUnpool with indices computed from the slot views.
 * The first slot whose view equals the pooled value gives each window's offset a*W + b (a
 * float chain o = o + hit * (offset - o) from the last slot to the first; small integers,
 * exact), added in int64 to the flat index of the window's first cell. Null when the
 * geometry does not fit.
 */
function maxPoolGradSlots(b: OnnxBuilder, site: MaxPoolSite, g: string): string | null {
  const k = disjointSquare(site);
  if (k === null) return null;
  const [h, w] = site.inSizes as [number, number];
  const [ho, wo] = site.outSizes as [number, number];
  const c = site.channels;
  const kk = k * k;
  const views = slotViews(b, site, k, kk - 1);
  const offset = (s: number): number => Math.floor(s / k) * w + (s % k);
  let o = b.scalar(offset(kk - 1));
  for (let s = kk - 2; s >= 0; s--) {
    o = b.op('Add', [o, b.op('Mul', [hits(b, views[s]!, site.y), b.op('Sub', [b.scalar(offset(s)), o])])]);
  }
  // Flat index of each window's first cell: ((n * C + ch) * H + k * i) * W + k * j.
  const base = new BigInt64Array(c * ho * wo);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) base[(ch * ho + i) * wo + j] = BigInt((ch * h + k * i) * w + k * j);
  }
  const n = b.op('Squeeze', [b.op('Gather', [b.op('Shape', [g]), b.i64([0])])]);
  const batchBase = b.op('Reshape', [
    b.op('Mul', [b.op('Range', [b.i64Scalar(0), n, b.i64Scalar(1)]), b.i64Scalar(c * h * w)]),
    b.i64([-1, 1, 1, 1]),
  ]);
  const cellBase = b.op('Add', [b.i64Tensor(`${site.hint}/window_base`, [1, c, ho, wo], base), batchBase]);
  const indices = b.op('Add', [b.op('Cast', [o], { to: int(DataType.INT64) }), cellBase]);
  return b.op('MaxUnpool', [g, indices, b.op('Shape', [site.xin])], { kernel_shape: ints(site.op.poolSize), strides: ints(site.op.strides) }, 'grad_maxpool');
}

/** The stride-1, ungrouped 2-D convolution feeding a max pool, as maxPoolConvGrad needs it. */
export interface ConvBelowPool {
  readonly weights: ConvWeights;
  readonly kernel: readonly number[];
  /** Spatial sizes of the convolution's input. */
  readonly inSizes: readonly (number | null)[];
}

/**
 * 'slots' fused with the convolution before the pool (stride 1, no groups, at most
 * FEW_CHANNELS input channels; its activation linear or a ReLU already applied to `g`): the
 * gradient w.r.t. the convolution's input, or null when the geometry does not fit. Each slot
 * takes the gradient still unplaced where its view equals the pooled value (so a window's
 * gradient lands on its first maximal cell), and goes through the convolution by a stride-k
 * ConvTranspose shifted to the slot. Neither the pool's full-resolution input gradient nor the
 * convolution's output gradient is ever built; on BaSe's first layer this replaced MaxPool
 * Indices + MaxUnpool + a padded blocked convolution (about 90 of 150 ms per 24 images).
 */
export function maxPoolConvGrad(b: OnnxBuilder, site: MaxPoolSite, g: string, conv: ConvBelowPool): string | null {
  const k = disjointSquare(site);
  const w = conv.weights;
  if (k === null || w.pads === null || w.group !== 1 || w.dims[1]! > FEW_CHANNELS) return null;
  const ins = conv.inSizes;
  const outs = site.outSizes as number[];
  if (ins.some((v) => v === null) || site.inSizes.some((m, i) => m !== outs[i]! * k)) return null;
  // ConvTranspose puts input cell i at k * i + t - begin (t: kernel tap); the slot's cell is
  // k * i + offset in the convolution's output, which is input cell + t - pad_begin.
  const slots: { pads: number[]; outPad: number[] }[] = [];
  for (let s = 0; s < k * k; s++) {
    const offs = [Math.floor(s / k), s % k];
    const begin = offs.map((o, i) => w.pads![i]! - o);
    const end = offs.map((_, i) => k * (outs[i]! - 1) + conv.kernel[i]! - begin[i]! - ins[i]!);
    if (begin.some((v) => v < 0) || end.some((v) => v <= -k)) return null;
    slots.push({ pads: [...begin, ...end.map((v) => Math.max(v, 0))], outPad: end.map((v) => Math.max(-v, 0)) });
  }
  const views = slotViews(b, site, k, k * k - 1);
  let rest = g;
  let total: string | null = null;
  slots.forEach(({ pads, outPad }, s) => {
    let gs = rest;
    if (s < slots.length - 1) {
      gs = b.op('Mul', [rest, hits(b, views[s]!, site.y)], {}, 'grad_maxpool_slot');
      rest = b.op('Sub', [rest, gs]);
    }
    const part = b.op('ConvTranspose', [gs, w.name], {
      kernel_shape: ints(conv.kernel),
      strides: ints([k, k]),
      pads: ints(pads),
      output_padding: ints(outPad),
    }, 'grad_pool_conv');
    total = total === null ? part : b.op('Add', [total, part]);
  });
  return total;
}

/** MaxPool's Indices output: per window, the flat index of its first maximal cell (padding excluded). */
function maxPoolIndices(b: OnnxBuilder, xin: string, op: PoolOp, pads: number[] | null): string {
  return b.opN('MaxPool', [xin], {
    kernel_shape: ints(op.poolSize),
    strides: ints(op.strides),
    ...(pads === null ? { auto_pad: str('SAME_UPPER') } : { pads: ints(pads) }),
  }, 2, 'maxpool_argmax')[1]!;
}

/**
 * Max-pool gradient for any geometry: MaxPool's Indices output names, per window, the first
 * maximal cell in row-major order (padding excluded), and ScatterElements adds each window's
 * gradient there (overlapping windows add up).
 */
function maxPoolGradScatter(b: OnnxBuilder, xin: string, g: string, op: PoolOp, pads: number[] | null): string {
  const indices = maxPoolIndices(b, xin, op, pads);
  const shape = b.op('Shape', [xin]);
  const flat = b.i64([-1]);
  const zeros = b.op('Reshape', [b.op('ConstantOfShape', [shape]), flat]);
  const scattered = b.op('ScatterElements', [zeros, b.op('Reshape', [indices, flat]), b.op('Reshape', [g, flat])], {
    axis: int(0),
    reduction: str('add'),
  }, 'grad_maxpool');
  return b.op('Reshape', [scattered, shape]);
}

/**
 * Max-pool gradient for disjoint windows (stride = pool size): MaxPool's Indices name, per
 * window, the first maximal cell in row-major order (padding excluded), and MaxUnpool puts each
 * window's gradient there, in a tensor shaped like x. Returns null when windows overlap (the
 * caller uses the scatter form, which adds the shares of overlapping windows).
 */
function maxPoolGradUnpool(b: OnnxBuilder, xin: string, g: string, op: PoolOp, pads: number[] | null): string | null {
  if (op.poolSize.some((p, i) => p !== op.strides[i])) return null;
  const indices = maxPoolIndices(b, xin, op, pads);
  return b.op('MaxUnpool', [g, indices, b.op('Shape', [xin])], {
    kernel_shape: ints(op.poolSize),
    strides: ints(op.strides),
    ...(pads === null ? {} : { pads: ints(pads) }),
  }, 'grad_maxpool');
}

/**
 * Max-pool gradient for disjoint windows (stride = pool size; square in 2-D), from fast
 * layout ops: the windows become an axis (SpaceToDepth in 2-D, a Reshape in 1-D), ArgMax
 * picks the first maximum (row-major), Where puts the gradient there, DepthToSpace puts the
 * cells back. Padding is -inf (never a maximum); cells no window covers get 0. Returns null
 * when the geometry does not fit (the caller uses the scatter form).
 */
function maxPoolGradWindows(b: OnnxBuilder, site: MaxPoolSite, g: string): string | null {
  const { op, xin, pads, inSizes, outSizes, channels } = site;
  const r = op.rank;
  const k = op.poolSize[0]!;
  if (pads === null || op.poolSize.some((p, i) => p !== op.strides[i] || p !== k)) return null;
  if (inSizes.some((s) => s === null) || outSizes.some((s) => s === null)) return null;
  const ins = inSizes as number[];
  const outs = outSizes as number[];
  // Bring x to exactly out * k cells per axis: pad (-inf) or crop the uncovered tail.
  const cover = outs.map((o) => o * k);
  let xw = xin;
  const padB = pads.slice(0, r);
  const padE = ins.map((s, i) => cover[i]! - s - padB[i]!); // < 0: uncovered cells to drop
  if (padB.some((p) => p > 0) || padE.some((p) => p > 0)) {
    xw = b.op('Pad', [xw, b.i64([0, 0, ...padB, 0, 0, ...padE.map((p) => Math.max(p, 0))]), b.scalar(-Infinity)], { mode: str('constant') });
  }
  if (padE.some((p) => p < 0)) {
    xw = b.op('Slice', [xw, b.i64(padB.map(() => 0)), b.i64(cover), b.i64(padB.map((_, i) => 2 + i))]);
  }
  const cells = k ** r;
  const inner = channels * outs.reduce((a, d) => a * d, 1);
  let windows: string; // (N, cells, C * out...) in 2-D; (N, C * out, cells) in 1-D
  if (r === 2) windows = b.op('Reshape', [b.op('SpaceToDepth', [xw], { blocksize: int(k) }), b.i64([0, cells, inner])]);
  else windows = b.op('Reshape', [xw, b.i64([0, inner, cells])]);
  const axis = r === 2 ? 1 : 2;
  const first = b.op('ArgMax', [windows], { axis: int(axis), keepdims: int(1), select_last_index: int(0) });
  const positions = b.i64(Array.from({ length: cells }, (_, i) => i));
  const slot = r === 2 ? b.op('Reshape', [positions, b.i64([1, cells, 1])]) : positions;
  const mask = b.op('Equal', [first, slot]);
  const gw = b.op('Reshape', [g, b.i64(r === 2 ? [0, 1, inner] : [0, inner, 1])]);
  const placed = b.op('Where', [mask, gw, b.scalar(0)], {}, 'grad_maxpool');
  let gx = r === 2
    ? b.op('DepthToSpace', [b.op('Reshape', [placed, b.i64([0, cells * channels, ...outs])])], { blocksize: int(k), mode: str('DCR') })
    : b.op('Reshape', [placed, b.i64([0, channels, cover[0]!])]);
  // Undo the padding / restore the uncovered tail (zeros).
  if (padB.some((p) => p > 0) || padE.some((p) => p > 0)) gx = emitSlice(b, gx, padB.map((p, i) => [p, Math.max(padE[i]!, 0)] as [number, number]), 2);
  if (padE.some((p) => p < 0)) gx = b.op('Pad', [gx, b.i64([0, 0, ...padB.map(() => 0), 0, 0, ...padE.map((p) => Math.max(-p, 0))]), b.scalar(0)], { mode: str('constant') });
  return gx;
}
