// Graph (model/ir.ts) -> ONNX model bytes (opset 17). Isomorphic: plain data in, bytes out.
// Also exposes the forward-graph builder that engine.ts and backward.ts extend with outputs
// and backward nodes. No onnxruntime here.

import { UnsupportedError, ArgumentError, formatShape } from '../../errors.js';
import { ancestors, type Activation, type DataFormat, type Graph, type Node, type Op, type Padding, type Shape } from '../../model/ir.js';
import { sizeOf } from '../../tensor.js';
import { VERSION } from '../../version.js';
import { OnnxBuilder, Value, type Attr, axisIn, commonForm, float, int, ints, str, transposeArray, INT64_MAX, type Form } from './builder.js';
import { DataType, encodeModel, type GraphProto, type ValueInfoProto } from './proto.js';

/** ONNX operator set the exporter targets. */
export const OPSET = 17;
/** ONNX IR version matching OPSET. */
export const IR_VERSION = 8;

/** Options of graphToOnnx. */
export interface OnnxExportOptions {
  /**
   * Nodes whose outputs the model returns, as ONNX outputs named exactly like the nodes, each in
   * the Keras layout of that node. Default: the graph's outputs.
   */
  readonly outputs?: readonly string[];
  /** Batch size written into the model: a number fixes it; 'dynamic' (default) leaves it symbolic ('N'). */
  readonly batch?: number | 'dynamic';
}

/** Weights of a convolution as written to the ONNX graph (the backward graphs reuse them). */
export interface ConvWeights {
  /** Initializer name, ONNX layout (out, in / group, k_1, ..., k_r). */
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
  readonly group: number;
  /** Explicit pads [begin..., end...], or null when the spatial sizes are unknown (auto_pad SAME_UPPER). */
  readonly pads: readonly number[] | null;
}

/** The forward part of an ONNX graph under construction. */
export interface Forward {
  readonly b: OnnxBuilder;
  readonly graph: Graph;
  /** Nodes actually emitted (after BatchNorm folding), in topological order. */
  readonly order: readonly Node[];
  /** Emitted node by name. */
  readonly nodes: ReadonlyMap<string, Node>;
  /** Output value of each emitted node. */
  readonly values: Map<string, Value>;
  /** Pre-activation values of nodes with a fused non-linear activation (conv, dense). */
  readonly pre: Map<string, Value>;
  /** Convolution weights by node name (conv, depthwiseConv). */
  readonly convWeights: Map<string, ConvWeights>;
  /** Dense kernel initializer (in, out) by node name. */
  readonly denseWeights: Map<string, string>;
}

/** Throws an UnsupportedError naming the node. */
export function unsupported(node: Node, what: string, code: 'MODEL_UNSUPPORTED' | 'METHOD_UNSUPPORTED' = 'MODEL_UNSUPPORTED'): never {
  throw new UnsupportedError(code, `ONNX export: layer '${node.name}' (${node.className}): ${what}.`, {
    hint: 'Use the reference engine (--engine reference) for this model.',
    details: { layer: node.name, className: node.className },
  });
}

/** Spatial sizes of a tensor of a spatial layer, null where unknown. */
export function spatialSizes(shape: Shape, dataFormat: DataFormat, rank: number): (number | null)[] {
  return dataFormat === 'channels_last' ? shape.slice(1, 1 + rank) : shape.slice(2, 2 + rank);
}

/** Channel count of a spatial layer's tensor. */
export function channelsOf(node: Node, shape: Shape, dataFormat: DataFormat, rank: number): number {
  const c = dataFormat === 'channels_last' ? shape[rank + 1] : shape[1];
  if (c === null || c === undefined) unsupported(node, `the channel count of ${formatShape(shape)} is unknown`);
  return c;
}

/** The form ONNX spatial ops need for a layer of this data format. */
export function spatialForm(dataFormat: DataFormat): Form {
  return dataFormat === 'channels_last' ? 't' : 'k';
}

/**
 * Explicit [begin..., end...] pads for a padding mode (TensorFlow's 'same': the smaller half
 * before), or null when 'same' needs sizes that are unknown.
 */
export function computePads(
  padding: Padding,
  inSizes: readonly (number | null)[],
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
): number[] | null {
  const r = kernel.length;
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < r; i++) {
    const eff = (kernel[i]! - 1) * dilation[i]! + 1;
    if (padding === 'valid') {
      begin.push(0);
      end.push(0);
    } else if (padding === 'causal') {
      begin.push(eff - 1);
      end.push(0);
    } else {
      const size = inSizes[i];
      if (size === null || size === undefined) return null;
      const out = Math.ceil(size / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + eff - size, 0);
      begin.push(Math.floor(total / 2));
      end.push(total - Math.floor(total / 2));
    }
  }
  return [...begin, ...end];
}

/** Keras' SELU constants. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * Emits an activation applied to `x`; `axisOf` maps a Keras axis (softmax) to the axis in the
 * layout `x` is held in. Returns `x` itself for 'linear'.
 */
export function emitActivation(b: OnnxBuilder, x: string, act: Activation, axisOf: (axis: number) => number): string {
  switch (act.kind) {
    case 'linear':
      return x;
    case 'relu': {
      const { maxValue, negativeSlope: slope, threshold } = act;
      if (slope === 0 && threshold === 0 && maxValue === null) return b.op('Relu', [x]);
      if (slope !== 0 && threshold === 0 && maxValue === null) return b.op('LeakyRelu', [x], { alpha: float(slope) });
      if (slope === 0 && threshold === 0 && maxValue !== null) return b.op('Clip', [x, b.scalar(0), b.scalar(maxValue)]);
      // Keras' general relu: x * (x > threshold) (or relu(x)), clipped to [0, max], minus
      // slope * relu(threshold - x).
      let pos = threshold !== 0 ? b.op('Where', [b.op('Greater', [x, b.scalar(threshold)]), x, b.scalar(0)]) : b.op('Relu', [x]);
      if (maxValue !== null) pos = b.op('Clip', [pos, b.scalar(0), b.scalar(maxValue)]);
      if (slope === 0) return pos;
      const neg = b.op('Relu', [b.op('Sub', [b.scalar(threshold), x])]);
      return b.op('Sub', [pos, b.op('Mul', [neg, b.scalar(slope)])]);
    }
    case 'thresholded_relu':
      return b.op('Where', [b.op('Greater', [x, b.scalar(act.theta)]), x, b.scalar(0)]);
    case 'sigmoid':
      return b.op('Sigmoid', [x]);
    case 'hard_sigmoid':
      return b.op('HardSigmoid', [x], { alpha: float(act.slope), beta: float(act.offset) });
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'softmax':
      return b.op('Softmax', [x], { axis: int(axisOf(act.axis)) });
    case 'elu':
      return b.op('Elu', [x], { alpha: float(act.alpha) });
    case 'selu':
      return b.op('Selu', [x], { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
    case 'softplus':
      return b.op('Softplus', [x]);
    case 'softsign':
      return b.op('Softsign', [x]);
    case 'swish':
      return b.op('Mul', [x, b.op('Sigmoid', [x])]);
    case 'gelu': {
      const half = b.op('Mul', [x, b.scalar(0.5)]);
      let inner: string;
      if (act.approximate) {
        const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
        const arg = b.op('Mul', [b.op('Add', [x, b.op('Mul', [cube, b.scalar(0.044715)])]), b.scalar(Math.sqrt(2 / Math.PI))]);
        inner = b.op('Tanh', [arg]);
      } else {
        inner = b.op('Erf', [b.op('Mul', [x, b.scalar(Math.SQRT1_2)])]);
      }
      return b.op('Mul', [half, b.op('Add', [inner, b.scalar(1)])]);
    }
    case 'exponential':
      return b.op('Exp', [x]);
  }
}

/** Output channel count of a conv/depthwise/dense node (the axis a following BatchNorm must use). */
function channelAxisOf(node: Node): number | null {
  const op = node.op;
  const r = node.outputShape.length;
  if (op.type === 'dense') return r - 1;
  if (op.type === 'conv' || op.type === 'depthwiseConv') return op.dataFormat === 'channels_last' ? r - 1 : 1;
  return null;
}

/** BatchNorm as y = x * scale + shift, per channel, computed in float64. */
export function batchNormAffine(op: Extract<Op, { type: 'batchNorm' }>): { scale: Float64Array; shift: Float64Array } {
  const c = op.mean.data.length;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    const g = op.gamma === null ? 1 : op.gamma.data[i]!;
    const beta = op.beta === null ? 0 : op.beta.data[i]!;
    scale[i] = g / Math.sqrt(op.variance.data[i]! + op.epsilon);
    shift[i] = beta - op.mean.data[i]! * scale[i]!;
  }
  return { scale, shift };
}

/**
 * Folds each BatchNorm into the conv/dense that feeds it when that node has a linear activation,
 * feeds only the BatchNorm, and is not in `keep` (requested outputs, gradient targets). The
 * folded node takes the BatchNorm's name and the conv's inputs.
 */
export function foldBatchNorms(nodes: readonly Node[], keep: ReadonlySet<string>): Node[] {
  const uses = new Map<string, number>();
  for (const n of nodes) for (const p of n.inputs) uses.set(p, (uses.get(p) ?? 0) + 1);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const folded = new Map<string, Node>(); // bn name -> folded node
  const dropped = new Set<string>();
  for (const n of nodes) {
    if (n.op.type !== 'batchNorm' || n.inputs.length !== 1) continue;
    const p = byName.get(n.inputs[0]!);
    if (p === undefined || keep.has(p.name) || uses.get(p.name) !== 1) continue;
    const pop = p.op;
    if (pop.type !== 'conv' && pop.type !== 'depthwiseConv' && pop.type !== 'dense') continue;
    if (pop.activation.kind !== 'linear' || channelAxisOf(p) !== n.op.axis) continue;
    const { scale, shift } = batchNormAffine(n.op);
    const cOut = scale.length;
    // The kernel's output channel (conv: out; depthwise: in * mult; dense: out) varies fastest.
    if (pop.kernel.data.length % cOut !== 0) continue;
    const kernel = new Float32Array(pop.kernel.data.length);
    for (let i = 0; i < kernel.length; i++) kernel[i] = pop.kernel.data[i]! * scale[i % cOut]!;
    const bias = new Float32Array(cOut);
    for (let c = 0; c < cOut; c++) bias[c] = (pop.bias?.data[c] ?? 0) * scale[c]! + shift[c]!;
    const op = { ...pop, kernel: { shape: pop.kernel.shape, data: kernel }, bias: { shape: [cOut], data: bias } } as Op;
    folded.set(n.name, { ...p, name: n.name, className: `${p.className}+${n.className}`, op, outputShape: n.outputShape, params: p.params + n.params });
    dropped.add(p.name);
  }
  return nodes.filter((n) => !dropped.has(n.name)).map((n) => folded.get(n.name) ?? n);
}

interface ForwardOptions {
  /** Nodes whose values must exist (outputs, gradient targets and score). */
  readonly targets: readonly string[];
  /** Nodes that must keep their own value (never folded away). */
  readonly keep: ReadonlySet<string>;
}

/** Emits the forward computation of every node the targets need. */
export function buildForward(graph: Graph, options: ForwardOptions): Forward {
  const names = new Set(graph.nodes.map((n) => n.name));
  for (const t of options.targets) {
    if (!names.has(t)) {
      throw new ArgumentError('BAD_ARGUMENT', `No layer named '${t}' in this model.`, {
        hint: `Layer names: ${[...names].slice(0, 20).join(', ')}${names.size > 20 ? ', ...' : ''}.`,
      });
    }
  }
  const keep = new Set([...options.keep, ...options.targets, ...graph.inputs]);
  const rewritten: Graph = { ...graph, nodes: foldBatchNorms(graph.nodes, keep) };
  const order = ancestors(rewritten, options.targets);
  const fwd: Forward = {
    b: new OnnxBuilder(names),
    graph,
    order,
    nodes: new Map(order.map((n) => [n.name, n])),
    values: new Map(),
    pre: new Map(),
    convWeights: new Map(),
    denseWeights: new Map(),
  };
  for (const n of order) emitNode(fwd, n);
  return fwd;
}

function inputValue(fwd: Forward, node: Node, i = 0): Value {
  const v = fwd.values.get(node.inputs[i]!);
  if (v === undefined) throw new RangeError(`onnx export: input '${node.inputs[i]}' of '${node.name}' was not emitted`);
  return v;
}

function inputShape(fwd: Forward, node: Node, i = 0): Shape {
  return fwd.nodes.get(node.inputs[i]!)!.outputShape;
}

/** Emits a node with a fused activation: records the pre-activation value when it matters. */
function finishActivated(fwd: Forward, node: Node, z: string, form: Form, act: Activation): void {
  const rank = node.outputShape.length;
  const y = emitActivation(fwd.b, z, act, (a) => axisIn(form, rank, a));
  if (act.kind !== 'linear') fwd.pre.set(node.name, new Value(rank, form, z));
  fwd.values.set(node.name, new Value(rank, form, y));
}

function emitNode(fwd: Forward, node: Node): void {
  const { b } = fwd;
  const op = node.op;
  const rank = node.outputShape.length;
  const set = (form: Form, name: string): void => void fwd.values.set(node.name, new Value(rank, form, name));
  switch (op.type) {
    case 'input':
      set('k', node.name);
      return;
    case 'conv':
    case 'depthwiseConv': {
      if (op.padding === 'causal' && op.rank !== 1) unsupported(node, "'causal' padding on a 2-D convolution");
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      const inShape = inputShape(fwd, node);
      const r = op.rank;
      const cin = channelsOf(node, inShape, op.dataFormat, r);
      let dims: number[];
      let data: Float32Array;
      let group: number;
      if (op.type === 'conv') {
        // (k..., in/g, out) -> (out, in/g, k...)
        const t = transposeArray(op.kernel.data, op.kernel.shape, [r + 1, r, ...Array.from({ length: r }, (_, i) => i)]);
        dims = t.shape;
        data = t.data;
        group = op.groups;
      } else {
        // (k..., in, mult) -> (in, mult, k...) -> (in * mult, 1, k...)
        const t = transposeArray(op.kernel.data, op.kernel.shape, [r, r + 1, ...Array.from({ length: r }, (_, i) => i)]);
        dims = [t.shape[0]! * t.shape[1]!, 1, ...t.shape.slice(2)];
        data = t.data;
        group = cin;
      }
      if (dims[1]! * group !== cin) unsupported(node, `kernel ${formatShape(op.kernel.shape)} does not fit ${cin} input channels`);
      const w = b.f32(`${node.name}/kernel`, dims, data);
      const inputs = [x, w];
      if (op.bias !== null) inputs.push(b.f32(`${node.name}/bias`, [op.bias.data.length], op.bias.data));
      const pads = computePads(op.padding, spatialSizes(inShape, op.dataFormat, r), op.kernelSize, op.strides, op.dilation);
      const z = b.op('Conv', inputs, {
        kernel_shape: ints(op.kernelSize),
        strides: ints(op.strides),
        dilations: ints(op.dilation),
        group: int(group),
        ...(pads === null ? { auto_pad: str('SAME_UPPER') } : { pads: ints(pads) }),
      });
      fwd.convWeights.set(node.name, { name: w, dims, data, group, pads });
      finishActivated(fwd, node, z, form, op.activation);
      return;
    }
    case 'dense': {
      const xv = inputValue(fwd, node);
      const x = xv.get(b, 'k');
      const w = b.f32(`${node.name}/kernel`, op.kernel.shape, op.kernel.data);
      fwd.denseWeights.set(node.name, w);
      let z: string;
      if (rank === 2) {
        const inputs = [x, w];
        if (op.bias !== null) inputs.push(b.f32(`${node.name}/bias`, [op.bias.data.length], op.bias.data));
        z = b.op('Gemm', inputs);
      } else {
        z = b.op('MatMul', [x, w]);
        if (op.bias !== null) z = b.op('Add', [z, b.f32(`${node.name}/bias`, [op.bias.data.length], op.bias.data)]);
      }
      finishActivated(fwd, node, z, 'k', op.activation);
      return;
    }
    case 'batchNorm': {
      const xv = inputValue(fwd, node);
      const form = xv.natural;
      const { scale, shift } = batchNormAffine(op);
      const dims = perChannelDims(form, rank, op.axis, scale.length);
      const x = xv.get(b, form);
      const y = b.op('Add', [
        b.op('Mul', [x, b.f32(`${node.name}/scale`, dims, Float32Array.from(scale))]),
        b.f32(`${node.name}/shift`, dims, Float32Array.from(shift)),
      ]);
      set(form, y);
      return;
    }
    case 'activation': {
      const xv = inputValue(fwd, node);
      const form = xv.natural;
      const y = emitActivation(b, xv.get(b, form), op.activation, (a) => axisIn(form, rank, a));
      if (op.activation.kind === 'linear') fwd.values.set(node.name, xv);
      else set(form, y);
      return;
    }
    case 'pool': {
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      const pads = computePads(op.padding, spatialSizes(inputShape(fwd, node), op.dataFormat, op.rank), op.poolSize, op.strides, op.poolSize.map(() => 1));
      const attrs = {
        kernel_shape: ints(op.poolSize),
        strides: ints(op.strides),
        ...(pads === null ? { auto_pad: str('SAME_UPPER') } : { pads: ints(pads) }),
      };
      set(form, op.mode === 'max' ? b.op('MaxPool', [x], attrs) : b.op('AveragePool', [x], { ...attrs, count_include_pad: int(0) }));
      return;
    }
    case 'globalPool': {
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      const pooled = b.op(op.mode === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [x]);
      set(form, op.keepDims ? pooled : b.op('Flatten', [pooled], { axis: int(1) }));
      return;
    }
    case 'flatten': {
      const xv = inputValue(fwd, node);
      const inRank = inputShape(fwd, node).length;
      let x = xv.get(b, 'k');
      if (op.dataFormat === 'channels_first' && inRank >= 3) {
        // Keras moves the channel axis last first: (N, C, ...) -> (N, ..., C).
        x = b.op('Transpose', [x], { perm: ints([0, ...Array.from({ length: inRank - 2 }, (_, i) => i + 2), 1]) });
      }
      set('k', inRank === 2 ? x : b.op('Flatten', [x], { axis: int(1) }));
      return;
    }
    case 'reshape':
      set('k', b.op('Reshape', [inputValue(fwd, node).get(b, 'k'), b.i64([0, ...op.targetShape])]));
      return;
    case 'permute':
      set('k', b.op('Transpose', [inputValue(fwd, node).get(b, 'k')], { perm: ints([0, ...op.dims]) }));
      return;
    case 'identity':
      fwd.values.set(node.name, inputValue(fwd, node));
      return;
    case 'zeroPad': {
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      const zeros = [0, 0];
      const pads = [...zeros, ...op.padding.map((p) => p[0]), ...zeros, ...op.padding.map((p) => p[1])];
      set(form, b.op('Pad', [x, b.i64(pads), b.scalar(0)], { mode: str('constant') }));
      return;
    }
    case 'crop': {
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      set(form, emitSlice(b, x, op.cropping, 2));
      return;
    }
    case 'upsample': {
      const form = spatialForm(op.dataFormat);
      const x = inputValue(fwd, node).get(b, form);
      const scales = b.f32(`${node.name}/scales`, [2 + op.rank], Float32Array.from([1, 1, ...op.size]));
      const attrs: Record<string, Attr> =
        op.interpolation === 'nearest'
          ? { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') }
          : { mode: str('linear'), coordinate_transformation_mode: str('half_pixel') };
      set(form, b.op('Resize', [x, '', scales], attrs));
      return;
    }
    case 'concat': {
      const vs = node.inputs.map((_, i) => inputValue(fwd, node, i));
      const sameRank = node.inputs.every((_, i) => inputShape(fwd, node, i).length === rank);
      if (!sameRank) unsupported(node, 'concatenation of tensors of different ranks');
      const form = commonForm(vs);
      set(form, b.op('Concat', vs.map((v) => v.get(b, form)), { axis: int(axisIn(form, rank, op.axis)) }));
      return;
    }
    case 'merge': {
      const vs = node.inputs.map((_, i) => inputValue(fwd, node, i));
      const ranks = node.inputs.map((_, i) => inputShape(fwd, node, i).length);
      let xs: string[];
      let form: Form;
      if (ranks.every((r) => r === rank)) {
        form = commonForm(vs);
        xs = vs.map((v) => v.get(b, form));
      } else {
        // Keras' _Merge expands lower-rank inputs at axis 1 before broadcasting.
        form = 'k';
        xs = vs.map((v, i) => (ranks[i] === rank ? v.get(b, 'k') : b.op('Unsqueeze', [v.get(b, 'k'), b.i64(Array.from({ length: rank - ranks[i]! }, (_, j) => j + 1))])));
      }
      if (xs.length === 1) {
        fwd.values.set(node.name, vs[0]!);
        return;
      }
      let y: string;
      switch (op.mode) {
        case 'add':
          y = b.op('Sum', xs);
          break;
        case 'subtract':
          if (xs.length !== 2) unsupported(node, `Subtract takes 2 inputs, got ${xs.length}`);
          y = b.op('Sub', xs);
          break;
        case 'multiply':
          y = xs.slice(1).reduce((acc, x) => b.op('Mul', [acc, x]), xs[0]!);
          break;
        case 'average':
          y = b.op('Mean', xs);
          break;
        case 'maximum':
          y = b.op('Max', xs);
          break;
        case 'minimum':
          y = b.op('Min', xs);
          break;
      }
      set(form, y);
      return;
    }
    case 'rescale': {
      const xv = inputValue(fwd, node);
      const form = xv.natural;
      let y = xv.get(b, form);
      if (op.scale !== 1) y = b.op('Mul', [y, b.scalar(op.scale)]);
      if (op.offset !== 0) y = b.op('Add', [y, b.scalar(op.offset)]);
      if (op.scale === 1 && op.offset === 0) fwd.values.set(node.name, xv);
      else set(form, y);
      return;
    }
  }
}

/** Shape of a per-channel constant broadcasting along Keras axis `axis` of a tensor in `form`. */
export function perChannelDims(form: Form, rank: number, axis: number, channels: number): number[] {
  const p = axisIn(form, rank, axis);
  return [channels, ...new Array<number>(rank - 1 - p).fill(1)];
}

/** Slices [before, after] cells off each spatial axis (axes from `firstAxis`). */
export function emitSlice(b: OnnxBuilder, x: string, cut: readonly (readonly [number, number])[], firstAxis: number): string {
  const starts = cut.map((c) => c[0]);
  const ends = cut.map((c) => (c[1] > 0 ? -c[1] : INT64_MAX));
  const axes = cut.map((_, i) => firstAxis + i);
  return b.op('Slice', [x, b.i64(starts), b.i64(ends), b.i64(axes)]);
}

/** Names a value as graph output `outName`: renames the value when possible, else adds an Identity. */
export function bindOutput(b: OnnxBuilder, valueName: string, outName: string, bound: Set<string>): void {
  const value = b.resolve(valueName);
  if (value === outName) {
    bound.add(value);
    return;
  }
  if (!bound.has(value) && b.isNodeOutput(value)) {
    b.rename(value, outName);
    bound.add(outName);
    return;
  }
  b.nodes.push({ opType: 'Identity', inputs: [value], outputs: [outName] });
  bound.add(outName);
}

/** Graph input declarations for the model's inputs. */
export function graphInputs(graph: Graph, batch: number | 'dynamic'): ValueInfoProto[] {
  return graph.inputs.map((name) => {
    const node = graph.nodes.find((n) => n.name === name)!;
    const shape = node.outputShape.map((d, i) => (i === 0 ? (batch === 'dynamic' ? 'N' : batch) : d === null ? `${name}_d${i}` : d));
    return { name, elemType: DataType.FLOAT, shape };
  });
}

/** Encodes a graph as a convscope ONNX model (IR version, opset and producer). */
export function encodeGraph(graph: GraphProto): Uint8Array {
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImports: [{ domain: '', version: OPSET }],
    producerName: 'convscope',
    producerVersion: VERSION,
    graph,
  });
}

/** Encodes a builder's nodes as a model: the graph's inputs (plus `extraInputs`), `outputs` by name. */
export function encodeBuilder(
  b: OnnxBuilder,
  graph: Graph,
  options: { outputs: readonly string[]; batch: number | 'dynamic'; extraInputs?: readonly ValueInfoProto[]; name: string },
): Uint8Array {
  return encodeGraph({
    name: options.name,
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [...graphInputs(graph, options.batch), ...(options.extraInputs ?? [])],
    outputs: options.outputs.map((name) => ({ name, elemType: DataType.FLOAT })),
  });
}

/**
 * Translates a graph into an ONNX model (opset 17):
 *   1. fold each BatchNorm into the conv/dense before it where that value is not requested;
 *   2. emit every needed node; channels_last spatial chains run channels-first inside and are
 *      transposed back only where a Keras-layout value is needed;
 *   3. name each requested node's value (Keras layout) as a graph output of the same name.
 * Inputs are named like the graph's input nodes. Unsupported layers throw UnsupportedError.
 */
export function graphToOnnx(graph: Graph, options: OnnxExportOptions = {}): Uint8Array {
  const { outputs = graph.outputs, batch = 'dynamic' } = options;
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1)) {
    throw new ArgumentError('BAD_ARGUMENT', `ONNX export: batch must be a positive integer or 'dynamic', got ${String(batch)}.`);
  }
  if (outputs.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'ONNX export: no outputs requested.');
  const unique = [...new Set(outputs)];
  const fwd = buildForward(graph, { targets: unique, keep: new Set(unique) });
  const bound = new Set<string>(graph.inputs);
  for (const name of unique) bindOutput(fwd.b, fwd.values.get(name)!.get(fwd.b, 'k'), name, bound);
  return encodeBuilder(fwd.b, graph, { outputs: unique, batch, name: 'convscope' });
}

/** Number of elements per sample of a node's output (throws when a size is unknown). */
export function perSampleSize(node: Node): number {
  const dims = node.outputShape.slice(1);
  if (dims.some((d) => d === null)) unsupported(node, `output shape ${formatShape(node.outputShape)} has unknown sizes`, 'METHOD_UNSUPPORTED');
  return sizeOf(dims as number[]);
}
