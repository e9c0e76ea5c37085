import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadFilters } from './activations.js';
import { GraphBuilder, RELU, modelOf, randomInput } from '../../test/method-models.js';
import { tensor } from '../tensor.js';

test('dead filters: counted once per non-linear layer, not again after pooling or dropout', async () => {
  // Conv 1x1 with 3 filters: weights +1, -1 (dead after ReLU for inputs >= 0), +2.
  const b = new GraphBuilder([4, 4, 1]);
  b.conv('conv', tensor([1, 1, 1, 3], Float32Array.from([1, -1, 2])));
  b.activation('relu', RELU);
  b.add('pool', 'MaxPooling2D', { type: 'pool', mode: 'max', rank: 2, poolSize: [2, 2], strides: [2, 2], padding: 'valid', dataFormat: 'channels_last' }, [null, 2, 2, 3]);
  b.add('dropout', 'Dropout', { type: 'identity' }, [null, 2, 2, 3]);
  const model = await modelOf(b.flatten().graph());
  const r = await deadFilters(model, randomInput([4, 4, 1], 1, 10), { nSamples: 5, seed: 2 });
  assert.deepEqual(r.layers.map((l) => [l.layer, l.dead]), [['relu', [1]]]);
  assert.deepEqual([r.totalDead, r.totalChannels, r.nSamples], [1, 3, 5]);
  const again = await deadFilters(model, randomInput([4, 4, 1], 1, 10), { nSamples: 5, seed: 2 });
  assert.deepEqual(again.indices, r.indices, 'seeded sample');
  await assert.rejects(deadFilters(model, randomInput([4, 4, 1], 1, 10), { nSamples: 0 }), /nSamples must be a positive integer/);
});
