import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { features, sampleBalanced } from './features.js';
import { openModel } from '../../model/open.js';
import type { Model } from '../../model/model.js';
import { readNpy, toFloat32 } from '../../io/npy.js';
import { ArgumentError, CancelledError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';

const METHODS_FIXTURES = ['keras2.3-mnist-functional', 'tfkeras2.3-genomatnn-nea-ceu', 'keras2.1-dl4j-cnn-batchnorm'];

function npy(...parts: string[]): Tensor {
  const arr = readNpy(new Uint8Array(readFileSync(fixture(...parts))), { fileName: parts.join('/') });
  return { shape: arr.shape, data: toFloat32(arr) };
}

async function open(id: string): Promise<Model> {
  const g = JSON.parse(readFileSync(fixture('goldens', id, 'golden.json'), 'utf8')) as { source_files: string[] };
  return openModel(g.source_files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(fixture(f))) })));
}

for (const id of METHODS_FIXTURES) {
  test(`penultimate features of ${id} match the golden`, { skip: !haveFixtures }, async () => {
    const model = await open(id);
    try {
      const x = npy('goldens', id, 'inputs.npy');
      const want = npy('goldens', id, 'methods', 'penultimate_features.npy');
      const layer = (JSON.parse(readFileSync(fixture('goldens', id, 'methods', 'pca_evr.json'), 'utf8')) as { layer: string }).layer;
      const r = await features(model, x);
      assert.equal(r.layer, layer);
      assert.equal(r.n, 4);
      assert.deepEqual([r.n, r.d], want.shape);
      assert.deepEqual(Array.from(r.indices), [0, 1, 2, 3]);
      // Tolerance from goldens/README.md: 1e-4 * max(1, max |golden|).
      const tol = 1e-4 * Math.max(1, ...Array.from(want.data, Math.abs));
      for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(r.data[i]! - want.data[i]!) <= tol, `feature ${i}: ${r.data[i]} vs ${want.data[i]}`);
      // Chosen samples, in the order given, one per batch: the same rows.
      const sub = await features(model, x, { indices: [3, 1], batchSize: 1 });
      assert.deepEqual(Array.from(sub.indices), [3, 1]);
      assert.deepEqual(sub.data.subarray(0, r.d), r.data.subarray(3 * r.d, 4 * r.d));
      assert.deepEqual(sub.data.subarray(r.d), r.data.subarray(r.d, 2 * r.d));
    } finally {
      await model.dispose();
    }
  });
}

test('features: any layer by name; bad names, indices and cancellation', { skip: !haveFixtures }, async () => {
  const id = 'keras2.3-mnist-functional';
  const model = await open(id);
  try {
    const x = npy('goldens', id, 'inputs.npy');
    const flat = await features(model, x, { layer: 'max_pooling2d_2', indices: [0] });
    assert.equal(flat.d, 5 * 5 * 64);
    const want = npy('goldens', id, 'layers', '04_max_pooling2d_2.npy');
    const tol = 1e-4 * Math.max(1, ...Array.from(want.data, Math.abs));
    for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(flat.data[i]! - want.data[i]!) <= tol);
    // The output Dense (fused softmax) can be chosen too: its output is the probabilities.
    const probs = await features(model, x, { layer: 'dense_2' });
    assert.equal(probs.d, 10);
    await assert.rejects(features(model, x, { layer: 'nope' }), (e: unknown) => e instanceof ArgumentError && /No layer named 'nope'/.test(e.message));
    await assert.rejects(features(model, x, { indices: [4] }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
    await assert.rejects(features(model, x, { indices: [0.5] }), (e: unknown) => e instanceof ArgumentError);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(features(model, x, { signal: ac.signal }), (e: unknown) => e instanceof CancelledError);
  } finally {
    await model.dispose();
  }
});

test('sampleBalanced: balanced, seeded, sorted, distinct', () => {
  // Classes 0, 1, 2 with 50, 30 and 5 samples.
  const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), ...Array(5).fill(2)]);
  const s = sampleBalanced(labels, 40, 1);
  assert.equal(s.length, 40);
  assert.equal(new Set(s).size, 40);
  assert.deepEqual(s, [...s].sort((a, b) => a - b));
  const count = (c: number): number => s.filter((i) => labels[i] === c).length;
  // Class 2 gives all 5; the other 35 split 18 / 17 either way.
  assert.equal(count(2), 5);
  assert.deepEqual([count(0), count(1)].sort(), [17, 18]);
  assert.deepEqual(sampleBalanced(labels, 40, 1), s, 'same seed, same sample');
  assert.notDeepEqual(sampleBalanced(labels, 40, 2), s);
  // Even split when possible.
  const even = sampleBalanced(labels, 15, 3);
  assert.deepEqual([0, 1, 2].map((c) => even.filter((i) => labels[i] === c).length), [5, 5, 5]);
  // Everything, and nothing.
  assert.deepEqual(sampleBalanced(labels, 85, 0), Array.from({ length: 85 }, (_, i) => i));
  assert.deepEqual(sampleBalanced(labels, 0, 0), []);
});

test('sampleBalanced without labels is a uniform sample without replacement', () => {
  const s = sampleBalanced(null, 10, 5, 100);
  assert.equal(new Set(s).size, 10);
  assert.ok(s.every((i) => Number.isInteger(i) && i >= 0 && i < 100));
  assert.deepEqual(sampleBalanced(null, 10, 5, 100), s);
  // Uniformity (loose): over 2,000 draws of 10 out of 20, every index appears 1,000 +- 150 times.
  const hits = new Array(20).fill(0);
  for (let seed = 0; seed < 2000; seed++) for (const i of sampleBalanced(null, 10, seed, 20)) hits[i]++;
  assert.ok(hits.every((h) => Math.abs(h - 1000) <= 150), hits.join(','));
  assert.throws(() => sampleBalanced(null, 10, 0), (e: unknown) => e instanceof ArgumentError);
  assert.throws(() => sampleBalanced(null, 101, 0, 100), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => sampleBalanced(Int32Array.from([0, 1]), 1, 0, 3), (e: unknown) => e instanceof ArgumentError && e.code === 'LABEL_MISMATCH');
});
