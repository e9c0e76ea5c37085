// Speed and quality of the embeddings on a 5-class Gaussian mixture in 128-D (centres N(0, 1)
// per axis, unit noise), as in docs/embedding-notes.md: PCA at 20k x 128, t-SNE at 1k and 5k x
// 128 (trustworthiness with 10 neighbours and 10-NN class accuracy), optionally UMAP.
// Run: node --import tsx bench/embed.ts [--pca 20000] [--tsne 1000,5000] [--umap 5000] [--json]

import { performance } from 'node:perf_hooks';
import { pca } from '../src/methods/embed/pca.js';
import { tsne } from '../src/methods/embed/tsne.js';
import { umap } from '../src/methods/embed/umap.js';
import { exactNeighborsAsync } from '../src/methods/embed/knn.js';
import { knnAccuracy, trustworthinessAsync } from '../src/methods/embed/quality.js';
import { createRng } from '../src/random.js';

const args = process.argv.slice(2);
const listArg = (name: string, fallback: number[]): number[] => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1] ?? '';
  return v === '' || v === 'none' ? [] : v.split(',').map(Number);
};
const PCA_SIZES = listArg('--pca', [20_000]);
const TSNE_SIZES = listArg('--tsne', [1000, 5000]);
const UMAP_SIZES = listArg('--umap', []);
const asJson = args.includes('--json');
const D = 128;
const CLASSES = 5;

/** n points of a 5-class mixture in D dimensions; labels i % 5. */
function mixture(n: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: CLASSES }, () => Array.from({ length: D }, () => rng.normal()));
  const x = new Float32Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % CLASSES;
    const c = centres[i % CLASSES]!;
    for (let t = 0; t < D; t++) x[i * D + t] = c[t]! + rng.normal();
  }
  return { x, labels };
}

const seconds = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100;
/** CPU seconds of this process so far (user + system): fairer than wall time on a busy machine. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const cpuSince = (c0: number): number => Math.round((cpuNow() - c0) * 100) / 100;
const rows: Record<string, unknown>[] = [];
const report = (row: Record<string, unknown>): void => {
  rows.push(row);
  if (!asJson) console.log(Object.entries(row).map(([k, v]) => `${k}=${String(v)}`).join('  '));
};

for (const n of PCA_SIZES) {
  const { x } = mixture(n, 1);
  const t0 = performance.now();
  const c0 = cpuNow();
  const r = pca(x, n, D, { nComponents: 2 });
  report({ method: 'pca', n, d: D, seconds: seconds(t0), cpuSeconds: cpuSince(c0), solver: r.solver, ratio1: r.explainedVarianceRatio[0]!.toFixed(4), ratio2: r.explainedVarianceRatio[1]!.toFixed(4) });
}

for (const n of TSNE_SIZES) {
  const { x, labels } = mixture(n, 1);
  const t0 = performance.now();
  const c0 = cpuNow();
  const nb = await exactNeighborsAsync(x, n, D, Math.min(n - 1, 91));
  const knnSeconds = seconds(t0);
  const knnCpu = cpuSince(c0);
  const r = await tsne(x, n, D, { neighbors: nb });
  const total = seconds(t0);
  const totalCpu = cpuSince(c0);
  const t1 = performance.now();
  const trust = await trustworthinessAsync(x, n, D, r.embedding, { k: 10 });
  report({
    method: 'tsne',
    n,
    d: D,
    seconds: total,
    cpuSeconds: totalCpu,
    neighborsSeconds: knnSeconds,
    neighborsCpuSeconds: knnCpu,
    kl: r.kl.toFixed(4),
    iterations: r.iterations,
    trustworthiness: trust.toFixed(4),
    knnAccuracy: knnAccuracy(r.embedding, n, labels, 10).toFixed(4),
    trustSeconds: seconds(t1),
  });
}

for (const n of UMAP_SIZES) {
  const { x, labels } = mixture(n, 1);
  const t0 = performance.now();
  const c0 = cpuNow();
  const r = await umap(x, n, D, {});
  const total = seconds(t0);
  const totalCpu = cpuSince(c0);
  const trust = await trustworthinessAsync(x, n, D, r.embedding, { k: 10 });
  report({ method: 'umap', n, d: D, seconds: total, cpuSeconds: totalCpu, epochs: r.options.nEpochs, trustworthiness: trust.toFixed(4), knnAccuracy: knnAccuracy(r.embedding, n, labels, 10).toFixed(4) });
}

if (asJson) console.log(JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, results: rows }, null, 2));
