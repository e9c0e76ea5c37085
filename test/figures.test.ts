// Method figures (src/render/figures.ts) on small synthetic results with round numbers: SVG
// snapshots (test/snapshots/figures; numbers compared to 2 decimals, embedded PNGs by their
// pixels), plus the facts each figure must state: titles, colour-bar labels, provenance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSnapshot } from './snapshot.js';
import {
  renderActivationsFigure,
  renderAttributionFigure,
  renderClassAverageFigure,
  renderConfusionFigure,
  renderDeadFiltersFigure,
  renderEmbeddingFigure,
  renderGradCamFigure,
  renderInputFigure,
  renderKernelsFigure,
  renderOcclusionFigure,
} from '../src/render/figures.js';
import { readSvgProvenance } from '../src/render/provenance.js';
import type { InputImage } from '../src/methods/inputs.js';
import type { Verdict } from '../src/render/figure-common.js';
import type { Provenance } from '../src/methods/provenance.js';
import type { KernelsResult } from '../src/methods/kernels.js';
import type { OcclusionResult } from '../src/methods/occlusion.js';
import type { ClassAverageResult, MapGroup } from '../src/methods/class-average.js';
import type { Projection } from '../src/methods/embed/index.js';

const DIR = { dir: 'figures' };

const PROVENANCE: Provenance = {
  tool: 'convscope',
  version: '0.0.0-test',
  method: 'test',
  model: { file: 'model.h5', sha256: 'a'.repeat(64), format: 'keras2-h5' },
  data: { file: 'x.npy', sha256: 'b'.repeat(64) },
  labels: null,
  options: { window: 2 },
  seed: null,
  engine: 'reference',
};

/** A 6x8 gray image: a bright square on a dark background. */
function image(h = 6, w = 8, channels = 1): InputImage {
  const gray = new Float32Array(h * w);
  for (let y = 1; y < 4; y++) for (let x = 2; x < 6; x++) gray[y * w + x] = 1;
  for (let i = 0; i < gray.length; i++) if (gray[i] === 0) gray[i] = 0.25;
  const planes = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) planes.set(gray, c * h * w);
  return { height: h, width: w, channels, dataFormat: 'channels_last', planes, gray, min: 0, max: 1 };
}

const VERDICT: Verdict = { index: 3, trueClass: 1, predictedClass: 0, probabilities: [0.75, 0.25], classNames: ['Neutral', 'Selection'] };

function ramp(n: number, from: number, step: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => from + i * step);
}

function check(svg: string, name: string, facts: (string | RegExp)[]): void {
  for (const f of facts) {
    if (typeof f === 'string') assert.ok(svg.includes(f), `${name}: missing '${f}'`);
    else assert.match(svg, f, name);
  }
  assert.equal(readSvgProvenance<Provenance>(svg)?.method, 'test', `${name}: provenance embedded`);
  assertSnapshot(name, svg, DIR);
}

test('input figure: title, verdict and the probability of every class', () => {
  const svg = renderInputFigure(VERDICT, image(), { provenance: PROVENANCE });
  check(svg, 'input', ['>Input<', 'True: Selection, Predicted: Neutral', 'p(Neutral) = 0.75, p(Selection) = 0.25', 'class="colorbar"', 'Input value']);
  const linear = renderInputFigure({ ...VERDICT, probabilities: [1.5, -0.5] }, image(), { provenance: PROVENANCE, probabilities: false });
  assert.ok(linear.includes('output(Selection) = −0.5') || linear.includes('output(Selection) = -0.5'));
  assert.ok(linear.includes('not probabilities'));
});

test('kernels figure: grids of 8 numbered from 1, per input channel and mean, diverging colour bar', () => {
  const r: KernelsResult = {
    layer: 'conv2d_1',
    className: 'Conv2D',
    kernelHeight: 2,
    kernelWidth: 2,
    inChannels: 2,
    filters: Array.from({ length: 10 }, (_, i) => i),
    weights: ramp(10 * 2 * 4, -0.4, 0.01),
    aggregate: ramp(10 * 4, -0.2, 0.01),
    aggregateMethod: 'mean over input channels',
    min: -0.4,
    max: 0.39,
  };
  const svg = renderKernelsFigure(r, { provenance: PROVENANCE });
  check(svg, 'kernels', ['Kernels of conv2d_1 (Conv2D)', 'Input channel 1', 'Input channel 2', 'Mean over input channels', 'Weight', 'centred on 0']);
  assert.equal((svg.match(/data-panel="/g) ?? []).length, 30, '10 filters x (2 channels + mean)');
  assert.match(svg, /data-panel="9"><text[^>]*>9</);
  assert.match(svg, /data-panel="1"><text[^>]*>1</, 'numbered from 1');
  const many = renderKernelsFigure({ ...r, inChannels: 8, weights: ramp(10 * 8 * 4, -1, 0.005) }, { provenance: PROVENANCE });
  assert.ok(many.includes('Mean over the 8 input channels'));
  assert.ok(!many.includes('Input channel 1'));
});

test('activations figure: hot maps in a numbered grid with a colour bar, or one map', () => {
  const maps = ramp(3 * 4 * 5, 0, 0.05);
  const r = { layer: 'activation_1', className: 'Activation', height: 4, width: 5, channels: [0, 1, 2], maps, min: 0, max: 2.95 };
  const svg = renderActivationsFigure(r, { verdict: VERDICT, provenance: PROVENANCE });
  check(svg, 'activations', ['Activations of activation_1 (Activation)', 'True: Selection, Predicted: Neutral', 'Activation', 'class="colorbar"']);
  const one = renderActivationsFigure({ ...r, channels: [4], maps: maps.subarray(0, 20), max: 0.95 }, { provenance: PROVENANCE });
  check(one, 'activations-one', ['Activation map 5 of activation_1', 'class="colorbar"']);
});

test('dead filters figure: a bar per layer', () => {
  const svg = renderDeadFiltersFigure(
    {
      nSamples: 16,
      seed: 3,
      indices: [],
      layers: [
        { layer: 'activation_1', className: 'Activation', channels: 8, dead: [1, 5] },
        { layer: 'activation_2', className: 'Activation', channels: 16, dead: [] },
      ],
      totalDead: 2,
      totalChannels: 24,
    },
    { provenance: PROVENANCE },
  );
  check(svg, 'dead-filters', ['Dead filters per layer', '2 of 24 filters', 'activation_1 (of 8)', 'seed 3']);
});

function occlusionResult(preset: 'convscope' | 'original' = 'convscope'): OcclusionResult {
  const probability = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.1, 0.5, 0.5, 0.25, 0.5, 0.5, 0.5, 0.75]);
  const drop = probability.map((p) => 0.5 - p);
  const overlay = new Float32Array(48);
  for (let i = 0; i < 48; i++) overlay[i] = drop[Math.floor(Math.floor(i / 8) / 2) * 4 + Math.floor((i % 8) / 2)]!;
  return {
    window: 2, stride: 2, fill: 0, fillMode: 'value', preset, targetClass: 1, rows: 3, cols: 4, probability, baseline: 0.5, drop, overlay, height: 6, width: 8,
    ...(preset === 'original' ? { originalValue: probability.map((p) => Math.abs(p - 0.5) / 0.5) } : {}),
  };
}

test('occlusion figure: probability per position and drop over the image, labelled colour bars', () => {
  const svg = renderOcclusionFigure(occlusionResult(), image(), { verdict: VERDICT, provenance: PROVENANCE });
  check(svg, 'occlusion', ['Occlusion heat map', 'True: Selection, Predicted: Neutral', 'p(Selection) with window occluded', 'drop in p(Selection)', 'p(Selection) = 0.5 without occlusion']);
  assert.equal((svg.match(/class="colorbar"/g) ?? []).length, 2);
  const drop = renderOcclusionFigure(occlusionResult(), image(), { show: 'drop', provenance: PROVENANCE });
  assert.ok(!drop.includes('with window occluded') && drop.includes('drop in p(1)'));
  const original = renderOcclusionFigure(occlusionResult('original'), image(), { verdict: VERDICT, provenance: PROVENANCE });
  check(original, 'occlusion-original', ['Occlusion heat map (original BaSe protocol)', '|p − 0.5| / 0.5', 'Original BaSe protocol']);
});

test('Grad-CAM figure: jet overlay, layer and class in the title', () => {
  const map = Float32Array.from([0, 0.5, 1, 0, 0.25, 0.75]);
  const svg = renderGradCamFigure(
    { layer: 'conv2d_2', targetClass: 1, score: 1.5, height: 2, width: 3, map, weights: Float32Array.from([0.5]), overlay: ramp(48, 0, 1 / 48), inputHeight: 6, inputWidth: 8 },
    image(),
    { verdict: VERDICT, provenance: PROVENANCE },
  );
  check(svg, 'gradcam', ['Grad-CAM (conv2d_2)', 'True: Selection, Predicted: Neutral, class Selection', 'Grad-CAM (ReLU of weighted activations)', 'score (logit) 1.5']);
  const zero = renderGradCamFigure(
    { layer: 'conv2d_2', targetClass: 0, score: -1, height: 2, width: 3, map: new Float32Array(6), weights: Float32Array.from([0]), overlay: new Float32Array(48), inputHeight: 6, inputWidth: 8 },
    image(),
    { provenance: PROVENANCE },
  );
  assert.ok(zero.includes('0 everywhere'));
});

test('attribution figures: signed, centred on 0, method named', () => {
  const attribution = ramp(48, -0.24, 0.01);
  const base = { targetClass: 0, shape: [6, 8, 1], attribution, score: 2 };
  const sal = renderAttributionFigure({ ...base, method: 'saliency' }, image(), { verdict: VERDICT, provenance: PROVENANCE });
  check(sal, 'saliency', ['Saliency', 'd score(Neutral) / d input', 'class Neutral']);
  const sg = renderAttributionFigure({ ...base, method: 'smoothgrad', nSamples: 50, sigma: 0.15 }, image(), { provenance: PROVENANCE, classNames: ['A', 'B'] });
  check(sg, 'smoothgrad', ['SmoothGrad', '50 noisy copies', 'σ = 0.15', 'class A']);
  const ig = renderAttributionFigure({ ...base, method: 'integrated-gradients', steps: 64, completenessError: 0.002, baselineScore: 0.5 }, image(), { provenance: PROVENANCE });
  check(ig, 'integrated-gradients', ['Integrated Gradients', '64 steps', 'completeness error 0.002']);
  // Several channels are summed: 2 channels of the same ramp give twice the range.
  const two = renderAttributionFigure({ ...base, method: 'saliency', shape: [6, 8, 2], attribution: ramp(96, -0.48, 0.01) }, image(6, 8, 2), { provenance: PROVENANCE });
  assert.ok(two.includes('(sum of 2 channels)'));
});

test('embedding figure: class-coloured scatter with method axis titles', () => {
  const coordinates = Float32Array.from([0, 0, 1, 0.5, 2, 1, 3, 1.5, -1, 2, -2, 1]);
  const pca: Projection & { layer: string; labels: Int32Array; indices: Int32Array } = {
    method: 'pca', n: 6, d: 10, coordinates, axisLabels: ['PC1 (11.8%)', 'PC2 (10.1%)'], explainedVarianceRatio: [0.118, 0.101],
    options: { method: 'pca', seed: 0, n: 6, qualityK: null }, layer: 'dense_1', labels: Int32Array.from([0, 0, 1, 1, 2, 2]), indices: Int32Array.from([4, 7, 9, 12, 20, 33]),
  };
  const svg = renderEmbeddingFigure(pca, { classNames: ['a', 'b', 'c'], provenance: PROVENANCE });
  check(svg, 'embedding-pca', ['PCA of dense_1 features', 'PC1 (11.8%)', 'PC2 (10.1%)', 'data-index="33"', '>c<']);
  const tsne = renderEmbeddingFigure({ ...pca, method: 'tsne', axisLabels: ['t-SNE 1', 't-SNE 2'], explainedVarianceRatio: undefined, labels: null as unknown as Int32Array }, { provenance: PROVENANCE });
  assert.ok(tsne.includes('t-SNE 1') && tsne.includes('t-SNE of dense_1 features'));
});

function group(label: string, c: number, correct: boolean | null, scale: number): MapGroup {
  const mean = ramp(48, -0.24 * scale, 0.01 * scale);
  return {
    label, trueClass: c, correct, n: 4, indices: [1, 2, 3, 4], mean, std: new Float32Array(48).fill(0.05),
    rowProfile: ramp(6, 0, 0.1 * scale), rowProfileStd: new Float32Array(6).fill(0.05), colProfile: ramp(8, -0.2, 0.05 * scale), colProfileStd: new Float32Array(8).fill(0.02),
  };
}

test('class-average figure: mean map, row and column profiles with bands, per group', () => {
  const r: ClassAverageResult = { method: 'occlusion', quantity: 'per-pixel mean drop', height: 6, width: 8, seed: 1, groups: [group('Neutral', 0, null, 1), group('Neutral, correct', 0, true, 2), group('Selection', 1, null, -1)] };
  const svg = renderClassAverageFigure(r, { provenance: PROVENANCE });
  check(svg, 'class-average', ['Class-average occlusion maps', 'Neutral (n = 4)', 'Row profile (mean over columns)', 'Column profile (mean over rows)', 'class="band"', '±1 standard deviation']);
  assert.equal((svg.match(/class="band"/g) ?? []).length, 6);
  const classes = renderClassAverageFigure(r, { groups: 'classes', provenance: PROVENANCE });
  assert.ok(!classes.includes('Neutral, correct'));
});

test('confusion figure: matrix, accuracy and the most confidently wrong input', () => {
  const svg = renderConfusionFigure(
    {
      classNames: ['Neutral', 'Selection'],
      n: 10,
      accuracy: 0.7,
      counts: [
        [4, 1],
        [2, 3],
      ],
      perClass: [],
      mostConfidentlyWrong: [{ index: 7, trueClass: 1, predictedClass: 0, probability: 0.9 }],
    },
    { provenance: PROVENANCE },
  );
  check(svg, 'confusion', ['Confusion matrix', 'Accuracy 70% (7 of 10)', 'input 7, Selection taken for Neutral (p(Neutral) = 0.9)']);
});
