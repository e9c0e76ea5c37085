import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { evaluate, fit, stratifiedSplit } from './fit.js';
import { Network } from './network.js';
import type { ArchitectureSpec } from './spec.js';
import { localExecutor, type ShardExecutor } from './step.js';

/** 8x8 images: class 1 has a brighter top half, plus noise; n per class. */
function toyData(n: number, seed: number): { x: Tensor; labels: Int32Array } {
  const rng = createRng(seed);
  const x = new Float32Array(2 * n * 64);
  const labels = new Int32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.5 * rng.next() + (labels[i] === 1 && p < 32 ? 0.4 : 0);
  }
  return { x: { shape: [2 * n, 8, 8, 1], data: x }, labels };
}

/** A tiny CNN; BatchNorm momentum 0.9 so that its moving averages settle within a few dozen steps. */
const TINY: ArchitectureSpec = {
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' },
    { type: 'batchNorm', momentum: 0.9 },
    { type: 'activation', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'dropout', rate: 0.2 },
    { type: 'flatten' },
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'dense', units: 1, activation: 'sigmoid' },
  ],
};

test('a tiny CNN learns a tiny data set: the loss goes down and validation accuracy rises', async () => {
  const { x, labels } = toyData(40, 1);
  const net = new Network(TINY, { seed: 1 });
  const before = await evaluate(net, x, labels);
  const r = await fit(net, x, labels, { epochs: 6, batchSize: 8, seed: 3, optimizer: { learningRate: 0.01 } });
  const after = await evaluate(net, x, labels);
  const h = r.history;
  assert.equal(h.epochs, 6);
  assert.ok(h.loss[5]! < 0.7 * h.loss[0]!, `training loss ${h.loss[0]} -> ${h.loss[5]}`);
  assert.ok(after.loss < 0.5 * before.loss, `loss on all samples ${before.loss} -> ${after.loss}`);
  assert.ok(r.validation.accuracy >= 0.9, `validation accuracy ${r.validation.accuracy}`);
  assert.equal(r.validationIndices.length, 16); // 20 % of 40 per class
  assert.equal(r.trainIndices.length, 64);
  const c = r.validation.confusion;
  assert.equal(c[0]![0]! + c[0]![1]! + c[1]![0]! + c[1]![1]!, 16);
  assert.ok(Math.abs(r.validation.accuracy - (c[0]![0]! + c[1]![1]!) / 16) < 1e-12);
});

test('training is reproducible from the seed, and changes with it', async () => {
  const { x, labels } = toyData(12, 2);
  const run = async (seed: number): Promise<number[]> => {
    const net = new Network(TINY, { seed: 1 });
    const r = await fit(net, x, labels, { epochs: 2, batchSize: 5, seed, flip: true });
    return [...r.history.loss, ...r.history.val_loss];
  };
  const a = await run(4);
  assert.deepEqual(await run(4), a);
  assert.notDeepEqual(await run(5), a);
});

test('shards: the same result however they are run, and one shard is the plain step', async () => {
  const { x, labels } = toyData(12, 3);
  const run = async (shards: number, executor: ShardExecutor): Promise<Float32Array[]> => {
    const net = new Network(TINY, { seed: 2 });
    await fit(net, x, labels, { epochs: 1, batchSize: 7, seed: 1, shards, executor });
    return net.snapshot();
  };
  const reversed: ShardExecutor = async (net, shards) => (await localExecutor(net, [...shards].reverse())).reverse();
  assert.deepEqual(await run(3, reversed), await run(3, localExecutor));
  assert.notDeepEqual(await run(3, localExecutor), await run(1, localExecutor));
});

test('early stopping stops after `patience` epochs without improvement and restores the best weights', async () => {
  const { x, labels } = toyData(10, 4);
  const spec: ArchitectureSpec = { inputShape: [8, 8, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 1, activation: 'sigmoid' }] };
  // An executor whose gradients are zero: nothing is learnt, val_loss never improves after epoch 1.
  const frozen: ShardExecutor = (net, shards) => Promise.resolve(shards.map((s) => ({
    n: s.labels.length, lossSum: 0, correct: 0, grads: net.parameters.map((p) => new Float32Array(p.data.length)), batchNorm: [],
  })));
  const net = new Network(spec, { seed: 1 });
  const start = net.snapshot();
  const r = await fit(net, x, labels, { epochs: 20, batchSize: 4, executor: frozen, earlyStopping: { patience: 2 } });
  assert.equal(r.history.epochs, 3);
  assert.equal(r.history.stoppedEarly, true);
  assert.equal(r.history.keptEpoch, 1);
  assert.deepEqual(net.snapshot(), start);
  // Without early stopping every epoch runs.
  const all = await fit(new Network(spec, { seed: 1 }), x, labels, { epochs: 4, batchSize: 4, executor: frozen });
  assert.equal(all.history.epochs, 4);
  assert.equal(all.history.keptEpoch, 4);
});

test('onEpochEnd returning false stops training', async () => {
  const { x, labels } = toyData(6, 5);
  const seen: number[] = [];
  const r = await fit(new Network(TINY), x, labels, { epochs: 5, batchSize: 4, onEpochEnd: (log) => (seen.push(log.epoch), log.epoch < 2) });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(r.history.epochs, 2);
});

test('stratifiedSplit: per-class fractions, disjoint, complete, sorted, seeded', () => {
  const labels = Int32Array.from({ length: 50 }, (_, i) => (i < 30 ? 0 : 1));
  const s = stratifiedSplit(labels, 0.2, 7);
  assert.equal(s.validation.filter((i) => labels[i] === 0).length, 6);
  assert.equal(s.validation.filter((i) => labels[i] === 1).length, 4);
  assert.deepEqual([...s.train, ...s.validation].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(Array.from(s.train), [...s.train].sort((a, b) => a - b));
  assert.deepEqual(stratifiedSplit(labels, 0.2, 7), s);
  assert.notDeepEqual(stratifiedSplit(labels, 0.2, 8).validation, s.validation);
  assert.throws(() => stratifiedSplit(labels, 1, 0), { code: 'BAD_ARGUMENT' });
});

test('bad data and options are refused with typed errors', async () => {
  const { x, labels } = toyData(4, 6);
  const net = new Network(TINY);
  await assert.rejects(fit(net, x, labels, { epochs: 0 }), { code: 'BAD_ARGUMENT' });
  await assert.rejects(fit(net, x, labels, { shards: 0 }), { code: 'BAD_ARGUMENT' });
  await assert.rejects(fit(net, x, labels.subarray(1)), { code: 'LABEL_MISMATCH' });
  await assert.rejects(fit(net, x, Int32Array.from(labels, () => 2)), { code: 'LABEL_MISMATCH' });
  await assert.rejects(fit(net, { shape: [8, 4, 4, 1], data: new Float32Array(128) }, labels), { code: 'SHAPE_MISMATCH' });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(fit(net, x, labels, { signal: ac.signal }), { code: 'CANCELLED' });
});
