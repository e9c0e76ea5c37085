import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm';
import { fixture, haveFixtures } from '../../../test/fixtures.js';
import { openModel } from '../../model/open.js';
import { ReferenceEngine } from '../../engine/ref/engine.js';
import { createRng } from '../../random.js';
import { saveKerasH5 } from '../../train/keras.js';
import { Network } from '../../train/network.js';
import { resolveAdam } from '../../train/optimizer.js';
import { baseCnnArchitecture } from '../../train/spec.js';
import { readKerasH5 } from './h5.js';
import { HDF5_OBJECT_HEADER_LIMIT, listAttributes, pythonFloat, pythonJson, pyFloat, writeKerasH5 } from './write.js';

/** How an attribute is stored: what h5py/Keras choices show (class, variable or fixed length, charset, padding, rank). */
interface AttrKind {
  readonly type: number;
  readonly vlen: boolean;
  readonly cset: number | null;
  readonly strpad: number | null;
  /** 'max' when a fixed string's size is the longest value's length; else the byte size. */
  readonly size: number | 'max';
  readonly rank: number;
}

interface Layout {
  readonly superblock: number;
  readonly root: Map<string, AttrKind>;
  readonly modelWeights: Map<string, AttrKind>;
  /** Distinct kinds of the per-layer weight_names attributes. */
  readonly weightNames: Set<string>;
  /** Every dataset path under model_weights, with dtype and whether it is contiguous and unfiltered. */
  readonly datasets: { path: string; dtype: string; plain: boolean }[];
  /** For every layer: each weight name resolves to a dataset at model_weights/<layer>/<name>. */
  readonly weightsAtTheirNames: boolean;
  readonly groupsAreLayers: boolean;
}

let counter = 0;

async function layoutOf(bytes: Uint8Array): Promise<Layout> {
  const module = await h5wasm.ready;
  const path = `/write-test-${++counter}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new h5wasm.File(path, 'r');
  try {
    const kind = (a: { metadata: { type: number; vlen: boolean; cset?: number; strpad?: number; size: number; shape: number[] | null }; value: unknown }): AttrKind => {
      const m = a.metadata;
      const values = Array.isArray(a.value) ? (a.value as unknown[]) : [a.value];
      const longest = Math.max(...values.map((v) => (typeof v === 'string' ? v.length : 0)));
      return {
        type: m.type, vlen: m.vlen, cset: m.cset ?? null, strpad: m.type === 3 ? (m.strpad ?? null) : null,
        size: m.type === 3 && !m.vlen && m.size === longest ? 'max' : m.size, rank: m.shape?.length ?? 0,
      };
    };
    const attrs = (g: InstanceType<typeof h5wasm.Group>): Map<string, AttrKind> =>
      new Map(Object.entries(g.attrs).map(([k, a]) => [k, kind(a as never)]));
    const mw = f.get('model_weights') as InstanceType<typeof h5wasm.Group>;
    const layerNames = mw.attrs['layer_names']!.value as string[];
    const weightNames = new Set<string>();
    const datasets: Layout['datasets'] = [];
    let weightsAtTheirNames = true;
    for (const layer of layerNames) {
      const g = mw.get(layer) as InstanceType<typeof h5wasm.Group>;
      const wn = g.attrs['weight_names']!;
      weightNames.add(JSON.stringify(kind(wn as never)));
      const names = Array.isArray(wn.value) ? (wn.value as unknown[]).filter((v): v is string => typeof v === 'string') : [];
      for (const n of names) {
        const d = g.get(n);
        if (!(d instanceof h5wasm.Dataset)) weightsAtTheirNames = false;
      }
    }
    const walk = (g: InstanceType<typeof h5wasm.Group>, at: string): void => {
      for (const k of g.keys()) {
        const child = g.get(k);
        if (child instanceof h5wasm.Group) walk(child, `${at}/${k}`);
        else if (child instanceof h5wasm.Dataset) {
          datasets.push({ path: `${at}/${k}`, dtype: String(child.dtype), plain: child.metadata.chunks === null && child.filters.length === 0 });
        }
      }
    };
    walk(mw, 'model_weights');
    return {
      superblock: bytes[8]!,
      root: attrs(f),
      modelWeights: attrs(mw),
      weightNames,
      datasets,
      weightsAtTheirNames,
      groupsAreLayers: JSON.stringify([...mw.keys()].sort()) === JSON.stringify([...layerNames].sort()),
    };
  } finally {
    f.close();
    module.FS.unlink(path);
  }
}

async function trainedNetwork(): Promise<Network> {
  const net = new Network(baseCnnArchitecture({ inputShape: [16, 12, 1], test: 3 }), { seed: 3 });
  // A few training-mode passes move the BatchNorm statistics off their initial values.
  const rng = createRng(1);
  for (let s = 0; s < 3; s++) net.forward({ shape: [4, 16, 12, 1], data: Float32Array.from({ length: 4 * 192 }, () => rng.next()) }, { rng });
  for (const p of net.parameters) for (let i = 0; i < p.data.length; i++) p.data[i] = p.data[i]! + 0.01 * (rng.next() - 0.5);
  return net;
}

test('a written .h5 reads back with identical predictions (convscope reader, bit for bit)', async () => {
  const net = await trainedNetwork();
  const bytes = await saveKerasH5(net, { optimizer: resolveAdam({ learningRate: 1e-4, epsilon: 1e-8, decay: 1e-5 }) });
  const model = await openModel([{ name: 'written.h5', bytes }]);
  assert.equal(model.format, 'keras2-h5');
  assert.equal(model.artifacts.kerasVersion, '2.3.1');
  assert.equal(model.artifacts.backend, 'tensorflow');
  assert.deepEqual(model.graph.nodes.map((n) => `${n.name}:${n.className}`), net.toGraph().nodes.map((n) => `${n.name}:${n.className}`));
  const rng = createRng(9);
  const x = { shape: [7, 16, 12, 1], data: Float32Array.from({ length: 7 * 192 }, () => rng.next()) };
  const read = await model.predict(x);
  const direct = (await new ReferenceEngine(net.toGraph()).run([x])).values().next().value!;
  assert.deepEqual(Array.from(read.data), Array.from(direct.data));
  assert.ok(new Set(read.data).size > 1, 'predictions differ between inputs');
  // Every weight, BatchNorm moving statistics included, comes back exactly.
  const w = net.kerasWeights();
  for (const [layer, list] of model.artifacts.weights) {
    assert.deepEqual(list.map((q) => q.name), (w.get(layer) ?? []).map((q) => q.name), layer);
    list.forEach((q, i) => assert.deepEqual(q.tensor.data, w.get(layer)![i]!.tensor.data, q.name));
  }
  await model.dispose();
});

test('the written layout is Keras 2\'s, attribute by attribute (against real Keras 2.1 and 2.3 files)', { skip: !haveFixtures }, async () => {
  const ours = await layoutOf(await saveKerasH5(await trainedNetwork(), { optimizer: resolveAdam() }));
  const refs = await Promise.all([
    'keras2.1-dl4j-cnn-batchnorm/cnn_batch_norm.h5',
    'keras2.3-mnist-functional/mnist_cnn.h5',
  ].map(async (p) => layoutOf(new Uint8Array(readFileSync(fixture('keras', ...p.split('/')))))));
  for (const ref of refs) {
    assert.equal(ours.superblock, ref.superblock, 'superblock version (h5py default: 0)');
    for (const name of ['keras_version', 'backend', 'model_config', 'training_config']) {
      assert.deepEqual(ours.root.get(name), ref.root.get(name), `root attribute ${name}`);
    }
    assert.deepEqual([...ours.modelWeights.keys()].sort(), [...ref.modelWeights.keys()].sort(), 'model_weights attribute names');
    for (const [name, k] of ref.modelWeights) assert.deepEqual(ours.modelWeights.get(name), k, `model_weights attribute ${name}`);
    // weight_names: fixed-length NULL-padded ASCII strings, or an empty float64 array for weightless layers.
    assert.deepEqual([...ours.weightNames].sort(), [...ref.weightNames].sort(), 'weight_names kinds');
    assert.ok(ref.weightsAtTheirNames && ours.weightsAtTheirNames, 'datasets at model_weights/<layer>/<weight name>');
    assert.ok(ref.groupsAreLayers && ours.groupsAreLayers, 'one group per layer, nothing else');
    assert.deepEqual(new Set(ours.datasets.map((d) => `${d.dtype} ${d.plain}`)), new Set(ref.datasets.map((d) => `${d.dtype} ${d.plain}`)), 'float32, contiguous, unfiltered');
  }
  // Concretely, as in the Keras files:
  assert.deepEqual(ours.modelWeights.get('layer_names'), { type: 3, vlen: false, cset: 0, strpad: 1, size: 'max', rank: 1 });
  assert.ok(ours.datasets.some((d) => d.path === 'model_weights/conv2d_1/conv2d_1/kernel:0'));
  assert.ok(ours.datasets.some((d) => d.path === 'model_weights/batch_normalization_1/batch_normalization_1/moving_variance:0'));
});

test('the written config and training config are Keras 2.3 JSON: keys in Keras order, Python number formats', async () => {
  const bytes = await saveKerasH5(await trainedNetwork(), { optimizer: resolveAdam({ learningRate: 5e-5, epsilon: 1e-8, decay: 1e-5 }) });
  const module = await h5wasm.ready;
  module.FS.writeFile('/cfg.h5', bytes);
  const f = new h5wasm.File('/cfg.h5', 'r');
  const config = String(f.attrs['model_config']!.value);
  const training = String(f.attrs['training_config']!.value);
  f.close();
  module.FS.unlink('/cfg.h5');
  assert.ok(config.startsWith('{"class_name": "Model", "config": {"name": "cnn", "layers": [{"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 16, 12, 1], "dtype": "float32", "sparse": false, "name": "input_1"}, "inbound_nodes": []}'));
  assert.ok(config.includes('"kernel_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}}'));
  assert.ok(config.includes('"kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0010000000474974513}}'));
  assert.ok(config.includes('"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true'));
  assert.ok(config.endsWith('"input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]}}'));
  assert.equal(training, '{"optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 4.999999873689376e-05, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "decay": 9.999999747378752e-06, "epsilon": 1e-08, "amsgrad": false}}, "loss": "binary_crossentropy", "metrics": ["accuracy"], "weighted_metrics": null, "sample_weight_mode": null, "loss_weights": null}');
});

test('our layer configs have exactly the keys, in order, of the same layers in a Keras 2.3 file', { skip: !haveFixtures }, async () => {
  const mnist = await readKerasH5(new Uint8Array(readFileSync(fixture('keras', 'keras2.3-mnist-functional', 'mnist_cnn.h5'))), 'mnist_cnn.h5');
  const theirs = new Map<string, string[]>();
  for (const l of (mnist.modelConfig.config as { layers: { class_name: string; config: object }[] }).layers) theirs.set(l.class_name, Object.keys(l.config));
  const ours = await readKerasH5(await saveKerasH5(await trainedNetwork()), 'ours.h5');
  for (const l of (ours.modelConfig.config as { layers: { class_name: string; config: object }[] }).layers) {
    const want = theirs.get(l.class_name);
    if (want !== undefined) assert.deepEqual(Object.keys(l.config), want, l.class_name);
  }
  assert.ok(['InputLayer', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense'].every((c) => theirs.has(c)));
});

test('pythonFloat and pythonJson write numbers and separators as Python\'s json.dumps', () => {
  const cases: [number, string][] = [[1, '1.0'], [0.001, '0.001'], [1e-7, '1e-07'], [1e-5, '1e-05'], [0.0001, '0.0001'], [-0.05, '-0.05'],
    [Math.fround(0.9), '0.8999999761581421'], [1e16, '1e+16'], [123456789012345.6, '123456789012345.6'], [2.5e-10, '2.5e-10'], [0, '0.0'], [100, '100.0']];
  for (const [v, s] of cases) assert.equal(pythonFloat(v), s, String(v));
  assert.equal(pythonJson({ a: [1, pyFloat(2), null, true], 'b"': 'é' }), '{"a": [1, 2.0, null, true], "b\\"": "\\u00e9"}');
});

test('long name lists are split into name0, name1... chunks as Keras does, and read back joined', async () => {
  const names = Array.from({ length: 1100 }, (_, i) => `layer_with_a_rather_long_name_to_fill_the_header_quickly_${String(i).padStart(4, '0')}`);
  const attrs = listAttributes('layer_names', names);
  assert.ok(names.length * names[0]!.length > HDF5_OBJECT_HEADER_LIMIT);
  assert.deepEqual(attrs.map((a) => a.name), ['layer_names0', 'layer_names1']);
  const bytes = await writeKerasH5({
    modelConfig: { class_name: 'Sequential', config: { name: 's', layers: [] } },
    trainingConfig: null,
    layers: names.map((name) => ({ name, weights: [] })),
  });
  const back = await readKerasH5(bytes, 'chunked.h5');
  assert.deepEqual([...back.weights.keys()], []);
  const module = await h5wasm.ready;
  module.FS.writeFile('/chunked.h5', bytes);
  const f = new h5wasm.File('/chunked.h5', 'r');
  const mw = f.get('model_weights') as InstanceType<typeof h5wasm.Group>;
  const joined = [...(mw.attrs['layer_names0']!.value as string[]), ...(mw.attrs['layer_names1']!.value as string[])];
  assert.equal(mw.attrs['layer_names0']!.metadata.strpad, 1);
  assert.equal(f.attrs['training_config'], undefined);
  f.close();
  module.FS.unlink('/chunked.h5');
  assert.deepEqual(joined, names);
});

test('duplicate layer or weight names are refused', async () => {
  await assert.rejects(writeKerasH5({ modelConfig: {}, trainingConfig: null, layers: [{ name: 'a', weights: [] }, { name: 'a', weights: [] }] }), { code: 'BAD_ARGUMENT' });
  const t = { shape: [1], data: new Float32Array(1) };
  await assert.rejects(writeKerasH5({ modelConfig: {}, trainingConfig: null, layers: [{ name: 'a', weights: [{ name: 'a/k:0', tensor: t }, { name: 'a/k:0', tensor: t }] }] }), { code: 'BAD_ARGUMENT' });
});
