import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeEmbedBackend, onnxEmbedBackend } from './embed-backend.js';
import { embedFeatures } from '../methods/embed/index.js';
import { ArgumentError } from '../errors.js';
import { createRng } from '../random.js';

function clusters(n: number, d: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: 3 }, () => Array.from({ length: d }, () => rng.normal() * 6));
  const x = Float32Array.from({ length: n * d }, (_, t) => centres[Math.floor(t / d) % 3]![t % d]! + rng.normal());
  return { x, labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
}

test('the Node backend (onnxruntime distances, 2 threads) gives what the TypeScript backend gives', async () => {
  const n = 360;
  const d = 16;
  const { x, labels } = clusters(n, d, 1);
  const fast = onnxEmbedBackend({ threads: 2, parallelTsneFrom: 100 });
  try {
    assert.match(fast.name, /onnxruntime-node distances \+ t-SNE gradient on 2 threads/);
    for (const options of [
      { method: 'tsne', nIterations: 260, perplexity: 15 },
      { method: 'umap', nEpochs: 60 },
    ] as const) {
      const plain = await embedFeatures(x, n, d, { ...options, labels, trustworthiness: true });
      const got = await embedFeatures(x, n, d, { ...options, labels, trustworthiness: true, backend: fast });
      assert.deepEqual(got.coordinates, plain.coordinates, options.method);
      assert.equal(got.trustworthiness, plain.trustworthiness);
      assert.equal(got.knnAccuracy, plain.knnAccuracy);
      assert.deepEqual(got.options, plain.options);
    }
  } finally {
    await fast.release();
  }
});

test('backend choices: typescript, auto, onnx; anything else is refused', async () => {
  assert.equal(nodeEmbedBackend('typescript').name, 'typescript');
  const auto = nodeEmbedBackend('auto', { threads: 1 });
  assert.equal(auto.tsneGradient(50_000), null, 'one thread: no workers');
  const nb = await auto.neighbors(new Float32Array([0, 0, 1, 0, 0, 2, 5, 5]), 4, 2, 2);
  assert.deepEqual(Array.from(nb.indices), [1, 2, 0, 2, 0, 1, 2, 1]);
  await auto.release();
  assert.throws(() => nodeEmbedBackend('gpu' as never), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => onnxEmbedBackend({ threads: 0 }), ArgumentError);
});
