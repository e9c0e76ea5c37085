// The dashboard's methods over many inputs (Node-only): predictions with accuracy and the
// confusion matrix, embeddings (t-SNE stepped here so the page can watch it and stop it), and
// class-average maps. Library methods compute; library figures draw.

import { ArgumentError, throwIfAborted } from '../errors.js';
import { classAverage, type ClassAverageResult } from '../methods/class-average.js';
import { confusion, type ConfusionResult, type Prediction } from '../methods/dataset.js';
import { embed, features, sampleBalanced, type EmbeddingResult, type EmbedMethod, exactNeighborsAsync, knnAccuracy, trustworthinessAsync } from '../methods/embed/index.js';
import { resolveFeatureLayer } from '../methods/embed/features.js';
import { Tsne, clampPerplexity, tsneNeighborCount, TSNE_MIN_SAMPLES } from '../methods/embed/tsne.js';
import { renderBarChart, renderConfusionMatrix, renderScatter } from '../render/charts.js';
import { composeFigure, panelOf, wrapText } from '../render/compose.js';
import { fmt } from '../render/figure-common.js';
import { renderClassAverageFigure, renderConfusionFigure, renderEmbeddingFigure } from '../render/figures.js';
import { renderHeatmap } from '../render/heatmap.js';
import { renderLineChart } from '../render/charts.js';
import { FONT_SIZE } from '../render/svg.js';
import { classAverageNumbers, embeddingNumbers } from '../methods/numbers.js';
import { defineMethod, type AnyMethod, type RunContext } from './method.js';
import { finiteMinMax, symmetric } from './images.js';
import type { Session } from './session.js';

// ---------------------------------------------------------------------------------------------
// Predictions, accuracy, confusion

interface DatasetResult {
  readonly predictions: Prediction[];
  readonly confusion: ConfusionResult | null;
}

/** Inputs per class: true classes with labels, else predicted ones. */
function classCounts(s: Session, predictions: readonly Prediction[], which: 'true' | 'predicted'): number[] {
  const counts = new Array<number>(s.data.classNames.length).fill(0);
  for (const p of predictions) {
    const c = which === 'true' ? p.trueClass : p.predictedClass;
    if (c !== null) counts[c]!++;
  }
  return counts;
}

function countsFigure(s: Session, r: DatasetResult): string {
  const which = s.data.labels !== null ? 'true' : 'predicted';
  return renderBarChart({
    categories: s.data.classNames,
    values: classCounts(s, r.predictions, which),
    title: which === 'true' ? 'Inputs per true class' : 'Inputs per predicted class',
    subtitle: `${s.data.size} inputs${which === 'predicted' ? ' (no labels: counted by prediction)' : ''}`,
    xLabel: which === 'true' ? 'True class' : 'Predicted class',
    size: { width: Math.max(240, Math.min(520, 46 * s.data.classNames.length)), height: 180 },
  });
}

const datasetMethod = defineMethod<Record<string, never>, DatasetResult>({
  name: 'dataset',
  keys: [],
  parse: () => ({}),
  describe: (_p, r) => (r === undefined || r.confusion !== null ? { method: 'confusion', options: { top: 20 }, seed: null, file: 'confusion' } : { method: 'predictions', options: {}, seed: null, file: 'predictions' }),
  async run(_p, ctx) {
    const s = ctx.session;
    const predictions = await s.predictions((done, total) => ctx.progress({ done, total }, done === total));
    throwIfAborted(ctx.signal);
    return { predictions, confusion: s.data.labels !== null ? await confusion(s.data) : null };
  },
  view(_p, r, s) {
    const c = r.confusion;
    return {
      n: s.data.size,
      classNames: s.data.classNames,
      labels: s.data.labels === null ? null : Array.from(s.data.labels),
      predicted: r.predictions.map((p) => p.predictedClass),
      confidence: r.predictions.map((p) => p.probabilities[p.predictedClass]!),
      counts: { true: s.data.labels === null ? null : classCounts(s, r.predictions, 'true'), predicted: classCounts(s, r.predictions, 'predicted') },
      accuracy: c?.accuracy ?? null,
      perClass: c?.perClass ?? null,
      mostConfidentlyWrong: c?.mostConfidentlyWrong.slice(0, 12) ?? [],
      confusionSvg:
        c === null
          ? null
          : renderConfusionMatrix({ counts: c.counts, classNames: c.classNames, title: '', showPercent: c.classNames.length <= 5, cellSize: Math.min(72, Math.max(32, 380 / c.classNames.length)) }),
      countsSvg: countsFigure(s, r),
    };
  },
  figure: (_p, r, s) => (r.confusion !== null ? renderConfusionFigure(r.confusion) : countsFigure(s, r)),
  numbers(_p, r, s) {
    const c = r.confusion;
    if (c !== null) return { command: 'confusion', n: c.n, accuracy: c.accuracy, classNames: c.classNames, counts: c.counts, perClass: c.perClass, mostConfidentlyWrong: c.mostConfidentlyWrong };
    return { command: 'predictions', classNames: s.data.classNames, predictions: r.predictions.map((p) => ({ index: p.index, predictedClass: p.predictedClass, probabilities: p.probabilities })) };
  },
  array(_p, r, s) {
    const k = s.data.classNames.length;
    const data = new Float32Array(r.predictions.length * k);
    r.predictions.forEach((p, i) => data.set(p.probabilities, i * k));
    return { shape: [r.predictions.length, k], data };
  },
});

// ---------------------------------------------------------------------------------------------
// Embeddings

type ColorBy = 'true' | 'predicted' | 'correct';

interface EmbedParams {
  /** Inputs in x (the provenance's seed is null for a PCA of all of them, as in the CLI). */
  readonly total: number;
  readonly method: EmbedMethod;
  readonly layer: string;
  readonly n: number;
  readonly seed: number;
  readonly perplexity: number | undefined;
  readonly nIterations: number | undefined;
  readonly nNeighbors: number | undefined;
  /** Colouring (view only). */
  readonly color: ColorBy;
}

/** An embedding, and whether t-SNE was stopped before the end. */
type EmbedResult = EmbeddingResult & { readonly stopped?: boolean };

const METHOD_TITLES = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' } as const;

/** Point classes and their names for a colouring; falls back to predictions without labels. */
async function pointClasses(s: Session, indices: ArrayLike<number>, color: ColorBy): Promise<{ classes: Int32Array; names: readonly string[]; title: string; note?: string }> {
  const n = indices.length;
  const labels = s.data.labels;
  if (color === 'true' && labels !== null) return { classes: Int32Array.from({ length: n }, (_, r) => labels[indices[r]!]!), names: s.data.classNames, title: 'True class' };
  const preds = await s.predictions();
  const predicted = Int32Array.from({ length: n }, (_, r) => preds[indices[r]!]!.predictedClass);
  if (color === 'correct' && labels !== null) {
    return { classes: Int32Array.from({ length: n }, (_, r) => (predicted[r] === labels[indices[r]!] ? 0 : 1)), names: ['correct', 'wrong'], title: 'Prediction' };
  }
  const note = color === 'predicted' ? undefined : 'no labels: coloured by predicted class';
  return { classes: predicted, names: s.data.classNames, title: 'Predicted class', ...(note !== undefined ? { note } : {}) };
}

/** The scatter of an embedding (or of a t-SNE frame) coloured as asked. */
async function scatterOf(s: Session, r: Pick<EmbedResult, 'coordinates' | 'indices' | 'axisLabels' | 'method' | 'layer' | 'n' | 'd'> & Partial<EmbedResult>, color: ColorBy, frame?: string): Promise<string> {
  const n = r.n;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r.coordinates[2 * i]!;
    y[i] = r.coordinates[2 * i + 1]!;
  }
  const { classes, names, title, note } = await pointClasses(s, r.indices, color);
  const notes = [`${n} inputs, ${r.d} features each`];
  if (frame !== undefined) notes.push(frame);
  if (r.explainedVarianceRatio !== undefined) notes.push(`${fmt(100 * r.explainedVarianceRatio.reduce((a, b) => a + b, 0))}% of the variance shown`);
  if (r.options?.perplexityUsed !== undefined) notes.push(`perplexity ${fmt(r.options.perplexityUsed)}`);
  if (r.iterations !== undefined) notes.push(`${r.iterations} iterations${r.stopped === true ? ' (stopped)' : ''}`);
  if (r.trustworthiness !== undefined) notes.push(`trustworthiness ${fmt(r.trustworthiness)}`);
  if (r.knnAccuracy !== undefined) notes.push(`${r.options?.qualityK ?? 10}-NN class accuracy ${fmt(100 * r.knnAccuracy)}%`);
  if (note !== undefined) notes.push(note);
  return renderScatter({
    x,
    y,
    classes,
    classNames: names,
    indices: r.indices,
    title: `${METHOD_TITLES[r.method]} of ${r.layer} features`,
    subtitle: wrapText(notes.join('; '), 480, FONT_SIZE.tick).join('\n'),
    xLabel: r.axisLabels[0],
    yLabel: r.axisLabels[1],
    legendTitle: title,
    size: { width: 440, height: 340 },
  });
}

/** t-SNE stepped here: frames for the page, stoppable, the same numbers as `embed` when run to the end. */
async function steppedTsne(p: EmbedParams, ctx: RunContext): Promise<EmbedResult> {
  const s = ctx.session;
  const { model, x, labels } = s.data;
  const indices = sampleBalanced(labels, p.n, p.seed, s.data.size);
  if (indices.length < TSNE_MIN_SAMPLES) throw new ArgumentError('BAD_ARGUMENT', `t-SNE needs at least ${TSNE_MIN_SAMPLES} samples, got ${indices.length}.`, { hint: 'Embed more samples, or use PCA.' });
  const f = await features(model, x, { indices, layer: p.layer, signal: ctx.signal, onProgress: (done, total) => ctx.progress({ stage: 'features', done, total }) });
  const perplexity = p.perplexity ?? 30;
  const nb = await exactNeighborsAsync(f.data, f.n, f.d, tsneNeighborCount(clampPerplexity(perplexity, f.n), f.n), {
    signal: ctx.signal,
    onProgress: (e) => ctx.progress({ stage: 'neighbors', done: e.done, total: e.total }),
  });
  const t = new Tsne({ perplexity, seed: p.seed, ...(p.nIterations !== undefined ? { nIterations: p.nIterations } : {}) });
  t.initializeWithNeighbors(f.data, f.n, f.d, nb);
  const total = t.resolved.nIterations;
  const rowLabels = labels === null ? null : Int32Array.from(f.indices, (i) => labels[i]!);
  const base = { method: 'tsne' as const, n: f.n, d: f.d, axisLabels: ['t-SNE 1', 't-SNE 2'] as const, layer: f.layer, indices: f.indices };
  let last = performance.now();
  let stopped = false;
  while (!t.done) {
    t.step();
    if (performance.now() - last > 90) {
      throwIfAborted(ctx.signal);
      if (ctx.stopRequested()) {
        stopped = true;
        break;
      }
      const svg = await scatterOf(s, { ...base, coordinates: t.embedding }, p.color, `iteration ${t.iteration} of ${total}`);
      ctx.progress({ stage: 'optimize', done: t.iteration, total, svg });
      await new Promise((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
  throwIfAborted(ctx.signal);
  const coordinates = t.embedding;
  // Quality, as embedFeatures measures it.
  const k = Math.min(10, Math.ceil(f.n / 2) - 1);
  const quality: { trustworthiness?: number; knnAccuracy?: number } = {};
  if (k >= 1) {
    quality.trustworthiness = await trustworthinessAsync(f.data, f.n, f.d, coordinates, { k, signal: ctx.signal, onProgress: (e) => ctx.progress({ stage: 'quality', done: e.done, total: e.total }) });
    if (rowLabels !== null) quality.knnAccuracy = knnAccuracy(coordinates, f.n, rowLabels, k);
  }
  const r = t.resolved;
  return {
    ...base,
    axisLabels: ['t-SNE 1', 't-SNE 2'],
    coordinates,
    kl: t.kl,
    iterations: t.iteration,
    ...quality,
    className: f.className,
    labels: rowLabels,
    features: f.data,
    stopped,
    options: {
      method: 'tsne',
      seed: p.seed,
      n: f.n,
      perplexity: r.perplexity,
      perplexityUsed: r.perplexityUsed,
      nIterations: r.nIterations,
      learningRate: r.learningRate,
      theta: r.theta,
      init: r.init === 'given' ? 'pca' : r.init,
      qualityK: k >= 1 ? k : null,
      layer: f.layer,
    },
  };
}

const embedMethod = defineMethod<EmbedParams, EmbedResult>({
  name: 'embed',
  keys: ['method', 'layer', 'n', 'seed', 'perplexity', 'iterations', 'neighbors', 'color'],
  parse(q, s) {
    const method = q.oneOf('method', ['pca', 'tsne', 'umap'] as const, 'pca');
    const p: EmbedParams = {
      total: s.data.size,
      method,
      layer: resolveFeatureLayer(s.data.model.graph, q.string('layer')).name,
      n: q.int('n', 1, s.data.size) ?? Math.min(s.data.size, 1000),
      seed: q.int('seed') ?? 0,
      perplexity: q.number('perplexity', 1, 1000),
      nIterations: q.int('iterations', 1, 100_000),
      nNeighbors: q.int('neighbors', 2, 1000),
      color: q.oneOf('color', ['true', 'predicted', 'correct'] as const, s.data.labels !== null ? 'true' : 'predicted'),
    };
    const foreign = [method !== 'tsne' && p.perplexity !== undefined ? 'perplexity' : '', method !== 'tsne' && p.nIterations !== undefined ? 'iterations' : '', method !== 'umap' && p.nNeighbors !== undefined ? 'neighbors' : ''].filter((k) => k !== '');
    if (foreign.length > 0) throw new ArgumentError('BAD_ARGUMENT', `embed: ${foreign.join(', ')} do${foreign.length === 1 ? 'es' : ''} not apply to method '${method}'.`);
    return p;
  },
  describe: (p, r) => ({
    method: `embed-${p.method}`,
    // With the result: the options it resolved, as the CLI records them.
    options:
      r !== undefined
        ? { ...r.options, ...(r.stopped === true ? { stoppedAtIteration: r.iterations } : {}) }
        : {
            method: p.method,
            layer: p.layer,
            n: p.n,
            ...(p.perplexity !== undefined ? { perplexity: p.perplexity } : {}),
            ...(p.nIterations !== undefined ? { nIterations: p.nIterations } : {}),
            ...(p.nNeighbors !== undefined ? { nNeighbors: p.nNeighbors } : {}),
          },
    seed: p.method === 'pca' && p.n === p.total ? null : p.seed,
    file: `${p.method}-${p.layer}-n${p.n}-seed${p.seed}`,
  }),
  run(p, ctx) {
    if (p.method === 'tsne') return steppedTsne(p, ctx);
    const s = ctx.session;
    return embed(s.data.model, s.data.x, {
      method: p.method,
      layer: p.layer,
      n: p.n,
      seed: p.seed,
      labels: s.data.labels,
      ...(p.nNeighbors !== undefined ? { nNeighbors: p.nNeighbors } : {}),
      signal: ctx.signal,
      onProgress: (e) => ctx.progress({ stage: e.stage, done: e.done, total: e.total }),
    });
  },
  async view(p, r, s) {
    return {
      svg: await scatterOf(s, r, p.color),
      method: r.method,
      layer: r.layer,
      n: r.n,
      d: r.d,
      indices: Array.from(r.indices),
      axisLabels: r.axisLabels,
      color: p.color,
      ...(r.trustworthiness !== undefined ? { trustworthiness: r.trustworthiness } : {}),
      ...(r.knnAccuracy !== undefined ? { knnAccuracy: r.knnAccuracy } : {}),
      ...(r.iterations !== undefined ? { iterations: r.iterations } : {}),
      ...(r.stopped === true ? { stopped: true } : {}),
    };
  },
  // The library's figure when coloured by true class; the page's colouring otherwise.
  figure: (p, r, s) => (p.color === 'true' && s.data.labels !== null ? renderEmbeddingFigure(r, { classNames: s.data.classNames }) : scatterOf(s, r, p.color)),
  numbers: (_p, r, s) => ({ command: 'embed', classNames: s.data.classNames, ...embeddingNumbers(r) }),
  array: (_p, r) => ({ shape: [r.n, 2], data: r.coordinates }),
  cacheable: (r) => r.stopped !== true,
});

// ---------------------------------------------------------------------------------------------
// Class-average maps

interface ClassAverageParams {
  readonly method: 'occlusion' | 'gradcam' | 'saliency';
  readonly nPerClass: number;
  readonly seed: number;
  readonly window: number | undefined;
  readonly layer: string | undefined;
  /** Group shown in the page (view only). */
  readonly group: number;
}

/** One group of a class-average result: its mean map and profiles, on the result's shared scale. */
function groupFigure(r: ClassAverageResult, g: number): string {
  const group = r.groups[g]!;
  const signed = r.method !== 'gradcam';
  const all = new Float32Array(r.groups.reduce((s, x) => s + x.mean.length, 0));
  let at = 0;
  for (const x of r.groups) {
    all.set(x.mean, at);
    at += x.mean.length;
  }
  const [min, max] = signed ? symmetric(all) : [0, Math.max(1e-12, finiteMinMax(all)[1])];
  const q = { occlusion: 'mean drop', gradcam: 'Grad-CAM', saliency: 'saliency' }[r.method];
  const map = renderHeatmap({ values: group.mean, height: r.height, width: r.width, colormap: signed ? 'RdBu_r' : 'viridis', min, max, title: `Mean map (n = ${group.n})`, colorbar: { label: q }, axes: { xLabel: 'Column', yLabel: 'Row' }, size: 240 });
  const profile = (title: string, y: Float32Array, sd: Float32Array, xLabel: string): string =>
    renderLineChart({ series: [{ name: group.label, y, band: sd }], title, xLabel, yLabel: q, size: { width: 250, height: 150 }, legend: false });
  return composeFigure({
    rows: [[panelOf(map)], [panelOf(profile('Row profile (mean over columns)', group.rowProfile, group.rowProfileStd, 'Row')), panelOf(profile('Column profile (mean over rows)', group.colProfile, group.colProfileStd, 'Column'))]],
    title: `True class ${group.label}`,
    subtitle: `${r.quantity}\none colour scale for all groups; bands: ±1 standard deviation across inputs`,
  });
}

const classAverageMethod = defineMethod<ClassAverageParams, ClassAverageResult>({
  name: 'classavg',
  keys: ['method', 'n', 'seed', 'window', 'layer', 'group'],
  parse(q, s) {
    if (s.data.labels === null) throw new ArgumentError('BAD_ARGUMENT', 'Class-average maps need labels (y); none were given.', { hint: 'Open a y array (labels) for these inputs.' });
    const method = q.oneOf('method', ['occlusion', 'gradcam', 'saliency'] as const, 'saliency');
    const window = q.int('window', 1, 4096);
    const layer = q.string('layer');
    if (method !== 'occlusion' && window !== undefined) throw new ArgumentError('BAD_ARGUMENT', `classavg: 'window' applies to method occlusion only (method is ${method}).`);
    if (method !== 'gradcam' && layer !== undefined) throw new ArgumentError('BAD_ARGUMENT', `classavg: 'layer' applies to method gradcam only (method is ${method}).`);
    return { method, nPerClass: q.int('n', 1, 10_000) ?? 16, seed: q.int('seed') ?? 0, window, layer, group: q.int('group', 0) ?? 0 };
  },
  describe: (p) => ({
    method: `class-average-${p.method}`,
    // As the CLI records it.
    options: { method: p.method, nPerClass: p.nPerClass, seed: p.seed, target: 'true', window: p.window ?? null, stride: null, fill: null, layer: p.layer ?? null },
    seed: p.seed,
    file: `class-average-${p.method}-n${p.nPerClass}-seed${p.seed}`,
  }),
  run: (p, ctx) =>
    classAverage(ctx.session.data, {
      method: p.method,
      nPerClass: p.nPerClass,
      seed: p.seed,
      ...(p.window !== undefined ? { window: p.window } : {}),
      ...(p.layer !== undefined ? { layer: p.layer } : {}),
      signal: ctx.signal,
      onProgress: (done, total) => ctx.progress({ done, total }, done === total),
    }),
  view(p, r) {
    const g = Math.min(p.group, r.groups.length - 1);
    return {
      method: r.method,
      quantity: r.quantity,
      groups: r.groups.map((x) => ({ label: x.label, n: x.n, trueClass: x.trueClass, correct: x.correct })),
      group: g,
      svg: groupFigure(r, g),
    };
  },
  figure: (_p, r) => renderClassAverageFigure(r),
  numbers: (_p, r, s) => ({ command: 'class-average', classNames: s.data.classNames, ...classAverageNumbers(r) }),
  array(_p, r) {
    const hw = r.height * r.width;
    const data = new Float32Array(r.groups.length * hw);
    r.groups.forEach((g, i) => data.set(g.mean, i * hw));
    return { shape: [r.groups.length, r.height, r.width], data };
  },
});

/** The methods over many inputs. */
export const DATA_METHODS: readonly AnyMethod[] = [datasetMethod, embedMethod, classAverageMethod];
