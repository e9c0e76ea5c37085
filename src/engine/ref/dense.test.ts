import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../model/ir.js';
import { createRng } from '../../random.js';
import { tensor } from '../../tensor.js';
import { ReferenceEngine } from './engine.js';
import { finiteDifferences, maxAbs, maxAbsDiff, opGraph, randomTensor } from './gradcheck.js';
import { gemmNT } from './gemm.js';

function dense(kernel: number[][], bias: number[] | null): Extract<Op, { type: 'dense' }> {
  const units = kernel[0]!.length;
  return {
    type: 'dense', units, kernel: tensor([kernel.length, units], Float32Array.from(kernel.flat())),
    bias: bias === null ? null : tensor([units], Float32Array.from(bias)), activation: { kind: 'linear' },
  };
}

test('gemmNT matches a naive product for every tile remainder, with offsets and leading dimensions', () => {
  const rng = createRng(41);
  for (const [m, n, k] of [[1, 1, 1], [4, 4, 4], [5, 7, 3], [9, 6, 11], [3, 9, 2050], [8, 5, 4100], [13, 1, 17], [1, 13, 5]] as const) {
    const lda = k + 3, ldb = k + 1, ldc = n + 2, aOff = 5, bOff = 2, cOff = 7;
    const a = randomTensor(rng, [aOff + m * lda]).data;
    const b = randomTensor(rng, [bOff + n * ldb]).data;
    const c = randomTensor(rng, [cOff + m * ldc]).data;
    const want = Float64Array.from(c);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aOff + i * lda + p]! * b[bOff + j * ldb + p]!;
      want[cOff + i * ldc + j] = want[cOff + i * ldc + j]! + s;
    }
    gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    // C accumulates (C += A B^T); values outside the m x n window stay untouched.
    assert.ok(maxAbsDiff(c, want) <= 1e-12 * Math.max(1, maxAbs(want)), `${m}x${n}x${k}`);
  }
});

test('Dense: x W + b by hand, and on a rank-3 input (applies to the last axis)', async () => {
  const op = dense([[1, 2, 3], [4, 5, 6]], [0.5, 0, -1]);
  const engine = new ReferenceEngine(opGraph(op, [[2, 2]]));
  const y = (await engine.runRaw([{ shape: [2, 2], data: Float32Array.from([1, 2, -1, 0]) }])).get('op')!;
  assert.deepEqual(y.shape, [2, 3]);
  assert.deepEqual([...y.data], [9.5, 12, 14, -0.5, -2, -4]);
  const e3 = new ReferenceEngine(opGraph(op, [[1, 2, 2]]));
  const y3 = (await e3.runRaw([{ shape: [1, 2, 2], data: Float32Array.from([1, 2, -1, 0]) }])).get('op')!;
  assert.deepEqual(y3.shape, [1, 2, 3]);
  assert.deepEqual([...y3.data], [9.5, 12, 14, -0.5, -2, -4]);
});

test('Dense backward matches central finite differences (float64, |err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(42);
  for (const shape of [[3, 7], [2, 3, 7]]) {
    const kernel = randomTensor(rng, [7, 5]);
    const op = { ...dense([[0]], null), units: 5, kernel: tensor([7, 5], Float32Array.from(kernel.data)), activation: { kind: 'tanh' } } as const;
    const graph = opGraph(op, [shape]);
    const per = shape.length === 2 ? 5 : 15;
    const fd = await finiteDifferences(graph, [randomTensor(rng, shape)], { node: 'op', seed: randomTensor(rng, [per]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${shape}: ${fd.maxAbsError}`);
  }
});

test('Dense with an input of the wrong width is SHAPE_MISMATCH; a kernel with the wrong units is MODEL_UNSUPPORTED', async () => {
  const op = dense([[1, 2], [3, 4]], null);
  const graph = opGraph(op, [[1, 2]]);
  const free = { ...graph, nodes: [{ ...graph.nodes[0]!, outputShape: [null, null] }, graph.nodes[1]!] };
  await assert.rejects(new ReferenceEngine(free).run([tensor([1, 3])]), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => new ReferenceEngine({ ...graph, nodes: [graph.nodes[0]!, { ...graph.nodes[1]!, op: { ...op, units: 3 } }] }), { code: 'MODEL_UNSUPPORTED' });
});
