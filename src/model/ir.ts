// The intermediate model every format is translated into: a topologically sorted graph of
// single-output nodes with canonical weights. Engines (engine/ref, engine/onnx) run it; the
// Keras dialects never leak past model/translate.ts.
//
// Conventions (the "canonical layout"), fixed here so that every engine agrees:
// - Tensors are row-major. A node's output is laid out exactly as Keras stores it: a
//   channels_first layer produces (N, C, H, W), a channels_last one (N, H, W, C).
// - Convolution kernels are (k_1, ..., k_r, in/groups, out) for a rank-r convolution (Keras'
//   TensorFlow layout), already transposed from Keras 1 'th' storage and already flipped for
//   Theano-trained models. The operation is cross-correlation.
// - Dense kernels are (in, out). Depthwise kernels are (k_1, ..., k_r, in, multiplier).
// - Axis numbers include the batch axis (axis 0 = batch) and are non-negative.

import type { Tensor } from '../tensor.js';

/** Keras shape: null marks the batch axis or an unknown size. */
export type Shape = readonly (number | null)[];

export type DataFormat = 'channels_last' | 'channels_first';

/** Element-wise activation functions, with their parameters. */
export type Activation =
  | { kind: 'linear' }
  | { kind: 'relu'; maxValue: number | null; negativeSlope: number; threshold: number }
  | { kind: 'sigmoid' }
  | { kind: 'hard_sigmoid'; slope: number; offset: number } // clip(slope * x + offset, 0, 1)
  | { kind: 'tanh' }
  | { kind: 'softmax'; axis: number } // axis includes batch; -1 resolved to last
  | { kind: 'elu'; alpha: number }
  | { kind: 'selu' }
  | { kind: 'softplus' }
  | { kind: 'softsign' }
  | { kind: 'swish' } // x * sigmoid(x), Keras 'swish' / 'silu'
  | { kind: 'gelu'; approximate: boolean }
  | { kind: 'exponential' }
  | { kind: 'thresholded_relu'; theta: number };

export type Padding = 'valid' | 'same' | 'causal';

/** What a node computes. Every op has exactly one output tensor. */
export type Op =
  | { type: 'input' }
  | {
      type: 'conv';
      rank: 1 | 2;
      filters: number;
      kernelSize: number[];
      strides: number[];
      dilation: number[];
      padding: Padding;
      dataFormat: DataFormat;
      groups: number;
      kernel: Tensor;
      bias: Tensor | null;
      activation: Activation;
    }
  | {
      type: 'depthwiseConv';
      rank: 1 | 2;
      kernelSize: number[];
      strides: number[];
      dilation: number[];
      padding: Padding;
      dataFormat: DataFormat;
      depthMultiplier: number;
      kernel: Tensor;
      bias: Tensor | null;
      activation: Activation;
    }
  | { type: 'dense'; units: number; kernel: Tensor; bias: Tensor | null; activation: Activation }
  | {
      type: 'batchNorm';
      axis: number;
      epsilon: number;
      gamma: Tensor | null;
      beta: Tensor | null;
      mean: Tensor;
      variance: Tensor;
    }
  | { type: 'activation'; activation: Activation }
  | {
      type: 'pool';
      mode: 'max' | 'avg';
      rank: 1 | 2;
      poolSize: number[];
      strides: number[];
      padding: 'valid' | 'same';
      dataFormat: DataFormat;
    }
  | { type: 'globalPool'; mode: 'max' | 'avg'; rank: 1 | 2; dataFormat: DataFormat; keepDims: boolean }
  /** Flatten; a channels_first Flatten first moves the channel axis last (as Keras does). */
  | { type: 'flatten'; dataFormat: DataFormat }
  /** Reshape of the tensor as stored; targetShape excludes batch and has no -1 left. */
  | { type: 'reshape'; targetShape: number[] }
  /** Permute the non-batch axes; dims are 1-based like Keras. */
  | { type: 'permute'; dims: number[] }
  /** Inference-time identity: Dropout, SpatialDropout, GaussianNoise, ActivityRegularization... */
  | { type: 'identity' }
  /** Zero padding of spatial axes: [before, after] per spatial axis. */
  | { type: 'zeroPad'; rank: 1 | 2; padding: [number, number][]; dataFormat: DataFormat }
  /** Cropping of spatial axes: [before, after] per spatial axis. */
  | { type: 'crop'; rank: 1 | 2; cropping: [number, number][]; dataFormat: DataFormat }
  | { type: 'upsample'; rank: 1 | 2; size: number[]; dataFormat: DataFormat; interpolation: 'nearest' | 'bilinear' }
  | { type: 'concat'; axis: number }
  | { type: 'merge'; mode: 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum' }
  /** y = x * scale + offset (Keras Rescaling). */
  | { type: 'rescale'; scale: number; offset: number };

/** One node of the graph: one Keras layer (or one piece of a flattened nested model). */
export interface Node {
  /** Unique name: the Keras layer name (nested models: `outer/inner`). */
  readonly name: string;
  /** Keras class name as written in the config, e.g. `Conv2D`, `Convolution2D`. */
  readonly className: string;
  readonly op: Op;
  /** Names of the nodes whose outputs feed this one, in order. */
  readonly inputs: readonly string[];
  /** Output shape including the batch axis (null). */
  readonly outputShape: Shape;
  /** Number of stored weight values (trainable or not), as Keras counts them. */
  readonly params: number;
}

/** A whole model: nodes in topological order. */
export interface Graph {
  readonly nodes: readonly Node[];
  /** Names of the input nodes, in the model's input order. */
  readonly inputs: readonly string[];
  /** Names of the nodes whose outputs are the model's outputs, in order. */
  readonly outputs: readonly string[];
}

/** Finds a node by name or throws a RangeError (internal use; callers validate names first). */
export function nodeByName(graph: Graph, name: string): Node {
  const n = graph.nodes.find((node) => node.name === name);
  if (n === undefined) throw new RangeError(`no node named '${name}'`);
  return n;
}

/** Nodes needed to compute `targets` (in topological order). */
export function ancestors(graph: Graph, targets: readonly string[]): Node[] {
  const need = new Set(targets);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (need.has(n.name)) for (const p of n.inputs) need.add(p);
  }
  return graph.nodes.filter((n) => need.has(n.name));
}
