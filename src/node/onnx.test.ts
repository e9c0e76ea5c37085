// createNodeOnnxEngine on the real Keras fixtures: model outputs of every evaluable fixture
// against the goldens (|ours - golden| <= 1e-4 * max(1, max |golden|), the goldens' suggested
// float32 tolerance), and saliency / Grad-CAM alphas of the three method fixtures (1e-5 relative).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fixture, haveFixtures } from '../../test/fixtures.js';
import { readNpy, toFloat32 } from '../io/npy.js';
import type { Tensor } from '../tensor.js';
import { openPath } from './open.js';
import { createNodeOnnxEngine } from './onnx.js';

interface Golden {
  evaluable: boolean;
  source: string;
  source_files?: string[];
  methods?: { class: number };
}

function npy(...parts: string[]): Tensor {
  const a = readNpy(readFileSync(fixture(...parts)));
  return { shape: a.shape, data: toFloat32(a) };
}

/** Opens a fixture's model (architecture JSON + weights when there are two files). */
async function openFixture(g: Golden): ReturnType<typeof openPath> {
  const files = g.source_files ?? [g.source];
  const weights = files.length > 1 ? files.find((f) => f.endsWith('.h5')) : undefined;
  const main = files.find((f) => f !== weights) ?? files[0]!;
  return openPath(fixture(main), { engine: 'reference', ...(weights !== undefined ? { weights: fixture(weights) } : {}) });
}

function goldens(): [string, Golden][] {
  return readdirSync(fixture('goldens'))
    .filter((id) => existsSync(fixture('goldens', id, 'golden.json')))
    .map((id) => [id, JSON.parse(readFileSync(fixture('goldens', id, 'golden.json'), 'utf8')) as Golden]);
}

test('createNodeOnnxEngine: name, default threads', { skip: !haveFixtures }, async () => {
  const [, g] = goldens().find(([id]) => id === 'keras2.3-mnist-functional')!;
  const model = await openFixture(g);
  const engine = await createNodeOnnxEngine(model.graph);
  assert.equal(engine.name, 'onnxruntime-node');
  assert.equal(engine.graph, model.graph);
  await engine.dispose();
});

test('model outputs of every evaluable fixture match the goldens', { skip: !haveFixtures }, async () => {
  let checked = 0;
  for (const [id, g] of goldens()) {
    if (!g.evaluable) continue;
    const model = await openFixture(g);
    const engine = await createNodeOnnxEngine(model.graph, { threads: 1 });
    const out = (await engine.run([npy('goldens', id, 'inputs.npy')])).get(model.graph.outputs[0]!)!;
    const want = npy('goldens', id, 'outputs.npy');
    assert.deepEqual(out.shape, want.shape, id);
    let diff = 0;
    let mag = 1;
    want.data.forEach((w, i) => {
      diff = Math.max(diff, Math.abs(out.data[i]! - w));
      mag = Math.max(mag, Math.abs(w));
    });
    assert.ok(diff <= 1e-4 * mag, `${id}: max abs error ${diff}`);
    await engine.dispose();
    checked++;
  }
  assert.ok(checked >= 15, `checked ${checked} fixtures`);
});

test('saliency and Grad-CAM alphas match the method goldens', { skip: !haveFixtures }, async () => {
  const cases: [string, string][] = [
    ['keras2.3-mnist-functional', 'conv2d_2'],
    ['tfkeras2.3-genomatnn-nea-ceu', 'leaky_re_lu_6'],
    ['keras2.1-dl4j-cnn-batchnorm', 'conv2d_2'],
  ];
  for (const [id, layer] of cases) {
    const g = goldens().find(([i]) => i === id)![1];
    const model = await openFixture(g);
    const graph = model.logits;
    const engine = await createNodeOnnxEngine(graph, { threads: 1 });
    const inputs = npy('goldens', id, 'inputs.npy');
    const per = inputs.data.length / inputs.shape[0]!;
    const x: Tensor = { shape: [1, ...inputs.shape.slice(1)], data: inputs.data.subarray(0, per) };
    const out = graph.nodes.find((n) => n.name === graph.outputs[0])!;
    const seed = new Float32Array(out.outputShape[1] as number);
    seed[g.methods!.class] = 1;
    const input = graph.inputs[0]!;
    const r = await engine.gradients([x], { score: { node: out.name, seed }, wrt: [input, layer] });
    const cam = JSON.parse(readFileSync(fixture('goldens', id, 'methods', `gradcam_${layer}.json`), 'utf8')) as { score: number; alpha: number[] };
    assert.ok(Math.abs(r.scores[0]! - cam.score) <= 1e-5 * Math.max(1, Math.abs(cam.score)), `${id}: score`);
    const sal = npy('goldens', id, 'methods', 'saliency.npy');
    const ours = r.gradients.get(input)!.data;
    let diff = 0;
    let mag = 0;
    sal.data.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(ours[i]! - v));
      mag = Math.max(mag, Math.abs(v));
    });
    assert.ok(diff <= 1e-5 * mag, `${id}: saliency error ${diff} (max ${mag})`);
    const a = r.gradients.get(layer)!;
    const k = a.shape[a.shape.length - 1]!;
    const alpha = new Float64Array(k);
    a.data.forEach((v, i) => (alpha[i % k] = alpha[i % k]! + v / (a.data.length / k)));
    const amax = Math.max(...cam.alpha.map(Math.abs));
    cam.alpha.forEach((v, i) => assert.ok(Math.abs(alpha[i]! - v) <= 1e-5 * amax, `${id}: alpha ${i}`));
    await engine.dispose();
  }
});
