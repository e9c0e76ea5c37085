import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UMAP } from 'umap-js';
import { fuzzyGraph, umap } from './umap.js';
import { knnAccuracy } from './quality.js';
import { exactNeighbors } from './knn.js';
import { ArgumentError, CancelledError } from '../../errors.js';
import { createRng } from '../../random.js';

/** n points in d dimensions around c well-separated centres (spacing 10, unit noise); labels i % c. */
function clusters(n: number, d: number, c: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: c }, () => Array.from({ length: d }, () => rng.normal() * 10));
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % c;
    for (let t = 0; t < d; t++) x[i * d + t] = centres[i % c]![t]! + rng.normal();
  }
  return { x, labels };
}

test('seeded UMAP keeps 3 clusters apart and is reproducible', async () => {
  const { x, labels } = clusters(150, 10, 3, 1);
  const a = await umap(x, 150, 10, { seed: 3, nEpochs: 200 });
  const b = await umap(x, 150, 10, { seed: 3, nEpochs: 200 });
  const c = await umap(x, 150, 10, { seed: 4, nEpochs: 200 });
  assert.equal(a.embedding.length, 300);
  assert.deepEqual(a.embedding, b.embedding, 'same seed, same embedding (bit for bit)');
  assert.notDeepEqual(a.embedding, c.embedding, 'another seed, another embedding');
  assert.equal(knnAccuracy(a.embedding, 150, labels, 10), 1);
  assert.equal(knnAccuracy(c.embedding, 150, labels, 10), 1);
  assert.deepEqual(a.options, { nNeighbors: 15, nNeighborsUsed: 15, minDist: 0.1, spread: 1, nEpochs: 200, seed: 3 });
  assert.ok(a.embedding.every(Number.isFinite));
});

test('UMAP reuses given neighbours and gives the same result', async () => {
  const { x } = clusters(60, 5, 3, 2);
  const nb = exactNeighbors(x, 60, 5, 20);
  const a = await umap(x, 60, 5, { seed: 1, nEpochs: 50 });
  const b = await umap(x, 60, 5, { seed: 1, nEpochs: 50, neighbors: nb });
  assert.deepEqual(a.embedding, b.embedding);
});

test('UMAP clamps nNeighbors for small n and reports progress', async () => {
  const { x } = clusters(8, 3, 2, 3);
  const stages = new Set<string>();
  const r = await umap(x, 8, 3, { nEpochs: 20, onProgress: (p) => stages.add(p.stage), yieldEveryMs: 0 });
  assert.equal(r.options.nNeighborsUsed, 7);
  assert.ok(stages.has('neighbors') && stages.has('optimize'));
  assert.ok(r.embedding.every(Number.isFinite));
});

test('UMAP cancels through its signal', async () => {
  const { x } = clusters(200, 10, 3, 4);
  const ac = new AbortController();
  const p = umap(x, 200, 10, {
    signal: ac.signal,
    yieldEveryMs: 0,
    onProgress: (pr) => {
      if (pr.stage === 'optimize' && pr.done >= 5) ac.abort();
    },
  });
  await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
});

test('UMAP rejects bad options', async () => {
  const { x } = clusters(20, 3, 2, 5);
  await assert.rejects(umap(x, 3, 3), (e: unknown) => e instanceof ArgumentError);
  await assert.rejects(umap(x, 20, 3, { minDist: 2 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  await assert.rejects(umap(x, 20, 3, { nNeighbors: 1 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
});

test('with matchUmapJs the layout is umap-js\'s, number for number (same neighbours, same seed)', async () => {
  const { x } = clusters(300, 12, 3, 6);
  const n = 300;
  const nb = exactNeighbors(x, n, 12, 14);
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < n; i++) {
    knnIndices.push([i, ...Array.from(nb.indices.subarray(i * 14, i * 14 + 14))]);
    knnDistances.push([0, ...Array.from(nb.sqDistances.subarray(i * 14, i * 14 + 14), Math.sqrt)]);
  }
  const rng = createRng(5);
  const ref = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, spread: 1, nEpochs: 120, random: () => rng.next() });
  ref.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = Array.from({ length: n }, () => []);
  ref.initializeFit(rows);
  ref.fit(rows);
  const want = Float32Array.from(ref.getEmbedding().flat());
  const exact = await umap(x, n, 12, { seed: 5, nEpochs: 120, neighbors: nb, matchUmapJs: true });
  assert.deepEqual(exact.embedding, want);
  // The fast powers change the numbers (like another seed would), not the picture.
  const fast = await umap(x, n, 12, { seed: 5, nEpochs: 120, neighbors: nb });
  assert.notDeepEqual(fast.embedding, want);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  assert.equal(knnAccuracy(fast.embedding, n, labels, 10), 1);
});

test('the fuzzy graph is symmetric, in (0, 1], row-major with ascending columns', () => {
  const { x } = clusters(80, 4, 2, 8);
  const nb = exactNeighbors(x, 80, 4, 9);
  const k = 10;
  const indices = new Int32Array(80 * k);
  const distances = new Float64Array(80 * k);
  for (let i = 0; i < 80; i++) {
    indices[i * k] = i;
    for (let q = 0; q < 9; q++) {
      indices[i * k + 1 + q] = nb.indices[i * 9 + q]!;
      distances[i * k + 1 + q] = Math.sqrt(nb.sqDistances[i * 9 + q]!);
    }
  }
  const g = fuzzyGraph(80, k, indices, distances);
  const w = new Map<string, number>();
  for (let e = 0; e < g.weights.length; e++) {
    assert.ok(g.weights[e]! > 0 && g.weights[e]! <= 1);
    assert.notEqual(g.rows[e], g.cols[e]);
    if (e > 0) assert.ok(g.rows[e]! > g.rows[e - 1]! || (g.rows[e] === g.rows[e - 1] && g.cols[e]! > g.cols[e - 1]!));
    w.set(`${g.rows[e]}:${g.cols[e]}`, g.weights[e]!);
  }
  for (const [key, v] of w) {
    const [r, c] = key.split(':');
    assert.equal(w.get(`${c}:${r}`), v);
  }
  // Each point's nearest neighbour has membership 1 (distance = rho); a + b - ab rounds to within 1e-15 of 1.
  for (let i = 0; i < 80; i++) assert.ok(w.get(`${i}:${nb.indices[i * 9]}`)! >= 1 - 1e-15);
});
