// Every fixture of ../shared/fixtures/MANIFEST.tsv, end to end: read the real files, translate,
// run on the reference engine, and compare with the goldens (goldens/README.md): predictions,
// every layer's output for input 0, output shapes and parameter counts; Keras' own predictions
// where the fixture ships them. Lambda fixtures must be refused with KERAS_LAMBDA.
//
// Tolerance (goldens/README.md, "Suggested tolerances"): |ours - golden| <= 1e-4 * max(1, max |golden|)
// per tensor; the float32 reference run is within 1.4e-6 on outputs and 1.3e-4 at magnitude 145.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fixture, haveFixtures } from './fixtures.js';
import { readKeras } from '../src/io/keras/read.js';
import { translateKeras } from '../src/model/translate.js';
import { createReferenceEngine } from '../src/engine/ref/engine.js';
import { createNodeOnnxEngine } from '../src/node/onnx.js';
import type { Engine } from '../src/engine/engine.js';
import { logitGraph } from '../src/model/logits.js';
import { readNpy, toFloat32 } from '../src/io/npy.js';
import { openHdf5 } from '../src/io/hdf5.js';
import { UnsupportedError } from '../src/errors.js';
import type { Graph } from '../src/model/ir.js';
import type { Tensor } from '../src/tensor.js';
import type { KerasArtifacts } from '../src/io/keras/artifacts.js';

const RELATIVE_TOLERANCE = 1e-4;

/** Every engine path runs the whole golden suite (issue: correctness on every engine). */
type EngineMaker = (g: Graph) => Promise<Engine>;
const ENGINES: [string, EngineMaker][] = [
  ['reference', (g) => Promise.resolve(createReferenceEngine(g))],
  ['onnxruntime-node', (g) => createNodeOnnxEngine(g, { threads: 1 })],
];

interface Row {
  id: string;
  files: string[];
  evaluable: string;
}

interface GoldenLayer {
  name: string;
  class_name: string;
  output_shape?: (number | null)[];
  params: number;
  file?: string | null;
}

function manifest(): Row[] {
  if (!haveFixtures) return [];
  const lines = readFileSync(fixture('MANIFEST.tsv'), 'utf8').trim().split('\n');
  const head = lines[0]!.split('\t');
  const col = (name: string): number => head.indexOf(name);
  return lines.slice(1).map((line) => {
    const c = line.split('\t');
    return { id: c[col('fixture_id')]!, files: c[col('files')]!.split(';'), evaluable: c[col('evaluable')]! };
  });
}

/** The model files of a fixture (Keras' own test data left out). */
async function readFixture(row: Row): Promise<KerasArtifacts> {
  const files = row.files.filter((f) => !f.endsWith('.npy') && !f.includes('inputs_and_outputs'));
  return readKeras(files.map((f) => ({ name: basename(f), bytes: new Uint8Array(readFileSync(fixture(f))) })));
}

function npy(...parts: string[]): Tensor {
  const a = readNpy(new Uint8Array(readFileSync(fixture(...parts))));
  return { shape: a.shape, data: toFloat32(a) };
}

/** Max |ours - golden| and the tolerance for that golden tensor. */
function compare(ours: Float32Array, golden: Float32Array): { err: number; tol: number } {
  assert.equal(ours.length, golden.length, 'value count');
  let err = 0;
  let mag = 0;
  for (let i = 0; i < golden.length; i++) {
    err = Math.max(err, Math.abs(ours[i]! - golden[i]!));
    mag = Math.max(mag, Math.abs(golden[i]!));
  }
  assert.ok(!Number.isNaN(err), 'NaN in output');
  return { err, tol: RELATIVE_TOLERANCE * Math.max(1, mag) };
}

/** Layer names, shapes and parameter counts against golden.json. */
function checkStructure(graph: Graph, golden: { layers: GoldenLayer[]; total_params: number; output_shape?: unknown }): void {
  for (const l of golden.layers) {
    const node = graph.nodes.find((n) => n.name === l.name);
    if (l.class_name === 'Lambda') continue;
    assert.ok(node !== undefined, `no node for layer '${l.name}'`);
    assert.equal(node.params, l.params, `params of '${l.name}'`);
    if (l.output_shape !== undefined) assert.deepEqual(node.outputShape, l.output_shape, `output shape of '${l.name}'`);
  }
  assert.equal(graph.nodes.reduce((s, n) => s + n.params, 0), golden.total_params, 'total params');
  if (golden.output_shape !== undefined) assert.deepEqual(graph.nodes.find((n) => n.name === graph.outputs[0])!.outputShape, golden.output_shape);
}

/** Runs every node on the golden inputs; compares outputs (4 inputs) and each layer (input 0). */
async function checkNumbers(id: string, graph: Graph, golden: { layers: GoldenLayer[] }, makeEngine: EngineMaker): Promise<{ worst: number; where: string; layers: number }> {
  const engine = await makeEngine(graph);
  try {
    const x = npy('goldens', id, 'inputs.npy');
    const res = await engine.run([x], { outputs: graph.nodes.map((n) => n.name) });
    const expected = npy('goldens', id, 'outputs.npy');
    const out = res.get(graph.outputs[0]!)!;
    assert.deepEqual(out.shape, expected.shape, 'output shape');
    const o = compare(out.data, expected.data);
    assert.ok(o.err <= o.tol, `${id}: outputs differ by ${o.err} (tolerance ${o.tol})`);
    let worst = o.err;
    let where = 'outputs';
    let layers = 0;
    for (const l of golden.layers) {
      if (l.file === undefined || l.file === null) continue;
      const g = npy('goldens', id, l.file);
      const mine = res.get(l.name);
      assert.ok(mine !== undefined, `no output for layer '${l.name}'`);
      assert.deepEqual([1, ...mine.shape.slice(1)], g.shape, `shape of layer '${l.name}'`);
      const c = compare(mine.data.subarray(0, g.data.length), g.data);
      assert.ok(c.err <= c.tol, `${id}: layer '${l.name}' differs by ${c.err} (tolerance ${c.tol})`);
      layers++;
      if (c.err > worst) [worst, where] = [c.err, l.name];
    }
    return { worst, where, layers };
  } finally {
    await engine.dispose();
  }
}

for (const row of manifest()) {
  test(`golden: ${row.id}`, async (t) => {
    const golden = JSON.parse(readFileSync(fixture('goldens', row.id, 'golden.json'), 'utf8'));
    const artifacts = await readFixture(row);
    if (row.evaluable.startsWith('no')) {
      const lambda = /'([^']+)'/.exec(row.evaluable)![1]!;
      assert.throws(
        () => translateKeras(artifacts),
        (e: unknown) => e instanceof UnsupportedError && e.code === 'KERAS_LAMBDA' && e.message.includes(`'${lambda}'`) && e.message.includes(`startAfter: '${lambda}'`),
      );
      // The rest of the architecture and its weights still read: open it after the Lambda.
      const after = translateKeras(artifacts, { startAfter: lambda });
      assert.deepEqual(after.inputs, [lambda]);
      checkStructure(after, golden);
      t.diagnostic(`refused Lambda '${lambda}'; startAfter gives ${after.nodes.length} nodes`);
      return;
    }
    const graph = translateKeras(artifacts);
    checkStructure(graph, golden);
    for (const [engineName, make] of ENGINES) {
      const r = await checkNumbers(row.id, graph, golden, make);
      t.diagnostic(`${row.id} [${engineName}]: worst abs error ${r.worst.toExponential(2)} at ${r.where} (outputs + ${r.layers} layer files)`);
    }
    if (golden.methods !== undefined) await checkLogit(row.id, graph, golden.methods, t);
  });
}

/** The logit graph's score of the methods' class for input 0 equals the goldens' score. */
async function checkLogit(id: string, graph: Graph, methods: { class: number; final_activation: string; gradcam: { score: number } }, t: { diagnostic: (s: string) => void }): Promise<void> {
  const before = JSON.stringify(graph.nodes.map((n) => [n.name, n.op.type, 'activation' in n.op ? n.op.activation : null]));
  const { graph: lg, head } = logitGraph(graph);
  assert.equal(JSON.stringify(graph.nodes.map((n) => [n.name, n.op.type, 'activation' in n.op ? n.op.activation : null])), before, 'logitGraph mutated its input');
  assert.equal(head.kind, methods.final_activation);
  const engine = createReferenceEngine(lg);
  try {
    const x = npy('goldens', id, 'inputs.npy');
    const res = await engine.run([{ shape: [1, ...x.shape.slice(1)], data: x.data.subarray(0, x.data.length / x.shape[0]!) }]);
    const score = res.get(head.logitNode)!.data[methods.class]!;
    const err = Math.abs(score - methods.gradcam.score);
    assert.ok(err <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(methods.gradcam.score)), `${id}: logit ${score} vs golden score ${methods.gradcam.score}`);
    t.diagnostic(`${id}: head ${head.kind}, logit of class ${methods.class} within ${err.toExponential(2)} of the golden score`);
  } finally {
    await engine.dispose();
  }
}

test('real Keras predictions: keras2.1-dl4j-cnn-batchnorm', { skip: !haveFixtures }, async (t) => {
  const row = manifest().find((r) => r.id === 'keras2.1-dl4j-cnn-batchnorm')!;
  const engine = createReferenceEngine(translateKeras(await readFixture(row)));
  const x = npy('keras', row.id, 'keras_input.npy');
  const y = npy('keras', row.id, 'keras_predictions.npy');
  const out = (await engine.run([x])).values().next().value!;
  assert.deepEqual(out.shape, y.shape);
  const c = compare(out.data, y.data);
  assert.ok(c.err <= c.tol, `differs from Keras by ${c.err}`);
  t.diagnostic(`max abs error vs Keras ${c.err.toExponential(2)} over ${y.shape[0]} inputs`);
});

test('real Keras activations and predictions: keras2.3-dl4j-conv1d-cf-dilated', { skip: !haveFixtures }, async (t) => {
  const row = manifest().find((r) => r.id === 'keras2.3-dl4j-conv1d-cf-dilated')!;
  const graph = translateKeras(await readFixture(row));
  const engine = createReferenceEngine(graph);
  const path = row.files.find((f) => f.includes('inputs_and_outputs'))!;
  const h5 = await openHdf5(new Uint8Array(readFileSync(fixture(path))), basename(path));
  try {
    const x = h5.readFloat32('/inputs/conv0_input', 1e6);
    const res = await engine.run([{ shape: [...x.shape], data: x.data }], { outputs: ['conv0'] });
    for (const group of ['predictions', 'activations']) {
      const y = h5.readFloat32(`/${group}/conv0`, 1e6);
      const out = res.get('conv0')!;
      assert.deepEqual(out.shape, y.shape);
      const c = compare(out.data, y.data);
      assert.ok(c.err <= c.tol, `${group} differ from Keras by ${c.err}`);
      t.diagnostic(`${group}: max abs error vs Keras ${c.err.toExponential(2)}`);
    }
  } finally {
    h5.close();
  }
});
