// Gradients of the ONNX engine (explicit backward graphs on onnxruntime-node) against the
// reference engine's reverse mode, rule by rule; max-pool tie breaking checked exactly.
// Tolerance: max |onnx - ref| <= 1e-5 * max |ref| for scores, values and gradients.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Activation, DataFormat, Op } from '../../model/ir.js';
import { UnsupportedError } from '../../errors.js';
import { createReferenceEngine } from '../ref/engine.js';
import { buildGradientModel } from './backward.js';
import { createOnnxEngine } from './engine.js';
import { GraphMaker, relError } from './graphs.testutil.js';

const TOL = 1e-5;
const relu: Activation = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 };
const formats: DataFormat[] = ['channels_last', 'channels_first'];
const img = (h: number, w: number, c: number, df: DataFormat): number[] => (df === 'channels_last' ? [h, w, c] : [c, h, w]);
const seq = (l: number, c: number, df: DataFormat): number[] => (df === 'channels_last' ? [l, c] : [c, l]);

/** Compares d(seed . score)/d(wrt) of both engines; the seed is random over the score node. */
async function compareGrad(m: GraphMaker, score: string, wrt: string[], options: { batch?: number; scale?: number } = {}): Promise<void> {
  const { batch = 2, scale = 1 } = options;
  const graph = m.graph([score]);
  const node = graph.nodes.find((n) => n.name === score)!;
  const size = node.outputShape.slice(1).reduce<number>((a, d) => a * (d as number), 1);
  const seed = m.random([size]).data;
  const inputs = m.inputs(batch, scale);
  const ref = createReferenceEngine(graph);
  const onnx = await createOnnxEngine(graph, { ort, threads: 1 });
  try {
    const a = await onnx.gradients(inputs, { score: { node: score, seed }, wrt });
    const b = await ref.gradients(inputs, { score: { node: score, seed }, wrt });
    assert.ok(relError(a.scores, b.scores) <= TOL, `scores: ${relError(a.scores, b.scores)}`);
    for (const w of wrt) {
      assert.deepEqual(a.gradients.get(w)!.shape, b.gradients.get(w)!.shape, `${w}: gradient shape`);
      assert.deepEqual(a.values.get(w)!.shape, b.values.get(w)!.shape, `${w}: value shape`);
      const ev = relError(a.values.get(w)!.data, b.values.get(w)!.data);
      const eg = relError(a.gradients.get(w)!.data, b.gradients.get(w)!.data);
      assert.ok(ev <= TOL, `${w}: value error ${ev.toExponential(2)}`);
      assert.ok(eg <= TOL, `${w}: gradient error ${eg.toExponential(2)}`);
    }
  } finally {
    await onnx.dispose();
  }
}

for (const df of formats) {
  test(`conv gradients ${df}: stride 1 and 2, 'same' on odd sizes, dilation, groups, causal, depthwise`, async () => {
    const m = new GraphMaker(31);
    const x = m.input(img(9, 11, 4, df));
    const a = m.conv(x, { filters: 6, kernel: [3, 3], strides: [2, 2], padding: 'same', dataFormat: df, activation: relu });
    const b = m.conv(a, { filters: 4, kernel: [3, 2], dilation: [2, 2], padding: 'same', dataFormat: df, groups: 2, activation: { kind: 'elu', alpha: 1 } });
    const c = m.conv(b, { filters: 5, kernel: [2, 3], strides: [2, 1], padding: 'valid', dataFormat: df, activation: { kind: 'tanh' } });
    const d = m.depthwise(c, { kernel: [2, 2], multiplier: 2, strides: [1, 2], padding: 'same', dataFormat: df, activation: { kind: 'swish' } });
    const e = m.conv(d, { filters: 3, kernel: [1, 1], dataFormat: df });
    await compareGrad(m, e, [x, b]);
    const m1 = new GraphMaker(32);
    const s = m1.input(seq(16, 3, df));
    const s1 = m1.conv(s, { filters: 4, kernel: [3], padding: 'causal', dilation: [2], dataFormat: df, activation: relu });
    const s2 = m1.conv(s1, { filters: 3, kernel: [4], strides: [3], padding: 'same', dataFormat: df });
    const s3 = m1.conv(s2, { filters: 2, kernel: [2], strides: [2], padding: 'valid', dataFormat: df });
    await compareGrad(m1, s3, [s, s1]);
  });

  test(`pool gradients ${df}: max/avg, valid/same, overlapping, global`, async () => {
    const m = new GraphMaker(33);
    const x = m.input(img(9, 7, 3, df));
    const c = m.conv(x, { filters: 3, kernel: [1, 1], dataFormat: df });
    const p1 = m.pool(c, { mode: 'max', size: [3, 3], strides: [2, 2], padding: 'same', dataFormat: df });
    const p2 = m.pool(c, { mode: 'avg', size: [3, 2], strides: [2, 1], padding: 'same', dataFormat: df });
    const p3 = m.pool(c, { mode: 'avg', size: [2, 2], padding: 'valid', dataFormat: df });
    const p4 = m.pool(c, { mode: 'max', size: [2, 2], padding: 'valid', dataFormat: df });
    const g1 = m.globalPool(p1, { mode: 'max', rank: 2, dataFormat: df });
    const g2 = m.globalPool(p2, { mode: 'avg', rank: 2, dataFormat: df });
    const g3 = m.globalPool(p3, { mode: 'avg', rank: 2, dataFormat: df, keepDims: true });
    const g4 = m.globalPool(p4, { mode: 'max', rank: 2, dataFormat: df, keepDims: true });
    const cat = m.concat([g1, g2, m.flatten(g3), m.flatten(g4)], 1);
    await compareGrad(m, cat, [x]);
    // A fused ReLU before a max pool, 'same' padding and a leftover row.
    const mr = new GraphMaker(36);
    const xr = mr.input(img(9, 7, 3, df));
    const cr = mr.conv(xr, { filters: 4, kernel: [3, 3], padding: 'same', dataFormat: df, activation: relu });
    const pr = mr.pool(cr, { mode: 'max', size: [2, 2], padding: 'valid', dataFormat: df });
    const ar = mr.activation(mr.conv(pr, { filters: 4, kernel: [1, 1], dataFormat: df }), relu);
    const qr = mr.pool(ar, { mode: 'max', size: [2, 2], padding: 'same', dataFormat: df });
    await compareGrad(mr, mr.dense(mr.flatten(qr, df), 2), [xr, cr]);
    await compareGrad(mr, mr.dense(mr.flatten(qr, df), 2), [xr]);
    const m1 = new GraphMaker(34);
    const s = m1.input(seq(11, 2, df));
    const q = m1.pool(s, { mode: 'max', size: [3], strides: [2], padding: 'same', dataFormat: df });
    const r = m1.pool(q, { mode: 'avg', size: [2], strides: [1], padding: 'same', dataFormat: df });
    await compareGrad(m1, r, [s]);
    // Disjoint windows with padding before (3x3 'same' on 7x8) or an uncovered tail; 1-D too.
    const m2 = new GraphMaker(37);
    const x2 = m2.input(img(7, 8, 2, df));
    const q2 = m2.pool(x2, { mode: 'max', size: [3, 3], padding: 'same', dataFormat: df });
    const q3 = m2.pool(x2, { mode: 'max', size: [3, 3], padding: 'valid', dataFormat: df });
    const s2 = m2.input(seq(11, 2, df));
    const q4 = m2.pool(s2, { mode: 'max', size: [2], padding: 'valid', dataFormat: df });
    const q5 = m2.pool(s2, { mode: 'max', size: [3], padding: 'same', dataFormat: df });
    const all = m2.concat([m2.flatten(q2, df), m2.flatten(q3, df), m2.flatten(q4, df), m2.flatten(q5, df)], 1);
    await compareGrad(m2, all, [x2, s2]);
  });

  test(`shape-op gradients ${df}: flatten, pad, crop, nearest upsample, batch norm, concat`, async () => {
    const m = new GraphMaker(35);
    const x = m.input(img(5, 6, 2, df));
    const bn0 = m.batchNorm(x, df === 'channels_last' ? 3 : 1);
    const c = m.conv(bn0, { filters: 3, kernel: [2, 2], dataFormat: df });
    const bn = m.batchNorm(c, df === 'channels_last' ? 3 : 1);
    const p = m.zeroPad(bn, [[1, 2], [0, 3]], df);
    const k = m.crop(p, [[2, 0], [1, 1]], df);
    const u = m.upsample(k, [2, 3], { dataFormat: df });
    const cat = m.concat([u, m.upsample(k, [2, 3], { dataFormat: df })], df === 'channels_last' ? 3 : 1);
    const f = m.flatten(cat, df);
    const d = m.dense(f, 3, { kind: 'softmax', axis: 1 });
    await compareGrad(m, d, [x, c]);
  });
}

test('activation gradients (every kind, fused into a conv and as layers)', async () => {
  const acts: Activation[] = [
    relu,
    { kind: 'relu', maxValue: 6, negativeSlope: 0, threshold: 0 },
    { kind: 'relu', maxValue: null, negativeSlope: 0.2, threshold: 0 },
    { kind: 'relu', maxValue: 0.8, negativeSlope: 0.1, threshold: 0.3 },
    { kind: 'thresholded_relu', theta: 0.4 },
    { kind: 'sigmoid' },
    { kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 },
    { kind: 'tanh' },
    { kind: 'softmax', axis: 3 },
    { kind: 'softmax', axis: 2 },
    { kind: 'elu', alpha: 0.7 },
    { kind: 'selu' },
    { kind: 'softplus' },
    { kind: 'softsign' },
    { kind: 'swish' },
    { kind: 'gelu', approximate: false },
    { kind: 'gelu', approximate: true },
    { kind: 'exponential' },
  ];
  for (const [i, act] of acts.entries()) {
    const m = new GraphMaker(40 + i);
    const x = m.input([5, 4, 3]);
    const c = m.conv(x, { filters: 3, kernel: [2, 2], activation: act });
    const a = m.activation(m.conv(c, { filters: 2, kernel: [1, 1] }), act);
    const d = m.dense(m.flatten(a), 2, act.kind === 'softmax' ? { kind: 'softmax', axis: 1 } : act);
    await compareGrad(m, d, [x], { scale: 2 });
  }
});

test('dense (rank 2 and 4), reshape, permute, identity, rescale, merges', async () => {
  const m = new GraphMaker(60);
  const x = m.input([6, 4, 2]);
  const c = m.conv(x, { filters: 3, kernel: [3, 1], activation: relu });
  const d4 = m.dense(c, 5, { kind: 'sigmoid' });
  const p = m.permute(d4, [3, 1, 2]);
  const r = m.reshape(p, [5, 16]);
  const i = m.identity(r);
  const s = m.rescale(i, 0.5, 1);
  const a = m.conv(x, { filters: 3, kernel: [3, 1] });
  const adds = [m.merge([c, a], 'add'), m.merge([c, a], 'subtract'), m.merge([c, a, c], 'multiply'), m.merge([a, c], 'average')];
  const f = m.concat([m.flatten(s), ...adds.map((t) => m.flatten(t))], 1);
  const out = m.dense(f, 2);
  await compareGrad(m, out, [x, c]);
});

test('Grad-CAM shape: gradient w.r.t. the last conv of a BaSe-like CNN, and w.r.t. the input', async () => {
  const m = new GraphMaker(61);
  const x = m.input([20, 20, 1]);
  let h = x;
  for (let i = 0; i < 3; i++) {
    h = m.conv(h, { filters: 8, kernel: [3, 3], padding: 'same' });
    h = m.batchNorm(h, 3);
    h = m.activation(h, relu);
    h = m.pool(h, { mode: 'max', size: [2, 2] });
  }
  const last = h;
  const d = m.dense(m.dense(m.flatten(h), 16, relu), 1, { kind: 'sigmoid' });
  await compareGrad(m, d, [last], { batch: 3 });
  await compareGrad(m, d, [x], { batch: 3 });
});

test('max pooling sends the gradient to the first maximal cell (ties, negative windows)', async () => {
  const m = new GraphMaker(62);
  const x = m.input([2, 4, 1]);
  const p = m.pool(x, { mode: 'max', size: [2, 2] });
  const g = m.graph([p]);
  const onnx = await createOnnxEngine(g, { ort, threads: 1 });
  // Window 1: [-3, -1; -2, -4] -> the -1 (index 1). Window 2: all 5 -> the first (index 2).
  const data = Float32Array.from([-3, -1, 5, 5, -2, -4, 5, 5]);
  const r = await onnx.gradients([{ shape: [1, 2, 4, 1], data }], { score: { node: p, seed: Float32Array.from([1, 10]) }, wrt: [x] });
  assert.deepEqual([...r.gradients.get(x)!.data], [0, 1, 10, 0, 0, 0, 0, 0]);
  assert.deepEqual([...r.scores], [-1 + 50]);
  await onnx.dispose();
  // ReLU then max pool (the ReLU derivative is applied on the pooled gradient): windows
  // [-3 -1; -2 -4] (all clipped to 0: no gradient), [2 2; 1 0] (tie: first), [0 3; 3 -1].
  const m2 = new GraphMaker(64);
  const x2 = m2.input([2, 6, 1]);
  const r2 = m2.activation(x2, relu);
  const p2 = m2.pool(r2, { mode: 'max', size: [2, 2] });
  const e2 = await createOnnxEngine(m2.graph([p2]), { ort, threads: 1 });
  const data2 = Float32Array.from([-3, -1, 2, 2, 0, 3, -2, -4, 1, 0, 3, -1]);
  const r2g = await e2.gradients([{ shape: [1, 2, 6, 1], data: data2 }], { score: { node: p2, seed: Float32Array.from([1, 10, 100]) }, wrt: [x2] });
  assert.deepEqual([...r2g.gradients.get(x2)!.data], [0, 0, 10, 0, 0, 100, 0, 0, 0, 0, 0, 0]);
  await e2.dispose();
});

test('max pool after a 1-channel convolution (fused slot form): exact ties go to the first maximal cell', async () => {
  // Conv 3x3 'same' whose kernel passes the input through (centre tap 1, filter 1 doubles it),
  // then ReLU and 2x2 max pool: the pooled gradient must land on the first maximal input cell.
  for (const df of formats) {
    for (const separateRelu of [false, true]) {
      const m = new GraphMaker(66);
      const x = m.input(img(4, 6, 1, df));
      const c = m.conv(x, { filters: 2, kernel: [3, 3], padding: 'same', dataFormat: df, activation: separateRelu ? undefined : relu });
      const op = m.nodes.find((n) => n.name === c)!.op as Extract<Op, { type: 'conv' }>;
      op.kernel.data.fill(0); // (3, 3, 1, 2): centre taps 4 * 2 + f
      op.kernel.data[8] = 1;
      op.kernel.data[9] = 2;
      op.bias!.data.fill(0);
      const p = m.pool(separateRelu ? m.activation(c, relu) : c, { mode: 'max', size: [2, 2], dataFormat: df });
      const graph = m.graph([p]);
      // Rows of the 4x6 image; windows (2x2) hold ties at every slot order and one negative window.
      const rows = [
        [5, 5, 1, 2, -3, -1],
        [5, 5, 2, 1, -2, -4],
        [0, 7, 3, 0, 4, 4],
        [7, 7, 0, 3, 4, 0],
      ];
      const data = Float32Array.from(rows.flat());
      const seed = Float32Array.from({ length: 12 }, (_, i) => i + 1);
      const onnx = await createOnnxEngine(graph, { ort, threads: 1 });
      const r = await onnx.gradients([{ shape: [1, ...img(4, 6, 1, df)], data }], { score: { node: p, seed }, wrt: [x] });
      await onnx.dispose();
      // Pooled (channels_last: (i, j, f) -> seed index (i * 3 + j) * 2 + f; channels_first: f * 6 + i * 3 + j).
      const s = (i: number, j: number, f: number): number => seed[df === 'channels_last' ? (i * 3 + j) * 2 + f : f * 6 + i * 3 + j]!;
      const want = new Float32Array(24);
      const first: [number, number, number, number][] = [[0, 0, 0, 0], [0, 1, 0, 3], [1, 0, 2, 1], [1, 1, 2, 2], [1, 2, 2, 4]]; // (i, j) -> cell (row, col)
      for (const [i, j, row, col] of first) want[row * 6 + col] = s(i, j, 0) * 1 + s(i, j, 1) * 2;
      assert.deepEqual([...r.gradients.get(x)!.data], [...want], `${df}, ReLU ${separateRelu ? 'as a layer' : 'fused'}`);
      // The fused form ran (no full-resolution pool gradient, no MaxPool Indices).
      const bytes = Buffer.from(buildGradientModel(graph, { score: p, wrt: [x] }).bytes).toString('latin1');
      assert.ok(bytes.includes('grad_pool_conv') && !bytes.includes('maxpool_argmax'), 'fused slot form used');
    }
  }
});

test('every max-pool gradient form gives the same gradient on a BaSe-like CNN with binary inputs (ties)', async () => {
  const m = new GraphMaker(67);
  const x = m.input([16, 16, 1]);
  // First pool: fused with the 1-channel conv; second: slot-computed indices (5 input channels).
  let h = m.activation(m.batchNorm(m.conv(x, { filters: 5, kernel: [3, 3], padding: 'same' }), 3), relu);
  h = m.pool(h, { mode: 'max', size: [2, 2] });
  h = m.pool(m.conv(h, { filters: 6, kernel: [3, 3], padding: 'same', activation: relu }), { mode: 'max', size: [2, 2] });
  const d = m.dense(m.dense(m.flatten(h), 8, relu), 1);
  const graph = m.graph([d]);
  const batch = 6;
  const data = new Float32Array(batch * 256);
  for (let i = 0; i < data.length; i++) data[i] = m.rng.next() < 0.3 ? 1 : 0; // haplotype-like
  // Long runs of equal rows, as sorted haplotypes have: exact ties after every layer.
  for (let n = 0; n < batch; n++) for (let r = 8; r < 16; r++) data.copyWithin(n * 256 + r * 16, n * 256 + 7 * 16, n * 256 + 8 * 16);
  const grads: Float32Array[] = [];
  for (const form of ['slots', 'unpool', 'windows', 'scatter'] as const) {
    const gm = buildGradientModel(graph, { score: d, wrt: [x], maxPoolGrad: form });
    const text = Buffer.from(gm.bytes).toString('latin1');
    if (form === 'slots') assert.ok(text.includes('grad_pool_conv') && text.includes('window_base') && !text.includes('maxpool_argmax'), 'both slot forms used');
    const session = await ort.InferenceSession.create(gm.bytes, { intraOpNumThreads: 1 });
    const out = await session.run({ [x]: new ort.Tensor('float32', data, [batch, 16, 16, 1]), [gm.seedInput]: new ort.Tensor('float32', Float32Array.of(1), gm.seedShape as number[]) });
    grads.push(out[gm.gradientOutputs[0]!]!.data as Float32Array);
    await session.release();
  }
  const ref = await createReferenceEngine(graph).gradients([{ shape: [batch, 16, 16, 1], data }], { score: { node: d, seed: Float32Array.of(1) }, wrt: [x] });
  const want = ref.gradients.get(x)!.data;
  let nonzero = 0;
  for (const v of want) if (v !== 0) nonzero++;
  assert.ok(nonzero > 100, `the gradient reaches the input (${nonzero} cells)`);
  grads.forEach((g, i) => assert.ok(relError(g, want) <= TOL, `form ${i}: error ${relError(g, want).toExponential(2)}`));
});

test('global max pooling shares the gradient among tied maxima (tf.reduce_max)', async () => {
  const m = new GraphMaker(65);
  const x = m.input([2, 2, 2]);
  const g = m.globalPool(x, { mode: 'max', rank: 2 });
  const e = await createOnnxEngine(m.graph([g]), { ort, threads: 1 });
  // channel 0: 4 at two cells; channel 1: a single maximum 7.
  const data = Float32Array.from([4, 1, 4, 7, 0, 2, 3, 5]);
  const r = await e.gradients([{ shape: [1, 2, 2, 2], data }], { score: { node: g, seed: Float32Array.from([1, 1]) }, wrt: [x] });
  assert.deepEqual([...r.gradients.get(x)!.data], [0.5, 0, 0.5, 1, 0, 0, 0, 0]);
  await e.dispose();
});

test('no path to the score: zero gradient; unsupported rules throw METHOD_UNSUPPORTED', async () => {
  const m = new GraphMaker(63);
  const x = m.input([4, 4, 2]);
  const y = m.input([3]);
  const c = m.conv(x, { filters: 2, kernel: [3, 3] });
  const up = m.upsample(c, [2, 2], { interpolation: 'bilinear' });
  const d = m.dense(m.flatten(up), 3);
  const mx = m.merge([d, m.dense(y, 3)], 'maximum');
  const g = m.graph([mx]);
  const onnx = await createOnnxEngine(g, { ort, threads: 1 });
  const inputs = m.inputs(2);
  const seed = Float32Array.from([1, 0, 0]);
  const r = await onnx.gradients(inputs, { score: { node: d, seed }, wrt: [y, up] });
  assert.ok(r.gradients.get(y)!.data.every((v) => v === 0));
  assert.deepEqual(r.gradients.get(y)!.shape, [2, 3]);
  const isUnsupported = (e: unknown): boolean => e instanceof UnsupportedError && e.code === 'METHOD_UNSUPPORTED';
  await assert.rejects(onnx.gradients(inputs, { score: { node: d, seed }, wrt: [x] }), (e) => isUnsupported(e) && /bilinear/.test((e as Error).message));
  await assert.rejects(onnx.gradients(inputs, { score: { node: mx, seed }, wrt: [y] }), (e) => isUnsupported(e) && /maximum/.test((e as Error).message));
  // Forward and the supported gradients still work after a refusal.
  assert.equal((await onnx.run(inputs)).get(mx)!.shape[1], 3);
  await onnx.dispose();
});
