import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputDataFormat, inputImage, inputLayout, toInputPlanes } from './inputs.js';
import { GraphBuilder, modelOf } from '../../test/method-models.js';
import { tensor } from '../tensor.js';
import type { Graph } from '../model/ir.js';

/** Input (2, 3, 4) -> Dropout -> Rescaling -> Conv2D 1x1 in `format`. */
function graphWith(format: 'channels_first' | 'channels_last'): Graph {
  const b = new GraphBuilder([2, 3, 4]);
  b.add('dropout', 'Dropout', { type: 'identity' }, b.outputShape);
  b.add('rescaling', 'Rescaling', { type: 'rescale', scale: 2, offset: 0 }, b.outputShape);
  const cin = format === 'channels_first' ? 2 : 4;
  b.add('conv', 'Conv2D', {
    type: 'conv', rank: 2, filters: 1, kernelSize: [1, 1], strides: [1, 1], dilation: [1, 1], padding: 'valid', dataFormat: format,
    groups: 1, kernel: tensor([1, 1, cin, 1], new Float32Array(cin).fill(1)), bias: null, activation: { kind: 'linear' },
  }, format === 'channels_first' ? [null, 1, 3, 4] : [null, 2, 3, 1]);
  return b.graph();
}

test('the input data format is that of the first layer declaring one, past Dropout and Rescaling', () => {
  assert.equal(inputDataFormat(graphWith('channels_first')), 'channels_first');
  assert.equal(inputDataFormat(graphWith('channels_last')), 'channels_last');
  assert.equal(inputDataFormat(new GraphBuilder([4, 4, 1]).flatten().graph()), 'channels_last');
});

test('inputLayout and toInputPlanes agree for both layouts', async () => {
  const first = inputLayout(await modelOf(graphWith('channels_first')));
  assert.deepEqual([first.height, first.width, first.channels], [3, 4, 2]);
  assert.equal(first.offset(1, 2, 1), (1 * 3 + 1) * 4 + 2);
  const last = inputLayout(await modelOf(graphWith('channels_last')));
  assert.deepEqual([last.height, last.width, last.channels], [2, 3, 4]);
  assert.equal(last.offset(1, 2, 3), (1 * 3 + 2) * 4 + 3);
  const sample = Float32Array.from({ length: 24 }, (_, i) => i);
  const planes = toInputPlanes(last, sample);
  assert.equal(planes[3 * 6 + 1 * 3 + 2], sample[last.offset(1, 2, 3)]);
  assert.throws(() => toInputPlanes(last, sample.subarray(1)), /One input has 24 values/);
});

test('inputImage: channel mean, and the [0, 1] range unless the data leave it', async () => {
  const model = await modelOf(graphWith('channels_last'));
  const x = tensor([1, 2, 3, 4], Float32Array.from({ length: 24 }, (_, i) => (i % 4) / 4));
  const img = inputImage(model, x);
  assert.deepEqual([img.min, img.max], [0, 1]);
  assert.ok(img.gray.every((v) => Math.abs(v - 0.375) < 1e-7), 'mean of 0, 0.25, 0.5, 0.75');
  const wide = inputImage(model, tensor([1, 2, 3, 4], Float32Array.from({ length: 24 }, (_, i) => i - 10)));
  assert.deepEqual([wide.min, wide.max], [-10, 13]);
  assert.throws(() => inputImage(model, tensor([2, 2, 3, 4])), /takes one input/);
});
