// Ready-made graphs with seeded random weights, for benchmarks and tests that need a realistic
// model without a Keras file. Plain data, no engine.

import { ArgumentError } from '../errors.js';
import { createRng, type Rng } from '../random.js';
import { tensor } from '../tensor.js';
import type { Activation, Graph, Node, Op, Shape } from './ir.js';

/** Options of baseCnnGraph. */
export interface BaseCnnOptions {
  /** Input (rows, cols, channels), channels_last. Default [128, 128, 1]. */
  readonly inputShape?: readonly [number, number, number];
  /** Seed of the weights (createRng). Default 0. */
  readonly seed?: number;
}

const RELU: Activation = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 };

function uniform(rng: Rng, n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng.next();
  return out;
}

/**
 * The CNN of BaSe (a genotype-matrix classifier; ~112 MFLOP per 128x128 image):
 *
 *     input (rows, cols, ch)
 *     -> [Conv2D 32 3x3 'same' -> BatchNormalization -> ReLU -> MaxPooling2D 2] x 2 -> Dropout
 *     -> Conv2D 32 3x3 'same' -> BatchNormalization -> ReLU -> Dropout
 *     -> Flatten -> Dense 128 ReLU -> Dense 1 sigmoid
 *
 * as a channels_last Graph with Keras-style layer names (conv2d, conv2d_1, ...). Weights are
 * drawn from createRng(seed): kernels He-uniform, U(-sqrt(6 / fan_in), +sqrt(6 / fan_in));
 * biases U(-0.05, 0.05); BatchNorm gamma U(0.8, 1.2), beta and moving mean U(-0.1, 0.1),
 * moving variance U(0.5, 1.5), epsilon 1e-3. Nonzero biases and BatchNorm statistics exercise
 * every term of the arithmetic (Keras initialises them to 0 and 1).
 */
export function baseCnnGraph(options: BaseCnnOptions = {}): Graph {
  const { inputShape = [128, 128, 1], seed = 0 } = options;
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1) || inputShape[0] < 4 || inputShape[1] < 4) {
    throw new ArgumentError('BAD_ARGUMENT', `baseCnnGraph: inputShape must be [rows >= 4, cols >= 4, channels >= 1] integers, got [${inputShape.join(', ')}].`);
  }
  const rng = createRng(seed);
  const nodes: Node[] = [];
  let shape: Shape = [null, ...inputShape];
  let last = 'input_1';
  const counts = new Map<string, number>();
  const add = (base: string, className: string, op: Op, outputShape: Shape, params: number): void => {
    const k = counts.get(base) ?? 0;
    counts.set(base, k + 1);
    const name = k === 0 ? base : `${base}_${k}`;
    nodes.push({ name, className, op, inputs: [last], outputShape, params });
    last = name;
    shape = outputShape;
  };
  nodes.push({ name: last, className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: shape, params: 0 });

  const convBlock = (pool: boolean, dropout: boolean): void => {
    const [, h, w, cin] = shape as [null, number, number, number];
    const fanIn = 9 * cin;
    const lim = Math.sqrt(6 / fanIn);
    add('conv2d', 'Conv2D', {
      type: 'conv', rank: 2, filters: 32, kernelSize: [3, 3], strides: [1, 1], dilation: [1, 1], padding: 'same',
      dataFormat: 'channels_last', groups: 1, kernel: tensor([3, 3, cin, 32], uniform(rng, fanIn * 32, -lim, lim)),
      bias: tensor([32], uniform(rng, 32, -0.05, 0.05)), activation: { kind: 'linear' },
    }, [null, h, w, 32], fanIn * 32 + 32);
    add('batch_normalization', 'BatchNormalization', {
      type: 'batchNorm', axis: 3, epsilon: 1e-3,
      gamma: tensor([32], uniform(rng, 32, 0.8, 1.2)), beta: tensor([32], uniform(rng, 32, -0.1, 0.1)),
      mean: tensor([32], uniform(rng, 32, -0.1, 0.1)), variance: tensor([32], uniform(rng, 32, 0.5, 1.5)),
    }, shape, 4 * 32);
    add('activation', 'Activation', { type: 'activation', activation: RELU }, shape, 0);
    if (pool) {
      add('max_pooling2d', 'MaxPooling2D', {
        type: 'pool', mode: 'max', rank: 2, poolSize: [2, 2], strides: [2, 2], padding: 'valid', dataFormat: 'channels_last',
      }, [null, Math.floor(h / 2), Math.floor(w / 2), 32], 0);
    }
    if (dropout) add('dropout', 'Dropout', { type: 'identity' }, shape, 0);
  };
  convBlock(true, false);
  convBlock(true, true);
  convBlock(false, true);

  const flat = (shape as number[]).slice(1).reduce((a, b) => a * b, 1);
  add('flatten', 'Flatten', { type: 'flatten', dataFormat: 'channels_last' }, [null, flat], 0);
  const dense = (units: number, activation: Activation): void => {
    const fanIn = (shape as number[])[1]!;
    const lim = Math.sqrt(6 / fanIn);
    add('dense', 'Dense', {
      type: 'dense', units, kernel: tensor([fanIn, units], uniform(rng, fanIn * units, -lim, lim)),
      bias: tensor([units], uniform(rng, units, -0.05, 0.05)), activation,
    }, [null, units], fanIn * units + units);
  };
  dense(128, RELU);
  dense(1, { kind: 'sigmoid' });
  return { nodes, inputs: ['input_1'], outputs: [last] };
}
