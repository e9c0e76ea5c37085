// The ONNX engine as an Engine: the BaSe-shaped CNN against the reference engine (forward
// within 1e-4 relative, gradients within 1e-5), session caching, batch slicing (1e-6),
// argument errors, batch 0, cancellation, dispose. onnxruntime-node is injected (here also
// through a counting wrapper).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { ArgumentError, CancelledError, ConvscopeError, UnsupportedError } from '../../errors.js';
import type { Graph } from '../../model/ir.js';
import { baseCnnGraph } from '../../model/presets.js';
import { createRng } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { createReferenceEngine } from '../ref/engine.js';
import { createOnnxEngine, defaultMaxBatch, type OrtLike } from './engine.js';
import { GraphMaker, relError } from './graphs.testutil.js';

/** onnxruntime-node, counting the sessions created. */
function countingOrt(): { ort: OrtLike; created: () => number } {
  let n = 0;
  return {
    ort: {
      InferenceSession: {
        create: (bytes, options) => {
          n++;
          return ort.InferenceSession.create(bytes, options);
        },
      },
      Tensor: ort.Tensor,
    },
    created: () => n,
  };
}

function images(n: number, h: number, w: number, seed: number): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(n * h * w);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape: [n, h, w, 1], data };
}

test('BaSe-shaped CNN: forward within 1e-4 of the reference engine, every layer', async () => {
  const graph = baseCnnGraph({ seed: 3 });
  const x = images(2, 128, 128, 1);
  const names = graph.nodes.map((n) => n.name);
  const a = await (await createOnnxEngine(graph, { ort, threads: 2 })).run([x], { outputs: names });
  const b = await createReferenceEngine(graph).run([x], { outputs: names });
  for (const name of names) {
    const err = relError(a.get(name)!.data, b.get(name)!.data);
    assert.ok(err <= 1e-4, `${name}: ${err}`);
  }
  const out = await (await createOnnxEngine(graph, { ort })).run([x]);
  assert.ok(relError(out.get(graph.outputs[0]!)!.data, b.get(graph.outputs[0]!)!.data) <= 1e-5);
});

test('BaSe-shaped CNN: saliency and Grad-CAM gradients within 1e-5 of the reference engine', async () => {
  const graph = baseCnnGraph({ inputShape: [40, 36, 1], seed: 4 });
  const score = graph.outputs[0]!;
  const x = images(3, 40, 36, 2);
  const onnx = await createOnnxEngine(graph, { ort, threads: 1 });
  const ref = createReferenceEngine(graph);
  const seed = Float32Array.from([1]);
  for (const wrt of [['input_1'], ['conv2d_2'], ['activation_2', 'input_1']]) {
    const a = await onnx.gradients([x], { score: { node: score, seed }, wrt });
    const b = await ref.gradients([x], { score: { node: score, seed }, wrt });
    assert.ok(relError(a.scores, b.scores) <= 1e-5);
    for (const w of wrt) {
      assert.deepEqual(a.gradients.get(w)!.shape, b.gradients.get(w)!.shape);
      const err = relError(a.gradients.get(w)!.data, b.gradients.get(w)!.data);
      assert.ok(err <= 1e-5, `${w}: ${err}`);
    }
  }
  await onnx.dispose();
});

function smallGraph(): { m: GraphMaker; graph: Graph; out: string; conv: string } {
  const m = new GraphMaker(5);
  const x = m.input([6, 6, 1], 'x');
  const conv = m.conv(x, { filters: 2, kernel: [3, 3] });
  const out = m.dense(m.flatten(conv), 3);
  return { m, graph: m.graph([out]), out, conv };
}

test('one session per distinct request, created lazily and reused', async () => {
  const { m, graph, out, conv } = smallGraph();
  const c = countingOrt();
  const engine = await createOnnxEngine(graph, { ort: c.ort, threads: 1 });
  assert.equal(engine.name, 'onnxruntime');
  assert.equal(c.created(), 1); // the default forward session, made at creation
  const x = m.inputs(2);
  await engine.run(x);
  await engine.run(x, { outputs: [out] });
  assert.equal(c.created(), 1);
  await engine.run(x, { outputs: [conv, out] });
  await engine.run(x, { outputs: [out, conv, conv] });
  assert.equal(c.created(), 2);
  const seed = Float32Array.from([1, 0, 0]);
  await engine.gradients(x, { score: { node: out, seed }, wrt: ['x'] });
  await engine.gradients(x, { score: { node: out, seed: Float32Array.from([0, 1, 0]) }, wrt: ['x'] });
  assert.equal(c.created(), 3);
  await engine.dispose();
  await engine.dispose(); // safe twice
  await assert.rejects(engine.run(x), (e) => e instanceof ConvscopeError && e.code === 'ENGINE_FAILURE');
});

test('batches larger than maxBatch run in slices with the same results', async () => {
  const { m, graph, out, conv } = smallGraph();
  const whole = await createOnnxEngine(graph, { ort, threads: 1 });
  const sliced = await createOnnxEngine(graph, { ort, threads: 1, maxBatch: 2 });
  const x = m.inputs(5);
  const a = await whole.run(x, { outputs: [conv, out] });
  const b = await sliced.run(x, { outputs: [conv, out] });
  for (const n of [conv, out]) {
    assert.deepEqual(b.get(n)!.shape, a.get(n)!.shape);
    assert.ok(relError(b.get(n)!.data, a.get(n)!.data) <= 1e-6, n);
  }
  const seed = Float32Array.from([0.5, -1, 2]);
  const ga = await whole.gradients(x, { score: { node: out, seed }, wrt: ['x', conv] });
  const gb = await sliced.gradients(x, { score: { node: out, seed }, wrt: ['x', conv] });
  assert.ok(relError(gb.scores, ga.scores) <= 1e-6);
  for (const n of ['x', conv]) {
    assert.deepEqual(gb.gradients.get(n)!.shape, ga.gradients.get(n)!.shape);
    assert.ok(relError(gb.gradients.get(n)!.data, ga.gradients.get(n)!.data) <= 1e-6, n);
    assert.ok(relError(gb.values.get(n)!.data, ga.values.get(n)!.data) <= 1e-6, n);
  }
  await assert.rejects(createOnnxEngine(graph, { ort, maxBatch: 0 }), ArgumentError);
  await whole.dispose();
  await sliced.dispose();
});

test('argument errors name the problem; batch 0 gives empty tensors; aborted signals cancel', async () => {
  const { m, graph, out, conv } = smallGraph();
  const engine = await createOnnxEngine(graph, { ort, threads: 1 });
  const x = m.inputs(2);
  const isArg = (code: string, re: RegExp) => (e: unknown): boolean => e instanceof ArgumentError && e.code === code && re.test(e.message);
  await assert.rejects(engine.run([]), isArg('BAD_ARGUMENT', /1 input/));
  await assert.rejects(engine.run([{ shape: [2, 6, 5, 1], data: new Float32Array(60) }]), isArg('SHAPE_MISMATCH', /\(None, 6, 6, 1\)/));
  await assert.rejects(engine.run([{ shape: [2, 6, 6, 1], data: new Float32Array(5) }]), isArg('SHAPE_MISMATCH', /72 values/));
  await assert.rejects(engine.run(x, { outputs: ['nope'] }), isArg('BAD_ARGUMENT', /'nope'/));
  await assert.rejects(engine.gradients(x, { score: { node: out, seed: new Float32Array(2) }, wrt: ['x'] }), isArg('SHAPE_MISMATCH', /seed has 2 values/));
  await assert.rejects(engine.gradients(x, { score: { node: out, seed: new Float32Array(3) }, wrt: [] }), isArg('BAD_ARGUMENT', /wrt/));
  await assert.rejects(engine.gradients(x, { score: { node: out, seed: new Float32Array(3) }, wrt: ['zz'] }), isArg('BAD_ARGUMENT', /'zz'/));
  const empty = await engine.run([{ shape: [0, 6, 6, 1], data: new Float32Array(0) }], { outputs: [conv, out] });
  assert.deepEqual(empty.get(conv)!.shape, [0, 4, 4, 2]);
  assert.equal(empty.get(out)!.data.length, 0);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(engine.run(x, { signal: ac.signal }), CancelledError);
  await assert.rejects(engine.gradients(x, { score: { node: out, seed: new Float32Array(3) }, wrt: ['x'], signal: ac.signal }), CancelledError);
  await assert.rejects(createOnnxEngine(graph, { ort, threads: 0 }), isArg('BAD_ARGUMENT', /threads/));
  await engine.dispose();
});

test('a graph the exporter cannot translate fails at creation with UnsupportedError', async () => {
  const m = new GraphMaker(6);
  const x = m.input([5, 5, 2]);
  const graph: Graph = {
    nodes: [
      ...m.nodes,
      {
        name: 'causal2d', className: 'Conv2D', inputs: [x], outputShape: [null, 5, 5, 1], params: 0,
        op: {
          type: 'conv', rank: 2, filters: 1, kernelSize: [3, 3], strides: [1, 1], dilation: [1, 1], padding: 'causal',
          dataFormat: 'channels_last', groups: 1, kernel: m.random([3, 3, 2, 1]), bias: null, activation: { kind: 'linear' },
        },
      },
    ],
    inputs: [x],
    outputs: ['causal2d'],
  };
  await assert.rejects(createOnnxEngine(graph, { ort }), (e) => e instanceof UnsupportedError && e.code === 'MODEL_UNSUPPORTED' && /causal2d/.test(e.message));
});

test('the default slice size keeps the largest activation of a call within 48 MiB (1..64)', () => {
  // BaSe's CNN: 128 x 128 x 32 float32 = 2 MiB per sample at its first convolution.
  assert.equal(defaultMaxBatch(baseCnnGraph()), 24);
  assert.equal(defaultMaxBatch(baseCnnGraph({ inputShape: [16, 16, 1] })), 64);
  assert.equal(defaultMaxBatch(baseCnnGraph({ inputShape: [1024, 1024, 1] })), 1);
});
