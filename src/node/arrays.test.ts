import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonFiniteSamples } from './arrays.js';

test('nonFiniteSamples names the samples holding NaN or infinities, up to the limit', () => {
  const data = new Float32Array(6 * 4).fill(0.5);
  assert.deepEqual(nonFiniteSamples({ shape: [6, 4], data }), []);
  data[5] = NaN; // sample 1
  data[12] = Infinity; // sample 3
  data[23] = -Infinity; // sample 5
  assert.deepEqual(nonFiniteSamples({ shape: [6, 4], data }), [1, 3, 5]);
  assert.deepEqual(nonFiniteSamples({ shape: [6, 4], data }, 2), [1, 3]);
  assert.deepEqual(nonFiniteSamples({ shape: [0, 4], data: new Float32Array(0) }), []);
  // Large finite values stay finite when multiplied by zero.
  assert.deepEqual(nonFiniteSamples({ shape: [1, 2], data: Float32Array.from([3.4e38, -3.4e38]) }), []);
});
