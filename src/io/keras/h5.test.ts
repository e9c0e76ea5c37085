import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileFormatError, LimitError } from '../../errors.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';
import { makeHdf5, ramp } from '../hdf5-make.testutil.js';
import { fullModelFormat, readArchitectureJson, readKerasH5 } from './h5.js';

const skip = !haveFixtures && 'shared fixtures not found';
const read = (id: string, file: string): Uint8Array => readFileSync(fixture('keras', id, file));
const names = (ws: readonly { name: string }[] | undefined): string[] => (ws ?? []).map((w) => w.name);

test('Keras 1 full model: weights named as stored, bias-free convolutions, no backend', { skip }, async () => {
  const a = await readKerasH5(read('keras1.2-carnd-functional', 'model.h5'), 'model.h5');
  assert.equal(a.format, 'keras1-h5');
  assert.equal(a.kerasVersion, '1.2.1');
  assert.equal(a.backend, null);
  assert.equal(a.modelConfig.class_name, 'Model');
  assert.deepEqual(names(a.weights.get('conv0')), ['conv0_W:0']);
  assert.deepEqual(a.weights.get('conv0')![0]!.tensor.shape, [3, 3, 3, 32]);
  assert.deepEqual(names(a.weights.get('predictions')), ['predictions_W:0', 'predictions_b:0']);
  assert.equal(a.weights.has('conv0_act'), false, 'layers without weights have no entry');
});

test('Keras 3 legacy .h5: weight_names are paths relative to the layer group', { skip }, async () => {
  const a = await readKerasH5(read('keras3.13-mnist-h5', 'best_model.h5'), 'best_model.h5');
  assert.equal(a.format, 'keras3-h5');
  assert.deepEqual(names(a.weights.get('conv2d')), ['sequential/conv2d/kernel', 'sequential/conv2d/bias']);
  assert.deepEqual([...a.weights.keys()], ['conv2d', 'conv2d_1', 'dense', 'dense_1']);
});

test('tf.keras without a -tf suffix (2.14) is still tf.keras', { skip }, async () => {
  const a = await readKerasH5(read('tfkeras2.14-mnist-h5', 'mnist_cnn.h5'), 'mnist_cnn.h5');
  assert.equal(a.format, 'tfkeras-h5');
  assert.equal(a.kerasVersion, '2.14.0');
  assert.equal(a.weights.has('top_level_model_weights'), false, 'an empty top_level_model_weights group adds nothing');
});

test('weights-only file + double-encoded architecture JSON (Keras 1, Lambda layer read, not refused)', { skip }, async () => {
  const architecture = readArchitectureJson(read('keras1.2-carnd-weights-json-lambda', 'model.json'), 'model.json');
  assert.equal(architecture.config.class_name, 'Sequential');
  assert.equal(architecture.kerasVersion, '1.2.1');
  const layers = architecture.config.config as { class_name: string }[];
  assert.equal(layers[0]!.class_name, 'Lambda');
  const a = await readKerasH5(read('keras1.2-carnd-weights-json-lambda', 'model.h5'), 'model.h5', { architecture });
  assert.equal(a.format, 'weights-h5+json');
  assert.equal(a.kerasVersion, '1.2.1');
  assert.equal(a.fileName, 'model.json + model.h5');
  assert.deepEqual(names(a.weights.get('convolution2d_1')), ['convolution2d_1_W:0', 'convolution2d_1_b:0']);
  assert.equal(a.weights.has('lambda_1'), false);
});

test('a weights-only file without its architecture asks for the JSON', { skip }, async () => {
  await assert.rejects(readKerasH5(read('keras2.8-cifar10-weights-json', 'cifar10_model.h5'), 'cifar10_model.h5'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_MISSING_FILE');
    assert.match(e.message, /'cifar10_model\.h5'/);
    assert.match(e.message, /--weights weights\.h5/);
    return true;
  });
});

test('maxTensorElements is checked from the shape before reading', { skip }, async () => {
  await assert.rejects(readKerasH5(read('keras2.3-mnist-functional', 'mnist_cnn.h5'), 'mnist_cnn.h5', { maxTensorElements: 1000 }), (e: unknown) => {
    assert.ok(e instanceof LimitError);
    assert.equal(e.code, 'LIMIT_EXCEEDED');
    assert.match(e.message, /\(1600, 100\)|\(3, 3, 32, 64\)/);
    return true;
  });
});

test('an HDF5 file that is not a Keras model: HDF5_NOT_KERAS with the weights hint', async () => {
  const bytes = await makeHdf5({ attrs: { title: 'experiment 3' }, datasets: { x: ramp([4, 4]) } });
  await assert.rejects(readKerasH5(bytes, 'data.h5'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'HDF5_NOT_KERAS');
    assert.match(e.message, /'data\.h5' is an HDF5 file but not a Keras model: it has no 'model_config' attribute or 'layer_names'/);
    assert.match(e.message, /convscope summary model\.json --weights weights\.h5/);
    return true;
  });
});

/** A minimal full-model file in the Keras 2 layout, with options to damage it. */
function kerasFile(modelConfig: string, extra: { weightNames?: string[]; chunked?: boolean } = {}) {
  const weightNames = extra.weightNames ?? ['dense_1/kernel:0', 'dense_1/bias:0'];
  const layerAttrs: Record<string, readonly string[]> = extra.chunked === true ? { layer_names0: ['input_1'], layer_names1: ['dense_1'] } : { layer_names: ['input_1', 'dense_1'] };
  return makeHdf5({
    attrs: { model_config: modelConfig, keras_version: '2.2.4', backend: 'tensorflow' },
    groups: {
      model_weights: {
        attrs: layerAttrs,
        groups: {
          input_1: { attrs: { weight_names: new Float64Array(0) } },
          dense_1: {
            attrs: { weight_names: weightNames },
            groups: { dense_1: { datasets: { 'kernel:0': { data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] }, 'bias:0': ramp([2]) } } },
          },
        },
      },
    },
  });
}
const CONFIG = JSON.stringify({ class_name: 'Model', config: { name: 'm', layers: [{ name: 'input_1', class_name: 'InputLayer', config: {} }, { name: 'dense_1', class_name: 'Dense', config: { units: 2 } }] } });

test('a synthetic Keras 2 file: split layer_names attributes are joined, float64 weights become float32', async () => {
  const a = await readKerasH5(await kerasFile(CONFIG, { chunked: true }), 'k.h5');
  assert.equal(a.format, 'keras2-h5');
  assert.deepEqual(names(a.weights.get('dense_1')), ['dense_1/kernel:0', 'dense_1/bias:0']);
  const kernel = a.weights.get('dense_1')![0]!.tensor;
  assert.ok(kernel.data instanceof Float32Array);
  assert.deepEqual(kernel.shape, [3, 2]);
  assert.deepEqual(Array.from(kernel.data), [1, 2, 3, 4, 5, 6]);
});

test('an invalid model_config: KERAS_BAD_CONFIG with the position; a cut one: FILE_TRUNCATED', async () => {
  const bad = CONFIG.replace('"units":2', '"units":2,,');
  await assert.rejects(readKerasH5(await kerasFile(bad), 'k.h5'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_BAD_CONFIG');
    assert.match(e.message, /'model_config' attribute in 'k\.h5' is not valid JSON: error at position \d+ \(line 1, column \d+\)/);
    assert.equal(e.details['position'], bad.indexOf(',,') + 1);
    return true;
  });
  await assert.rejects(readKerasH5(await kerasFile(CONFIG.slice(0, 40)), 'k.h5'), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_TRUNCATED');
});

test('weight_names naming a dataset the file lacks: KERAS_MISSING_WEIGHTS naming layer and weight', async () => {
  await assert.rejects(readKerasH5(await kerasFile(CONFIG, { weightNames: ['dense_1/kernel:0', 'dense_1/gamma:0'] }), 'k.h5'), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_MISSING_WEIGHTS');
    assert.match(e.message, /layer 'dense_1' lists weight 'dense_1\/gamma:0'/);
    return true;
  });
});

test('a Keras 3 weights-only .weights.h5 (vars layout) with its architecture', async () => {
  const bytes = await makeHdf5({
    groups: {
      layers: { groups: { dense: { groups: { vars: { datasets: { '0': ramp([4, 3]), '1': ramp([3]) } } } } } },
      vars: {},
    },
  });
  const architecture = readArchitectureJson(
    JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { name: 'in' } }, { class_name: 'Dense', config: { name: 'head', units: 3 } }] } }),
    'arch.json',
  );
  const a = await readKerasH5(bytes, 'w.weights.h5', { architecture });
  assert.equal(a.format, 'weights-h5+json');
  assert.deepEqual(names(a.weights.get('head')), ['head/kernel', 'head/bias']);
});

test('fullModelFormat: which Keras wrote a full-model file', () => {
  assert.equal(fullModelFormat('1.2.1', ''), 'keras1-h5');
  assert.equal(fullModelFormat('2.0.6', ''), 'keras2-h5');
  assert.equal(fullModelFormat('2.3.1', ''), 'keras2-h5');
  assert.equal(fullModelFormat('2.2.4-tf', ''), 'tfkeras-h5');
  assert.equal(fullModelFormat('2.4.0', ''), 'tfkeras-h5');
  assert.equal(fullModelFormat('2.14.0', ''), 'tfkeras-h5');
  assert.equal(fullModelFormat('3.13.2', ''), 'keras3-h5');
  assert.equal(fullModelFormat(null, '{"config": {"nb_filter": 32}}'), 'keras1-h5');
  assert.equal(fullModelFormat(null, '{"config": {"filters": 32}}'), 'keras2-h5');
});
