import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Node, Op } from '../../model/ir.js';
import { baseCnnGraph } from '../../model/presets.js';
import { createRng } from '../../random.js';
import { tensor } from '../../tensor.js';
import type { RTensor } from './common.js';
import { ReferenceEngine, createReferenceEngine } from './engine.js';
import { finiteDifferences, maxAbs, maxAbsDiff, randomTensor } from './gradcheck.js';

const RELU = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 } as const;

function rt(rng: ReturnType<typeof createRng>, shape: number[]) {
  const t = randomTensor(rng, shape);
  return tensor(shape, Float32Array.from(t.data));
}

/**
 *                                  +-----------------------------------+
 * x (6x5x2) -> c1 conv 3x3 same -> bn -> r relu -+-> c2 conv 1x1 (tanh) -> res = bn + c2 -> p maxpool 2 -> f flatten -+
 *                                                +-> gap global avg ----------------------------------------------------+-> cat -> d dense 4 -> sm softmax
 * (the pooled tensor mixes in bn, so max-pool windows have no ties: all-zero ReLU pixels would tie)
 */
function smallGraph(seed = 1): Graph {
  const rng = createRng(seed);
  const node = (name: string, className: string, op: Op, inputs: string[], outputShape: (number | null)[]): Node => ({ name, className, op, inputs, outputShape, params: 0 });
  const conv = (filters: number, k: number, cin: number, activation: Extract<Op, { type: 'conv' }>['activation']): Op => ({
    type: 'conv', rank: 2, filters, kernelSize: [k, k], strides: [1, 1], dilation: [1, 1], padding: 'same', dataFormat: 'channels_last', groups: 1,
    kernel: rt(rng, [k, k, cin, filters]), bias: rt(rng, [filters]), activation,
  });
  return {
    inputs: ['x'],
    outputs: ['sm'],
    nodes: [
      node('x', 'InputLayer', { type: 'input' }, [], [null, 6, 5, 2]),
      node('c1', 'Conv2D', conv(3, 3, 2, { kind: 'linear' }), ['x'], [null, 6, 5, 3]),
      node('bn', 'BatchNormalization', {
        type: 'batchNorm', axis: 3, epsilon: 1e-3, gamma: tensor([3], Float32Array.from([1.2, 0.8, 1])), beta: tensor([3], Float32Array.from([0.1, 0, -0.1])),
        mean: tensor([3], Float32Array.from([0.05, -0.1, 0])), variance: tensor([3], Float32Array.from([0.9, 1.1, 1.3])),
      }, ['c1'], [null, 6, 5, 3]),
      node('r', 'ReLU', { type: 'activation', activation: RELU }, ['bn'], [null, 6, 5, 3]),
      node('c2', 'Conv2D', conv(3, 1, 3, { kind: 'tanh' }), ['r'], [null, 6, 5, 3]),
      node('res', 'Add', { type: 'merge', mode: 'add' }, ['bn', 'c2'], [null, 6, 5, 3]),
      node('p', 'MaxPooling2D', { type: 'pool', mode: 'max', rank: 2, poolSize: [2, 2], strides: [2, 2], padding: 'valid', dataFormat: 'channels_last' }, ['res'], [null, 3, 2, 3]),
      node('f', 'Flatten', { type: 'flatten', dataFormat: 'channels_last' }, ['p'], [null, 18]),
      node('gap', 'GlobalAveragePooling2D', { type: 'globalPool', mode: 'avg', rank: 2, dataFormat: 'channels_last', keepDims: false }, ['r'], [null, 3]),
      node('cat', 'Concatenate', { type: 'concat', axis: 1 }, ['f', 'gap'], [null, 21]),
      node('d', 'Dense', { type: 'dense', units: 4, kernel: rt(rng, [21, 4]), bias: rt(rng, [4]), activation: { kind: 'linear' } }, ['cat'], [null, 4]),
      node('sm', 'Softmax', { type: 'activation', activation: { kind: 'softmax', axis: 1 } }, ['d'], [null, 4]),
    ],
  };
}

/** The part of `graph` downstream of `name`, with `name` turned into an input node. */
function cutAt(graph: Graph, name: string): Graph {
  const at = graph.nodes.findIndex((n) => n.name === name);
  const cut = graph.nodes[at]!;
  const nodes: Node[] = [{ ...cut, op: { type: 'input' }, inputs: [], className: 'InputLayer' }, ...graph.nodes.slice(at + 1)];
  return { nodes, inputs: [name], outputs: graph.outputs };
}

const f32 = (t: RTensor) => tensor(t.shape, Float32Array.from(t.data));

test('run() returns the requested nodes only, computes only their ancestors, and frees intermediates', async () => {
  const engine = new ReferenceEngine(smallGraph());
  const x = f32(randomTensor(createRng(2), [3, 6, 5, 2]));
  const all = await engine.run([x]);
  assert.deepEqual([...all.keys()], ['sm']);
  assert.equal(engine.stats.nodesRun, 11);
  const sm = all.get('sm')!;
  assert.deepEqual(sm.shape, [3, 4]);
  for (let n = 0; n < 3; n++) assert.ok(Math.abs(sm.data.slice(n * 4, n * 4 + 4).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const some = await engine.run([x], { outputs: ['bn', 'gap'] });
  assert.deepEqual([...some.keys()], ['bn', 'gap']);
  assert.equal(engine.stats.nodesRun, 4); // c1, bn, r, gap
  // bn -> relu -> global average pooling by hand from the returned bn values
  const bn = some.get('bn')!;
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let p = 0; p < 30; p++) s += Math.max(0, bn.data[p * 3 + c]!);
    assert.ok(Math.abs(some.get('gap')!.data[c]! - s / 30) < 1e-6);
  }
  // Peak memory: while 'res' is computed, bn, r (still needed by gap), c2 and res are alive: 4
  // activations, not the 8 a keep-everything engine would hold (c1 is overwritten in place by bn).
  const perActivation = 6 * 5 * 3 * 4 * 3; // values x 4 bytes x 3 samples
  await engine.run([x]);
  assert.ok(engine.stats.peakBytes <= 4 * perActivation, `peak ${engine.stats.peakBytes}`);
});

test('run() never writes into the caller\'s inputs and never returns two results sharing storage', async () => {
  const graph: Graph = {
    inputs: ['x'], outputs: ['id', 'relu'],
    nodes: [
      { name: 'x', className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: [null, 3], params: 0 },
      { name: 'id', className: 'Dropout', op: { type: 'identity' }, inputs: ['x'], outputShape: [null, 3], params: 0 },
      { name: 'relu', className: 'ReLU', op: { type: 'activation', activation: RELU }, inputs: ['id'], outputShape: [null, 3], params: 0 },
    ],
  };
  const x = tensor([1, 3], Float32Array.from([-1, 2, -3]));
  const out = await createReferenceEngine(graph).run([x], { outputs: ['x', 'id', 'relu'] });
  assert.deepEqual([...x.data], [-1, 2, -3]);
  assert.deepEqual([...out.get('relu')!.data], [0, 2, 0]);
  const buffers = new Set([...out.values()].map((t) => t.data.buffer));
  assert.equal(buffers.size, 3);
});

test('input validation: count, shape (naming expected and actual), data length, unknown node names', async () => {
  const engine = createReferenceEngine(smallGraph());
  await assert.rejects(engine.run([]), { code: 'BAD_ARGUMENT' });
  await assert.rejects(engine.run([tensor([1, 6, 5, 3])]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'SHAPE_MISMATCH');
    assert.match(e.message, /\(None, 6, 5, 2\)/);
    assert.match(e.message, /\(1, 6, 5, 3\)/);
    return true;
  });
  await assert.rejects(engine.run([{ shape: [1, 6, 5, 2], data: new Float32Array(7) }]), { code: 'SHAPE_MISMATCH' });
  await assert.rejects(engine.run([tensor([1, 6, 5, 2])], { outputs: ['nope'] }), { code: 'BAD_ARGUMENT' });
  await assert.rejects(engine.gradients([tensor([1, 6, 5, 2])], { score: { node: 'd', seed: new Float32Array(3) }, wrt: ['x'] }), { code: 'SHAPE_MISMATCH' });
});

test('cancellation: an aborted signal rejects with CANCELLED, before and during a run', async () => {
  const engine = createReferenceEngine(baseCnnGraph({ inputShape: [64, 64, 1] }));
  const x = tensor([8, 64, 64, 1]);
  const before = new AbortController();
  before.abort();
  await assert.rejects(engine.run([x], { signal: before.signal }), { code: 'CANCELLED' });
  const during = new AbortController();
  setTimeout(() => during.abort(), 5);
  await assert.rejects(engine.run([x], { signal: during.signal }), { code: 'CANCELLED' });
});

test('graph checks: duplicate names and dangling inputs are MODEL_UNSUPPORTED; dispose is idempotent', async () => {
  const g = smallGraph();
  assert.throws(() => createReferenceEngine({ ...g, nodes: [...g.nodes, g.nodes[1]!] }), { code: 'MODEL_UNSUPPORTED' });
  assert.throws(() => createReferenceEngine({ ...g, nodes: g.nodes.filter((n) => n.name !== 'bn') }), { code: 'MODEL_UNSUPPORTED' });
  const engine = createReferenceEngine(g);
  await engine.dispose();
  await engine.dispose();
  await assert.rejects(engine.run([tensor([1, 6, 5, 2])]), { code: 'ENGINE_FAILURE' });
});

test('gradients(): scores, values and input gradients match finite differences on a branching graph (float64)', async () => {
  const graph = smallGraph();
  const rng = createRng(3);
  const x = randomTensor(rng, [2, 6, 5, 2]);
  const seed = [0.5, -1, 0, 2];
  const fd = await finiteDifferences(graph, [x], { node: 'd', seed });
  assert.ok(fd.maxAbsGradient > 1e-3);
  assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `err ${fd.maxAbsError}`);
  // Through the softmax too.
  const fdSm = await finiteDifferences(graph, [x], { node: 'sm', seed: [0, 0, 1, 0] });
  assert.ok(fdSm.maxAbsError <= 1e-7 * Math.max(1, fdSm.maxAbsGradient), `softmax err ${fdSm.maxAbsError}`);

  const engine = new ReferenceEngine(graph);
  const res = await engine.gradientsRaw([x], { score: { node: 'd', seed }, wrt: ['x', 'bn', 'r', 'c1'] });
  const d = (await engine.runRaw([x], { outputs: ['d', 'r'] }));
  for (let n = 0; n < 2; n++) {
    const want = seed.reduce((s, w, i) => s + w * d.get('d')!.data[n * 4 + i]!, 0);
    assert.ok(Math.abs(res.scores[n]! - want) < 1e-12);
  }
  assert.deepEqual([...res.values.get('r')!.data], [...d.get('r')!.data]);
  assert.ok(maxAbsDiff(res.gradients.get('x')!.data, fd.analytic[0]!) === 0);

  // An intermediate node (Grad-CAM style): compare with finite differences on the graph cut there.
  const bn = res.values.get('bn')!;
  const fdBn = await finiteDifferences(cutAt(graph, 'bn'), [{ shape: bn.shape, data: Float64Array.from(bn.data) }], { node: 'd', seed });
  assert.ok(maxAbsDiff(res.gradients.get('bn')!.data, fdBn.numeric[0]!) <= 1e-7 * Math.max(1, fdBn.maxAbsGradient));
  // r feeds c2 and gap; c1 = bn's input: its gradient is bn's times gamma / sqrt(var + eps).
  assert.equal(res.gradients.get('r')!.data.length, 2 * 6 * 5 * 3);
  const gC1 = res.gradients.get('c1')!.data, gBn = res.gradients.get('bn')!.data;
  const f = Math.fround;
  const scale = [f(1.2) / Math.sqrt(f(0.9) + 1e-3), f(0.8) / Math.sqrt(f(1.1) + 1e-3), 1 / Math.sqrt(f(1.3) + 1e-3)];
  for (let i = 0; i < gC1.length; i++) assert.ok(Math.abs(gC1[i]! - gBn[i]! * scale[i % 3]!) <= 1e-12 * Math.max(1, Math.abs(gC1[i]!)));
});

test('gradients(): a batch gives the same per-sample results as single samples; float32 API agrees', async () => {
  const graph = smallGraph(4);
  const engine = createReferenceEngine(graph);
  const x = f32(randomTensor(createRng(5), [3, 6, 5, 2]));
  const seed = Float32Array.from([1, 0, 0, -1]);
  const batch = await engine.gradients([x], { score: { node: 'd', seed }, wrt: ['x', 'gap'] });
  assert.equal(batch.scores.length, 3);
  for (let n = 0; n < 3; n++) {
    const one = await engine.gradients([{ shape: [1, 6, 5, 2], data: x.data.slice(n * 60, n * 60 + 60) }], { score: { node: 'd', seed }, wrt: ['x', 'gap'] });
    assert.ok(Math.abs(one.scores[0]! - batch.scores[n]!) <= 1e-6);
    const g = batch.gradients.get('x')!.data.slice(n * 60, n * 60 + 60);
    assert.ok(maxAbsDiff(one.gradients.get('x')!.data, g) <= 1e-6 * Math.max(1, maxAbs(g)));
    assert.ok(maxAbsDiff(one.gradients.get('gap')!.data, batch.gradients.get('gap')!.data.slice(n * 3, n * 3 + 3)) <= 1e-6);
  }
  assert.ok(batch.gradients.get('x')!.data instanceof Float32Array);
});

test('gradients(): wrt nodes that do not feed the score get zeros; the score node itself gets the seed', async () => {
  const engine = createReferenceEngine(smallGraph());
  const x = f32(randomTensor(createRng(6), [2, 6, 5, 2]));
  const res = await engine.gradients([x], { score: { node: 'gap', seed: Float32Array.from([1, 2, 3]) }, wrt: ['c2', 'gap'] });
  assert.ok(res.gradients.get('c2')!.data.every((v) => v === 0));
  assert.deepEqual([...res.gradients.get('gap')!.data], [1, 2, 3, 1, 2, 3]);
});

test('BaSe-shaped CNN: float32 agrees with float64 (rel 1e-5) and its saliency matches finite differences', async () => {
  const graph = baseCnnGraph({ inputShape: [12, 12, 1], seed: 7 });
  const rng = createRng(8);
  const x = randomTensor(rng, [1, 12, 12, 1], 0, 1);
  const engine = new ReferenceEngine(graph);
  const y64 = (await engine.runRaw([x], { outputs: ['dense', 'dense_1'] }));
  const y32 = (await engine.runRaw([f32(x)], { outputs: ['dense', 'dense_1'] }));
  const h64 = y64.get('dense')!.data, h32 = y32.get('dense')!.data;
  assert.ok(maxAbsDiff(h64, h32) <= 1e-5 * Math.max(1, maxAbs(h64)));
  assert.ok(Math.abs(y64.get('dense_1')!.data[0]! - y32.get('dense_1')!.data[0]!) <= 1e-6);
  const fd = await finiteDifferences(graph, [x], { node: 'dense_1', seed: [1] });
  assert.ok(fd.maxAbsGradient > 0);
  assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `err ${fd.maxAbsError} of ${fd.maxAbsGradient}`);
});
