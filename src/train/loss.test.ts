import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERAS_EPSILON, headLoss, l2Penalty } from './loss.js';
import type { Parameter } from './network.js';

test('binary cross-entropy of a sigmoid unit: Keras values, gradient p - y over N, accuracy at p > 0.5', () => {
  const z = Float64Array.from([0, 2, -1, 30]);
  const r = headLoss({ kind: 'sigmoid', classes: 2 }, { shape: [4, 1], data: z }, [1, 1, 0, 0]);
  const p = (v: number): number => 1 / (1 + Math.exp(-v));
  // Sample 4 has p = 1 - 9e-14, clipped to 1 - 1e-7 as Keras does: -log(1e-7).
  const want = (-Math.log(0.5) - Math.log(p(2)) - Math.log(1 - p(-1)) - Math.log(KERAS_EPSILON)) / 4;
  assert.ok(Math.abs(r.loss - want) < 1e-6, `${r.loss} vs ${want}`);
  assert.ok(Math.abs(r.dLogits[0]! - (0.5 - 1) / 4) < 1e-15);
  assert.ok(Math.abs(r.dLogits[1]! - (p(2) - 1) / 4) < 1e-15);
  assert.ok(Math.abs(r.dLogits[2]! - p(-1) / 4) < 1e-15);
  assert.equal(r.dLogits[3], 0); // clipped: no gradient, as in Keras
  // Right: samples 2 and 3. Wrong: sample 1 (p = 0.5 counts as class 0, as Keras' rounding) and 4.
  assert.equal(r.correct, 2);
});

test('categorical cross-entropy of a softmax: values and gradient (finite differences to 1e-8)', () => {
  const z = Float64Array.from([0.5, -1, 2, 0, 0, 0]);
  const labels = [2, 1];
  const r = headLoss({ kind: 'softmax', classes: 3 }, { shape: [2, 3], data: z }, labels);
  const loss = (zz: Float64Array): number => headLoss({ kind: 'softmax', classes: 3 }, { shape: [2, 3], data: zz }, labels).loss;
  const e = [Math.exp(0.5), Math.exp(-1), Math.exp(2)];
  const want = (-Math.log(e[2]! / (e[0]! + e[1]! + e[2]!)) - Math.log(1 / 3)) / 2;
  assert.ok(Math.abs(r.loss - want) < 1e-12);
  for (let i = 0; i < 6; i++) {
    const a = Float64Array.from(z);
    const b = Float64Array.from(z);
    a[i] = a[i]! + 1e-6;
    b[i] = b[i]! - 1e-6;
    assert.ok(Math.abs((loss(a) - loss(b)) / 2e-6 - r.dLogits[i]!) < 1e-8, `logit ${i}`);
  }
  // Sample 1 (argmax 2 = label) is right; sample 2 is a three-way tie, decided for the first class, not its label 1.
  assert.equal(r.correct, 1);
});

test('labels outside the head are refused with LABEL_MISMATCH', () => {
  assert.throws(() => headLoss({ kind: 'sigmoid', classes: 2 }, { shape: [1, 1], data: new Float32Array(1) }, [2]), { code: 'LABEL_MISMATCH' });
  assert.throws(() => headLoss({ kind: 'softmax', classes: 3 }, { shape: [1, 3], data: new Float32Array(3) }, [1.5]), { code: 'LABEL_MISMATCH' });
});

test('L2 penalty: l2 * sum(w^2) and gradient 2 * l2 * w added in place', () => {
  const p = (l2: number, values: number[]): Parameter => ({ layer: 'd', name: 'kernel', shape: [values.length], data: Float32Array.from(values), l2 });
  const params = [p(0.01, [1, -2, 3]), p(0, [5])];
  const grads = [Float64Array.from([1, 1, 1]), Float64Array.from([7])];
  assert.ok(Math.abs(l2Penalty(params, grads) - 0.01 * 14) < 1e-12);
  assert.deepEqual(Array.from(grads[0]!).map((v) => Math.round(v * 1e9) / 1e9), [1.02, 0.96, 1.06]);
  assert.equal(grads[1]![0], 7);
});
