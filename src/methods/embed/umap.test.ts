import { test } from 'node:test';
import assert from 'node:assert/strict';
import { umap } from './umap.js';
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
