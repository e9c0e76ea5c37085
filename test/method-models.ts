// Small hand-built graphs (model/ir.ts) wrapped as Models on the reference engine, for method
// tests whose answer is known by construction: chosen kernels, cropped inputs, linear heads.

import type { Activation, Graph, Node, Op, Shape } from '../src/model/ir.js';
import { Model } from '../src/model/model.js';
import { referenceEngineFactory } from '../src/model/open.js';
import { createRng } from '../src/random.js';
import { sizeOf, tensor, type Tensor } from '../src/tensor.js';
import type { KerasArtifacts } from '../src/io/keras/artifacts.js';

export const RELU: Activation = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 };
export const LINEAR: Activation = { kind: 'linear' };
export const SOFTMAX: Activation = { kind: 'softmax', axis: 1 };

/** Builds a sequential channels_last graph layer by layer. */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  private last: string;
  private shape: Shape;
  constructor(inputShape: readonly number[], name = 'input_1') {
    this.shape = [null, ...inputShape];
    this.last = name;
    this.nodes.push({ name, className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: this.shape, params: 0 });
  }

  get outputShape(): Shape {
    return this.shape;
  }

  add(name: string, className: string, op: Op, outputShape: Shape, params = 0): this {
    this.nodes.push({ name, className, op, inputs: [this.last], outputShape, params });
    this.last = name;
    this.shape = outputShape;
    return this;
  }

  /** Conv2D 'valid', stride 1, with the given kernel (kh, kw, cin, cout) and optional bias. */
  conv(name: string, kernel: Tensor, activation: Activation = LINEAR, bias: Float32Array | null = null): this {
    const [kh, kw, , cout] = kernel.shape as [number, number, number, number];
    const [, h, w] = this.shape as [null, number, number, number];
    const op: Op = {
      type: 'conv', rank: 2, filters: cout, kernelSize: [kh, kw], strides: [1, 1], dilation: [1, 1], padding: 'valid',
      dataFormat: 'channels_last', groups: 1, kernel, bias: bias === null ? null : tensor([cout], bias), activation,
    };
    return this.add(name, 'Conv2D', op, [null, h - kh + 1, w - kw + 1, cout], sizeOf(kernel.shape) + (bias?.length ?? 0));
  }

  activation(name: string, activation: Activation, className = 'Activation'): this {
    return this.add(name, className, { type: 'activation', activation }, this.shape);
  }

  flatten(name = 'flatten'): this {
    const n = (this.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return this.add(name, 'Flatten', { type: 'flatten', dataFormat: 'channels_last' }, [null, n]);
  }

  dense(name: string, kernel: Tensor, activation: Activation = LINEAR, bias: Float32Array | null = null): this {
    const units = kernel.shape[1]!;
    return this.add(name, 'Dense', { type: 'dense', units, kernel, bias: bias === null ? null : tensor([units], bias), activation }, [null, units], sizeOf(kernel.shape));
  }

  graph(): Graph {
    return { nodes: [...this.nodes], inputs: [this.nodes[0]!.name], outputs: [this.last] };
  }
}

/** Uniform random values in [lo, hi) from a seed. */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

/** A random tensor of the given shape. */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return tensor(shape, randomValues(sizeOf(shape), seed, lo, hi));
}

const ARTIFACTS: KerasArtifacts = {
  format: 'keras2-h5',
  kerasVersion: '2.3.1',
  backend: 'tensorflow',
  modelConfig: { class_name: 'Sequential', config: {} },
  weights: new Map(),
  fileName: 'synthetic.h5',
};

/** A Model over `graph` on the reference engine (pure TypeScript: always available). */
export async function modelOf(graph: Graph): Promise<Model> {
  return new Model(ARTIFACTS, graph, await referenceEngineFactory(graph), referenceEngineFactory);
}

/**
 * A small random CNN: input (h, w, c) -> Conv 3x3 (filters, activation) -> Conv 3x3 (filters,
 * activation) -> Flatten -> Dense(classes, head). Seeded weights.
 */
export function smallCnn(options: { input: [number, number, number]; classes: number; seed: number; filters?: number; activation?: Activation; head?: Activation }): Graph {
  const { input, classes, seed, filters = 4, activation = RELU, head = SOFTMAX } = options;
  const b = new GraphBuilder(input);
  b.conv('conv2d_1', randomTensor([3, 3, input[2], filters], seed, -0.5, 0.5), activation, randomValues(filters, seed + 1, -0.1, 0.1));
  b.conv('conv2d_2', randomTensor([3, 3, filters, filters], seed + 2, -0.5, 0.5), activation, randomValues(filters, seed + 3, -0.1, 0.1));
  b.flatten();
  const d = (b.outputShape[1] as number);
  b.dense('dense_1', randomTensor([d, classes], seed + 4, -0.3, 0.3), head, randomValues(classes, seed + 5, -0.1, 0.1));
  return b.graph();
}

/** One input (1, ...shape) of random values in [0, 1). */
export function randomInput(shape: readonly number[], seed: number, n = 1): Tensor {
  return randomTensor([n, ...shape], seed, 0, 1);
}
