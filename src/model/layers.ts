// The per-class translation table: every supported Keras class -> a Translator (layer-context.ts).
// Weightless layers are defined here; layers with weights in layers-weighted.ts.

import { formatShape } from '../errors.js';
import { parseActivation } from './activations.js';
import type { Activation, DataFormat, Op, Shape } from './ir.js';
import { checkPositive, oneInput, resolveAxis, type LayerContext, type LayerOutput, type Translator } from './layer-context.js';
import { WEIGHTED_LAYERS } from './layers-weighted.js';
import { channelAxis, convOutLength, perSampleSize, spatialAxes, withAxes } from './shapes.js';
import { badConfig, unsupportedOption } from './translate-messages.js';

const single = (op: Op, outputShape: Shape): LayerOutput[] => [{ op, outputShape, params: 0 }];

function shapeOption(ctx: LayerContext): Shape | null {
  const c = ctx.cfg.raw;
  const ok = (v: unknown): v is (number | null)[] => Array.isArray(v) && v.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 0));
  for (const key of ['batch_input_shape', 'batch_shape']) if (ok(c[key])) return c[key];
  if (ok(c['input_shape'])) return [null, ...c['input_shape']];
  return null;
}

/** InputLayer: its recorded batch shape, with the batch axis set to null. */
const inputLayer: Translator = (ctx) => {
  const shape = shapeOption(ctx);
  if (shape === null || shape.length < 1) throw badConfig(ctx.where, 'records no input shape (batch_input_shape or batch_shape)', ctx.cfg.raw);
  return single({ type: 'input' }, [null, ...shape.slice(1)]);
};

// ---- activations ------------------------------------------------------------------------------

function activationLayer(make: (ctx: LayerContext, rank: number) => Activation): Translator {
  return (ctx) => {
    const x = oneInput(ctx);
    return single({ type: 'activation', activation: make(ctx, x.length) }, x);
  };
}

function softmaxAxis(ctx: LayerContext, rank: number): number {
  let a = ctx.cfg.raw['axis'] ?? -1;
  if (Array.isArray(a) && a.length === 1) a = a[0];
  if (typeof a !== 'number') throw unsupportedOption(ctx.where, `takes a softmax over several axes (${JSON.stringify(a)}); only one axis is supported`);
  return resolveAxis(ctx, a, rank);
}

const ACTIVATION_LAYERS: Readonly<Record<string, Translator>> = {
  Activation: activationLayer((ctx, rank) => parseActivation(ctx.cfg, rank, ctx.dialect)),
  ReLU: activationLayer((ctx) => ({
    kind: 'relu',
    maxValue: ctx.cfg.numOrNull('max_value'),
    negativeSlope: ctx.cfg.num('negative_slope', 0),
    threshold: ctx.cfg.num('threshold', 0),
  })),
  // Keras 3 names the slope negative_slope, Keras 2 alpha; both default to 0.3.
  LeakyReLU: activationLayer((ctx) => ({
    kind: 'relu',
    maxValue: null,
    negativeSlope: ctx.cfg.has('negative_slope') ? ctx.cfg.num('negative_slope') : ctx.cfg.num('alpha', 0.3),
    threshold: 0,
  })),
  ELU: activationLayer((ctx) => ({ kind: 'elu', alpha: ctx.cfg.num('alpha', 1) })),
  ThresholdedReLU: activationLayer((ctx) => ({ kind: 'thresholded_relu', theta: ctx.cfg.num('theta', 1) })),
  Softmax: activationLayer((ctx, rank) => ({ kind: 'softmax', axis: softmaxAxis(ctx, rank) })),
};

/** Inference-time identities. */
const IDENTITY_CLASSES = [
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
  'Identity',
];

const identity: Translator = (ctx) => single({ type: 'identity' }, oneInput(ctx));

// ---- pooling ----------------------------------------------------------------------------------

function pool(mode: 'max' | 'avg', rank: 1 | 2): Translator {
  return (ctx) => {
    const c = ctx.cfg;
    const dataFormat = c.dataFormat();
    const x = oneInput(ctx, [rank + 2]);
    const poolSize = c.ints('pool_size', rank, 2);
    const strides = c.has('strides') ? c.ints('strides', rank) : poolSize;
    const padding = c.padding(false) as 'valid' | 'same';
    const sp = spatialAxes(rank, dataFormat);
    const lengths = sp.map((a, i) => convOutLength(x[a] ?? null, poolSize[i]!, strides[i]!, 1, padding));
    const outputShape = checkPositive(ctx, x, withAxes(x, sp, lengths));
    return single({ type: 'pool', mode, rank, poolSize, strides, padding, dataFormat }, outputShape);
  };
}

function globalPool(mode: 'max' | 'avg', rank: 1 | 2): Translator {
  return (ctx) => {
    const dataFormat = ctx.cfg.dataFormat();
    const keepDims = ctx.cfg.bool('keepdims', false);
    const x = oneInput(ctx, [rank + 2]);
    const ch = x[channelAxis(rank, dataFormat)] ?? null;
    const outputShape = keepDims ? withAxes(x, spatialAxes(rank, dataFormat), new Array<number>(rank).fill(1)) : [null, ch];
    return single({ type: 'globalPool', mode, rank, dataFormat, keepDims }, outputShape);
  };
}

// ---- reshaping --------------------------------------------------------------------------------

/** Flatten; Keras 1 Flatten has no data_format and flattens as stored (channels_last here). */
const flatten: Translator = (ctx) => {
  const x = oneInput(ctx);
  const n = perSampleSize(x);
  if (n === null) throw badConfig(ctx.where, `cannot flatten an input of unknown size ${formatShape(x)}`);
  const dataFormat: DataFormat = ctx.cfg.dataFormat();
  return single({ type: 'flatten', dataFormat }, [null, n]);
};

const reshape: Translator = (ctx) => {
  const x = oneInput(ctx);
  const target = ctx.cfg.intList('target_shape');
  const free = target.filter((d) => d === -1).length;
  if (free > 1 || target.some((d) => d === 0 || d < -1)) throw badConfig(ctx.where, 'target_shape must hold positive sizes and at most one -1', target);
  const inSize = perSampleSize(x);
  const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (inSize === null) {
    if (free > 0) throw unsupportedOption(ctx.where, `reshapes an input of unknown size ${formatShape(x)} with -1 in target_shape`);
    return single({ type: 'reshape', targetShape: target }, [null, ...target]);
  }
  const resolved = target.map((d) => (d === -1 ? inSize / known : d));
  if (resolved.some((d) => !Number.isInteger(d)) || resolved.reduce((p, d) => p * d, 1) !== inSize) {
    throw badConfig(ctx.where, `cannot reshape ${formatShape(x)} (${inSize} values per sample) to target_shape ${JSON.stringify(target)}`);
  }
  return single({ type: 'reshape', targetShape: resolved }, [null, ...resolved]);
};

const permuteLayer: Translator = (ctx) => {
  const x = oneInput(ctx);
  const dims = ctx.cfg.intList('dims');
  const sorted = [...dims].sort((a, b) => a - b);
  if (dims.length !== x.length - 1 || sorted.some((d, i) => d !== i + 1)) {
    throw badConfig(ctx.where, `dims must be a permutation of 1..${x.length - 1} for input ${formatShape(x)}`, dims);
  }
  return single({ type: 'permute', dims }, [null, ...dims.map((d) => x[d] ?? null)]);
};

function zeroPad(rank: 1 | 2): Translator {
  return (ctx) => {
    const dataFormat = ctx.cfg.dataFormat();
    const x = oneInput(ctx, [rank + 2]);
    const padding = ctx.cfg.pairs('padding', rank);
    const sp = spatialAxes(rank, dataFormat);
    const lengths = sp.map((a, i) => (x[a] == null ? null : x[a]! + padding[i]![0] + padding[i]![1]));
    return single({ type: 'zeroPad', rank, padding, dataFormat }, withAxes(x, sp, lengths));
  };
}

function crop(rank: 1 | 2): Translator {
  return (ctx) => {
    const dataFormat = ctx.cfg.dataFormat();
    const x = oneInput(ctx, [rank + 2]);
    const cropping = ctx.cfg.pairs('cropping', rank);
    const sp = spatialAxes(rank, dataFormat);
    const lengths = sp.map((a, i) => (x[a] == null ? null : x[a]! - cropping[i]![0] - cropping[i]![1]));
    return single({ type: 'crop', rank, cropping, dataFormat }, checkPositive(ctx, x, withAxes(x, sp, lengths)));
  };
}

function upsample(rank: 1 | 2): Translator {
  return (ctx) => {
    const dataFormat = ctx.cfg.dataFormat();
    const x = oneInput(ctx, [rank + 2]);
    const size = ctx.cfg.ints('size', rank, 2);
    const interpolation = ctx.cfg.str('interpolation', 'nearest');
    if (interpolation !== 'nearest' && !(interpolation === 'bilinear' && rank === 2)) {
      throw unsupportedOption(ctx.where, `uses interpolation '${interpolation}'; convscope implements 'nearest' (and 'bilinear' in 2-D)`);
    }
    const sp = spatialAxes(rank, dataFormat);
    const lengths = sp.map((a, i) => (x[a] == null ? null : x[a]! * size[i]!));
    return single({ type: 'upsample', rank, size, dataFormat, interpolation }, withAxes(x, sp, lengths));
  };
}

// ---- merging ----------------------------------------------------------------------------------

/** Keras' element-wise merge shape: equal ranks; per axis equal sizes, or 1, or unknown. */
function broadcastShapes(ctx: LayerContext, shapes: readonly Shape[]): Shape {
  const rank = shapes[0]!.length;
  if (shapes.some((s) => s.length !== rank)) throw badConfig(ctx.where, `merges inputs of different ranks: ${shapes.map(formatShape).join(', ')}`);
  return shapes[0]!.map((_, axis) => {
    const dims = shapes.map((s) => s[axis] ?? null);
    if (axis === 0 || dims.some((d) => d === null)) return null;
    const big = dims.filter((d) => d !== 1);
    if (big.some((d) => d !== big[0])) throw badConfig(ctx.where, `merges inputs whose shapes do not match: ${shapes.map(formatShape).join(', ')}`);
    return big[0] ?? 1;
  });
}

type MergeMode = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

function mergeOp(ctx: LayerContext, mode: MergeMode): LayerOutput[] {
  const n = ctx.inputShapes.length;
  if (n < 2 || (mode === 'subtract' && n !== 2)) throw badConfig(ctx.where, `needs ${mode === 'subtract' ? 'exactly 2' : 'at least 2'} inputs but has ${n}`);
  return single({ type: 'merge', mode }, broadcastShapes(ctx, ctx.inputShapes));
}

function concatOp(ctx: LayerContext, axisRaw: number): LayerOutput[] {
  const shapes = ctx.inputShapes;
  if (shapes.length < 1) throw badConfig(ctx.where, 'has no inputs');
  const rank = shapes[0]!.length;
  const axis = resolveAxis(ctx, axisRaw, rank);
  const fits = shapes.every((s) => s.length === rank && s.every((d, i) => i === axis || i === 0 || d === null || shapes[0]![i] === null || d === shapes[0]![i]));
  if (!fits) throw badConfig(ctx.where, `concatenates along axis ${axis} inputs whose other axes differ: ${shapes.map(formatShape).join(', ')}`);
  const sizes = shapes.map((s) => s[axis] ?? null);
  const total = sizes.some((d) => d === null) ? null : sizes.reduce<number>((p, d) => p + (d ?? 0), 0);
  return single({ type: 'concat', axis }, withAxes(shapes[0]!, [axis], [total]));
}

const KERAS1_MERGE_MODES: Readonly<Record<string, MergeMode>> = { sum: 'add', mul: 'multiply', ave: 'average', max: 'maximum' };

/** Keras 1 Merge layer: sum, mul, ave, max and concat; dot, cos and Python functions are refused. */
const keras1Merge: Translator = (ctx) => {
  const mode = ctx.cfg.raw['mode'];
  if (mode === 'concat') return concatOp(ctx, ctx.cfg.num('concat_axis', -1));
  if (typeof mode === 'string' && KERAS1_MERGE_MODES[mode] !== undefined) return mergeOp(ctx, KERAS1_MERGE_MODES[mode]);
  throw unsupportedOption(
    ctx.where,
    typeof mode === 'string'
      ? `merges with mode '${mode}'; convscope implements sum, mul, ave, max and concat`
      : 'merges with a Python function (marshalled bytecode), which convscope never executes',
  );
};

const mergeLayer = (mode: MergeMode): Translator => (ctx) => mergeOp(ctx, mode);

const MERGE_LAYERS: Readonly<Record<string, Translator>> = {
  Add: mergeLayer('add'),
  Subtract: mergeLayer('subtract'),
  Multiply: mergeLayer('multiply'),
  Average: mergeLayer('average'),
  Maximum: mergeLayer('maximum'),
  Minimum: mergeLayer('minimum'),
  Concatenate: (ctx) => concatOp(ctx, ctx.cfg.num('axis', -1)),
  Merge: keras1Merge,
};

const rescaling: Translator = (ctx) => {
  const x = oneInput(ctx);
  const c = ctx.cfg;
  if (Array.isArray(c.raw['scale']) || Array.isArray(c.raw['offset'])) {
    throw unsupportedOption(ctx.where, 'rescales with per-channel lists; convscope implements scalar scale and offset');
  }
  return single({ type: 'rescale', scale: c.num('scale'), offset: c.num('offset', 0) }, x);
};

const prelu: Translator = (ctx) => {
  throw unsupportedOption(ctx.where, 'is a PReLU layer (learned per-unit slopes), which convscope does not implement yet');
};

/** Every supported layer class (canonical Keras 2 names) -> its translator. */
export const LAYERS: Readonly<Record<string, Translator>> = {
  InputLayer: inputLayer,
  ...WEIGHTED_LAYERS,
  ...ACTIVATION_LAYERS,
  ...Object.fromEntries(IDENTITY_CLASSES.map((k) => [k, identity])),
  MaxPooling1D: pool('max', 1),
  MaxPooling2D: pool('max', 2),
  AveragePooling1D: pool('avg', 1),
  AveragePooling2D: pool('avg', 2),
  GlobalMaxPooling1D: globalPool('max', 1),
  GlobalMaxPooling2D: globalPool('max', 2),
  GlobalAveragePooling1D: globalPool('avg', 1),
  GlobalAveragePooling2D: globalPool('avg', 2),
  Flatten: flatten,
  Reshape: reshape,
  Permute: permuteLayer,
  ZeroPadding1D: zeroPad(1),
  ZeroPadding2D: zeroPad(2),
  Cropping1D: crop(1),
  Cropping2D: crop(2),
  UpSampling1D: upsample(1),
  UpSampling2D: upsample(2),
  ...MERGE_LAYERS,
  Rescaling: rescaling,
  PReLU: prelu,
};

/** Class names listed in "unsupported layer" messages (Keras 1 names included). */
export const SUPPORTED_CLASSES: readonly string[] = [
  ...Object.keys(LAYERS).filter((k) => k !== 'PReLU'),
  'Convolution1D',
  'Convolution2D',
  'AtrousConvolution1D',
  'AtrousConvolution2D',
  'SeparableConvolution2D',
  'Sequential',
  'Model',
  'Functional',
].sort();
