// Fuzzing the Keras config translation: configs built from random layers (every dialect), real
// fixture configs mutated at random paths (with their real weights), arbitrary JSON, and
// architecture JSON text mutated and read through readKeras. Every input must translate to a
// well-formed graph or throw a ConvscopeError, in bounds.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { KerasArtifacts, NamedWeight } from '../../src/io/keras/artifacts.js';
import { readKeras } from '../../src/io/keras/read.js';
import type { Graph } from '../../src/model/ir.js';
import { translateKeras } from '../../src/model/translate.js';
import { fixture, haveFixtures } from '../fixtures.js';
import { Outcomes, assertProperty, expectParseOrTypedError, params } from './harness.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A translated graph must be usable: nodes in order, known inputs, shapes of non-negative sizes. */
function wellFormed(g: Graph): void {
  const seen = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) assert.ok(seen.has(i), `node '${n.name}' reads '${i}' before it exists`);
    for (const d of n.outputShape) assert.ok(d === null || (Number.isSafeInteger(d) && d >= 0), `node '${n.name}' (${n.className}) has output shape ${JSON.stringify(n.outputShape)}`);
    assert.ok(Number.isFinite(n.params) && n.params >= 0, `node '${n.name}' has ${n.params} params`);
    seen.add(n.name);
  }
  for (const o of g.outputs) assert.ok(seen.has(o), `output '${o}' is no node`);
  for (const i of g.inputs) assert.ok(seen.has(i), `input '${i}' is no node`);
}

const translate = (a: KerasArtifacts): Graph => translateKeras(a, { maxParams: 2 ** 26 });

// ---------------------------------------------------------------------------------------------
// Random layers.

const small = fc.integer({ min: 1, max: 6 });
const hostileInt = fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e300, 0.5);
const intish = fc.oneof({ weight: 30, arbitrary: small }, { weight: 1, arbitrary: hostileInt }, { weight: 1, arbitrary: fc.constantFrom(null, '3', [2], true) });
const pair = fc.oneof({ weight: 30, arbitrary: fc.tuple(small, small) }, { weight: 1, arbitrary: fc.constantFrom(3, [], [1, 2, 3], [-1, 2], null, 'same') });
const activation = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('relu', 'linear', 'softmax', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'swish', 'gelu', 'hard_sigmoid', 'exponential') }, { weight: 1, arbitrary: fc.constantFrom('leaky_relu', 'no_such', null) });
const dataFormat = fc.oneof({ weight: 12, arbitrary: fc.constant('channels_last') }, { weight: 4, arbitrary: fc.constant('channels_first') }, { weight: 1, arbitrary: fc.constantFrom('channels_middle', null) });
const padding = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('valid', 'same') }, { weight: 1, arbitrary: fc.constantFrom('causal', 'full', 3) });

/** One layer object of a class convscope knows (or not), with options valid and hostile. */
const layerArb = fc.oneof(
  fc.record({ class_name: fc.constant('Dense'), config: fc.record({ units: intish, activation, use_bias: fc.boolean() }) }),
  fc.record({ class_name: fc.constantFrom('Conv2D', 'Conv1D', 'SeparableConv2D', 'DepthwiseConv2D', 'Conv2DTranspose'), config: fc.record({ filters: intish, kernel_size: pair, strides: pair, padding, data_format: dataFormat, dilation_rate: pair, activation, use_bias: fc.boolean(), depth_multiplier: intish }) }),
  fc.record({ class_name: fc.constantFrom('MaxPooling2D', 'AveragePooling2D', 'MaxPooling1D', 'AveragePooling1D'), config: fc.record({ pool_size: pair, strides: pair, padding, data_format: dataFormat }) }),
  fc.record({ class_name: fc.constantFrom('GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling1D', 'Flatten'), config: fc.record({ data_format: dataFormat }) }),
  fc.record({ class_name: fc.constantFrom('Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax'), config: fc.record({ activation, alpha: fc.double({ min: -2, max: 2, noNaN: true }), max_value: fc.option(fc.double({ min: 0, max: 10, noNaN: true })) }) }),
  fc.record({ class_name: fc.constantFrom('Dropout', 'SpatialDropout2D', 'GaussianNoise', 'ActivityRegularization'), config: fc.record({ rate: fc.double({ min: 0, max: 1, noNaN: true }) }) }),
  fc.record({ class_name: fc.constant('BatchNormalization'), config: fc.record({ axis: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant([3])), epsilon: fc.double({ min: 0, max: 1, noNaN: true }), center: fc.boolean(), scale: fc.boolean() }) }),
  fc.record({ class_name: fc.constant('Reshape'), config: fc.record({ target_shape: fc.array(fc.oneof(small, fc.constantFrom(-1, 0, -2)), { maxLength: 4 }) }) }),
  fc.record({ class_name: fc.constant('Permute'), config: fc.record({ dims: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }) }) }),
  fc.record({ class_name: fc.constantFrom('ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'ZeroPadding1D', 'Cropping1D', 'UpSampling1D'), config: fc.record({ padding: fc.oneof(small, pair, fc.constant([[1, 2], [3, 4]])), cropping: fc.oneof(small, pair, fc.constant([[9, 9], [9, 9]])), size: fc.oneof(small, pair, hostileInt), data_format: dataFormat }) }),
  fc.record({ class_name: fc.constantFrom('Rescaling', 'Normalization'), config: fc.record({ scale: fc.double({ noNaN: true }), offset: fc.double({ noNaN: true }), axis: fc.constant(-1) }) }),
  fc.record({ class_name: fc.constantFrom('Lambda', 'TFOpLambda', 'QuantumDense', 'LSTM', 'Embedding', 'Attention', ''), config: fc.record({ function: fc.constant(['4wEAAAAA', null, null]), output_shape: fc.option(fc.array(small, { maxLength: 3 })) }) }),
);

/** Random weights for a layer: a few small tensors, sometimes none. */
const weightsArb = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), { maxLength: 3 }) });

const inputShapeArb = fc.oneof(
  fc.tuple(small, small, small).map((s) => [null, s[0] * 2, s[1] * 2, s[2]]),
  fc.tuple(small, small).map((s) => [null, s[0] * 3, s[1]]),
  small.map((s) => [null, s]),
  fc.constantFrom([null, 0, 4, 1], [null, -2, 3], [null], [], [5, 4], [null, 2 ** 40, 2 ** 40, 3], 'x'),
);

/** A Sequential or functional config with 1-8 random layers and random weights. */
const modelArb = fc
  .record({
    functional: fc.boolean(),
    inputShape: inputShapeArb,
    layers: fc.array(fc.tuple(layerArb, weightsArb, fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
    version: fc.constantFrom('2.3.1', '2.2.4-tf', '1.2.1', '3.3.3', null),
    backend: fc.constantFrom('tensorflow', 'theano', null),
  })
  .map(({ functional, inputShape, layers, version, backend }) => {
    const names = layers.map((_, i) => `l${i}`);
    const objs: Json[] = [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: inputShape as Json } }];
    const weights = new Map<string, NamedWeight[]>();
    layers.forEach(([l, ws, from, from2], i) => {
      const obj: { [k: string]: Json } = { class_name: l.class_name, config: { ...(l.config as { [k: string]: Json }), name: names[i]! } };
      if (functional) {
        obj['name'] = names[i]!;
        const pick = (k: number): string => (k % (i + 2) === 0 ? 'in' : k % 13 === 12 ? 'ghost' : names[(k % (i + 1)) - 1 < 0 ? 0 : (k % (i + 1)) - 1]!);
        const srcs = ['Add', 'Concatenate'].includes(l.class_name) ? [pick(from), pick(from2)] : [i === 0 ? 'in' : from % 5 === 0 ? pick(from) : names[i - 1]!];
        obj['inbound_nodes'] = [srcs.map((s) => [s, 0, 0, {}])];
      }
      objs.push(obj);
      if (ws.length > 0) weights.set(names[i]!, ws.map((shape, k) => ({ name: `${names[i]}/w${k}:0`, tensor: { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) } })));
    });
    const modelConfig = functional
      ? { class_name: 'Model', config: { name: 'm', layers: objs, input_layers: [['in', 0, 0]], output_layers: [[names[names.length - 1]!, 0, 0]] } }
      : { class_name: 'Sequential', config: { name: 's', layers: objs } };
    const artifacts: KerasArtifacts = { format: 'keras2-h5', kerasVersion: version, backend, modelConfig: modelConfig as KerasArtifacts['modelConfig'], weights, fileName: 'fuzz.h5' };
    return artifacts;
  });

test('fuzz Keras translation: random layer stacks (every dialect) translate or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(modelArb, async (a) => {
      await expectParseOrTypedError(outcomes, () => JSON.stringify({ v: a.kerasVersion, config: a.modelConfig, weights: [...a.weights].map(([k, w]) => [k, w.map((x) => x.tensor.shape)]) }), () => translate(a), wellFormed);
    }),
    params(1500),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz Keras translation: arbitrary JSON as the model config, and as a layer, throws a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), async (value, asLayer) => {
      const modelConfig = asLayer ? { class_name: 'Sequential', config: { layers: [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 3] } }, value] } } : value;
      const a: KerasArtifacts = { format: 'keras2-h5', kerasVersion: null, backend: null, modelConfig: modelConfig as KerasArtifacts['modelConfig'], weights: new Map(), fileName: 'fuzz.json' };
      await expectParseOrTypedError(outcomes, () => JSON.stringify(modelConfig), () => translate(a), wellFormed);
    }),
    params(1000),
  );
  t.diagnostic(outcomes.summary());
});

// ---------------------------------------------------------------------------------------------
// Real configs, mutated.

/** Real models read once: their configs get mutated, their weights stay real. */
const REAL: [string, string[]][] = [
  ['functional', ['keras2.3-mnist-functional/mnist_cnn.h5']],
  ['cifar json', ['keras2.8-cifar10-weights-json/cifar10_model.json', 'keras2.8-cifar10-weights-json/cifar10_model.h5']],
  ['layer zoo', ['tfkeras2.2-dl4j-layer-zoo/cnn2d_71.h5']],
  ['keras1 th', ['keras1.2-mnist-th-weights-json/mnist_cnn_th_keras_1_config.json', 'keras1.2-mnist-th-weights-json/mnist_cnn_th_keras_1_weights.h5']],
  ['conv1d cf', ['keras2.3-dl4j-conv1d-cf-dilated/conv1d_k3_s1_d2_cf_same_model.h5']],
  ['keras3 zip', ['keras3.13-mnist-zip/model.keras']],
  ['tfjs', ['tfjs-digits/model.json', 'tfjs-digits/group1-shard1of1.bin']],
  ['lambda', ['keras2.0-carnd-p3-lambda/model.h5']],
];
const real: KerasArtifacts[] = [];
const realJson: { name: string; text: string; weights: Uint8Array }[] = [];

before(async () => {
  if (!haveFixtures) return;
  for (const [, paths] of REAL) {
    real.push(await readKeras(paths.map((p) => ({ name: p.split('/').pop()!, bytes: new Uint8Array(readFileSync(fixture('keras', ...p.split('/')))) }))));
  }
  realJson.push({
    name: 'cifar10_model.json',
    text: readFileSync(fixture('keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(fixture('keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.h5'))),
  });
});

/** Every path (keys and indices) in a JSON value, up to `limit`. */
function paths(v: Json, limit = 4000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (x: Json, p: (string | number)[]): void => {
    if (out.length >= limit) return;
    const children: [string | number, Json][] = Array.isArray(x) ? x.map((c, i) => [i, c]) : x !== null && typeof x === 'object' ? Object.entries(x) : [];
    for (const [k, c] of children) {
      out.push([...p, k]);
      walk(c, [...p, k]);
    }
  };
  walk(v, []);
  return out;
}

const replacement = fc.oneof(
  fc.constantFrom<Json>(null, -1, 0, 1, 3, 1e9, 2 ** 53, 0.5, '', 'same', 'channels_first', 'Dense', 'Lambda', [], {}, [null], [1, 2], [[1, 1], [1, 1]], true, false),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);
const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'delete', 'duplicate'), value: replacement });

function applyEdits(config: Json, edits: readonly { at: number; op: string; value: Json }[]): Json {
  const doc = structuredClone(config);
  for (const e of edits) {
    const all = paths(doc);
    if (all.length === 0) break;
    const p = all[e.at % all.length]!;
    let parent = doc as { [k: string]: Json } | Json[];
    for (const k of p.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k] as { [k: string]: Json } | Json[];
    const key = p[p.length - 1]!;
    if (e.op === 'replace') (parent as Record<string | number, Json>)[key] = e.value;
    else if (e.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]!));
  }
  return doc;
}

test('fuzz Keras translation: real configs with 1-3 random edits translate or throw a ConvscopeError', { skip: !haveFixtures && 'shared fixtures not found' }, async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), async (which, edits) => {
      const base = real[which % real.length]!;
      const modelConfig = applyEdits(base.modelConfig as unknown as Json, edits) as KerasArtifacts['modelConfig'];
      const a: KerasArtifacts = { ...base, modelConfig };
      await expectParseOrTypedError(outcomes, () => `${REAL[which % REAL.length]![0]} with ${JSON.stringify(edits)}`, () => translate(a), wellFormed);
    }),
    params(600),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz Keras reading: architecture JSON text with byte edits reads and translates or throws a ConvscopeError', { skip: !haveFixtures && 'shared fixtures not found' }, async (t) => {
  const outcomes = new Outcomes();
  const enc = new TextEncoder();
  await assertProperty(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '{', '}', '[', ']', '"', ',', ':', '0', '-', 'e', 'null', '\\', '\\u00', 'NaN', '1e999', ' ')), { minLength: 1, maxLength: 4 }), async (edits) => {
      let text = realJson[0]!.text;
      for (const [at, s] of edits) {
        const p = at % (text.length + 1);
        text = text.slice(0, p) + s + text.slice(p + 1);
      }
      await expectParseOrTypedError(
        outcomes,
        () => JSON.stringify(edits),
        async () => translate(await readKeras([{ name: 'cifar10_model.json', bytes: enc.encode(text) }, { name: 'cifar10_model.h5', bytes: realJson[0]!.weights }])),
        wellFormed,
      );
    }),
    params(150),
  );
  t.diagnostic(outcomes.summary());
});
