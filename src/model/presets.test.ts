import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseCnnGraph } from './presets.js';

test('baseCnnGraph: BaSe layer sequence, shapes and Keras parameter counts', () => {
  const g = baseCnnGraph();
  assert.deepEqual(g.inputs, ['input_1']);
  assert.deepEqual(g.outputs, ['dense_1']);
  assert.deepEqual(g.nodes.map((n) => n.className), [
    'InputLayer', 'Conv2D', 'BatchNormalization', 'Activation', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'Activation',
    'MaxPooling2D', 'Dropout', 'Conv2D', 'BatchNormalization', 'Activation', 'Dropout', 'Flatten', 'Dense', 'Dense',
  ]);
  const shape = (name: string) => g.nodes.find((n) => n.name === name)!.outputShape;
  assert.deepEqual(shape('max_pooling2d'), [null, 64, 64, 32]);
  assert.deepEqual(shape('max_pooling2d_1'), [null, 32, 32, 32]);
  assert.deepEqual(shape('flatten'), [null, 32 * 32 * 32]);
  assert.deepEqual(shape('dense_1'), [null, 1]);
  // conv 3*3*1*32+32, 2 x (3*3*32*32+32), 3 BN x 4*32, dense 32768*128+128, 128+1
  const total = g.nodes.reduce((s, n) => s + n.params, 0);
  assert.equal(total, 320 + 2 * 9248 + 3 * 128 + 4194432 + 129);
  // every node's inputs come earlier
  const seen = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) assert.ok(seen.has(i), n.name);
    seen.add(n.name);
  }
});

test('baseCnnGraph: the seed fixes the weights; He-uniform kernel bounds', () => {
  const kernel = (seed: number) => {
    const op = baseCnnGraph({ inputShape: [16, 16, 1], seed }).nodes[5]!.op;
    assert.equal(op.type, 'conv');
    return op.type === 'conv' ? op.kernel.data : new Float32Array();
  };
  assert.deepEqual(kernel(3), kernel(3));
  assert.notDeepEqual(kernel(3), kernel(4));
  const limit = Math.sqrt(6 / (9 * 32));
  assert.ok(kernel(3).every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...kernel(3).map(Math.abs)) > 0.9 * limit);
  const small = baseCnnGraph({ inputShape: [16, 20, 3] });
  assert.deepEqual(small.nodes.find((n) => n.name === 'flatten')!.outputShape, [null, 4 * 5 * 32]);
  assert.throws(() => baseCnnGraph({ inputShape: [2, 2, 1] }), { code: 'BAD_ARGUMENT' });
});
