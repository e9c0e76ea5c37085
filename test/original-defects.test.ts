// One test per defect of the original BaSe VisualizeCNN module (shared/docs/original-vis.md,
// "Defects to fix"), each showing that convscope does it right. Models are small graphs with
// known weights (test/method-models.ts) on the reference engine, so answers are exact or known
// by construction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { GraphBuilder, LINEAR, RELU, SOFTMAX, modelOf, randomInput, randomTensor, smallCnn } from './method-models.js';
import { kernels } from '../src/methods/kernels.js';
import { activations } from '../src/methods/activations.js';
import { occlusion } from '../src/methods/occlusion.js';
import { gradCam } from '../src/methods/gradcam.js';
import { saliency } from '../src/methods/gradients.js';
import { Dataset } from '../src/methods/dataset.js';
import { resolveClassNames, BASE_TESTS } from '../src/methods/classes.js';
import { convNodes, resolveConv, resolveSpatial } from '../src/methods/layers.js';
import { inputImage } from '../src/methods/inputs.js';
import { embed } from '../src/methods/embed/index.js';
import { renderKernelsFigure, renderOcclusionFigure } from '../src/render/figures.js';
import { colorize } from '../src/render/colormaps.js';
import { writeFigure } from '../src/node/figure.js';
import { tensor, type Tensor } from '../src/tensor.js';
import type { Activation } from '../src/model/ir.js';

const SIGMOID: Activation = { kind: 'sigmoid' };

/** The PNG of panel `k` (1-based) of a grid figure, decoded. */
function panelPixels(svg: string, k: number): ReturnType<typeof decode> {
  const m = new RegExp(`data-panel="${k}">.*?xlink:href="data:image/png;base64,([A-Za-z0-9+/=]+)"`).exec(svg);
  assert.ok(m !== null, `panel ${k} has an image`);
  return decode(Buffer.from(m[1]!, 'base64'));
}

test('defect 1: kernels are transposed from (kh, kw, in, out), never reshaped, for any number of input channels', async () => {
  // Kernel value at (dy, dx, i, f) = 1000 f + 100 i + 10 dy + dx: every position distinct.
  const [kh, kw, cin, cout] = [2, 3, 2, 4];
  const k = new Float32Array(kh * kw * cin * cout);
  for (let dy = 0; dy < kh; dy++) for (let dx = 0; dx < kw; dx++) for (let i = 0; i < cin; i++) for (let f = 0; f < cout; f++) k[((dy * kw + dx) * cin + i) * cout + f] = 1000 * f + 100 * i + 10 * dy + dx;
  const graph = new GraphBuilder([5, 6, cin]).conv('conv2d_1', tensor([kh, kw, cin, cout], k)).graph();
  const r = kernels(graph);
  assert.deepEqual([r.kernelHeight, r.kernelWidth, r.inChannels, r.filters.length], [kh, kw, cin, cout]);
  for (let f = 0; f < cout; f++) for (let i = 0; i < cin; i++) for (let dy = 0; dy < kh; dy++) for (let dx = 0; dx < kw; dx++) {
    assert.equal(r.weights[((f * cin + i) * kh + dy) * kw + dx], 1000 * f + 100 * i + 10 * dy + dx);
  }
  // A reshape of the same memory to (out, kh, kw, in) would put kernel[0, 0, 0, 1] = 1000 first in filter 0.
  assert.equal(r.weights[1], 1, 'filter 0, channel 0, row 0 is 0, 1, 2 (the reshape would give 1000, 2000...)');
  assert.equal(r.aggregate[0], 50, 'mean over input channels of filter 0 at (0, 0): (0 + 100) / 2');

  // The drawn filter: panel k of a one-channel layer shows kernel[:, :, 0, k - 1] with pixel
  // (dy, dx) in the colour of its weight on the symmetric scale.
  const one = new GraphBuilder([5, 6, 1]).conv('c', randomTensor([kh, kw, 1, cout], 5)).graph();
  const op = one.nodes[1]!.op as { kernel: Tensor };
  const res = kernels(one);
  const svg = renderKernelsFigure(res);
  let m = 0;
  for (const v of op.kernel.data) m = Math.max(m, Math.abs(v));
  for (const f of [1, 3]) {
    const png = panelPixels(svg, f + 1);
    const fy = png.height / kh;
    const fx = png.width / kw;
    for (let dy = 0; dy < kh; dy++) {
      for (let dx = 0; dx < kw; dx++) {
        const w = op.kernel.data[(dy * kw + dx) * cout + f]!;
        const want = colorize([w], { min: -m, max: m, colormap: 'RdBu_r' });
        const at = (Math.floor((dy + 0.5) * fy) * png.width + Math.floor((dx + 0.5) * fx)) * png.channels;
        assert.deepEqual([...png.data.subarray(at, at + 3)], [...want.subarray(0, 3)], `filter ${f + 1} pixel (${dy}, ${dx})`);
      }
    }
  }
  // "all" and one filter (numbered from 1 in the figure, 0-based in the API) both work.
  assert.equal(kernels(graph, { filter: 2 }).filters[0], 2);
  assert.throws(() => kernels(graph, { filter: 4 }), /Filter 4 is out of range: layer 'conv2d_1' has 4 filters/);
});

test('defect 2: layers are found by their Keras class, and fused activations count', () => {
  // Names that would fool a text search: a conv called 'dense_features', a Dense called 'conv2d_9'.
  const b = new GraphBuilder([6, 6, 1]);
  b.conv('dense_features', randomTensor([3, 3, 1, 2], 1), RELU); // Conv2D(activation='relu')
  b.conv('block2', randomTensor([3, 3, 2, 2], 2), LINEAR);
  b.activation('act', RELU, 'ReLU');
  b.flatten();
  b.dense('conv2d_9', randomTensor([8, 2], 3), SOFTMAX);
  const g = b.graph();
  assert.deepEqual(convNodes(g).map((n) => n.name), ['dense_features', 'block2']);
  assert.equal(resolveConv(g, 1).name, 'dense_features');
  assert.equal(resolveSpatial(g, 1).name, 'dense_features', 'the fused ReLU counts as the first activation layer');
  assert.equal(resolveSpatial(g, 2).name, 'act');
  assert.throws(() => resolveConv(g, 'conv2d_9'), /is a Dense, not a convolution/);
});

test('defect 3: activations and features are computed in inference mode (same twice, BatchNorm moving statistics)', async () => {
  const b = new GraphBuilder([4, 4, 1]);
  b.conv('conv', tensor([1, 1, 1, 2], Float32Array.from([2, -1])));
  const mean = tensor([2], Float32Array.from([0.5, -0.25]));
  const variance = tensor([2], Float32Array.from([4, 0.25]));
  const gamma = tensor([2], Float32Array.from([1.5, 2]));
  const beta = tensor([2], Float32Array.from([0.1, -0.2]));
  b.add('bn', 'BatchNormalization', { type: 'batchNorm', axis: 3, epsilon: 1e-3, gamma, beta, mean, variance }, b.outputShape, 8);
  b.add('dropout', 'Dropout', { type: 'identity' }, b.outputShape);
  b.activation('relu', RELU);
  b.flatten();
  b.dense('dense', randomTensor([32, 1], 4), SIGMOID);
  const model = await modelOf(b.graph());
  const x = randomInput([4, 4, 1], 9);
  const a1 = await activations(model, x, { layer: 'relu' });
  const a2 = await activations(model, x, { layer: 'relu' });
  assert.deepEqual(a1.maps, a2.maps, 'identical across calls: no dropout, no batch statistics');
  for (let c = 0; c < 2; c++) {
    for (let p = 0; p < 16; p++) {
      const conv = x.data[p]! * (c === 0 ? 2 : -1);
      const bn = ((conv - mean.data[c]!) / Math.sqrt(variance.data[c]! + 1e-3)) * gamma.data[c]! + beta.data[c]!;
      assert.ok(Math.abs(a1.maps[c * 16 + p]! - Math.max(0, bn)) < 1e-6, `channel ${c} pixel ${p}`);
    }
  }
  const xs = randomInput([4, 4, 1], 10, 6);
  const f1 = await embed(model, xs, { method: 'pca', n: 6 });
  const f2 = await embed(model, xs, { method: 'pca', n: 6 });
  assert.deepEqual(f1.features, f2.features);
  await model.dispose();
});

test('defect 4: embeddings take a seeded, class-balanced sample of any input size and class count', async () => {
  // 3 classes stored in blocks (first 30 are class 0...), 6x10 inputs, one Dense layer only.
  const model = await modelOf(smallCnn({ input: [6, 10, 1], classes: 3, seed: 11 }));
  const x = randomInput([6, 10, 1], 12, 90);
  const labels = Int32Array.from({ length: 90 }, (_, i) => Math.floor(i / 30));
  const r = await embed(model, x, { method: 'pca', n: 9, seed: 4, labels });
  const perClass = [0, 1, 2].map((c) => Array.from(r.labels!).filter((l) => l === c).length);
  assert.deepEqual(perClass, [3, 3, 3], 'balanced by class');
  assert.notDeepEqual(Array.from(r.indices), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'not the first n inputs');
  const again = await embed(model, x, { method: 'pca', n: 9, seed: 4, labels });
  assert.deepEqual(again.indices, r.indices, 'same seed, same sample');
  assert.equal(r.layer, 'flatten', 'the input of the only Dense layer');
  const tsne = await embed(model, x, { method: 'tsne', n: 12, seed: 4, labels, nIterations: 250, perplexity: 3 });
  assert.equal(tsne.coordinates.length, 24);
  await model.dispose();
});

test('defect 5: occlusion records p(class) with exactly the window and fill asked for, at any input size', async () => {
  // Output = sum of the pixels (a linear unit), so the recorded value says which pixels were filled with what.
  const lin = await modelOf(new GraphBuilder([5, 7, 1]).flatten().dense('sum', tensor([35, 1], new Float32Array(35).fill(1))).graph());
  const ones = tensor([1, 5, 7, 1], new Float32Array(35).fill(1));
  const r = await occlusion(lin, ones, { targetClass: 1, window: 2, stride: 2, fill: 0 });
  assert.deepEqual([r.rows, r.cols], [3, 4]);
  assert.equal(r.baseline, 35);
  // 2x2 windows (not 10x10), clipped at the border, filled with 0 (not 0.5).
  assert.deepEqual(Array.from(r.probability), [31, 31, 31, 33, 31, 31, 31, 33, 33, 33, 33, 34]);
  const gray = await occlusion(lin, ones, { targetClass: 1, window: 2, stride: 2, fill: 0.5 });
  assert.equal(gray.probability[0], 33);
  const mean = await occlusion(lin, ones, { targetClass: 1, window: 2, stride: 2, fill: 'image-mean' });
  assert.ok(mean.probability.every((v) => v === 35), 'image-mean fill of a constant image changes nothing');
  // A sigmoid head: the value is p(class 0) = 1 - sigmoid(z), not |p - 0.5| / 0.5.
  const sig = await modelOf(new GraphBuilder([5, 7, 1]).flatten().dense('d', tensor([35, 1], new Float32Array(35).fill(0.1)), SIGMOID, Float32Array.from([-5])).graph());
  const s = await occlusion(sig, ones, { targetClass: 0, window: 2, stride: 2, fill: 0 });
  const z = 0.1 * 31 - 5;
  assert.ok(Math.abs(s.probability[0]! - (1 - 1 / (1 + Math.exp(-z)))) < 1e-6);
  assert.ok(Math.abs(s.probability[0]! - Math.abs(1 / (1 + Math.exp(-z)) - 0.5) / 0.5) > 0.1);
  // The original's protocol is available only as a labelled preset.
  const orig = await occlusion(sig, ones, { targetClass: 1, window: 2, stride: 2, preset: 'original' });
  assert.deepEqual([orig.window, orig.fill], [10, 0.5]);
  assert.ok(renderOcclusionFigure(orig, inputImage(sig, ones)).includes('original BaSe protocol'));
  await lin.dispose();
  await sig.dispose();
});

test('defect 6: input selection is reproducible from the seed, class choice included; it shows probabilities', async () => {
  const model = await modelOf(smallCnn({ input: [6, 6, 1], classes: 1, seed: 3, head: SIGMOID }));
  const x = randomInput([6, 6, 1], 4, 40);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 2);
  const data = new Dataset(model, x, { labels, baseTest: 1 });
  const classes = new Set<number>();
  for (let seed = 0; seed < 12; seed++) {
    const a = await data.selectInput({ seed });
    const b = await data.selectInput({ seed });
    assert.deepEqual([a.index, a.trueClass], [b.index, b.trueClass], `seed ${seed}`);
    classes.add(a.trueClass!);
    const p1 = (await model.predict(data.input(a.index))).data[0]!;
    assert.ok(Math.abs(a.probabilities[1]! - p1) < 1e-7 && Math.abs(a.probabilities[0]! - (1 - p1)) < 1e-7, 'p(class), not |p - 0.5| / 0.5');
  }
  assert.deepEqual([...classes].sort(), [0, 1], 'the seed draws the class too');
  const picked = await data.selectInput({ class: 1, seed: 7 });
  assert.equal(picked.trueClass, 1);
  assert.equal(picked.classNames[1], 'Selection');
  await model.dispose();
});

test('defect 7: Grad-CAM leaves the model and its predictions unchanged', async () => {
  const graph = smallCnn({ input: [8, 8, 1], classes: 1, seed: 21, head: SIGMOID });
  const model = await modelOf(graph);
  const x = randomInput([8, 8, 1], 22, 3);
  const before = (await model.predict(x)).data.slice();
  const head = graph.nodes.at(-1)!.op as { activation: Activation };
  const first: Tensor = { shape: [1, 8, 8, 1], data: x.data.subarray(0, 64) };
  await gradCam(model, first, { targetClass: 1 });
  await saliency(model, first, { targetClass: 0 });
  assert.deepEqual((await model.predict(x)).data, before, 'same predictions after Grad-CAM');
  assert.equal(head.activation.kind, 'sigmoid', 'the output layer still has its sigmoid');
  assert.ok(before.every((p) => p > 0 && p < 1));
  await model.dispose();
});

test('defect 8: any number of classes, any input size, any class names', async () => {
  const model = await modelOf(smallCnn({ input: [6, 10, 2], classes: 3, seed: 31 }));
  const x = randomInput([6, 10, 2], 32, 6);
  const data = new Dataset(model, x, { labels: Int32Array.from([0, 1, 2, 0, 1, 2]), classNames: ['A', 'B', 'C'] });
  const sel = await data.selectInput({ class: 2, seed: 1 });
  const one = data.input(sel.index);
  const occ = await occlusion(model, one, { targetClass: 2, window: 3, stride: 3 });
  assert.deepEqual([occ.rows, occ.cols], [2, 4]);
  const cam = await gradCam(model, one, { targetClass: 2 });
  assert.deepEqual([cam.inputHeight, cam.inputWidth], [6, 10]);
  const sal = await saliency(model, one, { targetClass: 1 });
  assert.deepEqual(sal.shape, [6, 10, 2]);
  assert.ok(Math.abs(sel.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.deepEqual(resolveClassNames(model.head), ['0', '1', '2']);
  assert.deepEqual(resolveClassNames({ ...model.head, units: 1 }, { baseTest: 3 }), [...BASE_TESTS[3]]);
  await model.dispose();
});

test('defect 9: saved figures are never empty', async () => {
  const model = await modelOf(smallCnn({ input: [8, 8, 1], classes: 2, seed: 41 }));
  const x = randomInput([8, 8, 1], 42);
  const occ = await occlusion(model, x, { targetClass: 1, window: 2 });
  const svg = renderOcclusionFigure(occ, inputImage(model, x));
  const dir = mkdtempSync(join(tmpdir(), 'convscope-defects-'));
  try {
    await writeFigure(svg, join(dir, 'occ.png'));
    const png = decode(new Uint8Array(readFileSync(join(dir, 'occ.png'))));
    assert.ok(png.width > 400 && png.height > 200);
    let ink = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      const o = i * png.channels;
      if (png.data[o]! < 240 || png.data[o + 1]! < 240 || png.data[o + 2]! < 240) ink++;
    }
    assert.ok(ink > 0.05 * png.width * png.height, `${ink} non-white pixels`);
    await writeFigure(svg, join(dir, 'occ.svg'));
    const text = readFileSync(join(dir, 'occ.svg'), 'utf8');
    assert.equal((text.match(/<image [^>]*class="map"/g) ?? []).length, 2, 'both maps are in the SVG');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await model.dispose();
  }
});
