import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { embed, embedFeatures } from './index.js';
import { typescriptBackend } from './backend.js';
import { openModel } from '../../model/open.js';
import type { Model } from '../../model/model.js';
import { readNpy, toFloat32 } from '../../io/npy.js';
import { ArgumentError, CancelledError } from '../../errors.js';
import { createRng } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';

function npy(...parts: string[]): Tensor {
  const arr = readNpy(new Uint8Array(readFileSync(fixture(...parts))), { fileName: parts.join('/') });
  return { shape: arr.shape, data: toFloat32(arr) };
}

async function openMnist(): Promise<Model> {
  const id = 'keras2.3-mnist-functional';
  const g = JSON.parse(readFileSync(fixture('goldens', id, 'golden.json'), 'utf8')) as { source_files: string[] };
  return openModel(g.source_files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(fixture(f))) })));
}

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

test('embedFeatures: the three methods on separated clusters', async () => {
  const { x, labels } = clusters(90, 8, 3, 1);
  const p = await embedFeatures(x, 90, 8, { method: 'pca', labels });
  assert.equal(p.coordinates.length, 180);
  assert.match(p.axisLabels[0], /^PC1 \(\d+\.\d%\)$/);
  assert.equal(p.axisLabels[0], `PC1 (${(p.explainedVarianceRatio![0]! * 100).toFixed(1)}%)`);
  assert.equal(p.knnAccuracy, 1);
  assert.ok(p.trustworthiness! > 0.8 && p.trustworthiness! <= 1);
  assert.deepEqual(p.options, { method: 'pca', seed: 0, n: 90, qualityK: 10 });

  const t = await embedFeatures(x, 90, 8, { method: 'tsne', labels, nIterations: 400, seed: 2 });
  assert.deepEqual(t.axisLabels, ['t-SNE 1', 't-SNE 2']);
  assert.equal(t.knnAccuracy, 1);
  assert.equal(t.iterations, 400);
  assert.equal(t.options.perplexityUsed, 29 + 2 / 3);
  assert.ok(Number.isFinite(t.kl));

  const u = await embedFeatures(x, 90, 8, { method: 'umap', labels, nEpochs: 100, trustworthiness: false });
  assert.deepEqual(u.axisLabels, ['UMAP 1', 'UMAP 2']);
  assert.equal(u.knnAccuracy, 1);
  assert.equal(u.trustworthiness, undefined);
  assert.equal(u.options.nEpochs, 100);
});

test('embedFeatures refuses options of another method and unknown methods', async () => {
  const { x } = clusters(20, 3, 2, 2);
  await assert.rejects(embedFeatures(x, 20, 3, { method: 'pca', perplexity: 5 }), (e: unknown) => e instanceof ArgumentError && /perplexity does not apply to method 'pca'/.test(e.message));
  await assert.rejects(embedFeatures(x, 20, 3, { method: 'tsne', minDist: 0.5 }), (e: unknown) => e instanceof ArgumentError);
  await assert.rejects(embedFeatures(x, 20, 3, { method: 'mds' as 'pca' }), (e: unknown) => e instanceof ArgumentError);
  await assert.rejects(embedFeatures(x, 20, 3, { method: 'pca', labels: new Int32Array(3) }), (e: unknown) => e instanceof ArgumentError && e.code === 'LABEL_MISMATCH');
});

test('embed(pca) of the 256 MNIST inputs reproduces the pca256 golden end to end', { skip: !haveFixtures }, async () => {
  const id = 'keras2.3-mnist-functional';
  const model = await openMnist();
  try {
    const x = npy('goldens', id, 'methods', 'pca256_inputs.npy');
    const want = npy('goldens', id, 'methods', 'pca256_projection.npy');
    const r = await embed(model, x, { method: 'pca', n: 256, trustworthiness: false });
    assert.equal(r.layer, 'dense_1');
    assert.equal(r.className, 'Dense');
    assert.equal(r.d, 100);
    assert.deepEqual(Array.from(r.indices), Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(r.axisLabels, ['PC1 (11.8%)', 'PC2 (10.1%)']);
    assert.ok(Math.abs(r.explainedVarianceRatio![0]! - 0.11769293131032511) <= 1e-4);
    assert.ok(Math.abs(r.explainedVarianceRatio![1]! - 0.10120125717179691) <= 1e-4);
    // Features from a float32 engine: projections within 1e-3 of the golden's largest |value|.
    const scale = Math.max(...Array.from(want.data, Math.abs));
    for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(r.coordinates[i]! - want.data[i]!) <= 1e-3 * scale, `coordinate ${i}`);
    assert.equal(r.options.layer, 'dense_1');
    assert.equal(r.labels, null);
  } finally {
    await model.dispose();
  }
});

test('embed draws a seeded, class-balanced sample and carries labels through', { skip: !haveFixtures }, async () => {
  const id = 'keras2.3-mnist-functional';
  const model = await openMnist();
  try {
    const x = npy('goldens', id, 'methods', 'pca256_inputs.npy');
    // Labels: 200 of class 0, 50 of class 1, 6 of class 2.
    const labels = Int32Array.from({ length: 256 }, (_, i) => (i < 200 ? 0 : i < 250 ? 1 : 2));
    const stages = new Set<string>();
    const r = await embed(model, x, { method: 'umap', n: 60, labels, seed: 4, nEpochs: 50, onProgress: (p) => stages.add(p.stage) });
    const per = [0, 1, 2].map((c) => Array.from(r.labels!).filter((l) => l === c).length);
    assert.deepEqual(per, [27, 27, 6]);
    assert.deepEqual(Array.from(r.labels!), Array.from(r.indices, (i) => labels[i]!));
    assert.deepEqual([...stages], ['features', 'neighbors', 'optimize', 'quality']);
    assert.equal(r.features.length, 60 * 100);
    assert.ok(r.knnAccuracy !== undefined && r.trustworthiness !== undefined);
    const again = await embed(model, x, { method: 'umap', n: 60, labels, seed: 4, nEpochs: 50 });
    assert.deepEqual(again.indices, r.indices);
    assert.deepEqual(again.coordinates, r.coordinates);
  } finally {
    await model.dispose();
  }
});

test('embed checks its arguments and cancels', { skip: !haveFixtures }, async () => {
  const id = 'keras2.3-mnist-functional';
  const model = await openMnist();
  try {
    const x = npy('goldens', id, 'inputs.npy');
    await assert.rejects(embed(model, x, { method: 'pca', n: 5 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
    await assert.rejects(embed(model, x, { method: 'pca', labels: new Int32Array(3) }), (e: unknown) => e instanceof ArgumentError && e.code === 'LABEL_MISMATCH');
    await assert.rejects(embed(model, x, { method: 'pca', n: 2, indices: [0, 1] }), (e: unknown) => e instanceof ArgumentError);
    await assert.rejects(embed(model, x, { method: 'tsne', indices: [0, 1, 2] }), (e: unknown) => e instanceof ArgumentError && /at least 4 samples/.test(e.message));
    // A bad method option fails before the features are computed (no 'features' progress).
    const stages: string[] = [];
    const onProgress = (p: { stage: string }): void => void stages.push(p.stage);
    await assert.rejects(embed(model, x, { method: 'umap', minDist: -1, onProgress }), (e: unknown) => e instanceof ArgumentError && /minDist/.test(e.message));
    await assert.rejects(embed(model, x, { method: 'tsne', theta: 9, onProgress }), (e: unknown) => e instanceof ArgumentError && /theta/.test(e.message));
    await assert.rejects(embed(model, x, { method: 'nope' as 'pca', onProgress }), (e: unknown) => e instanceof ArgumentError && /Unknown embedding method/.test(e.message));
    assert.deepEqual(stages, []);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(embed(model, x, { method: 'pca', signal: ac.signal }), (e: unknown) => e instanceof CancelledError);
    // Four samples: PCA works (quality with k = 1), chosen by index.
    const r = await embed(model, x, { method: 'pca', indices: [2, 0, 1, 3] });
    assert.deepEqual(Array.from(r.indices), [2, 0, 1, 3]);
    assert.equal(r.options.qualityK, 1);
  } finally {
    await model.dispose();
  }
});

test('embedFeatures refuses a bad t-SNE or UMAP option before the backend searches for neighbours', async () => {
  const { x } = clusters(60, 4, 3, 5);
  const searches: number[] = [];
  const backend = { ...typescriptBackend, name: 'counting', neighbors: (...args: Parameters<typeof typescriptBackend.neighbors>) => (searches.push(args[3]), typescriptBackend.neighbors(...args)) };
  const bad = [
    { method: 'tsne', theta: 5 },
    { method: 'tsne', learningRate: -1 },
    { method: 'tsne', nIterations: 0 },
    { method: 'umap', minDist: -1 },
    { method: 'umap', nEpochs: 0.5 },
    { method: 'umap', nNeighbors: 1 },
  ] as const;
  for (const options of bad) {
    await assert.rejects(embedFeatures(x, 60, 4, { ...options, backend }), ArgumentError, JSON.stringify(options));
  }
  assert.deepEqual(searches, [], 'no neighbour search ran');
  // Good options still go through the backend's search.
  await embedFeatures(x, 60, 4, { method: 'umap', nEpochs: 5, backend });
  assert.equal(searches.length, 1);
});
