import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random.js';
import { fit } from '../train/fit.js';
import { Network } from '../train/network.js';
import type { ArchitectureSpec } from '../train/spec.js';
import { localExecutor } from '../train/step.js';
import { createWorkerExecutor } from './train-workers.js';

const SPEC: ArchitectureSpec = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' },
    { type: 'batchNorm' },
    { type: 'activation', activation: 'relu' },
    { type: 'dropout', rate: 0.3 },
    { type: 'flatten' },
    { type: 'dense', units: 1, activation: 'sigmoid' },
  ],
};

test('worker threads give exactly the weights of the same shards run in one thread', async () => {
  const rng = createRng(1);
  const x = { shape: [30, 8, 8, 1], data: Float32Array.from({ length: 30 * 64 }, () => rng.next()) };
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % 2);
  const options = { epochs: 2, batchSize: 9, seed: 2, shards: 3, flip: true } as const;
  const here = new Network(SPEC, { seed: 1 });
  await fit(here, x, labels, { ...options, executor: localExecutor });
  const there = new Network(SPEC, { seed: 1 });
  const pool = createWorkerExecutor(there.architecture, 2);
  try {
    const r = await fit(there, x, labels, { ...options, executor: pool.executor });
    assert.equal(pool.threads, 2);
    assert.equal(r.history.epochs, 2);
  } finally {
    await pool.close();
  }
  assert.deepEqual(there.snapshot(), here.snapshot());
});
