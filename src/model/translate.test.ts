// translateKeras on hand-made artifacts in every dialect: graph structure, kernel layouts,
// weight checks, Lambda refusal and startAfter, nested and shared layers, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateKeras } from './translate.js';
import type { Graph, Node, Op } from './ir.js';
import { ArgumentError, ConvscopeError, FileFormatError, LimitError, UnsupportedError } from '../errors.js';
import { artifacts, functional, k3layer, layer, ramp, sequential, w } from '../../test/keras-builders.js';
import type { Tensor } from '../tensor.js';

const node = (g: Graph, name: string): Node => g.nodes.find((n) => n.name === name)!;
const conv = (n: Node): Extract<Op, { type: 'conv' }> => {
  assert.equal(n.op.type, 'conv');
  return n.op as Extract<Op, { type: 'conv' }>;
};
const at = (t: Tensor, ...idx: number[]): number => {
  let flat = 0;
  idx.forEach((i, a) => (flat = flat * t.shape[a]! + i));
  return t.data[flat]!;
};
const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof ConvscopeError && e.code === c && (re === undefined || re.test(e.message));

/** A Keras 1 'th' MNIST-like Sequential (bare list config) with kernels stored (out, in, rows, cols). */
function keras1Th() {
  const cfg = {
    class_name: 'Sequential',
    config: [
      { class_name: 'Convolution2D', config: { name: 'c', nb_filter: 2, nb_row: 3, nb_col: 3, dim_ordering: 'th', border_mode: 'valid', subsample: [1, 1], bias: true, activation: 'linear', batch_input_shape: [null, 1, 5, 5] } },
      { class_name: 'Activation', config: { name: 'a', activation: 'relu' } },
      { class_name: 'MaxPooling2D', config: { name: 'p', pool_size: [2, 2], strides: [2, 2], border_mode: 'valid', dim_ordering: 'th' } },
      { class_name: 'Dropout', config: { name: 'd', p: 0.25 } },
      { class_name: 'Flatten', config: { name: 'f' } },
      { class_name: 'Dense', config: { name: 'fc', output_dim: 3, bias: true, activation: 'softmax', init: 'glorot_uniform', W_regularizer: null } },
    ],
  };
  const weights = { c: [w('c_W', [2, 1, 3, 3]), w('c_b', [2])], fc: [w('fc_W', [2, 3]), w('fc_b', [3])] };
  return artifacts(cfg, weights, { kerasVersion: null, backend: null, format: 'weights-h5+json' });
}

test("Keras 1 'th': kernels transposed to (rows, cols, in, out) and flipped (Theano); flatten as stored", () => {
  const g = translateKeras(keras1Th());
  assert.deepEqual(g.inputs, ['c_input']);
  assert.deepEqual(g.outputs, ['fc']);
  assert.deepEqual(g.nodes.map((n) => [n.name, n.className, n.outputShape]), [
    ['c_input', 'InputLayer', [null, 1, 5, 5]],
    ['c', 'Convolution2D', [null, 2, 3, 3]],
    ['a', 'Activation', [null, 2, 3, 3]],
    ['p', 'MaxPooling2D', [null, 2, 1, 1]],
    ['d', 'Dropout', [null, 2, 1, 1]],
    ['f', 'Flatten', [null, 2]],
    ['fc', 'Dense', [null, 3]],
  ]);
  const c = conv(node(g, 'c'));
  assert.deepEqual([c.dataFormat, c.kernel.shape], ['channels_first', [3, 3, 1, 2]]);
  // stored[o][i][r][c] = ((o * 1 + i) * 3 + r) * 3 + c; canonical[r][c][i][o] = stored[o][i][2 - r][2 - c]
  for (const [r, cc, o] of [[0, 0, 0], [0, 2, 1], [1, 2, 0], [2, 1, 1]] as const) {
    assert.equal(at(c.kernel, r, cc, 0, o), o * 9 + (2 - r) * 3 + (2 - cc));
  }
  assert.deepEqual(node(g, 'f').op, { type: 'flatten', dataFormat: 'channels_last' });
  assert.equal(node(g, 'c').params, 20);
});

test("Keras 1 'th' with theanoKernels: false is transposed but not flipped", () => {
  const c = conv(node(translateKeras(keras1Th(), { theanoKernels: false }), 'c'));
  assert.equal(at(c.kernel, 0, 2, 0, 1), 9 + 0 * 3 + 2);
  assert.equal(at(c.kernel, 2, 1, 0, 0), 2 * 3 + 1);
});

test("Keras 2 with backend 'theano' flips kernels in both spatial axes (layout unchanged)", () => {
  const cfg = sequential([layer('Conv2D', { name: 'c', filters: 1, kernel_size: [2, 3], batch_input_shape: [null, 4, 4, 1] })]);
  const g = translateKeras(artifacts(cfg, { c: [w('k', [2, 3, 1, 1]), w('b', [1])] }, { backend: 'theano' }));
  assert.deepEqual(Array.from(conv(node(g, 'c')).kernel.data), [5, 4, 3, 2, 1, 0]);
  const tf = translateKeras(artifacts(cfg, { c: [w('k', [2, 3, 1, 1]), w('b', [1])] }));
  assert.deepEqual(Array.from(conv(node(tf, 'c')).kernel.data), [0, 1, 2, 3, 4, 5]);
});

test('Keras 1 functional Model: bias=false, subsample, Reshape; tf ordering is not flipped', () => {
  const cfg = {
    class_name: 'Model',
    config: {
      name: 'model_1',
      layers: [
        { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 16, 3], name: 'input_1' }, inbound_nodes: [] },
        { name: 'conv0', class_name: 'Convolution2D', config: { name: 'conv0', nb_filter: 4, nb_row: 3, nb_col: 3, subsample: [1, 2], border_mode: 'valid', dim_ordering: 'tf', bias: false }, inbound_nodes: [[['input_1', 0, 0]]] },
        { name: 'r', class_name: 'Reshape', config: { name: 'r', target_shape: [168] }, inbound_nodes: [[['conv0', 0, 0]]] },
      ],
      input_layers: [['input_1', 0, 0]],
      output_layers: [['r', 0, 0]],
    },
  };
  const g = translateKeras(artifacts(cfg, { conv0: [w('conv0_W', [3, 3, 3, 4])] }, { kerasVersion: '1.2.1', backend: null, format: 'keras1-h5' }));
  const c = conv(node(g, 'conv0'));
  assert.deepEqual([c.strides, c.bias, c.dataFormat, node(g, 'conv0').outputShape], [[1, 2], null, 'channels_last', [null, 6, 7, 4]]);
  assert.deepEqual(Array.from(c.kernel.data.subarray(0, 4)), [0, 1, 2, 3]);
  assert.equal(node(g, 'conv0').params, 108);
});

test('Keras 1 Convolution1D kernels stored (length, 1, in, out) lose the unit axis', () => {
  const cfg = { class_name: 'Sequential', config: [{ class_name: 'Convolution1D', config: { name: 'c', nb_filter: 4, filter_length: 3, subsample_length: 1, border_mode: 'same', batch_input_shape: [null, 10, 2] } }] };
  const g = translateKeras(artifacts(cfg, { c: [w('c_W', [3, 1, 2, 4]), w('c_b', [4])] }, { kerasVersion: '1.2.2', backend: null }));
  const c = conv(node(g, 'c'));
  assert.deepEqual([c.kernel.shape, c.padding, node(g, 'c').outputShape], [[3, 2, 4], 'same', [null, 10, 4]]);
});

test('Keras 1 Merge layer (sum, concat) in a functional model', () => {
  const L = (name: string, cls: string, config: Record<string, unknown>, inbound: string[]) => ({ name, class_name: cls, config: { name, ...config }, inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0])] : [] });
  const cfg = {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        L('a', 'InputLayer', { batch_input_shape: [null, 4] }, []),
        L('b', 'InputLayer', { batch_input_shape: [null, 4] }, []),
        L('s', 'Merge', { mode: 'sum' }, ['a', 'b']),
        L('c', 'Merge', { mode: 'concat', concat_axis: -1 }, ['s', 'a']),
        L('x', 'Merge', { mode: 'cos' }, ['a', 'b']),
      ],
      input_layers: [['a', 0, 0], ['b', 0, 0]],
      output_layers: [['c', 0, 0]],
    },
  };
  const g = translateKeras(artifacts(cfg, {}, { kerasVersion: '1.2.1', backend: null }));
  assert.deepEqual(g.inputs, ['a', 'b']);
  assert.deepEqual(node(g, 's').op, { type: 'merge', mode: 'add' });
  assert.deepEqual([node(g, 'c').op, node(g, 'c').outputShape], [{ type: 'concat', axis: 1 }, [null, 8]]);
  assert.equal(g.nodes.some((n) => n.name === 'x'), false, 'layers no output needs are not translated');
  const cosOut = { ...cfg, config: { ...cfg.config, output_layers: [['x', 0, 0]] } };
  assert.throws(() => translateKeras(artifacts(cosOut, {}, { kerasVersion: '1.2.1', backend: null })), code('KERAS_UNSUPPORTED_LAYER', /'cos'/));
});

test('Keras 1 Sequential whose first layer merges branch models', () => {
  const branch = (n: string) => ({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: n, output_dim: 2, batch_input_shape: [null, 3] } }] });
  const cfg = { class_name: 'Sequential', config: [{ class_name: 'Merge', config: { name: 'merge_1', mode: 'concat', concat_axis: -1, layers: [branch('d1'), branch('d2')] } }, { class_name: 'Dense', config: { name: 'out', output_dim: 1 } }] };
  const weights = { d1: [w('d1_W', [3, 2]), w('d1_b', [2])], d2: [w('d2_W', [3, 2]), w('d2_b', [2])], out: [w('out_W', [4, 1]), w('out_b', [1])] };
  const g = translateKeras(artifacts(cfg, weights, { kerasVersion: '1.2.0', backend: null }));
  assert.deepEqual(g.inputs, ['d1_input', 'd2_input']);
  assert.deepEqual(node(g, 'merge_1').inputs, ['d1', 'd2']);
  assert.deepEqual(node(g, 'out').outputShape, [null, 1]);
});

test('Keras 2: old list Sequential and functional [[name, 0, 0, {}]] give the same graph', () => {
  const layers = [layer('Dense', { name: 'd', units: 2, activation: 'relu', batch_input_shape: [null, 3] })];
  const a = translateKeras(artifacts({ class_name: 'Sequential', config: layers }, { d: [w('k', [3, 2]), w('b', [2])] }, { kerasVersion: '2.1.3' }));
  const f = functional([layer('InputLayer', { name: 'd_input', batch_input_shape: [null, 3] }, []), layer('Dense', { name: 'd', units: 2, activation: 'relu' }, [['d_input']])], ['d_input'], ['d']);
  const b = translateKeras(artifacts(f, { d: [w('k', [3, 2]), w('b', [2])] }));
  assert.deepEqual(a, b);
});

test('Keras 3 functional with keras tensors, Concatenate on a list argument, DTypePolicy ignored', () => {
  const cfg = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'f',
      layers: [
        k3layer('InputLayer', { name: 'in', batch_shape: [null, 6, 6, 1] }, []),
        k3layer('Conv2D', { name: 'c', filters: 2, kernel_size: [3, 3], padding: 'same', activation: 'relu', use_bias: true }, ['in']),
        k3layer('Concatenate', { name: 'cat', axis: -1 }, ['in', 'c']),
        k3layer('LeakyReLU', { name: 'lr', negative_slope: 0.1 }, ['cat']),
      ],
      input_layers: ['in', 0, 0],
      output_layers: ['lr', 0, 0],
    },
  };
  const g = translateKeras(artifacts(cfg, { c: [w('vars/0', [3, 3, 1, 2]), w('vars/1', [2])] }, { kerasVersion: '3.3.3', format: 'keras3-zip' }));
  assert.deepEqual(node(g, 'cat').inputs, ['in', 'c']);
  assert.deepEqual(node(g, 'cat').outputShape, [null, 6, 6, 3]);
  assert.deepEqual(node(g, 'lr').op, { type: 'activation', activation: { kind: 'relu', maxValue: null, negativeSlope: 0.1, threshold: 0 } });
});

test('nested models are flattened as outer/inner; weights from the nested group or outer/inner keys', () => {
  const inner = { class_name: 'Sequential', config: { name: 'enc', layers: [layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] }), layer('Dense', { name: 'e', units: 1 })] } };
  const cfg = functional([layer('InputLayer', { name: 'x', batch_input_shape: [null, 3] }, []), { ...inner, name: 'enc', inbound_nodes: [[['x', 0, 0, {}]]] }], ['x'], ['enc']);
  const grouped = { enc: [w('d/kernel:0', [3, 2]), w('d/bias:0', [2]), w('e/kernel:0', [2, 1], 100), w('e/bias:0', [1])] };
  const g = translateKeras(artifacts(cfg, grouped));
  assert.deepEqual(g.nodes.map((n) => [n.name, n.inputs]), [['x', []], ['enc/d', ['x']], ['enc/e', ['enc/d']]]);
  assert.deepEqual(g.outputs, ['enc/e']);
  assert.equal((node(g, 'enc/e').op as Extract<Op, { type: 'dense' }>).kernel.data[0], 100);
  const keyed = { 'enc/d': [w('k', [3, 2]), w('b', [2])], 'enc/e': [w('k', [2, 1]), w('b', [1])] };
  assert.deepEqual(translateKeras(artifacts(cfg, keyed)).nodes.map((n) => n.name), ['x', 'enc/d', 'enc/e']);
});

test('a Sequential starting with a nested model takes that model input', () => {
  const base = { class_name: 'Model', config: { name: 'base', layers: [layer('InputLayer', { name: 'img', batch_input_shape: [null, 4, 4, 1] }, []), layer('Conv2D', { name: 'c', filters: 2, kernel_size: 3 }, [['img']])], input_layers: [['img', 0, 0]], output_layers: [['c', 0, 0]] } };
  const cfg = sequential([base, layer('Flatten', { name: 'f' }), layer('Dense', { name: 'o', units: 1, activation: 'sigmoid' })]);
  const g = translateKeras(artifacts(cfg, { base: [w('c/kernel:0', [3, 3, 1, 2]), w('c/bias:0', [2])], o: [w('k', [8, 1]), w('b', [1])] }));
  assert.deepEqual(g.inputs, ['base/img']);
  assert.deepEqual(node(g, 'f').inputs, ['base/c']);
});

test('a shared layer called twice: nodes name and name@1 with the same weights, params counted once', () => {
  const cfg = functional(
    [
      layer('InputLayer', { name: 'a', batch_input_shape: [null, 2] }, []),
      layer('InputLayer', { name: 'b', batch_input_shape: [null, 2] }, []),
      { ...layer('Dense', { name: 'shared', units: 2 }), name: 'shared', inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
      { ...layer('Add', { name: 'add' }), name: 'add', inbound_nodes: [[['shared', 0, 0, {}], ['shared', 1, 0, {}]]] },
    ],
    ['a', 'b'],
    ['add'],
  );
  const g = translateKeras(artifacts(cfg, { shared: [w('k', [2, 2]), w('b', [2])] }));
  assert.deepEqual(node(g, 'add').inputs, ['shared', 'shared@1']);
  assert.deepEqual([node(g, 'shared').params, node(g, 'shared@1').params], [6, 0]);
  assert.equal((node(g, 'shared@1').op as Extract<Op, { type: 'dense' }>).kernel.data[3], 3);
});

test('a nested model called twice (siamese): enc/... and enc@1/..., weights shared, params once', () => {
  const inner = { class_name: 'Sequential', config: { name: 'enc', layers: [layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] })] } };
  const cfg = functional(
    [
      layer('InputLayer', { name: 'a', batch_input_shape: [null, 3] }, []),
      layer('InputLayer', { name: 'b', batch_input_shape: [null, 3] }, []),
      { ...inner, name: 'enc', inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
      { ...layer('Subtract', { name: 'diff' }), name: 'diff', inbound_nodes: [[['enc', 0, 0, {}], ['enc', 1, 0, {}]]] },
    ],
    ['a', 'b'],
    ['diff'],
  );
  const g = translateKeras(artifacts(cfg, { enc: [w('d/kernel:0', [3, 2]), w('d/bias:0', [2])] }));
  assert.deepEqual(node(g, 'diff').inputs, ['enc/d', 'enc@1/d']);
  assert.deepEqual([node(g, 'enc/d').inputs, node(g, 'enc@1/d').inputs], [['a'], ['b']]);
  assert.equal(g.nodes.reduce((s, n) => s + n.params, 0), 8);
});

test('weights that do not fit are typed errors naming layer, expected and found shapes', () => {
  const cfg = sequential([layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] })]);
  const run = (weights: Record<string, ReturnType<typeof w>[]>) => () => translateKeras(artifacts(cfg, weights, { fileName: 'm.h5' }));
  assert.throws(run({}), (e: unknown) => e instanceof FileFormatError && code('KERAS_MISSING_WEIGHTS', /m\.h5: layer 'd' \(Dense\).*kernel \(3, 2\)/)(e));
  assert.throws(run({ d: [w('k', [3, 2])] }), code('KERAS_WEIGHTS_MISMATCH', /1 stored weight arrays, not 2/));
  assert.throws(run({ d: [w('k', [2, 3]), w('b', [2])] }), code('KERAS_WEIGHTS_MISMATCH', /'k' \(kernel\) has the wrong shape: expected kernel \(3, 2\), bias \(2,\); the file has k \(2, 3\), b \(2,\)/));
  assert.throws(run({ d: [w('k', [3, 2]), w('b', [2])], ghost: [w('g', [1])] }), code('KERAS_WEIGHTS_MISMATCH', /'ghost'/));
  const withDrop = sequential([layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] }), layer('Dropout', { name: 'x', rate: 0.1 })]);
  assert.throws(() => translateKeras(artifacts(withDrop, { d: [w('k', [3, 2]), w('b', [2])], x: [w('k', [1])] })), code('KERAS_WEIGHTS_MISMATCH', /layer 'x'/));
});

test('Lambda: refused with KERAS_LAMBDA naming it; startAfter opens the model after it', () => {
  const lambda = { class_name: 'Lambda', config: { name: 'lambda_1', function: ['\u00e3bytecode', null, null], function_type: 'lambda', output_shape: null, batch_input_shape: [null, 4, 4, 3] } };
  const cfg = sequential([lambda, layer('Conv2D', { name: 'c', filters: 1, kernel_size: 3 })]);
  const weights = { c: [w('k', [3, 3, 3, 1]), w('b', [1])] };
  assert.throws(
    () => translateKeras(artifacts(cfg, weights)),
    (e: unknown) =>
      e instanceof UnsupportedError && e.code === 'KERAS_LAMBDA' && /'lambda_1'/.test(e.message) && /bytecode/.test(e.message) && /startAfter: 'lambda_1'/.test(e.message) && /assumed equal/.test(e.message) && /yours to apply/.test(e.message),
  );
  const g = translateKeras(artifacts(cfg, weights), { startAfter: 'lambda_1' });
  assert.deepEqual(g.inputs, ['lambda_1']);
  assert.deepEqual(g.nodes.map((n) => [n.name, n.op.type, n.outputShape]), [['lambda_1', 'input', [null, 4, 4, 3]], ['c', 'conv', [null, 2, 2, 1]]]);
  assert.throws(() => translateKeras(artifacts(cfg, weights), { startAfter: 'nope' }), (e: unknown) => e instanceof ArgumentError && /'nope'/.test(e.message) && /lambda_1/.test(e.message));
});

test('Lambda output_shape is used for the startAfter input', () => {
  const cfg = sequential([
    layer('InputLayer', { name: 'in', batch_input_shape: [null, 8] }),
    layer('Lambda', { name: 'lam', output_shape: [4], output_shape_type: 'raw' }),
    layer('Dense', { name: 'd', units: 1 }),
  ]);
  const g = translateKeras(artifacts(cfg, { d: [w('k', [4, 1]), w('b', [1])] }), { startAfter: 'lam' });
  assert.deepEqual([g.inputs, node(g, 'lam').outputShape], [['lam'], [null, 4]]);
  assert.throws(() => translateKeras(artifacts(cfg, { d: [w('k', [4, 1]), w('b', [1])] })), code('KERAS_LAMBDA', /recorded output_shape/));
});

test('unsupported layers name layer, class, file and the supported classes', () => {
  const cfg = sequential([layer('LSTM', { name: 'rnn', units: 3, batch_input_shape: [null, 5, 2] })]);
  assert.throws(
    () => translateKeras(artifacts(cfg, {}, { fileName: 'seq.h5' })),
    (e: unknown) => e instanceof UnsupportedError && e.code === 'KERAS_UNSUPPORTED_LAYER' && /seq\.h5: layer 'rnn' \(LSTM\)/.test(e.message) && /Conv2D/.test(e.message) && /ZeroPadding2D/.test(e.message),
  );
});

test('limits: maxLayers and maxParams are LimitErrors', () => {
  const cfg = sequential([layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] }), layer('Dropout', { name: 'x', rate: 0.1 })]);
  const a = artifacts(cfg, { d: [w('k', [3, 2]), w('b', [2])] });
  assert.throws(() => translateKeras(a, { maxLayers: 1 }), (e: unknown) => e instanceof LimitError && /maxLayers/.test(e.message));
  assert.throws(() => translateKeras(a, { maxParams: 7 }), (e: unknown) => e instanceof LimitError && /8 parameters/.test(e.message));
  assert.equal(translateKeras(a, { maxParams: 8 }).nodes.length, 3);
});

test('bad structure: dangling references, cycles, duplicate names', () => {
  const bad = (layers: Record<string, unknown>[], re: RegExp) =>
    assert.throws(() => translateKeras(artifacts(functional(layers, ['in'], ['b']), {})), code('KERAS_BAD_CONFIG', re));
  const input = layer('InputLayer', { name: 'in', batch_input_shape: [null, 2] }, []);
  bad([input, layer('ReLU', { name: 'b' }, [['nowhere']])], /'nowhere'/);
  bad([input, layer('Add', { name: 'a' }, [['in', 'b']]), layer('Add', { name: 'b' }, [['a', 'in']])], /cycle/);
  bad([input, layer('ReLU', { name: 'b' }, [['in']]), layer('ReLU', { name: 'b' }, [['in']])], /twice/);
  bad([input, { ...layer('ReLU', { name: 'b' }), name: 'b', inbound_nodes: [[['in', 3, 0, {}]]] }], /node 3/);
});

test('the translated graph is plain data: kernels are fresh copies for re-laid-out weights only', () => {
  const kernel = ramp([3, 2]);
  const cfg = sequential([layer('Dense', { name: 'd', units: 2, batch_input_shape: [null, 3] })]);
  const g = translateKeras(artifacts(cfg, { d: [{ name: 'k', tensor: kernel }, w('b', [2])] }));
  assert.equal((node(g, 'd').op as Extract<Op, { type: 'dense' }>).kernel, kernel);
  assert.doesNotThrow(() => structuredClone(g));
});
