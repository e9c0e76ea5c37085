import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation, Op } from '../../model/ir.js';
import { createRng } from '../../random.js';
import { tensor } from '../../tensor.js';
import { ReferenceEngine, createReferenceEngine } from './engine.js';
import { finiteDifferences, maxAbs, maxAbsDiff, opGraph, randomTensor } from './gradcheck.js';
import type { RTensor } from './common.js';

type ConvOp = Extract<Op, { type: 'conv' }>;
type DepthwiseOp = Extract<Op, { type: 'depthwiseConv' }>;
const LINEAR: Activation = { kind: 'linear' };

function conv(p: Partial<ConvOp> & { kernel: ConvOp['kernel'] }): ConvOp {
  const rank = p.rank ?? 2;
  const ks = p.kernel.shape;
  return {
    type: 'conv', rank, filters: ks[ks.length - 1]!, kernelSize: ks.slice(0, rank), strides: Array(rank).fill(1),
    dilation: Array(rank).fill(1), padding: 'valid', dataFormat: 'channels_last', groups: 1, bias: null, activation: LINEAR, ...p,
  };
}

async function run1(op: Op, x: RTensor): Promise<RTensor> {
  const engine = new ReferenceEngine(opGraph(op, [x.shape]));
  return (await engine.runRaw([x])).get('op')!;
}

const f32 = (shape: number[], values: number[]): RTensor => ({ shape, data: Float32Array.from(values) });

test('Conv1D same, stride 2, odd length: asymmetric padding (1 before, 2 after)', async () => {
  // in 5, k 4, stride 2: out = ceil(5/2) = 3, total pad = (3-1)*2 + 4 - 5 = 3 -> 1 before, 2 after.
  const op = conv({ rank: 1, kernel: tensor([4, 1, 1], Float32Array.from([1, 10, 100, 1000])), strides: [2], padding: 'same' });
  const y = await run1(op, f32([1, 5, 1], [1, 2, 3, 4, 5]));
  assert.deepEqual(y.shape, [1, 3, 1]);
  // windows over [0, 1, 2, 3, 4, 5, 0, 0] starting at 0, 2, 4
  assert.deepEqual([...y.data], [3210, 5432, 54]);
});

test('Conv2D same, stride 2 on 3x3: padding only after (0 before, 1 after)', async () => {
  const op = conv({ kernel: tensor([2, 2, 1, 1], Float32Array.from([1, 10, 100, 1000])), strides: [2, 2], padding: 'same' });
  const y = await run1(op, f32([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assert.deepEqual([...y.data], [1 + 20 + 400 + 5000, 3 + 600, 7 + 80, 9]);
});

test('Conv1D dilation: valid and same', async () => {
  const valid = conv({ rank: 1, kernel: tensor([2, 1, 1], Float32Array.from([1, 10])), dilation: [3] });
  assert.deepEqual([...(await run1(valid, f32([1, 6, 1], [1, 2, 3, 4, 5, 6]))).data], [41, 52, 63]);
  // k 3, dilation 2: span 5; same on 5 -> 2 before, 2 after; out[i] = x[i-2] + 10 x[i] + 100 x[i+2]
  const same = conv({ rank: 1, kernel: tensor([3, 1, 1], Float32Array.from([1, 10, 100])), dilation: [2], padding: 'same' });
  assert.deepEqual([...(await run1(same, f32([1, 5, 1], [1, 2, 3, 4, 5]))).data], [310, 420, 531, 42, 53]);
});

test('Conv1D causal pads (k-1)*dilation on the left only', async () => {
  const k = tensor([3, 1, 1], Float32Array.from([1, 10, 100]));
  const x = f32([1, 4, 1], [1, 2, 3, 4]);
  assert.deepEqual([...(await run1(conv({ rank: 1, kernel: k, padding: 'causal' }), x)).data], [100, 210, 321, 432]);
  assert.deepEqual([...(await run1(conv({ rank: 1, kernel: k, padding: 'causal', dilation: [2] }), x)).data], [100, 200, 310, 420]);
  const strided = await run1(conv({ rank: 1, kernel: k, padding: 'causal', strides: [2] }), x);
  assert.deepEqual([...strided.data], [100, 321]);
});

test('Conv2D channels_first: (N, C, H, W) in and out, bias and fused ReLU', async () => {
  // 1x1 kernel (1, 1, in 2, out 2): k[ci][co] = [[1, 10], [100, 1000]]
  const op = conv({
    kernel: tensor([1, 1, 2, 2], Float32Array.from([1, 10, 100, 1000])), dataFormat: 'channels_first',
    bias: tensor([2], Float32Array.from([-400, 0])), activation: { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 },
  });
  const y = await run1(op, f32([1, 2, 1, 2], [1, 2, 3, 4]));
  assert.deepEqual(y.shape, [1, 2, 1, 2]);
  assert.deepEqual([...y.data], [0, 2, 3010, 4020]); // 301 - 400 -> relu 0, 402 - 400 = 2
});

test('DepthwiseConv1D with depth multiplier 2', async () => {
  // kernel (2 taps, 2 channels, 2 mult): k[t][c][m] = 10^t * (2c + m + 1)
  const op: DepthwiseOp = {
    type: 'depthwiseConv', rank: 1, kernelSize: [2], strides: [1], dilation: [1], padding: 'valid', dataFormat: 'channels_last',
    depthMultiplier: 2, kernel: tensor([2, 2, 2], Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40])), bias: null, activation: LINEAR,
  };
  const y = await run1(op, f32([1, 3, 2], [1, 2, 3, 4, 5, 6]));
  assert.deepEqual(y.shape, [1, 2, 4]);
  assert.deepEqual([...y.data], [31, 62, 126, 168, 53, 106, 192, 256]);
});

// --- An independent direct implementation, written from the TF formulas, for many configs ---

function tfPad(size: number, k: number, s: number, d: number, padding: string): [number, number] {
  const span = (k - 1) * d + 1;
  if (padding === 'valid') return [Math.floor((size - span) / s) + 1, 0];
  if (padding === 'causal') return [Math.ceil(size / s), span - 1];
  const out = Math.ceil(size / s);
  return [out, Math.floor(Math.max((out - 1) * s + span - size, 0) / 2)];
}

/** Direct convolution; depthwise when `mult` is given (kernel (k..., in, mult)). */
function naiveConv(x: RTensor, op: ConvOp | DepthwiseOp): RTensor {
  const r = op.rank;
  const cl = op.dataFormat === 'channels_last';
  const s = x.shape;
  const [N, C] = [s[0]!, cl ? s[r + 1]! : s[1]!];
  const H = r === 1 ? 1 : cl ? s[1]! : s[2]!;
  const W = r === 1 ? (cl ? s[1]! : s[2]!) : cl ? s[2]! : s[3]!;
  const kh = r === 1 ? 1 : op.kernelSize[0]!, kw = op.kernelSize[r - 1]!;
  const [sh, sw] = r === 1 ? [1, op.strides[0]!] : op.strides;
  const [dh, dw] = r === 1 ? [1, op.dilation[0]!] : op.dilation;
  const [Ho, pt] = tfPad(H, kh, sh!, dh!, r === 1 ? 'valid' : op.padding);
  const [Wo, pl] = tfPad(W, kw, sw!, dw!, op.padding);
  const depthwise = op.type === 'depthwiseConv';
  const Co = depthwise ? C * op.depthMultiplier : op.filters;
  const groups = depthwise ? C : op.groups;
  const cinG = C / groups, coutG = Co / groups;
  const X = (n: number, y: number, xx: number, c: number): number => x.data[cl ? ((n * H + y) * W + xx) * C + c : ((n * C + c) * H + y) * W + xx]!;
  const out = new Float64Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; n++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) for (let co = 0; co < Co; co++) {
    const g = Math.floor(co / coutG);
    let acc = op.bias?.data[co] ?? 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ci = 0; ci < cinG; ci++) {
      const iy = oy * sh! + ky * dh! - pt, ix = ox * sw! + kx * dw! - pl;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      // conv kernel (kh, kw, cinG, Co); depthwise (kh, kw, C, mult) with co = c * mult + m, cinG = 1
      const kIndex = depthwise ? (ky * kw + kx) * Co + co : ((ky * kw + kx) * cinG + ci) * Co + co;
      acc += X(n, iy, ix, g * cinG + ci) * op.kernel.data[kIndex]!;
    }
    out[cl ? ((n * Ho + oy) * Wo + ox) * Co + co : ((n * Co + co) * Ho + oy) * Wo + ox] = acc;
  }
  const sp = r === 1 ? [Wo] : [Ho, Wo];
  return { shape: cl ? [N, ...sp, Co] : [N, Co, ...sp], data: out };
}

interface Case { rank: 1 | 2; cl: boolean; size: number[]; cin: number; cout: number; k: number[]; s: number[]; d: number[]; pad: 'valid' | 'same' | 'causal'; groups: number }

function cases(): Case[] {
  const list: Case[] = [];
  for (const cl of [true, false]) {
    for (const pad of ['valid', 'same'] as const) {
      list.push({ rank: 2, cl, size: [7, 6], cin: 3, cout: 5, k: [3, 2], s: [2, 1], d: [1, 1], pad, groups: 1 });
      list.push({ rank: 2, cl, size: [9, 8], cin: 4, cout: 6, k: [3, 3], s: [1, 3], d: [2, 1], pad, groups: 2 });
      list.push({ rank: 2, cl, size: [5, 5], cin: 5, cout: 7, k: [1, 1], s: [1, 1], d: [1, 1], pad, groups: 1 });
      list.push({ rank: 2, cl, size: [6, 4], cin: 4, cout: 4, k: [1, 1], s: [1, 1], d: [1, 1], pad, groups: 4 });
      list.push({ rank: 2, cl, size: [11, 10], cin: 3, cout: 9, k: [5, 4], s: [3, 2], d: [1, 2], pad, groups: 1 });
      list.push({ rank: 2, cl, size: [5, 6], cin: 8, cout: 4, k: [3, 3], s: [1, 1], d: [1, 2], pad, groups: 2 });
    }
    // a kernel larger than the input ('same' pads more than the input holds)
    list.push({ rank: 2, cl, size: [3, 3], cin: 2, cout: 3, k: [5, 4], s: [1, 1], d: [1, 1], pad: 'same', groups: 1 });
    for (const pad of ['valid', 'same', 'causal'] as const) {
      list.push({ rank: 1, cl, size: [13], cin: 3, cout: 4, k: [3], s: [2], d: [2], pad, groups: 1 });
      list.push({ rank: 1, cl, size: [8], cin: 8, cout: 4, k: [2], s: [1], d: [3], pad, groups: 2 });
      list.push({ rank: 1, cl, size: [7], cin: 2, cout: 5, k: [3], s: [1], d: [1], pad, groups: 1 });
    }
  }
  return list;
}

function buildConv(c: Case, rng: ReturnType<typeof createRng>, activation: Activation = LINEAR): ConvOp {
  const kernel = randomTensor(rng, [...c.k, c.cin / c.groups, c.cout]);
  const bias = randomTensor(rng, [c.cout]);
  return conv({
    rank: c.rank, kernel: tensor(kernel.shape, Float32Array.from(kernel.data)), bias: tensor([c.cout], Float32Array.from(bias.data)),
    strides: c.s, dilation: c.d, padding: c.pad, dataFormat: c.cl ? 'channels_last' : 'channels_first', groups: c.groups, activation,
  });
}

function inShape(c: Case, n: number, channels: number): number[] {
  return c.cl ? [n, ...c.size, channels] : [n, channels, ...c.size];
}

test('convolution matches a direct implementation (both layouts, strides, dilation, groups, 1x1, every padding)', async () => {
  const rng = createRng(11);
  for (const c of cases()) {
    const op = buildConv(c, rng);
    const x = randomTensor(rng, inShape(c, 2, c.cin));
    const want = naiveConv(x, op);
    const got = await run1(op, x);
    assert.deepEqual(got.shape, want.shape, JSON.stringify(c));
    // float64 storage: only summation order differs
    assert.ok(maxAbsDiff(got.data, want.data) <= 1e-12 * Math.max(1, maxAbs(want.data)), JSON.stringify(c));
  }
});

test('depthwise convolution matches a direct implementation', async () => {
  const rng = createRng(12);
  for (const cl of [true, false]) {
    for (const [rank, size, k, s, d, pad, mult] of [
      [2, [7, 6], [3, 3], [2, 1], [1, 1], 'same', 2],
      [2, [8, 9], [2, 3], [1, 2], [2, 1], 'valid', 1],
      [1, [12], [3], [2], [2], 'causal', 3],
      [1, [9], [4], [3], [1], 'same', 1],
    ] as const) {
      const cin = 3;
      const kernel = randomTensor(rng, [...k, cin, mult]);
      const op: DepthwiseOp = {
        type: 'depthwiseConv', rank, kernelSize: [...k], strides: [...s], dilation: [...d], padding: pad,
        dataFormat: cl ? 'channels_last' : 'channels_first', depthMultiplier: mult,
        kernel: tensor(kernel.shape, Float32Array.from(kernel.data)), bias: tensor([cin * mult], Float32Array.from(randomTensor(rng, [cin * mult]).data)),
        activation: LINEAR,
      };
      const x = randomTensor(rng, cl ? [2, ...size, cin] : [2, cin, ...size]);
      const want = naiveConv(x, op);
      const got = await run1(op, x);
      assert.deepEqual(got.shape, want.shape);
      assert.ok(maxAbsDiff(got.data, want.data) <= 1e-12 * Math.max(1, maxAbs(want.data)), `${cl} ${rank} ${pad}`);
    }
  }
});

test('float32 convolution agrees with float64 to float32 rounding (relative 1e-6)', async () => {
  const rng = createRng(13);
  const c = cases()[4]!;
  const op = buildConv(c, rng);
  const x64 = randomTensor(rng, inShape(c, 3, c.cin));
  const x32 = { shape: x64.shape, data: Float32Array.from(x64.data) };
  const want = await run1(op, { shape: x64.shape, data: Float64Array.from(x32.data) });
  const got = await run1(op, x32);
  assert.ok(got.data instanceof Float32Array);
  assert.ok(maxAbsDiff(got.data, want.data) <= 1e-6 * maxAbs(want.data));
});

test('convolution backward matches central finite differences (float64, |err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(14);
  const tanh: Activation = { kind: 'tanh' };
  // Stride-1 cases with >= 4 input channels per group take the flipped-kernel path, the others
  // GEMM + col2im: take both kinds,
  // every padding, both layouts, grouped and dilated ones, with small inputs.
  const picked = cases().filter((c, i) => c.size.reduce((a, b) => a * b, 1) <= 42 || i % 3 === 0);
  for (const cl of [true, false]) {
    const stride1 = picked.filter((c) => c.cl === cl && c.s.every((v) => v === 1));
    assert.ok(stride1.some((c) => c.cin / c.groups >= 4) && stride1.some((c) => c.cin / c.groups < 4), 'both stride-1 backward paths');
    assert.ok(picked.some((c) => c.cl === cl && c.s.some((v) => v > 1)), 'strided backward path');
  }
  for (const c of picked) {
    const op = buildConv(c, rng, tanh);
    const shape = inShape(c, 2, c.cin);
    const graph = opGraph(op, [shape]);
    const outPer = graph.nodes[1]!.outputShape.slice(1).reduce<number>((a, b) => a * b!, 1);
    const seed = randomTensor(rng, [outPer]).data;
    const fd = await finiteDifferences(graph, [randomTensor(rng, shape)], { node: 'op', seed });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${JSON.stringify(c)}: ${fd.maxAbsError}`);
  }
});

test('depthwise backward matches central finite differences', async () => {
  const rng = createRng(15);
  for (const cl of [true, false]) {
    const kernel = randomTensor(rng, [3, 2, 2, 2]);
    const op: DepthwiseOp = {
      type: 'depthwiseConv', rank: 2, kernelSize: [3, 2], strides: [2, 1], dilation: [1, 2], padding: 'same',
      dataFormat: cl ? 'channels_last' : 'channels_first', depthMultiplier: 2,
      kernel: tensor(kernel.shape, Float32Array.from(kernel.data)), bias: null, activation: { kind: 'elu', alpha: 1 },
    };
    const shape = cl ? [2, 5, 6, 2] : [2, 2, 5, 6];
    const graph = opGraph(op, [shape]);
    const seed = randomTensor(rng, [3 * 6 * 4]).data;
    const fd = await finiteDifferences(graph, [randomTensor(rng, shape)], { node: 'op', seed });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${cl}: ${fd.maxAbsError}`);
  }
});

test('bad shapes: wrong input channels is SHAPE_MISMATCH; a kernel that does not fit the op is MODEL_UNSUPPORTED', async () => {
  const op = conv({ kernel: tensor([3, 3, 2, 4]) });
  const graph = opGraph(op, [[1, 5, 5, 2]]);
  const engine = createReferenceEngine(graph);
  // The input node declares 2 channels: 3 channels fail at input validation.
  await assert.rejects(engine.run([tensor([1, 5, 5, 3])]), { code: 'SHAPE_MISMATCH' });
  await assert.rejects(engine.run([tensor([1, 2, 2, 2])]), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => createReferenceEngine({ ...graph, nodes: [graph.nodes[0]!, { ...graph.nodes[1]!, op: { ...op, filters: 5 } }] }), {
    code: 'MODEL_UNSUPPORTED',
  });
  // A too-small image for a model with free spatial axes is the caller's SHAPE_MISMATCH, naming the layer.
  const free = { ...graph, nodes: [{ ...graph.nodes[0]!, outputShape: [null, null, null, 2] }, { ...graph.nodes[1]!, outputShape: [null, null, null, 4] }] };
  await assert.rejects(createReferenceEngine(free).run([tensor([1, 2, 2, 2])]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'SHAPE_MISMATCH');
    assert.match(e.message, /'op'/);
    return true;
  });
});
