import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxDistances } from './knn-onnx.js';
import { exactNeighbors } from '../methods/embed/knn.js';
import { trustworthiness } from '../methods/embed/quality.js';
import { ArgumentError } from '../errors.js';
import { createRng } from '../random.js';

/** n points in d dimensions: c clusters with unit noise, plus `dups` exact copies of earlier rows. */
function data(n: number, d: number, c: number, seed: number, dups = 0): Float32Array {
  const rng = createRng(seed);
  const centres = Array.from({ length: c }, () => Array.from({ length: d }, () => rng.normal() * 4));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    if (i >= n - dups) {
      x.copyWithin(i * d, (i - n + dups) * d, (i - n + dups + 1) * d);
      continue;
    }
    for (let t = 0; t < d; t++) x[i * d + t] = centres[i % c]![t]! + rng.normal();
  }
  return x;
}

test('neighbours on onnxruntime equal the exact TypeScript search (indices and float64 distances)', async () => {
  const od = new OnnxDistances({ threads: 2 });
  try {
    for (const [n, d, k, dups] of [[300, 40, 10, 0], [257, 128, 30, 12], [40, 3, 39, 5], [12, 2, 11, 0], [500, 9, 7, 20]] as const) {
      const x = data(n, d, 4, n + d, dups);
      const want = exactNeighbors(x, n, d, k);
      const got = await od.neighbors(x, n, d, k);
      assert.equal(got.k, k);
      assert.deepEqual(got.indices, want.indices, `indices n=${n} d=${d} k=${k}`);
      for (let t = 0; t < n * k; t++) {
        // Both are exact float64 sums of the same differences.
        assert.ok(Math.abs(got.sqDistances[t]! - want.sqDistances[t]!) <= 1e-12 * Math.max(1, want.sqDistances[t]!), `distance ${t}`);
      }
    }
  } finally {
    await od.release();
  }
});

test('rows whose float32 ranking is undecided are recounted exactly (many equal distances)', async () => {
  // 60 copies of one point and 60 of another: every distance ties.
  const n = 120;
  const x = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) x[i * 16] = i < 60 ? 0 : 1;
  const od = new OnnxDistances({ threads: 1, memoryBudget: 64 * 1024 });
  try {
    const got = await od.neighbors(x, n, 16, 20);
    assert.deepEqual(got.indices, exactNeighbors(x, n, 16, 20).indices);
    assert.ok(od.recounted > 0, 'ties beyond the candidates force an exact recount');
  } finally {
    await od.release();
  }
});

test('trustworthiness on onnxruntime equals quality.ts (same ties rule)', async () => {
  const od = new OnnxDistances();
  try {
    const n = 240;
    const d = 30;
    const x = data(n, d, 3, 7, 6);
    const rng = createRng(3);
    // A poor embedding (noise) and a good one (the first two coordinates).
    const noise = Float32Array.from({ length: 2 * n }, () => rng.normal());
    const firstTwo = Float32Array.from({ length: 2 * n }, (_, t) => x[Math.floor(t / 2) * d + (t % 2)]!);
    for (const y of [noise, firstTwo]) {
      const want = trustworthiness(x, n, d, y, 10);
      const got = await od.trustworthiness(x, n, d, y, 10);
      assert.ok(Math.abs(got - want) <= 1e-12, `${got} vs ${want}`);
    }
  } finally {
    await od.release();
  }
});

test('bad arguments throw ArgumentError', async () => {
  const od = new OnnxDistances();
  const x = data(10, 3, 2, 1);
  await assert.rejects(od.neighbors(x, 10, 3, 10), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  await assert.rejects(od.neighbors(x, 10, 4, 2), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
  await assert.rejects(od.trustworthiness(x, 10, 3, new Float32Array(20), 5), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  const bad = x.slice();
  bad[4] = NaN;
  await assert.rejects(od.neighbors(bad, 10, 3, 2), (e: unknown) => e instanceof ArgumentError && e.code === 'NON_FINITE_INPUT');
  assert.throws(() => new OnnxDistances({ threads: 0 }), ArgumentError);
  await od.release();
});
