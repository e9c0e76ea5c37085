import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../model/ir.js';
import { createRng } from '../../random.js';
import type { RTensor } from './common.js';
import { ReferenceEngine } from './engine.js';
import { finiteDifferences, opGraph, randomTensor } from './gradcheck.js';

type PoolOp = Extract<Op, { type: 'pool' }>;
type GlobalPoolOp = Extract<Op, { type: 'globalPool' }>;

function pool(p: Partial<PoolOp>): PoolOp {
  const rank = p.rank ?? 2;
  return { type: 'pool', mode: 'max', rank, poolSize: Array(rank).fill(2), strides: p.poolSize ?? Array(rank).fill(2), padding: 'valid', dataFormat: 'channels_last', ...p };
}

const f32 = (shape: number[], values: number[]): RTensor => ({ shape, data: Float32Array.from(values) });

/** Forward value and d(sum seed * y)/dx of one op on one input. */
async function runAndGrad(op: Op, x: RTensor, seed: number[]): Promise<[number[], number[], readonly number[]]> {
  const engine = new ReferenceEngine(opGraph(op, [x.shape]));
  const res = await engine.gradientsRaw([x], { score: { node: 'op', seed }, wrt: ['in0'] });
  const y = (await engine.runRaw([x])).get('op')!;
  return [[...y.data], [...res.gradients.get('in0')!.data], y.shape];
}

test('max pooling of an all-negative window picks the maximum and routes the gradient to it', async () => {
  const [y, dx] = await runAndGrad(pool({}), f32([1, 2, 2, 1], [-3, -1, -2, -4]), [5]);
  assert.deepEqual(y, [-1]);
  assert.deepEqual(dx, [0, 5, 0, 0]);
});

test('max pooling ties: the first maximal cell in row-major window order gets the gradient', async () => {
  const [, dx] = await runAndGrad(pool({}), f32([1, 2, 2, 1], [0, 2, 2, 1]), [1]);
  assert.deepEqual(dx, [0, 1, 0, 0]);
  const [, dxCf] = await runAndGrad(pool({ dataFormat: 'channels_first' }), f32([1, 1, 2, 2], [3, 1, 3, 3]), [1]);
  assert.deepEqual(dxCf, [1, 0, 0, 0]);
});

test('MaxPooling1D same, stride 2, odd length: padded cells never win; overlapping windows add up', async () => {
  // in 5, pool 3, stride 2: out 3, total pad = 2*2 + 3 - 5 = 2 -> 1 before, 1 after
  const op = pool({ rank: 1, poolSize: [3], strides: [2], padding: 'same' });
  const [y, dx, shape] = await runAndGrad(op, f32([1, 5, 1], [5, -1, 3, 7, -2]), [1, 10, 100]);
  assert.deepEqual(shape, [1, 3, 1]);
  assert.deepEqual(y, [5, 7, 7]);
  assert.deepEqual(dx, [1, 0, 0, 110, 0]);
});

test('average pooling with same padding divides by the real cells at the border', async () => {
  // 3x3, pool 2, stride 2, same: out 2x2, pad 0 before / 1 after in both axes
  const op = pool({ mode: 'avg', padding: 'same' });
  const [y, dx] = await runAndGrad(op, f32([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]), [4, 2, 2, 1]);
  assert.deepEqual(y, [3, 4.5, 7.5, 9]);
  // each window shares its seed among its real cells: 4/4, 2/2, 2/2, 1/1
  assert.deepEqual(dx, [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const [yCf] = await runAndGrad({ ...op, dataFormat: 'channels_first' }, f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 1, 1, 1]);
  assert.deepEqual(yCf, [3, 4.5, 7.5, 9]);
});

test('pooling on several channels keeps channels apart (channels_last and channels_first)', async () => {
  // two channels: c0 = 1..4, c1 = -(1..4)
  const [yCl] = await runAndGrad(pool({}), f32([1, 2, 2, 2], [1, -1, 2, -2, 3, -3, 4, -4]), [1, 1]);
  assert.deepEqual(yCl, [4, -1]);
  const [yCf] = await runAndGrad(pool({ mode: 'avg', dataFormat: 'channels_first' }), f32([1, 2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4]), [1, 1]);
  assert.deepEqual(yCf, [2.5, -2.5]);
});

test('global pooling: max, average, keepDims, channels_first', async () => {
  const x = f32([1, 2, 2, 2], [1, -1, 5, -2, 3, -3, 4, -4]); // channels_last: c0 = [1, 5, 3, 4], c1 = [-1, -2, -3, -4]
  const gmax: GlobalPoolOp = { type: 'globalPool', mode: 'max', rank: 2, dataFormat: 'channels_last', keepDims: false };
  const [y, dx, shape] = await runAndGrad(gmax, x, [1, 10]);
  assert.deepEqual(shape, [1, 2]);
  assert.deepEqual(y, [5, -1]);
  assert.deepEqual(dx, [0, 10, 1, 0, 0, 0, 0, 0]);
  const gavg: GlobalPoolOp = { ...gmax, mode: 'avg', keepDims: true };
  const [ya, dxa, shapeA] = await runAndGrad(gavg, x, [4, 8]);
  assert.deepEqual(shapeA, [1, 1, 1, 2]);
  assert.deepEqual(ya, [3.25, -2.5]);
  assert.deepEqual(dxa, [1, 2, 1, 2, 1, 2, 1, 2]);
  const [yc, , shapeC] = await runAndGrad({ ...gavg, rank: 1, dataFormat: 'channels_first' }, f32([1, 2, 3], [1, 2, 3, 4, 5, 6]), [1, 1]);
  assert.deepEqual(shapeC, [1, 2, 1]);
  assert.deepEqual(yc, [2, 5]);
});

test('pooling backward matches central finite differences (float64, |err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(21);
  const ops: Op[] = [];
  for (const dataFormat of ['channels_last', 'channels_first'] as const) {
    for (const mode of ['max', 'avg'] as const) {
      ops.push(pool({ mode, dataFormat, poolSize: [3, 2], strides: [2, 2], padding: 'same' }));
      ops.push(pool({ mode, dataFormat, poolSize: [2, 3], strides: [1, 2], padding: 'valid' }));
      ops.push(pool({ mode, dataFormat, rank: 1, poolSize: [3], strides: [2], padding: 'same' }));
      ops.push({ type: 'globalPool', mode, rank: 2, dataFormat, keepDims: mode === 'max' });
    }
  }
  for (const op of ops) {
    const rank = 'rank' in op ? op.rank : 2;
    const cl = 'dataFormat' in op && op.dataFormat === 'channels_last';
    const shape = rank === 1 ? (cl ? [2, 7, 3] : [2, 3, 7]) : cl ? [2, 5, 6, 3] : [2, 3, 5, 6];
    const graph = opGraph(op, [shape]);
    const per = graph.nodes[1]!.outputShape.slice(1).reduce<number>((a, b) => a * b!, 1);
    const fd = await finiteDifferences(graph, [randomTensor(rng, shape)], { node: 'op', seed: randomTensor(rng, [per]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${JSON.stringify(op)}: ${fd.maxAbsError}`);
  }
});

test('a window larger than the input is SHAPE_MISMATCH', async () => {
  const op = pool({ poolSize: [3, 3], strides: [1, 1] });
  const graph = opGraph(op, [[1, 3, 3, 1]]);
  const free = { ...graph, nodes: [{ ...graph.nodes[0]!, outputShape: [null, null, null, 1] }, { ...graph.nodes[1]!, outputShape: [null, null, null, 1] }] };
  await assert.rejects(new ReferenceEngine(free).run([{ shape: [1, 2, 2, 1], data: new Float32Array(4) }]), { code: 'SHAPE_MISMATCH' });
});
