import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from './network.js';
import { presetPlan } from './presets.js';
import { baseCnnArchitecture, customCnnArchitecture, resolveArchitecture } from './spec.js';

test("BaSe's CNN at 128x128 has the layers and the 4,213,761 parameters of BaSe's tutorial summary", () => {
  const a = resolveArchitecture(baseCnnArchitecture({ test: 1 }));
  assert.deepEqual(a.layers.map((l) => `${l.name} (${l.outShape.join(', ')})`), [
    'conv2d_1 (128, 128, 32)', 'batch_normalization_1 (128, 128, 32)', 'activation_1 (128, 128, 32)', 'max_pooling2d_1 (64, 64, 32)',
    'conv2d_2 (64, 64, 32)', 'batch_normalization_2 (64, 64, 32)', 'activation_2 (64, 64, 32)', 'max_pooling2d_2 (32, 32, 32)', 'dropout_1 (32, 32, 32)',
    'conv2d_3 (32, 32, 32)', 'batch_normalization_3 (32, 32, 32)', 'activation_3 (32, 32, 32)', 'dropout_2 (32, 32, 32)',
    'flatten_1 (32768)', 'dense_1 (128)', 'activation_4 (128)', 'dense_2 (1)',
  ]);
  assert.equal(new Network(a).parameterCount, 4_213_761);
  assert.deepEqual(a.head, { kind: 'sigmoid', classes: 2 });
  // Test 3 adds Dropout(0.5) after the dense block.
  const t3 = resolveArchitecture(baseCnnArchitecture({ test: 3, inputShape: [64, 64, 1] }));
  assert.equal(t3.layers[t3.layers.length - 2]!.name, 'dropout_3');
  assert.equal(new Network(t3).parameterCount, 1_068_033);
});

test('presets carry BaSe\'s hyper-parameters; custom stacks pick their head from the classes', () => {
  const p = presetPlan('base-cnn', { inputShape: [64, 64, 1] });
  assert.deepEqual(p.optimizer, { learningRate: 5e-5, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decay: 1e-5 });
  assert.deepEqual([p.epochs, p.batchSize, p.flip], [10, 32, true]);
  assert.equal(presetPlan('base-cnn-test3', { inputShape: [64, 64, 1] }).optimizer.learningRate, 1e-4);
  const c = resolveArchitecture(customCnnArchitecture({ inputShape: [20, 20, 3], convFilters: [8], denseUnits: [], classes: 4 }));
  assert.deepEqual(c.head, { kind: 'softmax', classes: 4 });
  assert.throws(() => presetPlan('base-cnn', { inputShape: [64, 64, 1], classes: 3 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => presetPlan('vgg', { inputShape: [64, 64, 1] }), /Unknown training preset/);
});

test('resolveArchitecture refuses misfits, naming the layer', () => {
  const bad = (layers: Parameters<typeof resolveArchitecture>[0]['layers'], re: RegExp): void => {
    assert.throws(() => resolveArchitecture({ inputShape: [8, 8, 1], layers }), (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT' && re.test(e.message));
  };
  bad([{ type: 'dense', units: 1, activation: 'sigmoid' }], /add a Flatten/);
  bad([{ type: 'conv2d', filters: 2, kernelSize: 9 }, { type: 'flatten' }, { type: 'dense', units: 1, activation: 'sigmoid' }], /layer 1 \('conv2d_1'\).*does not fit/);
  bad([{ type: 'flatten' }, { type: 'dense', units: 2, activation: 'sigmoid' }], /must be Dense\(1, sigmoid\)/);
  bad([{ type: 'flatten' }, { type: 'dropout', rate: 1 }, { type: 'dense', units: 1, activation: 'sigmoid' }], /rate must be in \[0, 1\)/);
  bad([{ type: 'flatten', name: 'x' }, { type: 'dense', name: 'x', units: 1, activation: 'sigmoid' }], /used twice/);
  bad([{ type: 'flatten' }, { type: 'maxPool2d' }, { type: 'dense', units: 1, activation: 'sigmoid' }], /after Flatten/);
});
