import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Parameter } from './network.js';
import { Adam, resolveAdam } from './optimizer.js';

test('Adam follows Keras 2 step by step (bias correction, epsilon outside the sqrt, time decay)', () => {
  const p: Parameter = { layer: 'd', name: 'kernel', shape: [2], data: Float32Array.from([0.5, -1]), l2: 0 };
  const adam = new Adam([p], { learningRate: 0.01, decay: 0.1, epsilon: 1e-7 });
  const grads = [[0.2, -3], [0.1, 1], [-0.4, 0.5]];
  const w = [0.5, -1];
  const m = [0, 0];
  const v = [0, 0];
  grads.forEach((g, step) => {
    adam.step([Float64Array.from(g)]);
    const t = step + 1;
    const lr = 0.01 / (1 + 0.1 * step);
    const lrT = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
    for (let i = 0; i < 2; i++) {
      m[i] = Math.fround(0.9 * m[i]! + 0.1 * g[i]!);
      v[i] = Math.fround(0.999 * v[i]! + 0.001 * g[i]! * g[i]!);
      w[i] = Math.fround(w[i]! - (lrT * m[i]!) / (Math.sqrt(v[i]!) + 1e-7));
    }
    assert.deepEqual(Array.from(p.data), w, `step ${t}`);
  });
  assert.equal(adam.iterations, 3);
  // The first step moves every weight by about lr against its gradient's sign.
  const q: Parameter = { layer: 'd', name: 'kernel', shape: [1], data: Float32Array.from([0]), l2: 0 };
  new Adam([q]).step([Float64Array.from([123])]);
  assert.ok(Math.abs(q.data[0]! + 1e-3) < 1e-9);
});

test('Adam defaults are Keras\' and bad settings are refused', () => {
  assert.deepEqual(resolveAdam(), { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 });
  assert.throws(() => resolveAdam({ learningRate: 0 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => resolveAdam({ beta1: 1 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => resolveAdam({ decay: -1 }), { code: 'BAD_ARGUMENT' });
});
