import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceEngine } from '../engine/ref/engine.js';
import { createRng } from '../random.js';
import { headLoss, l2Penalty } from './loss.js';
import { Network } from './network.js';
import type { ArchitectureSpec } from './spec.js';

/** Every layer type, both heads' building blocks, strides, valid padding, a fused tanh and relu. */
const SOFTMAX_NET: ArchitectureSpec = {
  inputShape: [6, 5, 2],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', l2: 0.01 },
    { type: 'batchNorm' },
    { type: 'activation', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'dropout', rate: 0.3 },
    { type: 'conv2d', filters: 4, kernelSize: [2, 2], padding: 'valid', activation: 'tanh' },
    { type: 'flatten' },
    { type: 'dense', units: 5, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dense', units: 3, activation: 'softmax', l2: 0.02 },
  ],
};

const SIGMOID_NET: ArchitectureSpec = {
  inputShape: [7, 7, 1],
  layers: [
    { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: 'he_uniform' },
    { type: 'batchNorm', momentum: 0.9 },
    { type: 'activation', activation: 'sigmoid' },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 1, activation: 'sigmoid', l2: 0.05 },
  ],
};

/** Total loss (cross-entropy + L2) in float64 with a fixed dropout seed, moving averages untouched. */
function totalLoss(net: Network, x: Float64Array, shape: number[], labels: number[]): number {
  const pass = net.forward({ shape, data: x }, { rng: createRng(9), updateStatistics: false });
  return headLoss(net.architecture.head, pass.logits, labels).loss + l2Penalty(net.parameters);
}

/**
 * Central differences of the loss over every weight value, against backward() + the L2
 * gradient. The forward runs in float64; weights are float32, so the step is the difference of
 * the two stored values (exact), and the quotient is a true central difference.
 */
function gradientCheck(spec: ArchitectureSpec, batch: number, labels: number[], seed: number): { layer: string; name: string; maxErr: number; scale: number }[] {
  const net = new Network(spec, { seed });
  const [h, w, c] = spec.inputShape;
  const shape = [batch, h, w, c];
  const rng = createRng(seed + 100);
  const x = Float64Array.from({ length: batch * h * w * c }, () => rng.normal());
  const pass = net.forward({ shape, data: x }, { rng: createRng(9), updateStatistics: false });
  const grads = net.backward(pass, headLoss(net.architecture.head, pass.logits, labels).dLogits);
  l2Penalty(net.parameters, grads);
  return net.parameters.map((p, k) => {
    let maxErr = 0;
    let scale = 0;
    for (let i = 0; i < p.data.length; i++) {
      const v = p.data[i]!;
      const step = 1e-3 * Math.max(1, Math.abs(v));
      p.data[i] = v + step;
      const up = p.data[i]!;
      const lp = totalLoss(net, x, shape, labels);
      p.data[i] = v - step;
      const down = p.data[i]!;
      const lm = totalLoss(net, x, shape, labels);
      p.data[i] = v;
      const numeric = (lp - lm) / (up - down);
      maxErr = Math.max(maxErr, Math.abs(numeric - grads[k]![i]!));
      scale = Math.max(scale, Math.abs(numeric));
    }
    return { layer: p.layer, name: p.name, maxErr, scale };
  });
}

test('weight gradients of conv, dense and batchnorm match finite differences (softmax head, L2, dropout, pooling)', () => {
  const rows = gradientCheck(SOFTMAX_NET, 4, [0, 2, 1, 2], 3);
  assert.equal(rows.length, 12);
  for (const r of rows) {
    // Tolerance: 2e-5 absolute + 1e-4 of the gradient's scale (the O(h^2) truncation at h = 1e-3).
    assert.ok(r.maxErr <= 2e-5 + 1e-4 * r.scale, `${r.layer}/${r.name}: max error ${r.maxErr} at gradient scale ${r.scale}`);
  }
  // The checks are not vacuous: the weight gradients are far from zero.
  for (const r of rows.filter((q) => q.name !== 'bias' || q.layer !== 'conv2d_1')) assert.ok(r.scale > 1e-3, `${r.layer}/${r.name} scale ${r.scale}`);
  // A bias right before BatchNorm has no effect on the loss: zero gradient, numerically too.
  const preBn = rows.find((r) => r.layer === 'conv2d_1' && r.name === 'bias')!;
  assert.ok(preBn.scale < 1e-9 && preBn.maxErr < 1e-9, `pre-BatchNorm bias: ${JSON.stringify(preBn)}`);
});

test('weight gradients match finite differences (sigmoid head, strided same conv, batchnorm on sigmoid)', () => {
  const rows = gradientCheck(SIGMOID_NET, 5, [0, 1, 1, 0, 1], 7);
  for (const r of rows) assert.ok(r.maxErr <= 2e-5 + 1e-4 * r.scale, `${r.layer}/${r.name}: max error ${r.maxErr} at scale ${r.scale}`);
});

test('the SIMD float32 path agrees with the reference kernels (forward and every gradient)', () => {
  const spec: ArchitectureSpec = {
    inputShape: [12, 10, 1],
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' },
      { type: 'batchNorm' },
      { type: 'activation', activation: 'relu' },
      { type: 'maxPool2d', poolSize: 2 },
      { type: 'conv2d', filters: 6, kernelSize: 3, padding: 'same' },
      { type: 'activation', activation: 'relu' },
      { type: 'conv2d', filters: 5, kernelSize: 2, strides: 2, padding: 'valid' },
      { type: 'flatten' },
      { type: 'dense', units: 7, activation: 'relu' },
      { type: 'dense', units: 1, activation: 'sigmoid' },
    ],
  };
  const fast = new Network(spec, { seed: 5, simd: true });
  const slow = new Network(spec, { seed: 5, simd: false });
  const rng = createRng(2);
  const x = Float32Array.from({ length: 6 * 120 }, () => rng.next());
  const labels = [0, 1, 0, 1, 1, 0];
  const pf = fast.forward({ shape: [6, 12, 10, 1], data: x }, { rng: createRng(1) });
  const ps = slow.forward({ shape: [6, 12, 10, 1], data: x }, { rng: createRng(1) });
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(pf.logits.data[i]! - ps.logits.data[i]!) <= 1e-5, `logit ${i}`);
  const gf = fast.backward(pf, headLoss(fast.architecture.head, pf.logits, labels).dLogits);
  const gs = slow.backward(ps, headLoss(slow.architecture.head, ps.logits, labels).dLogits);
  fast.parameters.forEach((p, k) => {
    let err = 0;
    let scale = 0;
    for (let i = 0; i < gs[k]!.length; i++) {
      err = Math.max(err, Math.abs(gf[k]![i]! - gs[k]![i]!));
      scale = Math.max(scale, Math.abs(gs[k]![i]!));
    }
    // float32 sums in different orders: 1e-5 of the gradient's scale, 1e-7 absolute.
    assert.ok(err <= 1e-7 + 1e-5 * scale, `${p.layer}/${p.name}: ${err} at scale ${scale}`);
  });
});

test('batchnorm in training mode normalises by the batch and moves the averages with momentum', () => {
  const net = new Network({ inputShape: [1, 1, 2], layers: [{ type: 'batchNorm', momentum: 0.99, epsilon: 1e-3 }, { type: 'flatten' }, { type: 'dense', units: 1, activation: 'sigmoid' }] });
  const x = Float64Array.from([1, 10, 3, 20, 5, 30, 7, 40]); // channel 0: 1,3,5,7; channel 1: 10..40
  const pass = net.forward({ shape: [4, 1, 1, 2], data: x });
  const y = pass.saved[0]!.y.data;
  // channel 0: mean 4, biased variance 5 -> (x - 4) / sqrt(5.001)
  assert.ok(Math.abs(y[0]! - (1 - 4) / Math.sqrt(5.001)) < 1e-12);
  assert.ok(Math.abs(y[6]! - (7 - 4) / Math.sqrt(5.001)) < 1e-12);
  const w = net.kerasWeights().get('batch_normalization_1')!;
  const mm = w[2]!.tensor.data;
  const mv = w[3]!.tensor.data;
  // moving = 0.99 * init + 0.01 * batch; variance unbiased (x 4/3): 5 * 4/3.
  assert.ok(Math.abs(mm[0]! - 0.01 * 4) < 1e-7 && Math.abs(mm[1]! - 0.01 * 25) < 1e-7);
  assert.ok(Math.abs(mv[0]! - (0.99 + 0.01 * 5 * (4 / 3))) < 1e-6 && Math.abs(mv[1]! - (0.99 + 0.01 * 125 * (4 / 3))) < 1e-5);
  // Inference mode and updateStatistics: false leave the averages alone.
  net.forward({ shape: [4, 1, 1, 2], data: x }, { training: false });
  net.forward({ shape: [4, 1, 1, 2], data: x }, { updateStatistics: false });
  assert.equal(net.kerasWeights().get('batch_normalization_1')![2]!.tensor.data[0], mm[0]);
});

test('dropout is active in training only, scaled by 1/(1-rate), and its masks follow the seed', () => {
  const net = new Network({ inputShape: [10, 10, 1], layers: [{ type: 'flatten' }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 1, activation: 'sigmoid' }] });
  const x = new Float32Array(100).fill(1);
  const run = (seed: number): Float32Array => net.forward({ shape: [1, 10, 10, 1], data: x }, { rng: createRng(seed) }).saved[1]!.y.data as Float32Array;
  const a = run(1);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  const kept = a.filter((v) => v !== 0).length;
  assert.ok(kept > 60 && kept < 90, `kept ${kept} of 100 at rate 0.25`);
  assert.deepEqual(run(1), a);
  assert.notDeepEqual(run(2), a);
  const inference = net.forward({ shape: [1, 10, 10, 1], data: x }, { training: false }).saved[1]!.y.data;
  assert.ok(inference.every((v) => v === 1));
  assert.throws(() => net.forward({ shape: [1, 10, 10, 1], data: x }), { code: 'BAD_ARGUMENT' });
});

test('inference forward agrees with the IR graph on the reference engine (softmax to 1e-6)', async () => {
  const net = new Network(SOFTMAX_NET, { seed: 4 });
  const rng = createRng(3);
  // Some training steps so that moving statistics are not the initial ones.
  for (let s = 0; s < 3; s++) net.forward({ shape: [4, 6, 5, 2], data: Float32Array.from({ length: 240 }, () => rng.normal()) }, { rng });
  const x = Float32Array.from({ length: 3 * 60 }, () => rng.normal());
  const graph = net.toGraph();
  const out = await new ReferenceEngine(graph).run([{ shape: [3, 6, 5, 2], data: x }]);
  const probs = out.get(graph.outputs[0]!)!.data;
  const logits = net.forward({ shape: [3, 6, 5, 2], data: x }, { training: false }).logits.data;
  for (let i = 0; i < 3; i++) {
    let max = -Infinity;
    for (let j = 0; j < 3; j++) max = Math.max(max, logits[i * 3 + j]!);
    let sum = 0;
    for (let j = 0; j < 3; j++) sum += Math.exp(logits[i * 3 + j]! - max);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(Math.exp(logits[i * 3 + j]! - max) / sum - probs[i * 3 + j]!) < 1e-6);
  }
  assert.deepEqual(graph.nodes.map((n) => n.className), ['InputLayer', 'Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D', 'Dropout', 'Conv2D', 'Flatten', 'Dense', 'BatchNormalization', 'Dense']);
  assert.equal(graph.nodes.reduce((s, n) => s + n.params, 0), net.parameterCount);
});

test('Keras default initialisation: glorot_uniform within its limit, zero biases, BN ones/zeros; seeded', () => {
  const a = new Network(SOFTMAX_NET, { seed: 1 });
  const k = a.parameters[0]!; // conv 3x3x2x3: fan_in 18, fan_out 27
  const limit = Math.sqrt(6 / (18 + 27));
  assert.ok(k.data.every((v) => Math.abs(v) <= limit) && Math.max(...k.data.map(Math.abs)) > 0.8 * limit);
  assert.ok(a.parameters[1]!.data.every((v) => v === 0));
  assert.ok(a.parameters[2]!.data.every((v) => v === 1) && a.parameters[3]!.data.every((v) => v === 0));
  assert.deepEqual(new Network(SOFTMAX_NET, { seed: 1 }).parameters[0]!.data, k.data);
  assert.notDeepEqual(new Network(SOFTMAX_NET, { seed: 2 }).parameters[0]!.data, k.data);
});

test('snapshot/restore and setKerasWeights round-trip every weight', () => {
  const a = new Network(SOFTMAX_NET, { seed: 1 });
  const snap = a.snapshot();
  const b = new Network(SOFTMAX_NET, { seed: 2 });
  b.setKerasWeights(a.kerasWeights());
  assert.deepEqual(b.snapshot(), snap);
  a.parameters[0]!.data[0] = 42;
  a.restore(snap);
  assert.deepEqual(a.snapshot(), snap);
  assert.throws(() => b.setKerasWeights(new Map()), { code: 'SHAPE_MISMATCH' });
});
