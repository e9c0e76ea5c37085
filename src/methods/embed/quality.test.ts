import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnAccuracy, trustworthiness, trustworthinessAsync } from './quality.js';
import { exactNeighbors } from './knn.js';
import { ArgumentError, CancelledError } from '../../errors.js';
import { createRng } from '../../random.js';

// 16 points in 3-D and a noisy 2-D embedding, rounded to 2 decimals, no tied distances.
// Expected values from scikit-learn 1.2.1 sklearn.manifold.trustworthiness(X, Y, n_neighbors=k).
const X = Float64Array.from([
  0.03, 1.36, 1.22, -0.51, -0.3, -0.53, 0.57, -0.06, 0.75, -1.85, 1.57, -0.1, 0.68, -0.14, -0.38, 0.46, 0.82, -0.2, -0.15, 0.69, -0.87, -1.51, 0.39,
  -0.67, -1.92, -0.81, -0.47, -1.19, -1.49, 0.04, 0.9, -0.23, -0.74, 0.38, 0.72, -0.3, 0.54, 1.04, -0.21, -0.81, 0.35, 0.25, 1.1, -1.28, -0.66, -0.84,
  -1.73, 0.13,
]);
const Y = Float64Array.from([
  0.29, 0.99, 0.18, 0.11, 0.88, 0.14, -1.37, 0.9, 0.99, 0.16, -0.42, 0.99, -0.28, 1.08, -1.73, 0.38, -1.75, -1.25, -0.89, -1.54, 1.15, -0.49, 0.92,
  1.02, 0.45, 1.36, -0.18, 1.25, 0.31, -0.84, -0.61, -1.78,
]);
const SKLEARN: [number, number][] = [
  [1, 0.875],
  [3, 0.7973484848484849],
  [5, 0.83125],
  [7, 0.8357142857142857],
];

test('trustworthiness matches scikit-learn on a 16-point example', () => {
  for (const [k, want] of SKLEARN) {
    const got = trustworthiness(X, 16, 3, Y, k);
    assert.ok(Math.abs(got - want) <= 1e-12, `k=${k}: ${got} vs ${want}`);
  }
});

test('trustworthiness of known cases', () => {
  const rng = createRng(1);
  const n = 50;
  const x = Float64Array.from({ length: n * 4 }, () => rng.normal());
  // The identity embedding, and any distance-preserving map of it, is perfectly trustworthy.
  assert.equal(trustworthiness(x, n, 4, x, 10), 1);
  const moved = x.map((v, i) => (i % 4 === 0 ? -v : v) * 3 + 1);
  assert.equal(trustworthiness(x, n, 4, moved, 10), 1);
  // Points on a line with growing gaps (no tied distances), embedded as they are: perfect.
  const line = Float64Array.from([0, 1, 3, 6, 10, 15, 21, 28]);
  assert.equal(trustworthiness(line, 8, 1, line, 3), 1);
  // Move the two end points past the opposite ends. Embedded nearest neighbours (k = 1):
  // 0 -> 6 (rank 6 in x), 1 -> 7 (rank 7), 7 -> 1 (rank 6); every other point keeps a rank-1
  // neighbour. Penalty = 5 + 6 + 5 = 16; T = 1 - 2 * 16 / (8 * 1 * (16 - 3 - 1)) = 2/3
  // (scikit-learn 1.2.1 gives 0.6666666666666667).
  const swapped = Float64Array.from([28.5, 1, 3, 6, 10, 15, 21, -0.5]);
  assert.ok(Math.abs(trustworthiness(line, 8, 1, swapped, 1) - 2 / 3) <= 1e-15);
});

test('trustworthiness in 12-D (dot-product distances) equals a brute-force count', () => {
  const rng = createRng(2);
  const n = 60;
  const d = 12;
  const x = Float64Array.from({ length: n * d }, () => rng.normal() + 5);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    y[2 * i] = x[i * d]! + 0.5 * rng.normal();
    y[2 * i + 1] = x[i * d + 1]! + 0.5 * rng.normal();
  }
  const k = 7;
  const dist = (a: Float64Array, dim: number, i: number, j: number): number => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (a[i * dim + t]! - a[j * dim + t]!) ** 2;
    return s;
  };
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const byX = [...others].sort((a, b) => dist(x, d, i, a) - dist(x, d, i, b) || a - b);
    const byY = [...others].sort((a, b) => dist(y, 2, i, a) - dist(y, 2, i, b) || a - b).slice(0, k);
    for (const j of byY) penalty += Math.max(0, byX.indexOf(j) + 1 - k);
  }
  const want = 1 - (2 * penalty) / (n * k * (2 * n - 3 * k - 1));
  assert.ok(Math.abs(trustworthiness(x, n, d, y, k) - want) <= 1e-15);
});

test('trustworthinessAsync equals the synchronous value and can be cancelled', async () => {
  assert.equal(await trustworthinessAsync(X, 16, 3, Y, { k: 5 }), trustworthiness(X, 16, 3, Y, 5));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(trustworthinessAsync(X, 16, 3, Y, { k: 5, signal: ac.signal }), (e: unknown) => e instanceof CancelledError);
});

test('trustworthiness rejects k >= n / 2 and mismatched shapes', () => {
  assert.throws(() => trustworthiness(X, 16, 3, Y, 8), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => trustworthiness(X, 16, 3, Y.subarray(1), 5), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
});

test('knnAccuracy: leave-one-out majority vote', () => {
  // Two clusters on a line, one mislabelled point inside the first cluster.
  const y = Float64Array.from([0, 0.1, 0.2, 0.3, 0.4, 10, 10.1, 10.2, 10.3, 10.4]);
  const labels = Int32Array.from([0, 0, 1, 0, 0, 1, 1, 1, 1, 1]);
  // With k = 3 every point but the mislabelled one (index 2) is recovered.
  assert.equal(knnAccuracy(y, 10, labels, 3), 0.9);
  // Ties, k = 2: point 0 sees classes 0 (nearer) and 1: class 0 wins, correct; point 1 sees 0 and 2
  // at equal distance (index 0 first): class 0, correct; point 2 sees two class-0 points: wrong.
  assert.equal(knnAccuracy(Float64Array.from([0, 1, 2]), 3, Int32Array.from([0, 0, 1]), 2), 2 / 3);
  assert.throws(() => knnAccuracy(y, 10, labels.subarray(1)), (e: unknown) => e instanceof ArgumentError && e.code === 'LABEL_MISMATCH');
});

test('exactNeighbors agrees with a sort of all distances', () => {
  const rng = createRng(5);
  const n = 70;
  const d = 6;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const k = 9;
  const nb = exactNeighbors(x, n, d, k);
  for (let i = 0; i < n; i++) {
    const all = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += (x[i * d + t]! - x[j * d + t]!) ** 2;
        return { j, s };
      })
      .sort((a, b) => a.s - b.s || a.j - b.j);
    for (let q = 0; q < k; q++) {
      assert.equal(nb.indices[i * k + q], all[q]!.j);
      assert.ok(Math.abs(nb.sqDistances[i * k + q]! - all[q]!.s) <= 1e-12);
    }
  }
});
