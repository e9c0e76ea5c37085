import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation } from '../../model/ir.js';
import { createRng } from '../../random.js';
import { erf } from './activations.js';
import { ReferenceEngine } from './engine.js';
import { finiteDifferences, opGraph, randomTensor } from './gradcheck.js';

async function act(a: Activation, values: number[], shape = [1, values.length]): Promise<number[]> {
  const engine = new ReferenceEngine(opGraph({ type: 'activation', activation: a }, [shape]));
  const y = (await engine.runRaw([{ shape, data: Float64Array.from(values) }])).get('op')!;
  return [...y.data];
}

function close(actual: number[], expected: number[], tol: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${label}[${i}]: ${v} vs ${expected[i]}`));
}

const RELU = { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 } as const;

test('relu family follows Keras: max_value, negative_slope, threshold', async () => {
  close(await act(RELU, [-2, 0, 3]), [0, 0, 3], 0, 'relu');
  // f = max_value for x >= max_value; x for threshold <= x < max_value; slope * (x - threshold) otherwise
  const full: Activation = { kind: 'relu', maxValue: 6, negativeSlope: 0.1, threshold: 1 };
  close(await act(full, [7, 6, 3, 1, 0, -2]), [6, 6, 3, 1, -0.1, -0.30000000000000004], 1e-15, 'relu6 leaky thresholded');
  close(await act({ kind: 'thresholded_relu', theta: 1 }, [0.5, 1, 1.5]), [0, 0, 1.5], 0, 'thresholded');
});

test('smooth activations at known points (float64, 1e-15)', async () => {
  const x = [-1, 0, 1];
  close(await act({ kind: 'sigmoid' }, x), [0.2689414213699951, 0.5, 0.7310585786300049], 1e-15, 'sigmoid');
  close(await act({ kind: 'tanh' }, x), [-0.7615941559557649, 0, 0.7615941559557649], 1e-15, 'tanh');
  close(await act({ kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 }, [-3, 1, 3]), [0, 0.7, 1], 1e-15, 'hard_sigmoid');
  close(await act({ kind: 'elu', alpha: 1 }, x), [-0.6321205588285577, 0, 1], 1e-15, 'elu');
  close(await act({ kind: 'selu' }, x), [-1.1113307378125625, 0, 1.0507009873554805], 1e-15, 'selu');
  close(await act({ kind: 'softplus' }, x), [0.31326168751822286, Math.LN2, 1.3132616875182228], 1e-15, 'softplus');
  close(await act({ kind: 'softsign' }, x), [-0.5, 0, 0.5], 1e-15, 'softsign');
  close(await act({ kind: 'swish' }, x), [-0.2689414213699951, 0, 0.7310585786300049], 1e-15, 'swish');
  close(await act({ kind: 'gelu', approximate: false }, x), [-0.15865525393145707, 0, 0.8413447460685429], 1e-15, 'gelu');
  close(await act({ kind: 'gelu', approximate: true }, x), [-0.15880800939172324, 0, 0.8411919906082768], 1e-15, 'gelu tanh');
  close(await act({ kind: 'exponential' }, x), [Math.exp(-1), 1, Math.E], 1e-15, 'exponential');
  close(await act({ kind: 'linear' }, x), x, 0, 'linear');
});

test('softmax over the given axis (last axis, and channels axis 1 of a rank-3 tensor)', async () => {
  close(await act({ kind: 'softmax', axis: 1 }, [1, 2, 3]), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], 1e-15, 'softmax');
  // (1, 2, 2): axis 1 pairs element j of row 0 with element j of row 1
  const y = await act({ kind: 'softmax', axis: 1 }, [0, 1, 0, 3], [1, 2, 2]);
  close(y, [0.5, 0.11920292202211755, 0.5, 0.8807970779778823], 1e-15, 'softmax axis 1');
  // large logits do not overflow
  close(await act({ kind: 'softmax', axis: 1 }, [1000, 1000]), [0.5, 0.5], 0, 'softmax large');
});

test('erf is accurate to 1e-15 across its range', () => {
  const known: [number, number][] = [
    [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [1.5, 0.9661051464753108],
    [1.99, 0.995111413199617], [2, 0.9953222650189527], [2.5, 0.9995930479825550], [3, 0.9999779095030014],
    [4.5, 0.9999999998033839], [7, 1],
  ];
  for (const [x, v] of known) {
    assert.ok(Math.abs(erf(x) - v) <= 1e-15, `erf(${x}) = ${erf(x)}, expected ${v}`);
    assert.ok(Math.abs(erf(-x) + v) <= 1e-15, `erf(${-x})`);
  }
});

const ALL: Activation[] = [
  RELU,
  { kind: 'relu', maxValue: 1.5, negativeSlope: 0.2, threshold: 0.25 },
  { kind: 'sigmoid' }, { kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 }, { kind: 'tanh' }, { kind: 'softmax', axis: 1 },
  { kind: 'softmax', axis: 2 }, { kind: 'elu', alpha: 0.7 }, { kind: 'selu' }, { kind: 'softplus' }, { kind: 'softsign' },
  { kind: 'swish' }, { kind: 'gelu', approximate: false }, { kind: 'gelu', approximate: true }, { kind: 'exponential' },
  { kind: 'thresholded_relu', theta: 0.3 }, { kind: 'linear' },
];

test('every activation: backward matches central finite differences (float64, |err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(31);
  for (const a of ALL) {
    const shape = [2, 3, 4];
    const graph = opGraph({ type: 'activation', activation: a }, [shape]);
    const fd = await finiteDifferences(graph, [randomTensor(rng, shape, -3, 3)], { node: 'op', seed: randomTensor(rng, [12]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${JSON.stringify(a)}: ${fd.maxAbsError}`);
    assert.ok(fd.maxAbsGradient > 0 || a.kind === 'softmax', `${a.kind}: gradient should not vanish`);
  }
});

test('ReLU\'(0) = 0 and the leaky slope applies at the threshold', async () => {
  for (const [a, x, want] of [
    [RELU, 0, 0],
    [{ kind: 'relu', maxValue: 6, negativeSlope: 0.1, threshold: 0 }, 0, 0.1],
    [{ kind: 'relu', maxValue: 6, negativeSlope: 0, threshold: 0 }, 6, 0],
  ] as const) {
    const engine = new ReferenceEngine(opGraph({ type: 'activation', activation: a }, [[1, 1]]));
    const res = await engine.gradientsRaw([{ shape: [1, 1], data: Float64Array.from([x]) }], { score: { node: 'op', seed: [1] }, wrt: ['in0'] });
    assert.equal(res.gradients.get('in0')!.data[0], want, JSON.stringify(a));
  }
});

test('fused activations of Dense: backward through pre-activation (gelu) and output (sigmoid, softmax) paths', async () => {
  const rng = createRng(32);
  for (const activation of [{ kind: 'gelu', approximate: false }, { kind: 'sigmoid' }, { kind: 'softmax', axis: 1 }, RELU] as Activation[]) {
    const kernel = randomTensor(rng, [5, 4]);
    const op = {
      type: 'dense', units: 4, kernel: { shape: kernel.shape, data: Float32Array.from(kernel.data) },
      bias: { shape: [4], data: Float32Array.from([0.1, -0.2, 0.3, 0]) }, activation,
    } as const;
    const graph = opGraph(op, [[3, 5]]);
    const fd = await finiteDifferences(graph, [randomTensor(rng, [3, 5])], { node: 'op', seed: randomTensor(rng, [4]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${activation.kind}: ${fd.maxAbsError}`);
  }
});
