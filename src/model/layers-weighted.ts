// Layers with weights: Conv1D/2D (and Keras 1 Convolution*), DepthwiseConv1D/2D,
// SeparableConv1D/2D (as a depthwise node then a 1x1 convolution), Dense, BatchNormalization.
// Kernels leave here in the canonical layout of ir.ts (transposed from Keras 1 'th', Theano-flipped).

import type { NamedWeight } from '../io/keras/artifacts.js';
import type { Tensor } from '../tensor.js';
import { parseActivation } from './activations.js';
import type { Activation, DataFormat, Op, Padding, Shape } from './ir.js';
import { checkPositive, knownDim, oneInput, resolveAxis, type LayerContext, type Translator } from './layer-context.js';
import { channelAxis, convOutLength, spatialAxes, withAxes } from './shapes.js';
import { badConfig, unsupportedOption, type ExpectedWeight } from './translate-messages.js';
import { countValues, flipAxes, permute } from './weights.js';

/** Options shared by the convolution family. */
interface ConvGeometry {
  rank: 1 | 2;
  dataFormat: DataFormat;
  kernelSize: number[];
  strides: number[];
  dilation: number[];
  padding: Padding;
  input: Shape;
  inChannels: number;
}

function geometry(ctx: LayerContext, rank: 1 | 2): ConvGeometry {
  const c = ctx.cfg;
  const dataFormat = c.dataFormat();
  const input = oneInput(ctx, [rank + 2]);
  if (c.raw['padding'] === 'full') throw unsupportedOption(ctx.where, "uses Keras 1 border_mode 'full', which TensorFlow never supported");
  return {
    rank,
    dataFormat,
    kernelSize: c.ints('kernel_size', rank),
    strides: c.ints('strides', rank, 1),
    dilation: c.ints('dilation_rate', rank, 1),
    padding: c.padding(rank === 1),
    input,
    inChannels: knownDim(ctx, input, channelAxis(rank, dataFormat), 'channel'),
  };
}

/** Output shape of a convolution-like layer with `channels` output channels. */
function convOutput(ctx: LayerContext, g: ConvGeometry, channels: number, strides = g.strides, kernel = g.kernelSize): Shape {
  const sp = spatialAxes(g.rank, g.dataFormat);
  const lengths = sp.map((a, i) => convOutLength(g.input[a] ?? null, kernel[i]!, strides[i]!, g.dilation[i]!, g.padding));
  return checkPositive(ctx, g.input, withAxes(g.input, [...sp, channelAxis(g.rank, g.dataFormat)], [...lengths, channels]));
}

/** Keras 1 'th' 2-D kernels are stored (out, in, rows, cols); everything else as the IR wants. */
function keras1Th(ctx: LayerContext, g: ConvGeometry): boolean {
  return ctx.dialect === 1 && g.rank === 2 && g.dataFormat === 'channels_first';
}

/** Stored shape of a kernel whose canonical shape is (k..., a, b). */
function storedShape(ctx: LayerContext, g: ConvGeometry, canonical: readonly number[]): number[] {
  if (!keras1Th(ctx, g)) return [...canonical];
  const [r, cl, a, b] = canonical as [number, number, number, number];
  return [b, a, r, cl];
}

/** Stored kernel -> canonical (k..., a, b): transpose Keras 1 'th', flip for Theano. */
function canonicalKernel(ctx: LayerContext, g: ConvGeometry, stored: Tensor, flip = true): Tensor {
  const k = keras1Th(ctx, g) ? permute(stored, [2, 3, 1, 0]) : stored;
  return ctx.theano && flip ? flipAxes(k, Array.from({ length: g.rank }, (_, i) => i)) : k;
}

/** Keras 1 Convolution1D stores (length, 1, in, out); drop the unit axis. */
function squeezeKeras1Conv1D(ctx: LayerContext, g: ConvGeometry): ((found: readonly NamedWeight[]) => readonly NamedWeight[]) | undefined {
  if (ctx.dialect !== 1 || g.rank !== 1) return undefined;
  return (found) =>
    found.map((w) => {
      const s = w.tensor.shape;
      return s.length === 4 && s[1] === 1 ? { name: w.name, tensor: { shape: [s[0]!, s[2]!, s[3]!], data: w.tensor.data } } : w;
    });
}

const biasSpec = (use: boolean, n: number): ExpectedWeight[] => (use ? [{ role: 'bias', shape: [n] }] : []);

function convTranslator(rank: 1 | 2): Translator {
  return (ctx) => {
    const c = ctx.cfg;
    const g = geometry(ctx, rank);
    const filters = c.int('filters');
    const groups = c.int('groups', 1);
    if (g.inChannels % groups !== 0 || filters % groups !== 0) {
      throw badConfig(ctx.where, `groups = ${groups} does not divide the ${g.inChannels} input channels and ${filters} filters`);
    }
    const useBias = c.bool('use_bias', true);
    const canonical = [...g.kernelSize, g.inChannels / groups, filters];
    const w = ctx.weights([{ role: 'kernel', shape: storedShape(ctx, g, canonical) }, ...biasSpec(useBias, filters)], squeezeKeras1Conv1D(ctx, g));
    const outputShape = convOutput(ctx, g, filters);
    const op: Op = {
      type: 'conv',
      rank,
      filters,
      kernelSize: g.kernelSize,
      strides: g.strides,
      dilation: g.dilation,
      padding: g.padding,
      dataFormat: g.dataFormat,
      groups,
      kernel: canonicalKernel(ctx, g, w[0]!),
      bias: w[1] ?? null,
      activation: parseActivation(c, rank + 2, ctx.dialect),
    };
    return [{ op, outputShape, params: countValues(w) }];
  };
}

function depthwiseOp(g: ConvGeometry, multiplier: number, kernel: Tensor, bias: Tensor | null, activation: Activation): Op {
  const { rank, kernelSize, strides, dilation, padding, dataFormat } = g;
  return { type: 'depthwiseConv', rank, kernelSize, strides, dilation, padding, dataFormat, depthMultiplier: multiplier, kernel, bias, activation };
}

function depthwiseTranslator(rank: 1 | 2): Translator {
  return (ctx) => {
    const c = ctx.cfg;
    const g = geometry(ctx, rank);
    const m = c.int('depth_multiplier', 1);
    const useBias = c.bool('use_bias', true);
    const out = g.inChannels * m;
    const w = ctx.weights([{ role: 'depthwise_kernel', shape: [...g.kernelSize, g.inChannels, m] }, ...biasSpec(useBias, out)]);
    const op = depthwiseOp(g, m, canonicalKernel(ctx, g, w[0]!), w[1] ?? null, parseActivation(c, rank + 2, ctx.dialect));
    return [{ op, outputShape: convOutput(ctx, g, out), params: countValues(w) }];
  };
}

/**
 * SeparableConv: a depthwise node `name/depthwise` (strides, dilation, padding, no bias) then the
 * layer's own node, a 1x1 convolution with the bias and activation. The layer node carries the
 * layer's whole parameter count (as Keras' summary shows it); the helper node 0.
 */
function separableTranslator(rank: 1 | 2): Translator {
  return (ctx) => {
    const c = ctx.cfg;
    const g = geometry(ctx, rank);
    const m = c.int('depth_multiplier', 1);
    const filters = c.int('filters');
    const useBias = c.bool('use_bias', true);
    const mid = g.inChannels * m;
    const ones = new Array<number>(rank).fill(1);
    const w = ctx.weights([
      { role: 'depthwise_kernel', shape: storedShape(ctx, g, [...g.kernelSize, g.inChannels, m]) },
      { role: 'pointwise_kernel', shape: storedShape(ctx, g, [...ones, mid, filters]) },
      ...biasSpec(useBias, filters),
    ]);
    const midShape = convOutput(ctx, g, mid);
    const depthwise = depthwiseOp(g, m, canonicalKernel(ctx, g, w[0]!), null, { kind: 'linear' });
    const pointwise: Op = {
      type: 'conv',
      rank,
      filters,
      kernelSize: ones,
      strides: ones,
      dilation: ones,
      padding: 'valid',
      dataFormat: g.dataFormat,
      groups: 1,
      kernel: canonicalKernel(ctx, g, w[1]!, false),
      bias: w[2] ?? null,
      activation: parseActivation(c, rank + 2, ctx.dialect),
    };
    return [
      { op: depthwise, outputShape: midShape, params: 0, suffix: 'depthwise' },
      { op: pointwise, outputShape: withAxes(midShape, [channelAxis(rank, g.dataFormat)], [filters]), params: countValues(w) },
    ];
  };
}

/** Dense on the last axis (inputs of rank > 2 included). */
const dense: Translator = (ctx) => {
  const c = ctx.cfg;
  const x = oneInput(ctx);
  if (x.length < 2) throw badConfig(ctx.where, 'expects an input with a batch axis and at least one more');
  const inDim = knownDim(ctx, x, x.length - 1, 'input feature');
  const units = c.int('units');
  const useBias = c.bool('use_bias', true);
  const w = ctx.weights([{ role: 'kernel', shape: [inDim, units] }, ...biasSpec(useBias, units)]);
  const op: Op = { type: 'dense', units, kernel: w[0]!, bias: w[1] ?? null, activation: parseActivation(c, x.length, ctx.dialect) };
  return [{ op, outputShape: [...x.slice(0, -1), units], params: countValues(w) }];
};

/** BatchNormalization with its moving statistics (inference); Keras 1 mode must be 0. */
const batchNorm: Translator = (ctx) => {
  const c = ctx.cfg;
  const x = oneInput(ctx);
  if (c.int('mode', 0, 0) !== 0) {
    throw unsupportedOption(ctx.where, `uses Keras 1 BatchNormalization mode ${String(c.raw['mode'])} (batch statistics at inference); only mode 0 is supported`);
  }
  let axisRaw = c.raw['axis'] ?? -1;
  if (Array.isArray(axisRaw) && axisRaw.length === 1) axisRaw = axisRaw[0];
  if (typeof axisRaw !== 'number') throw unsupportedOption(ctx.where, `normalises over several axes (${JSON.stringify(axisRaw)}); only one axis is supported`);
  const axis = resolveAxis(ctx, axisRaw, x.length);
  const n = knownDim(ctx, x, axis, 'feature');
  const scale = c.bool('scale', true);
  const center = c.bool('center', true);
  const expected: ExpectedWeight[] = [
    ...(scale ? [{ role: 'gamma', shape: [n] }] : []),
    ...(center ? [{ role: 'beta', shape: [n] }] : []),
    { role: 'moving_mean', shape: [n] },
    { role: 'moving_variance', shape: [n] },
  ];
  const w = ctx.weights(expected);
  const at = (role: string): Tensor | null => {
    const i = expected.findIndex((e) => e.role === role);
    return i < 0 ? null : w[i]!;
  };
  const op: Op = { type: 'batchNorm', axis, epsilon: c.num('epsilon', 1e-3), gamma: at('gamma'), beta: at('beta'), mean: at('moving_mean')!, variance: at('moving_variance')! };
  return [{ op, outputShape: x, params: countValues(w) }];
};

/** Translators of the layers that own weights, by canonical class. */
export const WEIGHTED_LAYERS: Readonly<Record<string, Translator>> = {
  Conv1D: convTranslator(1),
  Conv2D: convTranslator(2),
  DepthwiseConv1D: depthwiseTranslator(1),
  DepthwiseConv2D: depthwiseTranslator(2),
  SeparableConv1D: separableTranslator(1),
  SeparableConv2D: separableTranslator(2),
  Dense: dense,
  BatchNormalization: batchNorm,
};

