import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../model/ir.js';
import { createRng } from '../../random.js';
import { tensor } from '../../tensor.js';
import type { RTensor } from './common.js';
import { ReferenceEngine } from './engine.js';
import { finiteDifferences, opGraph, randomTensor } from './gradcheck.js';

const f64 = (shape: number[], values: number[]): RTensor => ({ shape, data: Float64Array.from(values) });
const iota = (shape: number[]): RTensor => f64(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));

async function run(op: Op, xs: RTensor[]): Promise<[number[], readonly number[]]> {
  const engine = new ReferenceEngine(opGraph(op, xs.map((x) => x.shape)));
  const y = (await engine.runRaw(xs)).get('op')!;
  return [[...y.data], y.shape];
}

test('Flatten: channels_last as stored; channels_first moves the channel axis last first (rank >= 3 only)', async () => {
  assert.deepEqual(await run({ type: 'flatten', dataFormat: 'channels_last' }, [iota([1, 2, 2, 2])]), [[0, 1, 2, 3, 4, 5, 6, 7], [1, 8]]);
  // (N, C, H, W) with c0 = 0..3, c1 = 4..7 -> (H, W, C) order
  assert.deepEqual(await run({ type: 'flatten', dataFormat: 'channels_first' }, [iota([1, 2, 2, 2])]), [[0, 4, 1, 5, 2, 6, 3, 7], [1, 8]]);
  // Conv1D channels_first (N, C, steps) -> steps, channels
  assert.deepEqual(await run({ type: 'flatten', dataFormat: 'channels_first' }, [iota([1, 2, 3])]), [[0, 3, 1, 4, 2, 5], [1, 6]]);
  // rank 2: nothing to move
  assert.deepEqual(await run({ type: 'flatten', dataFormat: 'channels_first' }, [iota([2, 3])]), [[0, 1, 2, 3, 4, 5], [2, 3]]);
});

test('Reshape acts on the data as stored; Permute reorders axes (1-based dims)', async () => {
  assert.deepEqual(await run({ type: 'reshape', targetShape: [3, 2] }, [iota([2, 2, 3])]), [[...Array(12).keys()], [2, 3, 2]]);
  assert.deepEqual(await run({ type: 'permute', dims: [2, 1] }, [iota([1, 2, 3])]), [[0, 3, 1, 4, 2, 5], [1, 3, 2]]);
  assert.deepEqual(await run({ type: 'permute', dims: [3, 1, 2] }, [iota([1, 2, 1, 2])]), [[0, 2, 1, 3], [1, 2, 2, 1]]);
});

test('ZeroPadding and Cropping, both layouts', async () => {
  assert.deepEqual(await run({ type: 'zeroPad', rank: 1, padding: [[1, 2]], dataFormat: 'channels_last' }, [f64([1, 2, 1], [1, 2])]), [[0, 1, 2, 0, 0], [1, 5, 1]]);
  const pad2 = await run({ type: 'zeroPad', rank: 2, padding: [[0, 1], [1, 0]], dataFormat: 'channels_first' }, [f64([1, 1, 2, 2], [1, 2, 3, 4])]);
  assert.deepEqual(pad2, [[0, 1, 2, 0, 3, 4, 0, 0, 0], [1, 1, 3, 3]]);
  const crop = await run({ type: 'crop', rank: 2, cropping: [[1, 0], [0, 1]], dataFormat: 'channels_last' }, [f64([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9])]);
  assert.deepEqual(crop, [[4, 5, 7, 8], [1, 2, 2, 1]]);
  // two channels, channels_last: pixels stay whole
  const crop2 = await run({ type: 'crop', rank: 1, cropping: [[1, 1]], dataFormat: 'channels_last' }, [f64([1, 3, 2], [1, -1, 2, -2, 3, -3])]);
  assert.deepEqual(crop2, [[2, -2], [1, 1, 2]]);
});

test('UpSampling: nearest repeats; bilinear uses TF2 half-pixel centres', async () => {
  assert.deepEqual(await run({ type: 'upsample', rank: 1, size: [2], dataFormat: 'channels_last', interpolation: 'nearest' }, [f64([1, 2, 1], [1, 2])]), [[1, 1, 2, 2], [1, 4, 1]]);
  const near = await run({ type: 'upsample', rank: 2, size: [2, 1], dataFormat: 'channels_first', interpolation: 'nearest' }, [f64([1, 1, 2, 2], [1, 2, 3, 4])]);
  assert.deepEqual(near, [[1, 2, 1, 2, 3, 4, 3, 4], [1, 1, 4, 2]]);
  // tf.image.resize([[1, 3]], (1, 4), 'bilinear') = [1, 1.5, 2.5, 3]
  const bil = await run({ type: 'upsample', rank: 2, size: [1, 2], dataFormat: 'channels_last', interpolation: 'bilinear' }, [f64([1, 1, 2, 1], [1, 3])]);
  assert.deepEqual(bil, [[1, 1.5, 2.5, 3], [1, 1, 4, 1]]);
  // 2x2 -> 4x4 (separable): rows interpolate the same way
  const [b2] = await run({ type: 'upsample', rank: 2, size: [2, 2], dataFormat: 'channels_last', interpolation: 'bilinear' }, [f64([1, 2, 2, 1], [0, 4, 8, 12])]);
  assert.deepEqual(b2.slice(0, 4), [0, 1, 3, 4]);
  assert.deepEqual(b2.slice(4, 8), [2, 3, 5, 6]);
  assert.deepEqual(b2.slice(12, 16), [8, 9, 11, 12]);
});

test('Concatenate along the channel axis and along axis 1', async () => {
  const a = f64([1, 2, 1], [1, 2]), b = f64([1, 2, 2], [3, 4, 5, 6]);
  assert.deepEqual(await run({ type: 'concat', axis: 2 }, [a, b]), [[1, 3, 4, 2, 5, 6], [1, 2, 3]]);
  assert.deepEqual(await run({ type: 'concat', axis: 1 }, [f64([1, 1, 2], [1, 2]), f64([1, 2, 2], [3, 4, 5, 6])]), [[1, 2, 3, 4, 5, 6], [1, 3, 2]]);
});

test('shape errors: bad reshape, crop that leaves nothing, concat of mismatched inputs', async () => {
  const graph = opGraph({ type: 'reshape', targetShape: [2, 2] }, [[1, 4]]);
  const free = { ...graph, nodes: [{ ...graph.nodes[0]!, outputShape: [null, null] }, graph.nodes[1]!] };
  await assert.rejects(new ReferenceEngine(free).run([tensor([1, 5])]), { code: 'SHAPE_MISMATCH' });
  const crop = opGraph({ type: 'crop', rank: 1, cropping: [[1, 1]], dataFormat: 'channels_last' }, [[1, 3, 1]]);
  const freeCrop = { ...crop, nodes: crop.nodes.map((n) => ({ ...n, outputShape: [null, null, 1] })) };
  await assert.rejects(new ReferenceEngine(freeCrop).run([tensor([1, 2, 1])]), { code: 'SHAPE_MISMATCH' });
  const cat = opGraph({ type: 'concat', axis: 2 }, [[1, 2, 1], [1, 2, 1]]);
  const freeCat = { ...cat, nodes: cat.nodes.map((n) => ({ ...n, outputShape: [null, null, null] })) };
  await assert.rejects(new ReferenceEngine(freeCat).run([tensor([1, 2, 1]), tensor([1, 3, 1])]), { code: 'SHAPE_MISMATCH' });
});

test('shape ops: backward matches central finite differences (|err| <= 1e-7 * max(1, |grad|))', async () => {
  const rng = createRng(61);
  const cases: [Op, number[][]][] = [
    [{ type: 'flatten', dataFormat: 'channels_first' }, [[2, 3, 2, 2]]],
    [{ type: 'flatten', dataFormat: 'channels_last' }, [[2, 3, 2, 2]]],
    [{ type: 'reshape', targetShape: [4, 3] }, [[2, 3, 2, 2]]],
    [{ type: 'permute', dims: [3, 1, 2] }, [[2, 3, 2, 2]]],
    [{ type: 'identity' }, [[2, 5]]],
    [{ type: 'zeroPad', rank: 2, padding: [[1, 0], [2, 1]], dataFormat: 'channels_last' }, [[2, 3, 2, 2]]],
    [{ type: 'zeroPad', rank: 1, padding: [[0, 2]], dataFormat: 'channels_first' }, [[2, 3, 4]]],
    [{ type: 'crop', rank: 2, cropping: [[1, 0], [0, 1]], dataFormat: 'channels_first' }, [[2, 2, 3, 3]]],
    [{ type: 'upsample', rank: 2, size: [2, 3], dataFormat: 'channels_last', interpolation: 'nearest' }, [[2, 2, 3, 2]]],
    [{ type: 'upsample', rank: 2, size: [3, 2], dataFormat: 'channels_first', interpolation: 'bilinear' }, [[2, 2, 3, 2]]],
    [{ type: 'upsample', rank: 2, size: [2, 2], dataFormat: 'channels_last', interpolation: 'bilinear' }, [[2, 3, 2, 2]]],
    [{ type: 'concat', axis: 3 }, [[2, 2, 2, 1], [2, 2, 2, 3]]],
    [{ type: 'concat', axis: 1 }, [[2, 1, 3], [2, 2, 3], [2, 1, 3]]],
  ];
  for (const [op, shapes] of cases) {
    const graph = opGraph(op, shapes);
    const per = graph.nodes.at(-1)!.outputShape.slice(1).reduce<number>((a, b) => a * b!, 1);
    const fd = await finiteDifferences(graph, shapes.map((s) => randomTensor(rng, s)), { node: 'op', seed: randomTensor(rng, [per]).data });
    assert.ok(fd.maxAbsError <= 1e-7 * Math.max(1, fd.maxAbsGradient), `${JSON.stringify(op)}: ${fd.maxAbsError}`);
  }
});
