import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barnesHutGradient } from './barnes-hut.js';
import { Tsne, clampPerplexity, conditionalProbabilities, jointProbabilities, tsne, tsneNeighborCount } from './tsne.js';
import { exactNeighbors } from './knn.js';
import { knnAccuracy, trustworthiness } from './quality.js';
import { ArgumentError, CancelledError } from '../../errors.js';
import { createRng } from '../../random.js';

/** n points in d dimensions around c well-separated centres (spacing ~10, unit noise); labels i % c. */
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

test('t-SNE of 3 Gaussian clusters (n = 300, d = 20) keeps them apart, identically on every run', async () => {
  const { x, labels } = clusters(300, 20, 3, 1);
  const a = await tsne(x, 300, 20, { seed: 0 });
  const b = await tsne(x, 300, 20, { seed: 0 });
  assert.deepEqual(a.embedding, b.embedding, 'same input and seed: bit-identical embedding');
  assert.equal(a.kl, b.kl);
  assert.equal(knnAccuracy(a.embedding, 300, labels, 10), 1);
  assert.ok(trustworthiness(x, 300, 20, a.embedding, 10) >= 0.9);
  assert.equal(a.iterations, 1000);
  assert.equal(a.perplexityUsed, 30);
  assert.equal(a.options.learningRate, 50, "'auto' = max(300 / 12 / 4, 50)");
  assert.equal(a.options.nNeighbors, 91);
  assert.ok(Number.isFinite(a.kl) && a.kl > 0);
  assert.ok(a.embedding.every(Number.isFinite));
});

test('stepping a Tsne gives what tsne() gives; random init follows the seed', async () => {
  const { x } = clusters(60, 5, 3, 2);
  const opts = { nIterations: 300, earlyExaggerationIterations: 100, init: 'random' as const, seed: 7 };
  const t = new Tsne(opts);
  t.initialize(x, 60, 5);
  const first = t.embedding;
  assert.equal(first.length, 120);
  let it = 0;
  while (!t.done) it = t.step();
  assert.equal(it, 300);
  assert.equal(t.step(), 300, 'no-op once done');
  const r = await tsne(x, 60, 5, opts);
  assert.deepEqual(t.embedding, r.embedding);
  const other = await tsne(x, 60, 5, { ...opts, seed: 8 });
  assert.notDeepEqual(other.embedding, r.embedding);
  // The random start has standard deviation 1e-4 (tolerance: sampling error of 120 values).
  const sd = Math.sqrt(first.reduce((s, v) => s + v * v, 0) / first.length);
  assert.ok(sd > 0.7e-4 && sd < 1.3e-4, `sd ${sd}`);
});

test('PCA initialisation is scaled so PC1 has standard deviation 1e-4', () => {
  const { x } = clusters(50, 6, 2, 3);
  const t = new Tsne();
  t.initialize(x, 50, 6);
  const e = t.embedding;
  let m = 0;
  for (let i = 0; i < 50; i++) m += e[2 * i]! / 50;
  let v = 0;
  for (let i = 0; i < 50; i++) v += (e[2 * i]! - m) ** 2 / 50;
  assert.ok(Math.abs(Math.sqrt(v) - 1e-4) <= 1e-9, `sd ${Math.sqrt(v)}`);
});

test('affinities: each conditional row has entropy log(perplexity); P is symmetric and sums to 1', () => {
  const { x } = clusters(80, 4, 2, 4);
  const perp = 10;
  const k = tsneNeighborCount(perp, 80);
  assert.equal(k, 31);
  const nb = exactNeighbors(x, 80, 4, k);
  const cond = conditionalProbabilities(nb, perp);
  for (let i = 0; i < 80; i++) {
    let s = 0;
    let h = 0;
    for (let q = 0; q < k; q++) {
      const p = cond[i * k + q]!;
      s += p;
      if (p > 0) h -= p * Math.log(p);
    }
    assert.ok(Math.abs(s - 1) <= 1e-12);
    assert.ok(Math.abs(h - Math.log(perp)) <= 1e-5, `row ${i}: entropy ${h}`);
  }
  const p = jointProbabilities(nb, cond);
  const dense = new Float64Array(80 * 80);
  for (let i = 0; i < 80; i++) for (let s = p.rowPtr[i]!; s < p.rowPtr[i + 1]!; s++) dense[i * 80 + p.cols[s]!] = p.values[s]!;
  let total = 0;
  for (let i = 0; i < 80; i++) {
    assert.equal(dense[i * 80 + i], 0);
    for (let j = 0; j < 80; j++) {
      assert.equal(dense[i * 80 + j], dense[j * 80 + i]);
      total += dense[i * 80 + j]!;
    }
  }
  assert.ok(Math.abs(total - 1) <= 1e-12);
});

test('Barnes-Hut gradient with theta 0 equals the exact t-SNE gradient; theta 0.5 is close', () => {
  const { x } = clusters(40, 3, 2, 5);
  const nb = exactNeighbors(x, 40, 3, 12);
  const p = jointProbabilities(nb, conditionalProbabilities(nb, 4));
  const rng = createRng(9);
  const pos = Float64Array.from({ length: 80 }, () => rng.normal() * 3);
  const dense = new Float64Array(40 * 40);
  for (let i = 0; i < 40; i++) for (let s = p.rowPtr[i]!; s < p.rowPtr[i + 1]!; s++) dense[i * 40 + p.cols[s]!] = p.values[s]!;
  // Exact: dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + |y_i - y_j|^2)^-1 (y_i - y_j), q from all pairs.
  let z = 0;
  for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) if (i !== j) z += 1 / (1 + (pos[2 * i]! - pos[2 * j]!) ** 2 + (pos[2 * i + 1]! - pos[2 * j + 1]!) ** 2);
  const exact = new Float64Array(80);
  let kl = 0;
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 40; j++) {
      if (i === j) continue;
      const dx = pos[2 * i]! - pos[2 * j]!;
      const dy = pos[2 * i + 1]! - pos[2 * j + 1]!;
      const w = 1 / (1 + dx * dx + dy * dy);
      const pij = 2 * dense[i * 40 + j]!; // exaggeration 2
      exact[2 * i]! += 4 * (pij - w / z) * w * dx;
      exact[2 * i + 1]! += 4 * (pij - w / z) * w * dy;
      if (pij > 0) kl += pij * Math.log(pij / (w / z));
    }
  }
  const g = new Float64Array(80);
  const got = barnesHutGradient(p, pos, 0, 2, g, true);
  const scale = Math.max(...exact.map(Math.abs));
  for (let t = 0; t < 80; t++) assert.ok(Math.abs(g[t]! - exact[t]!) <= 1e-12 * scale, `grad[${t}]: ${g[t]} vs ${exact[t]}`);
  assert.ok(Math.abs(got - kl) <= 1e-12 * Math.abs(kl), `kl ${got} vs ${kl}`);
  const approx = new Float64Array(80);
  barnesHutGradient(p, pos, 0.5, 2, approx, false);
  // Barnes-Hut at theta 0.5: a few percent of the largest component.
  for (let t = 0; t < 80; t++) assert.ok(Math.abs(approx[t]! - exact[t]!) <= 0.05 * scale, `bh grad[${t}]`);
});

test('small n: perplexity is clamped to (n - 1) / 3; n < 4 is refused', async () => {
  assert.equal(clampPerplexity(30, 10), 3);
  assert.equal(clampPerplexity(30, 1000), 30);
  const { x } = clusters(10, 3, 2, 6);
  const r = await tsne(x, 10, 3, { nIterations: 300 });
  assert.equal(r.perplexityUsed, 3);
  assert.equal(r.options.nNeighbors, 9);
  assert.ok(r.embedding.every(Number.isFinite));
  await assert.rejects(tsne(x.subarray(0, 9), 3, 3), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  // Identical samples: no principal axis, the random start is used and the result stays finite.
  const same = await tsne(new Float32Array(40).fill(1), 10, 4, { nIterations: 300 });
  assert.ok(same.embedding.every(Number.isFinite));
});

test('t-SNE cancels through its signal and reports progress', async () => {
  const { x } = clusters(200, 10, 3, 7);
  const ac = new AbortController();
  const seen: string[] = [];
  const p = tsne(x, 200, 10, {
    signal: ac.signal,
    yieldEveryMs: 0,
    onProgress: (pr) => {
      if (seen[seen.length - 1] !== pr.stage) seen.push(pr.stage);
      if (pr.stage === 'optimize') {
        assert.equal(pr.coordinates?.length, 400);
        if (pr.done >= 20) ac.abort();
      }
    },
  });
  await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
  assert.deepEqual(seen, ['neighbors', 'optimize']);
});

test('bad options throw ArgumentError', () => {
  assert.throws(() => new Tsne({ perplexity: 0.5 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => new Tsne({ nIterations: 100, earlyExaggerationIterations: 250 }), (e: unknown) => e instanceof ArgumentError);
  assert.throws(() => new Tsne({ learningRate: -1 }), (e: unknown) => e instanceof ArgumentError);
  assert.throws(() => new Tsne().step(), (e: unknown) => e instanceof ArgumentError);
  const t = new Tsne({ init: new Float32Array(3) });
  assert.throws(() => t.initialize(new Float32Array(20), 10, 2), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
});
