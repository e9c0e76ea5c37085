// Per-class translation: output shapes, op options and parameter counts, one layer at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateKeras } from './translate.js';
import type { Node, Op } from './ir.js';
import { artifacts, layer, sequential, w } from '../../test/keras-builders.js';
import { ConvscopeError } from '../errors.js';
import type { NamedWeight } from '../io/keras/artifacts.js';

/** Translates InputLayer(shape) -> one layer and returns that layer's node. */
function one(className: string, config: Record<string, unknown>, inputShape: (number | null)[], weights: NamedWeight[] = [], kerasVersion = '2.3.1'): Node {
  const cfg = sequential([layer('InputLayer', { name: 'in', batch_input_shape: inputShape }), layer(className, { name: 'l', ...config })]);
  const g = translateKeras(artifacts(cfg, weights.length > 0 ? { l: weights } : {}, { kerasVersion }));
  return g.nodes.find((n) => n.name === 'l')!;
}

function op<T extends Op['type']>(n: Node, type: T): Extract<Op, { type: T }> {
  assert.equal(n.op.type, type);
  return n.op as Extract<Op, { type: T }>;
}

const code = (c: string) => (e: unknown) => e instanceof ConvscopeError && e.code === c;

test('Conv2D same padding on odd sizes, strides 2: ceil(n / s)', () => {
  const n = one('Conv2D', { filters: 16, kernel_size: [4, 4], strides: [2, 2], padding: 'same', use_bias: false }, [null, 255, 417, 1], [w('k', [4, 4, 1, 16])]);
  assert.deepEqual(n.outputShape, [null, 128, 209, 16]);
  assert.equal(n.params, 256);
  assert.equal(op(n, 'conv').bias, null);
});

test('Conv2D valid with dilation; channels_first input', () => {
  const n = one('Conv2D', { filters: 2, kernel_size: 3, dilation_rate: 2, data_format: 'channels_first' }, [null, 3, 10, 9], [w('k', [3, 3, 3, 2]), w('b', [2])]);
  assert.deepEqual(n.outputShape, [null, 2, 6, 5]);
  const c = op(n, 'conv');
  assert.deepEqual([c.dilation, c.strides, c.dataFormat, c.groups], [[2, 2], [1, 1], 'channels_first', 1]);
  assert.equal(n.params, 56);
});

test('Conv1D causal and channels_first dilated same', () => {
  assert.deepEqual(one('Conv1D', { filters: 4, kernel_size: 3, padding: 'causal', strides: 2 }, [null, 9, 2], [w('k', [3, 2, 4]), w('b', [4])]).outputShape, [null, 5, 4]);
  const n = one('Conv1D', { filters: 4, kernel_size: [3], padding: 'same', dilation_rate: [2], data_format: 'channels_first' }, [null, 3, 16], [w('k', [3, 3, 4]), w('b', [4])]);
  assert.deepEqual(n.outputShape, [null, 4, 16]);
  assert.equal(n.params, 40);
});

test('grouped Conv2D: kernel (k, k, in/groups, out)', () => {
  const n = one('Conv2D', { filters: 4, kernel_size: 1, groups: 2 }, [null, 5, 5, 6], [w('k', [1, 1, 3, 4]), w('b', [4])]);
  assert.equal(op(n, 'conv').groups, 2);
  assert.throws(() => one('Conv2D', { filters: 4, kernel_size: 1, groups: 4 }, [null, 5, 5, 6], [w('k', [1, 1, 1, 4]), w('b', [4])]), code('KERAS_BAD_CONFIG'));
});

test('a kernel larger than the input is KERAS_BAD_CONFIG naming both shapes', () => {
  assert.throws(
    () => one('Conv2D', { filters: 1, kernel_size: 5 }, [null, 3, 3, 1], [w('k', [5, 5, 1, 1]), w('b', [1])]),
    (e: unknown) => code('KERAS_BAD_CONFIG')(e) && /\(None, 3, 3, 1\)/.test((e as Error).message),
  );
});

test('DepthwiseConv2D: kernel (k, k, in, m), bias in*m', () => {
  const n = one('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, padding: 'same' }, [null, 8, 8, 3], [w('dk', [3, 3, 3, 2]), w('b', [6])]);
  assert.deepEqual(n.outputShape, [null, 8, 8, 6]);
  assert.equal(op(n, 'depthwiseConv').depthMultiplier, 2);
  assert.equal(n.params, 60);
});

test('SeparableConv2D: a depthwise helper node then a 1x1 convolution carrying the params', () => {
  const cfg = sequential([
    layer('InputLayer', { name: 'in', batch_input_shape: [null, 9, 9, 3] }),
    layer('SeparableConv2D', { name: 's', filters: 5, kernel_size: 3, strides: 2, activation: 'relu' }),
  ]);
  const g = translateKeras(artifacts(cfg, { s: [w('dk', [3, 3, 3, 1]), w('pk', [1, 1, 3, 5]), w('b', [5])] }));
  const [dw, pw] = [g.nodes[1]!, g.nodes[2]!];
  assert.deepEqual([dw.name, dw.inputs, dw.outputShape, dw.params], ['s/depthwise', ['in'], [null, 4, 4, 3], 0]);
  assert.deepEqual([pw.name, pw.inputs, pw.outputShape, pw.params], ['s', ['s/depthwise'], [null, 4, 4, 5], 27 + 15 + 5]);
  assert.equal(op(pw, 'conv').activation.kind, 'relu');
  assert.deepEqual(op(pw, 'conv').kernelSize, [1, 1]);
});

test('Dense applies to the last axis of a rank-3 input', () => {
  const n = one('Dense', { units: 4, activation: 'softmax' }, [null, 7, 3], [w('k', [3, 4]), w('b', [4])]);
  assert.deepEqual(n.outputShape, [null, 7, 4]);
  assert.deepEqual(op(n, 'dense').activation, { kind: 'softmax', axis: 2 });
});

test('BatchNormalization: axis list, center/scale off skip beta/gamma, epsilon kept', () => {
  const n = one('BatchNormalization', { axis: [3], epsilon: 0.01, center: false, scale: false }, [null, 4, 4, 2], [w('mean', [2]), w('var', [2], 1)]);
  const bn = op(n, 'batchNorm');
  assert.deepEqual([bn.axis, bn.epsilon, bn.gamma, bn.beta, n.params], [3, 0.01, null, null, 4]);
  assert.deepEqual(Array.from(bn.variance.data), [1, 2]);
  const full = op(one('BatchNormalization', { axis: 1 }, [null, 3, 5], [w('g', [3]), w('b', [3]), w('m', [3]), w('v', [3])]), 'batchNorm');
  assert.deepEqual([full.axis, full.epsilon, Array.from(full.beta!.data)], [1, 0.001, [0, 1, 2]]);
});

test('pooling: valid and same, strides default to pool size, average 1-D', () => {
  assert.deepEqual(one('MaxPooling2D', { pool_size: [2, 2], padding: 'valid' }, [null, 11, 11, 4]).outputShape, [null, 5, 5, 4]);
  assert.deepEqual(one('MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }, [null, 11, 10, 4]).outputShape, [null, 6, 5, 4]);
  const p = one('AveragePooling1D', { pool_size: 2, strides: [2], data_format: 'channels_first' }, [null, 4, 9]);
  assert.deepEqual(p.outputShape, [null, 4, 4]);
  assert.deepEqual(op(p, 'pool'), { type: 'pool', mode: 'avg', rank: 1, poolSize: [2], strides: [2], padding: 'valid', dataFormat: 'channels_first' });
});

test('global pooling with and without keepdims', () => {
  assert.deepEqual(one('GlobalAveragePooling2D', {}, [null, 5, 5, 3]).outputShape, [null, 3]);
  assert.deepEqual(one('GlobalMaxPooling2D', { keepdims: true, data_format: 'channels_first' }, [null, 3, 5, 5]).outputShape, [null, 3, 1, 1]);
  assert.deepEqual(one('GlobalMaxPooling1D', {}, [null, 7, 2]).outputShape, [null, 2]);
});

test('Flatten: data_format recorded on the op; Reshape resolves -1; Permute', () => {
  const f = one('Flatten', { data_format: 'channels_first' }, [null, 2, 3, 4]);
  assert.deepEqual([f.outputShape, op(f, 'flatten').dataFormat], [[null, 24], 'channels_first']);
  assert.equal(op(one('Flatten', {}, [null, 2, 3]), 'flatten').dataFormat, 'channels_last');
  const r = one('Reshape', { target_shape: [-1, 4] }, [null, 2, 3, 4]);
  assert.deepEqual([r.outputShape, op(r, 'reshape').targetShape], [[null, 6, 4], [6, 4]]);
  assert.throws(() => one('Reshape', { target_shape: [5] }, [null, 2, 3]), code('KERAS_BAD_CONFIG'));
  assert.deepEqual(one('Permute', { dims: [2, 1] }, [null, 3, 5]).outputShape, [null, 5, 3]);
  assert.throws(() => one('Permute', { dims: [1, 1] }, [null, 3, 5]), code('KERAS_BAD_CONFIG'));
});

test('ZeroPadding, Cropping and UpSampling in 1-D and 2-D', () => {
  const z = one('ZeroPadding2D', { padding: [[1, 2], [0, 3]] }, [null, 4, 4, 1]);
  assert.deepEqual([z.outputShape, op(z, 'zeroPad').padding], [[null, 7, 7, 1], [[1, 2], [0, 3]]]);
  assert.deepEqual(op(one('ZeroPadding2D', { padding: 1 }, [null, 4, 4, 1]), 'zeroPad').padding, [[1, 1], [1, 1]]);
  assert.deepEqual(one('ZeroPadding1D', { padding: [2, 1] }, [null, 4, 3]).outputShape, [null, 7, 3]);
  assert.deepEqual(one('Cropping2D', { cropping: [[1, 1], [2, 0]], data_format: 'channels_first' }, [null, 3, 6, 6]).outputShape, [null, 3, 4, 4]);
  assert.deepEqual(one('Cropping1D', { cropping: 1 }, [null, 6, 2]).outputShape, [null, 4, 2]);
  const u = one('UpSampling2D', { size: [2, 3], interpolation: 'bilinear' }, [null, 2, 2, 1]);
  assert.deepEqual([u.outputShape, op(u, 'upsample').interpolation], [[null, 4, 6, 1], 'bilinear']);
  assert.deepEqual(one('UpSampling1D', { size: 3 }, [null, 2, 5]).outputShape, [null, 6, 5]);
  assert.throws(() => one('UpSampling2D', { interpolation: 'bicubic' }, [null, 2, 2, 1]), code('KERAS_UNSUPPORTED_LAYER'));
});

test('activation layers and their parameters', () => {
  const act = (cls: string, cfg: Record<string, unknown>, v = '2.3.1') => op(one(cls, cfg, [null, 4], [], v), 'activation').activation;
  assert.deepEqual(act('ReLU', { max_value: 6, negative_slope: 0.1, threshold: 0.5 }), { kind: 'relu', maxValue: 6, negativeSlope: 0.1, threshold: 0.5 });
  assert.deepEqual(act('LeakyReLU', { alpha: 0.3 }), { kind: 'relu', maxValue: null, negativeSlope: 0.3, threshold: 0 });
  assert.deepEqual(act('LeakyReLU', { negative_slope: 0.2 }, '3.1.0'), { kind: 'relu', maxValue: null, negativeSlope: 0.2, threshold: 0 });
  assert.deepEqual(act('LeakyReLU', {}), { kind: 'relu', maxValue: null, negativeSlope: 0.3, threshold: 0 });
  assert.deepEqual(act('ELU', { alpha: 0.5 }), { kind: 'elu', alpha: 0.5 });
  assert.deepEqual(act('ThresholdedReLU', { theta: 2 }), { kind: 'thresholded_relu', theta: 2 });
  assert.deepEqual(act('Softmax', { axis: -1 }), { kind: 'softmax', axis: 1 });
  assert.deepEqual(act('Activation', { activation: 'hard_sigmoid' }), { kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 });
  assert.deepEqual(act('Activation', { activation: 'hard_sigmoid' }, '3.0.0'), { kind: 'hard_sigmoid', slope: 1 / 6, offset: 0.5 });
  assert.deepEqual(act('Activation', { activation: { module: 'keras.activations', class_name: 'function', config: 'relu6', registered_name: 'function' } }), {
    kind: 'relu',
    maxValue: 6,
    negativeSlope: 0,
    threshold: 0,
  });
  assert.throws(() => act('Activation', { activation: 'mish' }), (e: unknown) => code('KERAS_UNSUPPORTED_LAYER')(e) && /mish/.test((e as Error).message));
  assert.throws(() => one('PReLU', {}, [null, 4]), (e: unknown) => code('KERAS_UNSUPPORTED_LAYER')(e) && /PReLU/.test((e as Error).message));
});

test('identity layers and Rescaling', () => {
  for (const cls of ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization']) {
    const n = one(cls, { rate: 0.5, stddev: 1 }, [null, 4, 2]);
    assert.deepEqual([n.op.type, n.outputShape], ['identity', [null, 4, 2]], cls);
  }
  assert.deepEqual(one('Rescaling', { scale: 1 / 255, offset: -1 }, [null, 2]).op, { type: 'rescale', scale: 1 / 255, offset: -1 });
  assert.throws(() => one('Rescaling', { scale: [1, 2] }, [null, 2]), code('KERAS_UNSUPPORTED_LAYER'));
});
