import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../model/ir.js';
import { createRng } from '../../random.js';
import { tensor } from '../../tensor.js';
import type { RTensor } from './common.js';
import { ReferenceEngine } from './engine.js';
import { finiteDifferences, opGraph, randomTensor } from './gradcheck.js';

const t32 = (values: number[]) => tensor([values.length], Float32Array.from(values));
const f64 = (shape: number[], values: number[]): RTensor => ({ shape, data: Float64Array.from(values) });

async function run(op: Op, xs: RTensor[]): Promise<number[]> {
  const engine = new ReferenceEngine(opGraph(op, xs.map((x) => x.shape)));
  return [...(await engine.runRaw(xs)).get('op')!.data];
}

function bn(axis: number, gamma: number[] | null, beta: number[] | null): Extract<Op, { type: 'batchNorm' }> {
  return { type: 'batchNorm', axis, epsilon: 0, gamma: gamma && t32(gamma), beta: beta && t32(beta), mean: t32([0.5, 1]), variance: t32([0.25, 4]) };
}

test('BatchNormalization: (x - mean) / sqrt(var + eps) * gamma + beta on the last axis and on axis 1', async () => {
  // channel 0: (1 - 0.5) / 0.5 * 2 + 1 = 3; channel 1: (2 - 1) / 2 * 3 - 1 = 0.5
  assert.deepEqual(await run(bn(1, [2, 3], [1, -1]), [f64([1, 2], [1, 2])]), [3, 0.5]);
  // channels_first (1, 2, 2): axis 1; no gamma (scale=False) and no beta (center=False)
  assert.deepEqual(await run(bn(1, null, null), [f64([1, 2, 2], [1, 0.5, 3, -1])]), [1, 0, 1, -1]);
  // axis 2 of (1, 2, 2) = the last axis
  assert.deepEqual(await run(bn(2, null, [1, 1]), [f64([1, 2, 2], [1, 3, 0.5, 5])]), [2, 2, 1, 3]);
  const withEps = { ...bn(1, null, null), epsilon: 0.75 }; // sqrt(0.25 + 0.75) = 1, sqrt(4 + 0.75)
  const y = await run(withEps, [f64([1, 2], [1.5, 1 + Math.sqrt(4.75)])]);
  assert.ok(Math.abs(y[0]! - 1) < 1e-15 && Math.abs(y[1]! - 1) < 1e-15);
});

test('Rescaling: x * scale + offset', async () => {
  assert.deepEqual(await run({ type: 'rescale', scale: 1 / 255, offset: -1 }, [f64([1, 2], [0, 255])]), [-1, 0]);
});

test('merges: add, subtract, multiply, average, maximum, minimum', async () => {
  const a = f64([1, 3], [1, -2, 3]), b = f64([1, 3], [4, 5, -6]), c = f64([1, 3], [0, 10, 1]);
  assert.deepEqual(await run({ type: 'merge', mode: 'add' }, [a, b, c]), [5, 13, -2]);
  assert.deepEqual(await run({ type: 'merge', mode: 'subtract' }, [a, b]), [-3, -7, 9]);
  assert.deepEqual(await run({ type: 'merge', mode: 'multiply' }, [a, b, c]), [0, -100, -18]);
  assert.deepEqual(await run({ type: 'merge', mode: 'average' }, [a, b]), [2.5, 1.5, -1.5]);
  assert.deepEqual(await run({ type: 'merge', mode: 'maximum' }, [a, b, c]), [4, 10, 3]);
  assert.deepEqual(await run({ type: 'merge', mode: 'minimum' }, [a, b, c]), [0, -2, -6]);
});

test('maximum/minimum ties send the gradient to the first input holding the extreme', async () => {
  for (const mode of ['maximum', 'minimum'] as const) {
    const engine = new ReferenceEngine(opGraph({ type: 'merge', mode }, [[1, 2], [1, 2]]));
    const x = f64([1, 2], [1, 2]);
    const y = f64([1, 2], [1, mode === 'maximum' ? 0 : 3]);
    const res = await engine.gradientsRaw([x, y], { score: { node: 'op', seed: [1, 1] }, wrt: ['in0', 'in1'] });
    assert.deepEqual([...res.gradients.get('in0')!.data], [1, 1], mode);
    assert.deepEqual([...res.gradients.get('in1')!.data], [0, 0], mode);
  }
});

test('merging tensors of different shapes is SHAPE_MISMATCH', async () => {
  const graph = opGraph({ type: 'merge', mode: 'add' }, [[1, 2], [1, 2]]);
  const free = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, outputShape: [null, null] })) };
  await assert.rejects(new ReferenceEngine(free).run([tensor([1, 2]), tensor([1, 3])]), { code: 'SHAPE_MISMATCH' });
});

test('BatchNorm, Rescaling and every merge: backward matches central finite differences (|err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(51);
  const cases: [Op, number[][]][] = [
    [{ ...bn(1, [2, 3], [1, -1]), epsilon: 1e-3 }, [[2, 2, 3]]],
    [{ ...bn(3, [2, 3], null), epsilon: 1e-3 }, [[2, 3, 2, 2]]],
    [{ type: 'rescale', scale: -0.5, offset: 2 }, [[2, 4]]],
    ...(['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] as const).map((mode): [Op, number[][]] => [
      { type: 'merge', mode }, mode === 'subtract' ? [[2, 5], [2, 5]] : [[2, 5], [2, 5], [2, 5]],
    ]),
  ];
  for (const [op, shapes] of cases) {
    const graph = opGraph(op, shapes);
    const per = shapes[0]!.slice(1).reduce((a, b) => a * b, 1);
    const fd = await finiteDifferences(graph, shapes.map((s) => randomTensor(rng, s)), { node: 'op', seed: randomTensor(rng, [per]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${JSON.stringify(op).slice(0, 60)}: ${fd.maxAbsError}`);
  }
});
