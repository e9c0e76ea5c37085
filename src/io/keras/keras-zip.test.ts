import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { FileFormatError } from '../../errors.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';
import { makeHdf5, ramp, type H5Spec } from '../hdf5-make.testutil.js';
import { readKerasZip, snakeCase } from './keras-zip.js';

const skip = !haveFixtures && 'shared fixtures not found';
const names = (ws: readonly { name: string }[] | undefined): string[] => (ws ?? []).map((w) => w.name);

test('snakeCase follows Keras 3 and tf.keras to_snake_case (expectations computed with their Python regexes)', () => {
  const both: [string, string][] = [
    ['Conv2D', 'conv2d'],
    ['MaxPooling2D', 'max_pooling2d'],
    ['BatchNormalization', 'batch_normalization'],
    ['LeakyReLU', 'leaky_re_lu'],
    ['Conv2DTranspose', 'conv2d_transpose'],
    ['GlobalAveragePooling2D', 'global_average_pooling2d'],
    ['InputLayer', 'input_layer'],
    ['DepthwiseConv2D', 'depthwise_conv2d'],
    ['PReLU', 'p_re_lu'],
    ['TFOpLambda', 'tf_op_lambda'],
    ['Dense2Layer', 'dense2_layer'],
  ];
  for (const [cls, snake] of both) {
    assert.equal(snakeCase(cls, true), snake, cls);
    assert.equal(snakeCase(cls, false), snake, cls);
  }
  assert.equal(snakeCase('XA1', true), 'xa1');
  assert.equal(snakeCase('XA1', false), 'x_a1');
  assert.equal(snakeCase('_Private', false), 'private__private');
});

test('Keras 3 .keras: weights mapped to layer names with inferred variable names', { skip }, async () => {
  const a = await readKerasZip(readFileSync(fixture('keras', 'keras3.13-mnist-zip', 'model.keras')), 'model.keras');
  assert.equal(a.format, 'keras3-zip');
  assert.equal(a.kerasVersion, '3.13.2');
  assert.equal(a.backend, null);
  assert.equal(a.modelConfig.class_name, 'Sequential');
  assert.deepEqual([...a.weights.keys()], ['conv2d', 'conv2d_1', 'dense', 'dense_1']);
  assert.deepEqual(names(a.weights.get('dense')), ['dense/kernel', 'dense/bias']);
  assert.deepEqual(a.weights.get('dense')![0]!.tensor.shape, [1600, 128]);
});

test('tf.keras 2.14 .keras: _layer_checkpoint_dependencies, counters differ from layer names, BatchNorm order', { skip }, async () => {
  const a = await readKerasZip(readFileSync(fixture('keras', 'tfkeras2.14-cifar10-zip', 'cifar10_cnn.keras')), 'cifar10_cnn.keras');
  assert.equal(a.format, 'tfkeras-zip');
  assert.equal(a.kerasVersion, '2.14.0');
  // group conv2d holds layer conv2d_3 (the first Conv2D), and so on
  assert.deepEqual(names(a.weights.get('conv2d_3')), ['conv2d_3/kernel', 'conv2d_3/bias']);
  assert.deepEqual(a.weights.get('conv2d_3')![0]!.tensor.shape, [3, 3, 3, 32]);
  assert.deepEqual(a.weights.get('conv2d_6')![0]!.tensor.shape, [3, 3, 128, 256]);
  assert.deepEqual(names(a.weights.get('batch_normalization')), [
    'batch_normalization/gamma', 'batch_normalization/beta', 'batch_normalization/moving_mean', 'batch_normalization/moving_variance',
  ]);
  // moving variances are positive, gammas are not all 1: the order is not swapped
  const bn = a.weights.get('batch_normalization_3')!;
  assert.ok(bn[3]!.tensor.data.every((v) => v > 0));
});

test('tf.keras 2.15 .keras saved on Windows: backslash group names', { skip }, async () => {
  const a = await readKerasZip(readFileSync(fixture('keras', 'tfkeras2.15-mnist-zip-backslash', 'best_model.keras')), 'best_model.keras');
  assert.equal(a.format, 'tfkeras-zip');
  assert.deepEqual([...a.weights.keys()], ['conv2d_2', 'conv2d_3', 'dense_1']);
  assert.deepEqual(a.weights.get('dense_1')![0]!.tensor.shape, [3136, 10]);
});

const vars = (...shapes: number[][]): H5Spec => ({ groups: { vars: { datasets: Object.fromEntries(shapes.map((s, i) => [String(i), ramp(s, i + 1)])) } } });

function kerasZip(config: unknown, weights: Uint8Array, version = '3.3.3'): Uint8Array {
  return zipSync({
    'config.json': strToU8(JSON.stringify(config)),
    'metadata.json': strToU8(JSON.stringify({ keras_version: version, date_saved: '2024-01-01@00:00:00' })),
    'model.weights.h5': weights,
  });
}

test('a Sequential nested in a Functional model: inner layers under the nested model, BatchNorm without beta', async () => {
  const config = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'outer',
      layers: [
        { class_name: 'InputLayer', name: 'image', config: { name: 'image' } },
        {
          class_name: 'Sequential',
          name: 'features',
          config: {
            name: 'features',
            layers: [
              { class_name: 'InputLayer', config: { name: 'features_in' } },
              { class_name: 'Conv2D', config: { name: 'c1', use_bias: true } },
              { class_name: 'BatchNormalization', config: { name: 'bn', center: false, scale: true } },
            ],
          },
        },
        { class_name: 'Flatten', name: 'flat', config: { name: 'flat' } },
        { class_name: 'Dense', name: 'head', config: { name: 'head', use_bias: false } },
      ],
    },
  };
  const weights = await makeHdf5({
    groups: {
      layers: {
        groups: {
          input_layer: { groups: { vars: {} } },
          sequential: {
            groups: {
              layers: { groups: { conv2d: vars([3, 3, 1, 4], [4]), batch_normalization: vars([4], [4], [4]) } },
              vars: {},
            },
          },
          flatten: { groups: { vars: {} } },
          dense: vars([16, 2]),
        },
      },
      vars: {},
      optimizer: { groups: { vars: { datasets: { '0': ramp([1]) } } } },
    },
  });
  const a = await readKerasZip(kerasZip(config, weights), 'nested.keras');
  assert.deepEqual([...a.weights.keys()], ['features', 'head']);
  assert.deepEqual(names(a.weights.get('features')), ['c1/kernel', 'c1/bias', 'bn/gamma', 'bn/moving_mean', 'bn/moving_variance']);
  assert.deepEqual(names(a.weights.get('head')), ['head/kernel']);
  assert.deepEqual(a.weights.get('features')![1]!.tensor.shape, [4]);
  assert.equal(a.weights.get('features')![1]!.tensor.data[3], 3 * 2, 'vars/1 of conv2d (ramp scaled by 2)');
});

test('numbered variables sort numerically (vars/10 after vars/9); unknown classes keep numeric names', async () => {
  const shapes = Array.from({ length: 11 }, (_, i) => [i + 1]);
  const config = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'MyCustomLayer', config: { name: 'custom' } }] } };
  const a = await readKerasZip(kerasZip(config, await makeHdf5({ groups: { layers: { groups: { my_custom_layer: vars(...shapes) } } } })), 'c.keras');
  const ws = a.weights.get('custom')!;
  assert.deepEqual(names(ws), shapes.map((_, i) => `custom/${i}`));
  assert.deepEqual(ws.map((w) => w.tensor.shape[0]), shapes.map((s) => s[0]));
});

test('a weight group no layer claims is an error, not silently dropped', async () => {
  const config = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd' } }] } };
  const weights = await makeHdf5({ groups: { layers: { groups: { dense: vars([2, 2], [2]), conv2d: vars([3, 3, 1, 1]) } } } });
  await assert.rejects(readKerasZip(kerasZip(config, weights), 'x.keras'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_WEIGHTS_MISMATCH');
    assert.match(e.message, /'layers\/conv2d'/);
    return true;
  });
});

test('a ZIP that is not a .keras archive names what it holds', async () => {
  const torch = zipSync({ 'archive/data.pkl': strToU8('x'), 'archive/version': strToU8('3') });
  await assert.rejects(readKerasZip(torch, 'model.pt'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'FILE_UNRECOGNISED');
    assert.match(e.message, /no 'config\.json'.*'archive\/data\.pkl'.*PyTorch/s);
    return true;
  });
  const noWeights = zipSync({ 'config.json': strToU8('{"class_name": "Sequential", "config": {"layers": []}}') });
  await assert.rejects(readKerasZip(noWeights, 'w.keras'), (e: unknown) => e instanceof FileFormatError && e.code === 'KERAS_MISSING_WEIGHTS');
});
