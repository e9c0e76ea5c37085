import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParallelTsneGradient } from './tsne-parallel.js';
import { BarnesHutWorkspace, barnesHutGradient } from '../methods/embed/barnes-hut.js';
import { jointProbabilities, conditionalProbabilities, tsne } from '../methods/embed/tsne.js';
import { exactNeighbors } from '../methods/embed/knn.js';
import { createRng } from '../random.js';

function clusters(n: number, d: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const centres = Array.from({ length: 4 }, () => Array.from({ length: d }, () => rng.normal() * 5));
  return Float32Array.from({ length: n * d }, (_, t) => centres[Math.floor(t / d) % 4]![t % d]! + rng.normal());
}

test('the gradient on 2 threads is bit-identical to the one-thread gradient', async () => {
  const n = 700;
  const d = 8;
  const x = clusters(n, d, 1);
  const nb = exactNeighbors(x, n, d, 30);
  const p = jointProbabilities(nb, conditionalProbabilities(nb, 10));
  const rng = createRng(2);
  const runner = createParallelTsneGradient({ threads: 2, chunk: 32 });
  try {
    await runner.prepare(p);
    for (const spread of [1e-4, 1, 30]) {
      const pos = Float64Array.from({ length: 2 * n }, () => rng.normal() * spread);
      const want = new Float64Array(2 * n);
      const got = new Float64Array(2 * n);
      const klWant = barnesHutGradient(p, pos, 0.5, 12, want, true, new BarnesHutWorkspace());
      const klGot = runner.gradient(p, pos, 0.5, 12, got, true);
      assert.deepEqual(got, want, `spread ${spread}`);
      assert.equal(klGot, klWant);
    }
  } finally {
    await runner.close();
  }
});

test('a whole t-SNE run with the parallel gradient equals the one-thread run (shared tree or not)', async () => {
  const n = 400;
  const d = 10;
  const x = clusters(n, d, 3);
  const a = await tsne(x, n, d, { nIterations: 300, perplexity: 20 });
  for (const sharedTreeCells of [undefined, 1]) {
    const gradient = createParallelTsneGradient({ threads: 2, chunk: 16, ...(sharedTreeCells !== undefined ? { sharedTreeCells } : {}) });
    const b = await tsne(x, n, d, { nIterations: 300, perplexity: 20, gradient });
    assert.deepEqual(b.embedding, a.embedding, `sharedTreeCells ${sharedTreeCells}`);
    assert.equal(b.kl, a.kl);
    assert.equal(b.iterations, a.iterations);
  }
});

test('before prepare, or with one thread, the gradient runs in this thread (same results)', async () => {
  const n = 120;
  const x = clusters(n, 5, 4);
  const nb = exactNeighbors(x, n, 5, 20);
  const p = jointProbabilities(nb, conditionalProbabilities(nb, 6));
  const pos = Float64Array.from({ length: 2 * n }, (_, t) => Math.sin(t));
  const want = new Float64Array(2 * n);
  barnesHutGradient(p, pos, 0.5, 1, want, false);
  for (const runner of [createParallelTsneGradient({ threads: 2 }), createParallelTsneGradient({ threads: 1 })]) {
    const got = new Float64Array(2 * n);
    runner.gradient(p, pos, 0.5, 1, got, false);
    assert.deepEqual(got, want);
    await runner.prepare(p);
    runner.gradient(p, pos, 0.5, 1, got, false);
    assert.deepEqual(got, want);
    await runner.close();
    await runner.close(); // twice is safe
  }
});
