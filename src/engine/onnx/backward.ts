// Gradient models: the forward ONNX graph (export.ts) extended with an explicit backward pass,
// built rule by rule for the layers of image CNNs (onnxruntime has no autodiff). An op without
// a rule throws UnsupportedError 'METHOD_UNSUPPORTED' so callers can use the reference engine.
//
// Covered (d score / d input of the layer, batch-wise):
//   conv / depthwiseConv (1-D, 2-D; any stride, dilation, groups, padding; fused activation),
//   dense (any rank), batchNorm (standalone or folded), every activation of the IR, max pool
//   (one maximal cell, the first in row-major window order, as TensorFlow), average pool
//   (real-cell counts under 'same'), global max (ties share, as tf.reduce_max) and average
//   pools, flatten, reshape, permute, identity, zeroPad, crop, nearest upsample, concat,
//   merge add / subtract / multiply / average (inputs of equal shapes), rescale.
// Not covered (METHOD_UNSUPPORTED): bilinear upsample, merge maximum / minimum, merges that
// broadcast, anything whose sizes are unknown where the rule needs them.

import { ArgumentError, formatShape } from '../../errors.js';
import type { Activation, Graph, Node, Op } from '../../model/ir.js';
import { OnnxBuilder, Value, axisIn, commonForm, int, ints, str, toTPerm, type Form } from './builder.js';
import {
  batchNormAffine,
  bindOutput,
  buildForward,
  channelsOf,
  computePads,
  emitSlice,
  encodeBuilder,
  perChannelDims,
  spatialForm,
  spatialSizes,
  unsupported,
  type Forward,
} from './export.js';
import { DataType } from './proto.js';
import { FEW_CHANNELS, maxPoolConvGrad, maxPoolGrad, type MaxPoolGradForm, type MaxPoolSite, type PoolOp } from './backward-maxpool.js';

/** What to differentiate: the score node (weighted by a seed fed at run time) and the targets. */
export interface GradientModelSpec {
  readonly score: string;
  readonly wrt: readonly string[];
  /** Max-pool gradient form (backward-maxpool.ts); all exact, the choice is speed only. Default 'slots'. */
  readonly maxPoolGrad?: MaxPoolGradForm;
}

/** An encoded gradient model and the names of its inputs and outputs. */
export interface GradientModel {
  readonly bytes: Uint8Array;
  /** Input holding the seed, shape (1, ...score node shape without batch), Keras layout. */
  readonly seedInput: string;
  readonly seedShape: readonly number[];
  /** Output with the score per sample, shape (N). */
  readonly scoreOutput: string;
  /** Per wrt node: output with its forward value (Keras layout). */
  readonly valueOutputs: readonly string[];
  /** Per wrt node: output with its gradient, or null where the score does not depend on it (zeros). */
  readonly gradientOutputs: readonly (string | null)[];
  /**
   * True when onnxruntime's NCHWc layout pass (optimisation level 'all') would cost more in
   * reorders than it saves, so the engine uses level 'extended': backward passes through 1-D
   * convolutions or pools (no NCHWc kernels) or through the 'windows' max-pool form. Measured
   * (saliency, 2 threads): BaSe's 2-D CNN with the 'unpool' form 193 images/s at 'all' against
   * 152 at 'extended'; a 1-D SNP CNN 3,870 at 'all' against 5,224 at 'extended'.
   */
  readonly spatialBackward: boolean;
}


/** Throws METHOD_UNSUPPORTED for a layer without a backward rule. */
function noRule(node: Node, what: string): never {
  unsupported(node, `no gradient rule for ${what}`, 'METHOD_UNSUPPORTED');
}

/** Static sizes, or METHOD_UNSUPPORTED naming the node. */
function known(node: Node, sizes: readonly (number | null | undefined)[], what: string): number[] {
  if (sizes.some((s) => s === null || s === undefined)) noRule(node, `${what} with unknown sizes ${formatShape(sizes.map((s) => s ?? null))}`);
  return sizes as number[];
}

interface Ctx {
  readonly fwd: Forward;
  readonly b: OnnxBuilder;
  readonly active: ReadonlySet<string>;
  readonly grads: Map<string, Value>;
  /** Nodes the caller asked gradients for (their gradient must stay post-activation). */
  readonly wrt: ReadonlySet<string>;
  /** Number of active consumers of each node. */
  readonly consumers: ReadonlyMap<string, number>;
  /**
   * Nodes whose accumulated gradient is already w.r.t. their pre-activation value (a ReLU
   * derivative applied on the pooled gradient by the max-pool rule).
   */
  readonly preActivated: Set<string>;
  readonly maxPoolGrad: MaxPoolGradForm;
}

const isPlainRelu = (a: Activation): boolean => a.kind === 'relu' && a.maxValue === null && a.negativeSlope === 0 && a.threshold === 0;

/**
 * The plain ReLU feeding a max pool when its derivative can be applied to the pool's (4x
 * smaller) output gradient instead: the routed cell holds the window maximum p, and its
 * pre-activation is positive exactly when p > 0. Needs the pool to be the ReLU's only
 * consumer on the gradient path, and the ReLU's own gradient not requested.
 */
function reluBeforePool(ctx: Ctx, pool: Node): Node | null {
  const a = ctx.fwd.nodes.get(pool.inputs[0]!)!;
  if (ctx.wrt.has(a.name) || ctx.consumers.get(a.name) !== 1) return null;
  const op = a.op;
  if (op.type === 'activation' && isPlainRelu(op.activation)) return a;
  if ((op.type === 'conv' || op.type === 'depthwiseConv') && isPlainRelu(op.activation) && ctx.fwd.pre.has(a.name)) return a;
  return null;
}

function rankOf(ctx: Ctx, name: string): number {
  return ctx.fwd.nodes.get(name)!.outputShape.length;
}

/** Accumulates a gradient contribution for node `name` (held in `form`). */
function addGrad(ctx: Ctx, name: string, form: Form, g: string): void {
  if (!ctx.active.has(name)) return;
  const v = new Value(rankOf(ctx, name), form, g);
  const prev = ctx.grads.get(name);
  if (prev === undefined) {
    ctx.grads.set(name, v);
    return;
  }
  const f = commonForm([prev, v]);
  ctx.grads.set(name, new Value(v.rank, f, ctx.b.op('Add', [prev.get(ctx.b, f), v.get(ctx.b, f)], {}, 'grad_sum')));
}

/** Float 0/1 mask of v > 0. */
function positive(b: OnnxBuilder, v: string): string {
  return b.op('Cast', [b.op('Greater', [v, b.scalar(0)])], { to: int(DataType.FLOAT) });
}

/** d y / d z of an activation, times gy; all in one layout; `axis` is the softmax axis there. */
function activationGrad(b: OnnxBuilder, act: Activation, z: () => string, y: string, gy: string, axis: number): string {
  const s = (v: number): string => b.scalar(v);
  const where = (cond: string, a: string, c: string): string => b.op('Where', [cond, a, c]);
  const zero = s(0);
  switch (act.kind) {
    case 'linear':
      return gy;
    case 'relu': {
      const { maxValue, negativeSlope: slope, threshold } = act;
      // Plain ReLU: gy * (y > 0) as a float mask (onnxruntime's Mul is vectorised, its Where is not).
      if (maxValue === null && threshold === 0 && slope === 0) return b.op('Mul', [gy, positive(b, y)]);
      // TensorFlow's kinks: 1 for threshold < z < max_value, 0 at and above max_value,
      // negative_slope at and below the threshold (ReLU'(0) = 0; LeakyReLU'(0) = slope).
      const zz = z();
      const below = slope === 0 ? zero : b.op('Mul', [gy, s(slope)]);
      const g = where(b.op('Greater', [zz, s(threshold)]), gy, below);
      return maxValue === null ? g : where(b.op('Less', [zz, s(maxValue)]), g, zero);
    }
    case 'thresholded_relu':
      return where(b.op('Greater', [z(), s(act.theta)]), gy, zero);
    case 'sigmoid':
      return b.op('Mul', [gy, b.op('Mul', [y, b.op('Sub', [s(1), y])])]);
    case 'hard_sigmoid': {
      const u = b.op('Add', [b.op('Mul', [z(), s(act.slope)]), s(act.offset)]);
      const inside = b.op('And', [b.op('Greater', [u, zero]), b.op('Less', [u, s(1)])]);
      return where(inside, b.op('Mul', [gy, s(act.slope)]), zero);
    }
    case 'tanh':
      return b.op('Mul', [gy, b.op('Sub', [s(1), b.op('Mul', [y, y])])]);
    case 'softmax': {
      const dot = b.op('ReduceSum', [b.op('Mul', [gy, y]), b.i64([axis])], { keepdims: int(1) });
      return b.op('Mul', [y, b.op('Sub', [gy, dot])]);
    }
    case 'elu':
      return where(b.op('Greater', [z(), zero]), gy, b.op('Mul', [gy, b.op('Add', [y, s(act.alpha)])]));
    case 'selu': {
      const alpha = 1.6732632423543772;
      const scale = 1.0507009873554805;
      return where(b.op('Greater', [z(), zero]), b.op('Mul', [gy, s(scale)]), b.op('Mul', [gy, b.op('Add', [y, s(scale * alpha)])]));
    }
    case 'softplus':
      return b.op('Mul', [gy, b.op('Sigmoid', [z()])]);
    case 'softsign': {
      const d = b.op('Add', [s(1), b.op('Abs', [z()])]);
      return b.op('Div', [gy, b.op('Mul', [d, d])]);
    }
    case 'swish': {
      const zz = z();
      const sg = b.op('Sigmoid', [zz]);
      // d/dz z*s(z) = s * (1 + z * (1 - s))
      const d = b.op('Mul', [sg, b.op('Add', [s(1), b.op('Mul', [zz, b.op('Sub', [s(1), sg])])])]);
      return b.op('Mul', [gy, d]);
    }
    case 'gelu': {
      const zz = z();
      if (!act.approximate) {
        // Phi(z) + z * phi(z)
        const cdf = b.op('Mul', [b.op('Add', [b.op('Erf', [b.op('Mul', [zz, s(Math.SQRT1_2)])]), s(1)]), s(0.5)]);
        const pdf = b.op('Mul', [b.op('Exp', [b.op('Mul', [b.op('Mul', [zz, zz]), s(-0.5)])]), s(1 / Math.sqrt(2 * Math.PI))]);
        return b.op('Mul', [gy, b.op('Add', [cdf, b.op('Mul', [zz, pdf])])]);
      }
      const c = Math.sqrt(2 / Math.PI);
      const z2 = b.op('Mul', [zz, zz]);
      const u = b.op('Mul', [b.op('Add', [zz, b.op('Mul', [b.op('Mul', [z2, zz]), s(0.044715)])]), s(c)]);
      const t = b.op('Tanh', [u]);
      const du = b.op('Mul', [b.op('Add', [s(1), b.op('Mul', [z2, s(3 * 0.044715)])]), s(c)]);
      // 0.5 (1 + t) + 0.5 z (1 - t^2) du
      const left = b.op('Mul', [b.op('Add', [s(1), t]), s(0.5)]);
      const right = b.op('Mul', [b.op('Mul', [b.op('Mul', [zz, s(0.5)]), b.op('Sub', [s(1), b.op('Mul', [t, t])])]), du]);
      return b.op('Mul', [gy, b.op('Add', [left, right])]);
    }
    case 'exponential':
      return b.op('Mul', [gy, y]);
  }
}

/** The softmax axis of an activation in a layout (0 for other activations: unused). */
function softmaxAxis(act: Activation, form: Form, rank: number): number {
  return act.kind === 'softmax' ? axisIn(form, rank, act.axis) : 0;
}

/** Weights of the stride-1 input gradient: in/out channels swapped per group, kernel flipped. */
function flippedWeights(dims: readonly number[], data: Float32Array, group: number): { dims: number[]; data: Float32Array } {
  const [m, cg] = [dims[0]!, dims[1]!];
  const spatial = dims.slice(2);
  const k = spatial.reduce((a, d) => a * d, 1);
  const mg = m / group;
  const c = cg * group;
  const out = new Float32Array(data.length);
  // flip index: spatial offset s -> k - 1 - s reverses every spatial axis at once (row-major).
  for (let j = 0; j < group; j++) {
    for (let mm = 0; mm < mg; mm++) {
      for (let cc = 0; cc < cg; cc++) {
        const src = ((j * mg + mm) * cg + cc) * k;
        const dst = ((j * cg + cc) * mg + mm) * k;
        for (let s = 0; s < k; s++) out[dst + s] = data[src + k - 1 - s]!;
      }
    }
  }
  return { dims: [c, mg, ...spatial], data: out };
}

/**
 * Input gradient of a convolution-like op with weights `w` (ONNX layout (M, C/g, k...)),
 * in the channels-first layout. Stride 1: a plain Conv with flipped weights (faster than
 * ConvTranspose in onnxruntime), except for at most FEW_CHANNELS input channels when the
 * sizes are known; otherwise ConvTranspose sized to the input exactly.
 */
function convInputGrad(
  b: OnnxBuilder,
  node: Node,
  gz: string,
  w: { name: string; dims: readonly number[]; data: Float32Array; group: number },
  geom: { kernel: readonly number[]; strides: readonly number[]; dilation: readonly number[]; pads: readonly number[] | null; inSizes: readonly (number | null)[]; outSizes: readonly (number | null)[] },
): string {
  const r = geom.kernel.length;
  const eff = geom.kernel.map((k, i) => (k - 1) * geom.dilation[i]!);
  const stride1 = geom.strides.every((s) => s === 1);
  // ConvTranspose needs the sizes; with unknown ones the flipped Conv serves any channel count.
  const sized = [...geom.inSizes, ...geom.outSizes].every((v) => v !== null && v !== undefined);
  const fewInputs = w.group === 1 && w.dims[1]! <= FEW_CHANNELS && sized;
  // Stride 1 without known sizes: forward pads sum to (k-1)d for 'same' (SAME_UPPER puts the larger half last).
  const pads = geom.pads ?? (stride1 ? [...eff.map((e) => Math.floor(e / 2)), ...eff.map((e) => e - Math.floor(e / 2))] : null);
  if (pads === null) noRule(node, 'a strided convolution with unknown input sizes');
  if (stride1 && !fewInputs) {
    const bp = Array.from({ length: r }, (_, i) => eff[i]! - pads[i]!);
    const ep = Array.from({ length: r }, (_, i) => eff[i]! - pads[r + i]!);
    if ([...bp, ...ep].some((p) => p < 0)) noRule(node, 'a convolution padded by more than its kernel');
    const fl = flippedWeights(w.dims, w.data, w.group);
    const wb = b.f32(`${node.name}/kernel_flipped`, fl.dims, fl.data);
    return b.op('Conv', [gz, wb], {
      kernel_shape: ints(geom.kernel),
      dilations: ints(geom.dilation),
      group: int(w.group),
      pads: ints([...bp, ...ep]),
    }, 'grad_conv');
  }
  const inSizes = known(node, geom.inSizes, 'a strided convolution');
  const outSizes = known(node, geom.outSizes, 'a strided convolution');
  const begin = pads.slice(0, r);
  const end: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < r; i++) {
    const extra = geom.strides[i]! * (outSizes[i]! - 1) + eff[i]! + 1 - begin[i]! - inSizes[i]!;
    end.push(Math.max(extra, 0));
    outputPadding.push(Math.max(-extra, 0));
  }
  return b.op('ConvTranspose', [gz, w.name], {
    kernel_shape: ints(geom.kernel),
    strides: ints(geom.strides),
    dilations: ints(geom.dilation),
    group: int(w.group),
    pads: ints([...begin, ...end]),
    output_padding: ints(outputPadding),
  }, 'grad_convT');
}

/** Number of real (unpadded) cells in each pooling window along one axis. */
function windowCounts(inSize: number, outSize: number, k: number, s: number, padBegin: number): number[] {
  return Array.from({ length: outSize }, (_, o) => {
    const lo = Math.max(o * s - padBegin, 0);
    const hi = Math.min(o * s - padBegin + k, inSize);
    return Math.max(hi - lo, 0);
  });
}

/**
 * The stride-1 2-D convolution feeding a max pool (directly, or through a separate plain ReLU
 * whose derivative the pool rule applies), when its input gradient may be taken straight from
 * the pooled gradient (backward-maxpool.ts, maxPoolConvGrad): the pool is its only consumer on
 * the gradient path, neither its value nor the ReLU's is a gradient target, and its own
 * activation is linear or that pre-applied ReLU. Null otherwise.
 */
function convBeforePool(ctx: Ctx, pool: Node, relu: Node | null): Node | null {
  const first = ctx.fwd.nodes.get(pool.inputs[0]!)!;
  let conv = first;
  if (first.op.type === 'activation') {
    if (relu !== first) return null;
    conv = ctx.fwd.nodes.get(first.inputs[0]!)!;
    if (conv.op.type !== 'conv' || conv.op.activation.kind !== 'linear') return null;
  } else if (first.op.type === 'conv') {
    if (relu !== first && first.op.activation.kind !== 'linear') return null;
  } else {
    return null;
  }
  if (ctx.wrt.has(conv.name) || ctx.wrt.has(first.name) || ctx.consumers.get(conv.name) !== 1) return null;
  const op = conv.op;
  if (op.type !== 'conv' || op.rank !== 2 || op.groups !== 1 || op.dataFormat !== (pool.op as PoolOp).dataFormat) return null;
  if (op.strides.some((v) => v !== 1) || op.dilation.some((v) => v !== 1)) return null;
  return conv;
}

function backwardNode(ctx: Ctx, node: Node, gy: Value): void {
  const { b, fwd } = ctx;
  const op: Op = node.op;
  const rank = node.outputShape.length;
  const input = node.inputs[0]!;
  const inNode = (i = 0): Node => fwd.nodes.get(node.inputs[i]!)!;
  const y = (): Value => fwd.values.get(node.name)!;
  const x = (i = 0): Value => fwd.values.get(node.inputs[i]!)!;
  switch (op.type) {
    case 'input':
      return;
    case 'conv':
    case 'depthwiseConv': {
      const form = spatialForm(op.dataFormat);
      const pre = fwd.pre.get(node.name);
      const gz = ctx.preActivated.has(node.name)
        ? gy.get(b, form)
        : activationGrad(b, op.activation, () => pre!.get(b, form), y().get(b, form), gy.get(b, form), softmaxAxis(op.activation, form, rank));
      const w = fwd.convWeights.get(node.name)!;
      const gx = convInputGrad(b, node, gz, w, {
        kernel: op.kernelSize,
        strides: op.strides,
        dilation: op.dilation,
        pads: w.pads,
        inSizes: spatialSizes(inNode().outputShape, op.dataFormat, op.rank),
        outSizes: spatialSizes(node.outputShape, op.dataFormat, op.rank),
      });
      addGrad(ctx, input, form, gx);
      return;
    }
    case 'dense': {
      const pre = fwd.pre.get(node.name);
      const gz = activationGrad(b, op.activation, () => pre!.get(b, 'k'), y().get(b, 'k'), gy.get(b, 'k'), softmaxAxis(op.activation, 'k', rank));
      const w = fwd.denseWeights.get(node.name)!;
      const gx = rank === 2 ? b.op('Gemm', [gz, w], { transB: int(1) }, 'grad_dense') : b.op('MatMul', [gz, b.op('Transpose', [w], { perm: ints([1, 0]) })], {}, 'grad_dense');
      addGrad(ctx, input, 'k', gx);
      return;
    }
    case 'batchNorm': {
      const form = gy.natural;
      const { scale } = batchNormAffine(op);
      const s = b.f32(`${node.name}/scale`, perChannelDims(form, rank, op.axis, scale.length), Float32Array.from(scale));
      addGrad(ctx, input, form, b.op('Mul', [gy.get(b, form), s], {}, 'grad_bn'));
      return;
    }
    case 'activation': {
      if (ctx.preActivated.has(node.name)) {
        addGrad(ctx, input, gy.natural, gy.get(b, gy.natural));
        return;
      }
      const form = y().natural;
      const gx = activationGrad(b, op.activation, () => x().get(b, form), y().get(b, form), gy.get(b, form), softmaxAxis(op.activation, form, rank));
      addGrad(ctx, input, form, gx);
      return;
    }
    case 'pool': {
      const form = spatialForm(op.dataFormat);
      const inSizes = spatialSizes(inNode().outputShape, op.dataFormat, op.rank);
      const ones = op.poolSize.map(() => 1);
      const pads = computePads(op.padding, inSizes, op.poolSize, op.strides, ones);
      let g = gy.get(b, form);
      if (op.mode === 'max') {
        const relu = reluBeforePool(ctx, node);
        if (relu !== null) {
          g = b.op('Mul', [g, positive(b, y().get(b, form))], {}, 'grad_relu_pooled');
          ctx.preActivated.add(relu.name);
        }
        const site: MaxPoolSite = {
          op, xin: x().get(b, form), y: y().get(b, form), pads, inSizes,
          outSizes: spatialSizes(node.outputShape, op.dataFormat, op.rank),
          channels: channelsOf(node, node.outputShape, op.dataFormat, op.rank),
          hint: node.name,
        };
        const conv = ctx.maxPoolGrad === 'slots' ? convBeforePool(ctx, node, relu) : null;
        if (conv !== null) {
          const cop = conv.op as Extract<Op, { type: 'conv' }>;
          const gx = maxPoolConvGrad(b, site, g, {
            weights: fwd.convWeights.get(conv.name)!,
            kernel: cop.kernelSize,
            inSizes: spatialSizes(fwd.nodes.get(conv.inputs[0]!)!.outputShape, cop.dataFormat, 2),
          });
          if (gx !== null) {
            // The convolution (and the ReLU between) are differentiated here: they get no gradient.
            addGrad(ctx, conv.inputs[0]!, form, gx);
            return;
          }
        }
        addGrad(ctx, input, form, maxPoolGrad(b, site, g, ctx.maxPoolGrad));
        return;
      }
      const ins = known(node, inSizes, 'average pooling');
      const outs = known(node, spatialSizes(node.outputShape, op.dataFormat, op.rank), 'average pooling');
      const p = pads!;
      const r = op.rank;
      const perAxis = op.poolSize.map((k, i) => windowCounts(ins[i]!, outs[i]!, k, op.strides[i]!, p[i]!));
      const inv = new Float32Array(outs.reduce((a, d) => a * d, 1));
      for (let i = 0; i < inv.length; i++) {
        let rem = i;
        let count = 1;
        for (let a = r - 1; a >= 0; a--) {
          count *= perAxis[a]![rem % outs[a]!]!;
          rem = Math.floor(rem / outs[a]!);
        }
        inv[i] = count > 0 ? 1 / count : 0;
      }
      const scaled = b.op('Mul', [g, b.f32(`${node.name}/inv_counts`, outs, inv)]);
      const c = channelsOf(node, node.outputShape, op.dataFormat, r);
      const k = op.poolSize.reduce((a, d) => a * d, 1);
      const onesW = { name: b.scalar(1, [c, 1, ...op.poolSize]), dims: [c, 1, ...op.poolSize], data: new Float32Array(c * k).fill(1), group: c };
      const gx = convInputGrad(b, node, scaled, onesW, { kernel: op.poolSize, strides: op.strides, dilation: ones, pads: p, inSizes: ins, outSizes: outs });
      addGrad(ctx, input, form, gx);
      return;
    }
    case 'globalPool': {
      const form = spatialForm(op.dataFormat);
      const r = op.rank;
      const unsq = (v: Value): string => (op.keepDims ? v.get(b, form) : b.op('Reshape', [v.get(b, 'k'), b.i64([0, 0, ...new Array<number>(r).fill(1)])]));
      const g4 = unsq(gy);
      if (op.mode === 'avg') {
        const sizes = known(node, spatialSizes(inNode().outputShape, op.dataFormat, r), 'global average pooling');
        const n = sizes.reduce((a, d) => a * d, 1);
        addGrad(ctx, input, form, b.op('Mul', [g4, b.scalar(1 / n, sizes)], {}, 'grad_gap'));
        return;
      }
      // tf.reduce_max's gradient: shared equally among the maximal cells.
      const xin = x().get(b, form);
      const eq = b.op('Cast', [b.op('Equal', [xin, unsq(y())])], { to: int(DataType.FLOAT) });
      const axes = b.i64(Array.from({ length: r }, (_, i) => i + 2));
      const count = b.op('ReduceSum', [eq, axes], { keepdims: int(1) });
      addGrad(ctx, input, form, b.op('Mul', [eq, b.op('Div', [g4, count])], {}, 'grad_gmp'));
      return;
    }
    case 'flatten': {
      const inShape = inNode().outputShape;
      const dims = known(node, inShape.slice(1), 'Flatten');
      const g = gy.get(b, 'k');
      if (op.dataFormat === 'channels_first' && inShape.length >= 3) {
        // Forward moved the channel axis last; undo: (N, ..., C) -> (N, C, ...).
        const moved = b.op('Reshape', [g, b.i64([0, ...dims.slice(1), dims[0]!])]);
        addGrad(ctx, input, 'k', b.op('Transpose', [moved], { perm: ints(toTPerm(inShape.length)) }, 'grad_flatten'));
        return;
      }
      addGrad(ctx, input, 'k', inShape.length === 2 ? g : b.op('Reshape', [g, b.i64([0, ...dims])], {}, 'grad_flatten'));
      return;
    }
    case 'reshape': {
      const dims = known(node, inNode().outputShape.slice(1), 'Reshape');
      addGrad(ctx, input, 'k', b.op('Reshape', [gy.get(b, 'k'), b.i64([0, ...dims])], {}, 'grad_reshape'));
      return;
    }
    case 'permute': {
      const perm = [0, ...op.dims];
      const inv = perm.map((_, i) => perm.indexOf(i));
      addGrad(ctx, input, 'k', b.op('Transpose', [gy.get(b, 'k')], { perm: ints(inv) }, 'grad_permute'));
      return;
    }
    case 'identity': {
      const form = gy.natural;
      addGrad(ctx, input, form, gy.get(b, form));
      return;
    }
    case 'zeroPad': {
      const form = spatialForm(op.dataFormat);
      addGrad(ctx, input, form, emitSlice(b, gy.get(b, form), op.padding, 2));
      return;
    }
    case 'crop': {
      const form = spatialForm(op.dataFormat);
      const pads = [0, 0, ...op.cropping.map((c) => c[0]), 0, 0, ...op.cropping.map((c) => c[1])];
      addGrad(ctx, input, form, b.op('Pad', [gy.get(b, form), b.i64(pads), b.scalar(0)], { mode: str('constant') }, 'grad_crop'));
      return;
    }
    case 'upsample': {
      if (op.interpolation !== 'nearest') noRule(node, 'bilinear upsampling');
      const form = spatialForm(op.dataFormat);
      const sizes = known(node, spatialSizes(inNode().outputShape, op.dataFormat, op.rank), 'upsampling');
      const split = sizes.flatMap((s, i) => [s, op.size[i]!]);
      const blocks = b.op('Reshape', [gy.get(b, form), b.i64([0, 0, ...split])]);
      const axes = b.i64(sizes.map((_, i) => 3 + 2 * i));
      addGrad(ctx, input, form, b.op('ReduceSum', [blocks, axes], { keepdims: int(0) }, 'grad_upsample'));
      return;
    }
    case 'concat': {
      const form = gy.natural;
      const axis = axisIn(form, rank, op.axis);
      const g = gy.get(b, form);
      let offset = 0;
      node.inputs.forEach((name, i) => {
        const size = inNode(i).outputShape[op.axis];
        if (size === null || size === undefined) noRule(node, 'concatenation along an axis of unknown size');
        if (ctx.active.has(name)) {
          addGrad(ctx, name, form, b.op('Slice', [g, b.i64([offset]), b.i64([offset + size]), b.i64([axis])], {}, 'grad_concat'));
        }
        offset += size;
      });
      return;
    }
    case 'merge': {
      const same = node.inputs.every((_, i) => {
        const s = inNode(i).outputShape;
        return s.length === rank && s.every((d, j) => j === 0 || d === node.outputShape[j]);
      });
      if (!same) noRule(node, `a ${op.mode} merge that broadcasts`);
      const form = gy.natural;
      const g = gy.get(b, form);
      const n = node.inputs.length;
      node.inputs.forEach((name, i) => {
        if (!ctx.active.has(name)) return;
        switch (op.mode) {
          case 'add':
            addGrad(ctx, name, form, g);
            return;
          case 'average':
            addGrad(ctx, name, form, b.op('Mul', [g, b.scalar(1 / n)]));
            return;
          case 'subtract':
            addGrad(ctx, name, form, i === 0 ? g : b.op('Neg', [g]));
            return;
          case 'multiply': {
            const others = node.inputs.map((_, j) => j).filter((j) => j !== i);
            const prod = others.reduce((acc, j) => b.op('Mul', [acc, x(j).get(b, form)]), g);
            addGrad(ctx, name, form, prod);
            return;
          }
          case 'maximum':
          case 'minimum':
            noRule(node, `a ${op.mode} merge`);
        }
      });
      return;
    }
    case 'rescale': {
      const form = gy.natural;
      const g = gy.get(b, form);
      addGrad(ctx, input, form, op.scale === 1 ? g : b.op('Mul', [g, b.scalar(op.scale)], {}, 'grad_rescale'));
      return;
    }
  }
}

/**
 * Builds the gradient model of `spec` on `graph`:
 *   1. forward graph up to the score and wrt nodes (BatchNorms folded except into targets);
 *   2. seed input (1, ...score shape) -> score per sample = sum(seed * score value);
 *   3. backward sweep in reverse topological order over the nodes between the wrt nodes
 *      and the score, accumulating gradients (in channels-first form inside image chains);
 *   4. outputs: score, each wrt node's value and gradient in the Keras layout.
 */
export function buildGradientModel(graph: Graph, spec: GradientModelSpec): GradientModel {
  if (spec.wrt.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'gradients: `wrt` names no layer.', { hint: 'Pass at least one layer name (an input for saliency).' });
  const targets = [...new Set([spec.score, ...spec.wrt])];
  const fwd = buildForward(graph, { targets, keep: new Set(targets) });
  const { b } = fwd;
  const scoreNode = fwd.nodes.get(spec.score)!;
  const seedShape = [1, ...(scoreNode.outputShape.slice(1).map((d) => {
    if (d === null) unsupported(scoreNode, `the score layer's shape ${formatShape(scoreNode.outputShape)} has unknown sizes`, 'METHOD_UNSUPPORTED');
    return d;
  }))];

  // 1. Nodes between the wrt nodes and the score.
  const below = new Set(spec.wrt);
  for (const n of fwd.order) if (n.inputs.some((p) => below.has(p))) below.add(n.name);
  const above = new Set([spec.score]);
  for (let i = fwd.order.length - 1; i >= 0; i--) {
    const n = fwd.order[i]!;
    if (above.has(n.name)) for (const p of n.inputs) above.add(p);
  }
  const active = new Set([...below].filter((n) => above.has(n)));

  // 2. Seed and score.
  const seed = b.fresh('seed');
  const yScore = fwd.values.get(spec.score)!.get(b, 'k');
  const r = seedShape.length;
  const score = b.op('ReduceSum', [b.op('Mul', [yScore, seed]), b.i64(Array.from({ length: r - 1 }, (_, i) => i + 1))], { keepdims: int(0) }, 'score');

  // 3. Backward sweep.
  const consumers = new Map<string, number>();
  for (const n of fwd.order) if (active.has(n.name)) for (const p of n.inputs) consumers.set(p, (consumers.get(p) ?? 0) + 1);
  const ctx: Ctx = { fwd, b, active, grads: new Map(), wrt: new Set(spec.wrt), consumers, preActivated: new Set(), maxPoolGrad: spec.maxPoolGrad ?? 'slots' };
  if (active.has(spec.score)) {
    ctx.grads.set(spec.score, new Value(r, 'k', b.op('Expand', [seed, b.op('Shape', [yScore])], {}, 'grad_seed')));
  }
  let spatialBackward = false;
  for (let i = fwd.order.length - 1; i >= 0; i--) {
    const n = fwd.order[i]!;
    const gy = ctx.grads.get(n.name);
    if (gy === undefined || !n.inputs.some((p) => active.has(p))) continue;
    backwardNode(ctx, n, gy);
    // 1-D convolutions and pools have no NCHWc kernels: the layout pass only adds reorders.
    if ((n.op.type === 'conv' || n.op.type === 'depthwiseConv' || n.op.type === 'pool') && n.op.rank !== 2) spatialBackward = true;
  }
  // The 'windows' max-pool form's SpaceToDepth / DepthToSpace do not mix with NCHWc either.
  if (b.nodes.some((node) => node.opType === 'SpaceToDepth' || node.opType === 'DepthToSpace')) spatialBackward = true;

  // 4. Outputs.
  const bound = new Set<string>(graph.inputs);
  const out = (value: string, hint: string): string => {
    const name = b.fresh(hint);
    bindOutput(b, value, name, bound);
    return name;
  };
  const scoreOutput = out(score, 'out_score');
  const valueOutputs = spec.wrt.map((w) => out(fwd.values.get(w)!.get(b, 'k'), 'out_value'));
  const gradientOutputs = spec.wrt.map((w) => {
    const g = ctx.grads.get(w);
    return g === undefined ? null : out(g.get(b, 'k'), 'out_grad');
  });
  const outputs = [scoreOutput, ...valueOutputs, ...gradientOutputs.filter((g): g is string => g !== null)];
  const bytes = encodeBuilder(b, graph, {
    outputs,
    batch: 'dynamic',
    extraInputs: [{ name: seed, elemType: DataType.FLOAT, shape: seedShape }],
    name: 'convscope-gradients',
  });
  return { bytes, seedInput: seed, seedShape, scoreOutput, valueOutputs, gradientOutputs, spatialBackward };
}
