import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDialect, parseInboundNodes, parseModel, type ParseContext } from './keras-config.js';
import { normaliseKeras1 } from './layer-config.js';
import { FileFormatError } from '../errors.js';
import { k3layer, layer, sequential, functional } from '../../test/keras-builders.js';

const ctx = (dialect: 1 | 2 | 3 = 2): ParseContext => ({ fileName: 'm.h5', dialect, onLayer: () => {} });

test('detectDialect: the recorded keras_version wins', () => {
  assert.equal(detectDialect('1.2.1', {}), 1);
  assert.equal(detectDialect('2.2.4-tf', {}), 2);
  assert.equal(detectDialect('3.13.2', {}), 3);
});

test('detectDialect without a version: Keras 1 option names, Keras 3 DTypePolicy/batch_shape, else 2', () => {
  const k1 = { class_name: 'Sequential', config: [{ class_name: 'Convolution2D', config: { nb_filter: 3, dim_ordering: 'th' } }] };
  assert.equal(detectDialect(null, k1), 1);
  const k3 = { class_name: 'Sequential', config: { layers: [k3layer('InputLayer', { batch_shape: [null, 3], name: 'in' })] } };
  assert.equal(detectDialect(null, k3), 3);
  assert.equal(detectDialect('tfjs-layers 3.8.0', sequential([layer('Dense', { units: 2, batch_input_shape: [null, 3] })])), 2);
});

test('normaliseKeras1 renames options and classes', () => {
  const { kind, config } = normaliseKeras1('Convolution2D', { nb_filter: 8, nb_row: 3, nb_col: 5, subsample: [1, 2], border_mode: 'same', dim_ordering: 'th', bias: false });
  assert.equal(kind, 'Conv2D');
  assert.deepEqual(config, { filters: 8, kernel_size: [3, 5], strides: [1, 2], padding: 'same', data_format: 'channels_first', use_bias: false });
  assert.deepEqual(normaliseKeras1('Convolution1D', { filter_length: 3, subsample_length: 2 }).config, { kernel_size: [3], strides: [2] });
  assert.deepEqual(normaliseKeras1('MaxPooling1D', { pool_length: 2, stride: null }).config, { pool_size: [2], strides: null });
  assert.deepEqual(normaliseKeras1('Dense', { output_dim: 4 }).config, { units: 4 });
  assert.deepEqual(normaliseKeras1('Dropout', { p: 0.5 }).config, { rate: 0.5 });
  assert.deepEqual(normaliseKeras1('ZeroPadding2D', { padding: [1, 2, 3, 4] }).config, { padding: [[1, 2], [3, 4]] });
  assert.deepEqual(normaliseKeras1('ZeroPadding2D', { padding: { top_pad: 1, right_pad: 2 } }).config, { padding: [[1, 0], [0, 2]] });
  assert.deepEqual(normaliseKeras1('UpSampling1D', { length: 3 }).config, { length: 3, size: 3 });
});

test('Keras 1 Sequential list: the first layer batch_input_shape becomes an InputLayer named <first>_input', () => {
  const cfg = { class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'd', output_dim: 2, batch_input_shape: [null, 3] } }] };
  const m = parseModel(cfg, ctx(1));
  assert.deepEqual(m.layers.map((l) => [l.name, l.kind]), [['d_input', 'InputLayer'], ['d', 'Dense']]);
  assert.deepEqual(m.inputs, [{ layer: 'd_input', node: 0, tensor: 0 }]);
  assert.deepEqual(m.outputs, [{ layer: 'd', node: 0, tensor: 0 }]);
  assert.equal(m.layers[1]!.config.raw['units'], 2);
});

test('Sequential input shape from input_shape, input_dim, build_input_shape and build_config', () => {
  const shape = (cfg: Record<string, unknown>): unknown => parseModel(cfg, ctx()).layers[0]!.config.raw['batch_input_shape'];
  assert.deepEqual(shape(sequential([layer('Dense', { name: 'd', units: 1, input_shape: [5] })])), [null, 5]);
  assert.deepEqual(shape(sequential([layer('Dense', { name: 'd', units: 1, input_dim: 7 })])), [null, 7]);
  assert.deepEqual(shape({ class_name: 'Sequential', config: { name: 's', layers: [layer('Dense', { name: 'd', units: 1 })], build_input_shape: [null, 4] } }), [null, 4]);
  assert.deepEqual(shape({ class_name: 'Sequential', config: { layers: [layer('Dense', { name: 'd', units: 1 })] }, build_config: { input_shape: [null, 9] } }), [null, 9]);
  assert.throws(() => parseModel(sequential([layer('Dense', { name: 'd', units: 1 })]), ctx()), (e: unknown) => e instanceof FileFormatError && e.code === 'KERAS_BAD_CONFIG' && /no input shape/.test(e.message));
});

test('inbound nodes in every dialect', () => {
  const where = { fileName: 'm.h5' };
  assert.deepEqual(parseInboundNodes([[['a', 0, 0]]], where), [[{ layer: 'a', node: 0, tensor: 0 }]]);
  assert.deepEqual(parseInboundNodes([[['a', 1, 0, {}], ['b', 0, 0, {}]]], where), [[{ layer: 'a', node: 1, tensor: 0 }, { layer: 'b', node: 0, tensor: 0 }]]);
  const kt = (n: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [n, 0, 0] } });
  assert.deepEqual(parseInboundNodes([{ args: [[kt('a'), kt('b')]], kwargs: {} }], where), [[{ layer: 'a', node: 0, tensor: 0 }, { layer: 'b', node: 0, tensor: 0 }]]);
  assert.deepEqual(parseInboundNodes([{ args: [], kwargs: { inputs: kt('c') } }], where), [[{ layer: 'c', node: 0, tensor: 0 }]]);
  assert.throws(() => parseInboundNodes('x', where), /inbound_nodes is not a list/);
  assert.throws(() => parseInboundNodes([[[3, 0, 0]]], where), /inbound reference/);
});

test('Keras 3 functional: flat input_layers, keras tensors, nested Functional', () => {
  const inner = {
    module: 'keras',
    class_name: 'Functional',
    name: 'inner',
    config: {
      name: 'inner',
      layers: [k3layer('InputLayer', { name: 'x', batch_shape: [null, 3] }, []), k3layer('Dense', { name: 'd', units: 2 }, ['x'])],
      input_layers: ['x', 0, 0],
      output_layers: ['d', 0, 0],
    },
    inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['in', 0, 0] } }], kwargs: {} }],
  };
  const cfg = {
    module: 'keras',
    class_name: 'Functional',
    config: { name: 'outer', layers: [k3layer('InputLayer', { name: 'in', batch_shape: [null, 3] }, []), inner], input_layers: [['in', 0, 0]], output_layers: [['inner', 0, 0]] },
  };
  const m = parseModel(cfg, ctx(3));
  assert.equal(m.layers[1]!.model?.name, 'inner');
  assert.deepEqual(m.layers[1]!.model?.inputs, [{ layer: 'x', node: 0, tensor: 0 }]);
  assert.deepEqual(m.layers[1]!.calls, [[{ layer: 'in', node: 0, tensor: 0 }]]);
});

test('bad configs are KERAS_BAD_CONFIG naming what was found', () => {
  const bad = (cfg: unknown, re: RegExp) =>
    assert.throws(() => parseModel(cfg, ctx()), (e: unknown) => e instanceof FileFormatError && e.code === 'KERAS_BAD_CONFIG' && re.test(e.message));
  bad('nope', /not a JSON object/);
  bad({ class_name: 'Graph', config: {} }, /Graph/);
  bad({ class_name: 'Sequential', config: [] }, /no layers/);
  bad(functional([layer('Dense', { name: 'd', units: 1 }, [['x']])], ['x'], []), /output_layers/);
  bad({ class_name: 'Model', config: { layers: [42], input_layers: [['a', 0, 0]], output_layers: [['a', 0, 0]] } }, /not an object/);
});

test('maxLayers counting goes through onLayer (nested layers included)', () => {
  let n = 0;
  const nested = { class_name: 'Sequential', config: { name: 'inner', layers: [layer('Dense', { name: 'a', units: 1, batch_input_shape: [null, 2] })] } };
  parseModel(sequential([layer('InputLayer', { name: 'in', batch_input_shape: [null, 2] }), nested]), { fileName: 'm', dialect: 2, onLayer: () => n++ });
  assert.equal(n, 3);
});
