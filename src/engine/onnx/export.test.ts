// Forward pass of the ONNX export (run on onnxruntime-node) against the reference engine, op by
// op: both layouts, odd sizes, strides, 'same' padding, dilation, groups, every activation.
// Tolerance: max |onnx - ref| <= 1e-5 * max |ref| for every tensor compared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Activation, DataFormat, Graph, Node } from '../../model/ir.js';
import { createReferenceEngine } from '../ref/engine.js';
import { createOnnxEngine } from './engine.js';
import { graphToOnnx } from './export.js';
import { GraphMaker, relError } from './graphs.testutil.js';
import { ArgumentError, UnsupportedError } from '../../errors.js';

const TOL = 1e-5;

/** Runs `outputs` (default: every node) on both engines and checks each tensor. */
async function compare(m: GraphMaker, outputs: string[], options: { batch?: number; all?: boolean; scale?: number } = {}): Promise<void> {
  const { batch = 2, all = true, scale = 1 } = options;
  const graph = m.graph(outputs);
  const inputs = m.inputs(batch, scale);
  const ref = createReferenceEngine(graph);
  const onnx = await createOnnxEngine(graph, { ort, threads: 1 });
  try {
    const sets = all ? [outputs, graph.nodes.map((n) => n.name)] : [outputs];
    for (const names of sets) {
      const a = await onnx.run(inputs, { outputs: names });
      const b = await ref.run(inputs, { outputs: names });
      for (const name of names) {
        const ta = a.get(name)!;
        const tb = b.get(name)!;
        assert.deepEqual(ta.shape, tb.shape, `${name}: shape`);
        const err = relError(ta.data, tb.data);
        assert.ok(err <= TOL, `${name} (${graph.nodes.find((n) => n.name === name)!.className}): relative error ${err.toExponential(2)} > ${TOL}`);
      }
    }
  } finally {
    await onnx.dispose();
  }
}

const relu: Activation = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 };
const formats: DataFormat[] = ['channels_last', 'channels_first'];
/** Input shape of a rank-2 spatial layer in a layout. */
const img = (h: number, w: number, c: number, df: DataFormat): number[] => (df === 'channels_last' ? [h, w, c] : [c, h, w]);
const seq = (l: number, c: number, df: DataFormat): number[] => (df === 'channels_last' ? [l, c] : [c, l]);
const chAxis = (rank: number, df: DataFormat): number => (df === 'channels_last' ? rank - 1 : 1);

for (const df of formats) {
  test(`conv2d ${df}: strides, 'same' on odd sizes, dilation, groups, no bias`, async () => {
    const m = new GraphMaker(11);
    const x = m.input(img(9, 11, 4, df));
    const a = m.conv(x, { filters: 6, kernel: [3, 3], strides: [2, 2], padding: 'same', dataFormat: df, activation: relu });
    const b = m.conv(a, { filters: 4, kernel: [3, 2], dilation: [2, 2], padding: 'same', dataFormat: df, groups: 2 });
    const c = m.conv(b, { filters: 5, kernel: [2, 3], strides: [2, 1], padding: 'valid', dataFormat: df, bias: false, activation: { kind: 'tanh' } });
    const d = m.conv(x, { filters: 3, kernel: [4, 4], strides: [3, 2], padding: 'same', dataFormat: df });
    await compare(m, [c, d]);
  });

  test(`conv1d ${df}: valid, same, causal, dilation, stride 2`, async () => {
    const m = new GraphMaker(12);
    const x = m.input(seq(17, 3, df));
    const a = m.conv(x, { filters: 4, kernel: [3], padding: 'causal', dilation: [2], dataFormat: df, activation: relu });
    const b = m.conv(a, { filters: 5, kernel: [4], strides: [2], padding: 'same', dataFormat: df });
    const c = m.conv(b, { filters: 2, kernel: [2], padding: 'valid', dataFormat: df, activation: { kind: 'sigmoid' } });
    await compare(m, [c]);
  });

  test(`depthwise conv ${df}: multiplier 2, stride 2 'same'; 1-D`, async () => {
    const m = new GraphMaker(13);
    const x = m.input(img(7, 8, 3, df));
    const a = m.depthwise(x, { kernel: [3, 3], multiplier: 2, strides: [2, 2], padding: 'same', dataFormat: df, activation: relu });
    const b = m.depthwise(a, { kernel: [2, 2], dilation: [1, 1], dataFormat: df });
    const s = m.input(seq(9, 2, df));
    const c = m.depthwise(s, { kernel: [3], multiplier: 3, padding: 'same', dataFormat: df });
    await compare(m, [b, c]);
  });

  test(`pools ${df}: max/avg, valid/same, overlapping windows, 1-D and 2-D`, async () => {
    const m = new GraphMaker(14);
    const x = m.input(img(9, 7, 3, df));
    const outs: string[] = [];
    for (const mode of ['max', 'avg'] as const) {
      outs.push(m.pool(x, { mode, size: [2, 2], padding: 'valid', dataFormat: df }));
      outs.push(m.pool(x, { mode, size: [3, 3], strides: [2, 2], padding: 'same', dataFormat: df }));
      outs.push(m.pool(x, { mode, size: [2, 3], strides: [1, 2], padding: 'same', dataFormat: df }));
    }
    const s = m.input(seq(11, 2, df));
    for (const mode of ['max', 'avg'] as const) outs.push(m.pool(s, { mode, size: [3], strides: [2], padding: 'same', dataFormat: df }));
    await compare(m, outs, { all: false });
  });

  test(`global pools ${df}: max/avg, keepDims, 1-D and 2-D`, async () => {
    const m = new GraphMaker(15);
    const x = m.input(img(5, 6, 3, df));
    const c = m.conv(x, { filters: 4, kernel: [3, 3], dataFormat: df });
    const outs = [
      m.globalPool(c, { mode: 'avg', rank: 2, dataFormat: df }),
      m.globalPool(c, { mode: 'max', rank: 2, dataFormat: df, keepDims: true }),
    ];
    const s = m.input(seq(7, 2, df));
    outs.push(m.globalPool(s, { mode: 'max', rank: 1, dataFormat: df }), m.globalPool(s, { mode: 'avg', rank: 1, dataFormat: df, keepDims: true }));
    await compare(m, outs);
  });

  test(`flatten ${df} (Keras moves channels last for channels_first), dense`, async () => {
    const m = new GraphMaker(16);
    const x = m.input(img(5, 4, 3, df));
    const c = m.conv(x, { filters: 3, kernel: [2, 2], dataFormat: df, activation: relu });
    const f = m.flatten(c, df);
    const d = m.dense(f, 4, { kind: 'softmax', axis: 1 });
    const f2 = m.flatten(c, df === 'channels_last' ? 'channels_first' : 'channels_last');
    await compare(m, [d, f2]);
  });

  test(`zero padding, cropping, upsampling ${df}`, async () => {
    const m = new GraphMaker(17);
    const x = m.input(img(5, 6, 2, df));
    const c = m.conv(x, { filters: 3, kernel: [2, 2], dataFormat: df });
    const p = m.zeroPad(c, [[1, 2], [0, 3]], df);
    const k = m.crop(p, [[2, 0], [1, 1]], df);
    const u = m.upsample(k, [2, 3], { dataFormat: df });
    const bl = m.upsample(k, [3, 2], { dataFormat: df, interpolation: 'bilinear' });
    const s = m.input(seq(5, 2, df));
    const s1 = m.upsample(m.crop(m.zeroPad(s, [[2, 1]], df), [[0, 1]], df), [2], { dataFormat: df });
    await compare(m, [u, bl, s1]);
  });

  test(`batch norm ${df}: folded into conv/dense, kept when the conv is requested, standalone`, async () => {
    const m = new GraphMaker(18);
    const x = m.input(img(6, 5, 3, df));
    const bn0 = m.batchNorm(x, chAxis(4, df));
    const c = m.conv(bn0, { filters: 4, kernel: [3, 3], padding: 'same', dataFormat: df });
    const bn1 = m.batchNorm(c, chAxis(4, df));
    const c2 = m.conv(bn1, { filters: 4, kernel: [3, 3], dataFormat: df });
    const bn2 = m.batchNorm(c2, chAxis(4, df), { center: false, scale: false });
    const f = m.flatten(bn2, df);
    const d = m.dense(f, 3);
    const bn3 = m.batchNorm(d, 1);
    const bnSpatial = m.batchNorm(bn2, df === 'channels_last' ? 1 : 2); // along a spatial axis
    await compare(m, [bn3, bnSpatial], { all: false });
    await compare(m, [bn3, c, c2, bnSpatial], { all: false });
  });
}

test('every activation, on a channels-first chain (rank 4) and on a dense output', async () => {
  const acts: Activation[] = [
    relu,
    { kind: 'relu', maxValue: 6, negativeSlope: 0, threshold: 0 },
    { kind: 'relu', maxValue: null, negativeSlope: 0.2, threshold: 0 },
    { kind: 'relu', maxValue: 0.8, negativeSlope: 0.1, threshold: 0.3 },
    { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0.25 },
    { kind: 'thresholded_relu', theta: 0.4 },
    { kind: 'sigmoid' },
    { kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 },
    { kind: 'hard_sigmoid', slope: 1 / 6, offset: 0.5 },
    { kind: 'tanh' },
    { kind: 'softmax', axis: 3 },
    { kind: 'softmax', axis: 1 },
    { kind: 'elu', alpha: 1 },
    { kind: 'elu', alpha: 0.5 },
    { kind: 'selu' },
    { kind: 'softplus' },
    { kind: 'softsign' },
    { kind: 'swish' },
    { kind: 'gelu', approximate: false },
    { kind: 'gelu', approximate: true },
    { kind: 'exponential' },
  ];
  const m = new GraphMaker(19);
  const x = m.input([4, 5, 3]);
  const c = m.conv(x, { filters: 3, kernel: [1, 1] });
  const outs = acts.map((a) => m.activation(c, a));
  const d = m.dense(m.flatten(c), 4);
  outs.push(...acts.filter((a) => a.kind !== 'softmax').map((a) => m.activation(d, a)));
  outs.push(m.activation(d, { kind: 'softmax', axis: 1 }));
  await compare(m, outs, { all: false, scale: 3 });
});

test('dense on rank 3 and rank 4 tensors, reshape, permute, identity, rescale', async () => {
  const m = new GraphMaker(20);
  const x = m.input([6, 4, 2]);
  const c = m.conv(x, { filters: 3, kernel: [3, 1] });
  const d4 = m.dense(c, 5, relu);
  const p = m.permute(d4, [3, 1, 2]);
  const r = m.reshape(p, [5, 16]);
  const d3 = m.dense(r, 3, { kind: 'softmax', axis: 2 });
  const i = m.identity(d3);
  const s = m.rescale(i, 1 / 255, -0.5);
  await compare(m, [s]);
});

test('concat and merges: along channels, along a spatial axis, mixed layouts, broadcasting ranks', async () => {
  const m = new GraphMaker(21);
  const x = m.input([5, 5, 2]);
  const a = m.conv(x, { filters: 3, kernel: [3, 3], padding: 'same', activation: relu });
  const b = m.conv(x, { filters: 3, kernel: [1, 1] });
  const cat = m.concat([a, b, x], 3);
  const catH = m.concat([a, b], 1);
  const outs = [cat, catH];
  for (const mode of ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] as const) outs.push(m.merge([a, b], mode));
  outs.push(m.merge([a, b, m.conv(x, { filters: 3, kernel: [1, 1] })], 'add'));
  // One input channels-first inside (from a conv), the other in Keras layout (a dense).
  const dd = m.dense(x, 3);
  outs.push(m.merge([a, dd], 'add'), m.concat([dd, a], 3));
  await compare(m, outs);
});

test('requested intermediate outputs come back in the Keras layout of their node', async () => {
  const m = new GraphMaker(22);
  const x = m.input([8, 8, 3]);
  const c = m.conv(x, { filters: 4, kernel: [3, 3], padding: 'same' });
  const bn = m.batchNorm(c, 3);
  const r = m.activation(bn, relu);
  const p = m.pool(r, { mode: 'max', size: [2, 2] });
  const i = m.identity(p);
  const f = m.flatten(i);
  const d = m.dense(f, 2);
  const g = m.graph([d]);
  const onnx = await createOnnxEngine(g, { ort, threads: 1 });
  const ref = createReferenceEngine(g);
  const inputs = m.inputs(3);
  // Identity and its input both requested: the same ONNX value under two output names.
  for (const names of [[p, i], [i, p, d], [c, bn, r], [x, i]]) {
    const a = await onnx.run(inputs, { outputs: names });
    const b = await ref.run(inputs, { outputs: names });
    for (const n of names) assert.ok(relError(a.get(n)!.data, b.get(n)!.data) <= TOL, n);
  }
  await onnx.dispose();
});

test('graphToOnnx: fixed batch, output names, errors', async () => {
  const m = new GraphMaker(23);
  const x = m.input([4, 4, 1], 'image');
  const c = m.conv(x, { filters: 2, kernel: [3, 3] });
  const d = m.dense(m.flatten(c), 2);
  const g = m.graph([d]);
  const bytes = graphToOnnx(g, { outputs: [d, c], batch: 3 });
  const s = await ort.InferenceSession.create(bytes);
  assert.deepEqual(s.inputNames, ['image']);
  assert.deepEqual(s.outputNames, [d, c]);
  const out = await s.run({ image: new ort.Tensor('float32', new Float32Array(48), [3, 4, 4, 1]) });
  assert.deepEqual(out[c]!.dims, [3, 2, 2, 2]);
  await s.release();
  assert.throws(() => graphToOnnx(g, { outputs: ['nope'] }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT' && /nope/.test(e.message));
  assert.throws(() => graphToOnnx(g, { batch: 0 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  const m2 = new GraphMaker(24);
  const y = m2.input([5, 5, 2]);
  const causal: Node = {
    name: 'c', className: 'Conv2D', inputs: [y], outputShape: [null, 5, 5, 1], params: 0,
    op: {
      type: 'conv', rank: 2, filters: 1, kernelSize: [3, 3], strides: [1, 1], dilation: [1, 1], padding: 'causal',
      dataFormat: 'channels_last', groups: 1, kernel: m2.random([3, 3, 2, 1]), bias: null, activation: { kind: 'linear' },
    },
  };
  const bad: Graph = { nodes: [...m2.nodes, causal], inputs: [y], outputs: ['c'] };
  assert.throws(() => graphToOnnx(bad), (e: unknown) => e instanceof UnsupportedError && e.code === 'MODEL_UNSUPPORTED' && /'c'/.test(e.message));
});
