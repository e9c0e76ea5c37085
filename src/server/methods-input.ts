// The dashboard's methods for one model and one input (Node-only): the input itself, kernels,
// activations, occlusion (streamed row by row), Grad-CAM and the gradient attributions. Each
// calls the library method and renders with the library's figures; the page only draws.

import { activations, type ActivationsResult } from '../methods/activations.js';
import { classCount } from '../methods/classes.js';
import type { InputSelection } from '../methods/dataset.js';
import { gradCam, type GradCamResult } from '../methods/gradcam.js';
import { integratedGradients, saliency, smoothGrad, type AttributionResult, type IntegratedGradientsResult, type SmoothGradResult } from '../methods/gradients.js';
import { kernels, type KernelsResult } from '../methods/kernels.js';
import { defaultGradCamLayer, resolveConv, resolveSpatial } from '../methods/layers.js';
import { occlusion, type OcclusionResult } from '../methods/occlusion.js';
import { renderActivationsFigure, renderAttributionFigure, renderGradCamFigure, renderInputFigure, renderKernelsFigure, renderOcclusionFigure } from '../render/figures.js';
import type { AttributionFigureResult } from '../render/figures.js';
import { sumChannels } from '../render/figure-common.js';
import { activationsNumbers, attributionNumbers, gradCamNumbers, integratedGradientsNumbers, kernelsNumbers, occlusionNumbers, smoothGradNumbers } from '../methods/numbers.js';
import { colorScale, finiteMinMax, inputUri, mapUri, symmetric } from './images.js';
import { defineMethod, type AnyMethod, type Query } from './method.js';
import type { Session } from './session.js';

/** The parameters every per-input method shares. */
interface InputParams {
  readonly index: number;
  readonly verdict: InputSelection;
}

/** Reads `i` (required) and the model's verdict on that input. */
async function inputParams(q: Query, s: Session): Promise<InputParams> {
  const index = q.requiredInt('i', 0, s.data.size - 1);
  return { index, verdict: await s.data.selectInput({ index }) };
}

/** `class` if given, else the true class, else the predicted one (as the CLI). */
function targetOf(q: Query, s: Session, verdict: InputSelection): number {
  return q.int('class', 0, classCount(s.data.model.head) - 1) ?? verdict.trueClass ?? verdict.predictedClass;
}

/** Figure options every per-input figure takes. */
function figureOptions(s: Session, verdict: InputSelection): { verdict: InputSelection; classNames: readonly string[]; probabilities: boolean } {
  return { verdict, classNames: s.data.classNames, probabilities: s.data.model.head.kind !== 'linear' };
}

/** The picked input as the CLI's JSON records it (an input picked by index). */
function selectionJson(sel: InputSelection): Record<string, unknown> {
  return { index: sel.index, trueClass: sel.trueClass, predictedClass: sel.predictedClass, probabilities: sel.probabilities, seed: sel.seed, requestedClass: sel.requestedClass };
}

/** The envelope of a per-input JSON output: command, input and class names, as the CLI writes it. */
function envelope(command: string, s: Session, sel: InputSelection | null): Record<string, unknown> {
  return { command, ...(sel !== null ? { input: selectionJson(sel) } : {}), classNames: s.data.classNames };
}

/** Shape of one input (no batch axis). */
function inputShape(s: Session): number[] {
  return s.data.x.shape.slice(1);
}

const input = defineMethod<InputParams, InputSelection>({
  name: 'input',
  keys: ['i'],
  parse: inputParams,
  describe: (p) => ({ method: 'select', options: { index: p.index, pickClass: null, seed: null }, seed: null, file: `input-${p.index}` }),
  run: (p) => Promise.resolve(p.verdict),
  view: (p, r, s) => ({ selection: r, image: inputUri(s.image(p.index)) }),
  figure: (p, r, s) => renderInputFigure(r, s.image(p.index), { probabilities: s.data.model.head.kind !== 'linear' }),
  numbers: (_p, r, s) => envelope('select', s, r),
  array: (p, _r, s) => ({ shape: inputShape(s), data: s.data.input(p.index).data.slice() }),
});

interface KernelParams {
  readonly layer: string;
  readonly filter: number | undefined;
}

const kernelsMethod = defineMethod<KernelParams, KernelsResult>({
  name: 'kernels',
  keys: ['layer', 'filter'],
  parse: (q, s) => ({ layer: resolveConv(s.data.model.graph, q.string('layer')).name, filter: q.int('filter', 0) }),
  describe: (p) => ({
    method: 'kernels',
    // As the CLI records it: filters numbered from 1.
    options: { layer: p.layer, filter: p.filter !== undefined ? p.filter + 1 : null, layerIndex: null, layerName: p.layer },
    seed: null,
    file: `kernels-${p.layer}${p.filter !== undefined ? `-filter${p.filter + 1}` : ''}`,
  }),
  run: (p, ctx) => Promise.resolve(kernels(ctx.session.data.model.graph, { layer: p.layer, ...(p.filter !== undefined ? { filter: p.filter } : {}) })),
  view: (_p, r) => ({
    figure: renderKernelsFigure(r),
    layer: r.layer,
    className: r.className,
    filters: r.filters.length,
    kernelHeight: r.kernelHeight,
    kernelWidth: r.kernelWidth,
    inChannels: r.inChannels,
    min: r.min,
    max: r.max,
  }),
  figure: (_p, r) => renderKernelsFigure(r),
  numbers: (_p, r) => ({ command: 'kernels', ...kernelsNumbers(r) }),
  array: (_p, r) => ({ shape: [r.filters.length, r.inChannels, r.kernelHeight, r.kernelWidth], data: r.weights }),
});

interface ActivationParams extends InputParams {
  readonly layer: string;
  readonly scale: 'shared' | 'panel';
  /** Show one map (view only). */
  readonly channel: number | undefined;
}

/** The maps of `r` restricted to one channel. */
function oneChannel(r: ActivationsResult, channel: number): ActivationsResult {
  const hw = r.height * r.width;
  const at = r.channels.indexOf(channel);
  const maps = r.maps.slice(at * hw, (at + 1) * hw);
  const [min, max] = finiteMinMax(maps);
  return { ...r, channels: [channel], maps, min, max };
}

const activationsMethod = defineMethod<ActivationParams, ActivationsResult>({
  name: 'activations',
  keys: ['i', 'layer', 'scale', 'channel'],
  async parse(q, s) {
    const base = await inputParams(q, s);
    const node = resolveSpatial(s.data.model.graph, q.string('layer'));
    return { ...base, layer: node.name, scale: q.oneOf('scale', ['shared', 'panel'] as const, 'shared'), channel: q.int('channel', 0) };
  },
  describe: (p) => ({
    method: 'activations',
    options: { layer: p.layer, channel: p.channel !== undefined ? p.channel + 1 : null, scale: p.scale },
    seed: null,
    file: `activations-input${p.index}-${p.layer}${p.channel !== undefined ? `-map${p.channel + 1}` : ''}`,
  }),
  run: (p, ctx) => activations(ctx.session.data.model, ctx.session.data.input(p.index), { layer: p.layer, signal: ctx.signal }),
  view(p, r, s) {
    if (p.channel !== undefined) {
      if (!r.channels.includes(p.channel)) return { error: `Layer ${r.layer} has ${r.channels.length} maps.` };
      return { figure: renderActivationsFigure(oneChannel(r, p.channel), figureOptions(s, p.verdict)) };
    }
    const hw = r.height * r.width;
    const shared = colorScale('hot', r.min, r.max > r.min ? r.max : r.min + 1);
    const maps = r.channels.map((_, k) => {
      const values = r.maps.subarray(k * hw, (k + 1) * hw);
      if (p.scale === 'shared') return mapUri(values, r.height, r.width, shared);
      const [lo, hi] = finiteMinMax(values);
      return mapUri(values, r.height, r.width, { colormap: 'hot', min: lo, max: hi > lo ? hi : lo + 1 });
    });
    return { layer: r.layer, className: r.className, height: r.height, width: r.width, channels: r.channels.length, maps, min: r.min, max: r.max, scale: p.scale, colorbar: p.scale === 'shared' ? shared : null };
  },
  figure: (p, r, s) => renderActivationsFigure(p.channel !== undefined ? oneChannel(r, p.channel) : r, { ...figureOptions(s, p.verdict), scale: p.scale }),
  numbers: (p, r, s) => {
    const x = p.channel !== undefined ? oneChannel(r, p.channel) : r;
    return { ...envelope('activations', s, p.verdict), ...activationsNumbers(x) };
  },
  array: (p, r) => {
    const x = p.channel !== undefined ? oneChannel(r, p.channel) : r;
    return { shape: [x.channels.length, x.height, x.width], data: x.maps };
  },
});

type Fill = number | 'image-mean' | 'dataset-mean';

interface OcclusionParams extends InputParams {
  readonly window: number;
  readonly stride: number;
  readonly fill: Fill;
  readonly targetClass: number;
}

/** Mean of every value of x (for fill 'dataset-mean'), computed once per session. */
const datasetMeans = new WeakMap<Session, number>();
function datasetMean(s: Session): number {
  let m = datasetMeans.get(s);
  if (m === undefined) {
    let sum = 0;
    for (const v of s.data.x.data) if (Number.isFinite(v)) sum += v;
    m = sum / Math.max(1, s.data.x.data.length);
    datasetMeans.set(s, m);
  }
  return m;
}

/** The window position whose occlusion lowers the target's value most. */
function worstWindow(r: OcclusionResult): { row: number; col: number; drop: number; probability: number } {
  let best = 0;
  for (let k = 1; k < r.drop.length; k++) if (r.drop[k]! > r.drop[best]!) best = k;
  return { row: Math.floor(best / r.cols), col: best % r.cols, drop: r.drop[best]!, probability: r.probability[best]! };
}

const occlusionMethod = defineMethod<OcclusionParams, OcclusionResult>({
  name: 'occlusion',
  keys: ['i', 'window', 'stride', 'fill', 'class'],
  async parse(q, s) {
    const base = await inputParams(q, s);
    const window = q.int('window', 1, 4096) ?? 8;
    const stride = q.int('stride', 1, 4096) ?? window;
    const f = q.string('fill');
    let fill: Fill = 0;
    if (f === 'image-mean' || f === 'dataset-mean') fill = f;
    else if (f !== undefined) fill = q.number('fill', -1e30, 1e30)!;
    return { ...base, window, stride, fill, targetClass: targetOf(q, s, base.verdict) };
  },
  describe: (p, r) => ({
    method: 'occlusion',
    options: {
      index: p.index,
      class: p.targetClass,
      window: p.window,
      stride: p.stride,
      fill: r?.fill ?? p.fill,
      fillMode: r?.fillMode ?? (typeof p.fill === 'number' ? 'value' : p.fill),
      preset: 'convscope',
    },
    seed: null,
    file: `occlusion-input${p.index}-class${p.targetClass}-w${p.window}-s${p.stride}`,
  }),
  async run(p, ctx) {
    const s = ctx.session;
    const x = s.data.input(p.index);
    const image = s.image(p.index);
    const baseline = p.verdict.probabilities[p.targetClass]!;
    // One batch per row of windows, so the map fills in row by row.
    const cols = Math.ceil(image.width / p.stride);
    return occlusion(s.data.model, x, {
      window: p.window,
      stride: p.stride,
      fill: p.fill,
      ...(p.fill === 'dataset-mean' ? { datasetMean: datasetMean(s) } : {}),
      targetClass: p.targetClass,
      batchSize: Math.max(1, Math.min(64, cols)),
      signal: ctx.signal,
      onProgress: (done, total, partial) => {
        const rows = Math.ceil(image.height / p.stride);
        const drop = partial.map((v) => baseline - v);
        const [min, max] = symmetric(drop);
        ctx.progress({ done, total, heat: mapUri(drop, rows, cols, { colormap: 'RdBu_r', min, max }), rows, cols, scale: colorScale('RdBu_r', min, max) }, done === total);
      },
    });
  },
  view(_p, r) {
    const [min, max] = symmetric(r.overlay);
    const scale = colorScale('RdBu_r', min, max);
    return {
      heat: mapUri(r.overlay, r.height, r.width, scale),
      scale,
      height: r.height,
      width: r.width,
      rows: r.rows,
      cols: r.cols,
      window: r.window,
      stride: r.stride,
      fill: r.fill,
      fillMode: r.fillMode,
      targetClass: r.targetClass,
      baseline: r.baseline,
      worst: worstWindow(r),
    };
  },
  figure: (p, r, s) => renderOcclusionFigure(r, s.image(p.index), figureOptions(s, p.verdict)),
  numbers: (p, r, s) => ({ ...envelope('occlusion', s, p.verdict), ...occlusionNumbers(r) }),
  array: (_p, r) => ({ shape: [r.rows, r.cols], data: r.probability }),
});

interface GradCamParams extends InputParams {
  readonly layer: string;
  readonly targetClass: number;
  /** Opacity of the map in the exported figure (view only). */
  readonly alpha: number;
}

const gradCamMethod = defineMethod<GradCamParams, GradCamResult>({
  name: 'gradcam',
  keys: ['i', 'layer', 'class', 'alpha'],
  async parse(q, s) {
    const base = await inputParams(q, s);
    const name = q.string('layer');
    const node = name === undefined ? defaultGradCamLayer(s.data.model.graph) : resolveSpatial(s.data.model.graph, name);
    return { ...base, layer: node.name, targetClass: targetOf(q, s, base.verdict), alpha: q.number('alpha', 0, 1) ?? 0.4 };
  },
  describe: (p) => ({ method: 'gradcam', options: { index: p.index, class: p.targetClass, layer: p.layer }, seed: null, file: `gradcam-input${p.index}-class${p.targetClass}-${p.layer}` }),
  run: (p, ctx) => gradCam(ctx.session.data.model, ctx.session.data.input(p.index), { layer: p.layer, targetClass: p.targetClass, signal: ctx.signal }),
  view(_p, r) {
    const [, top] = finiteMinMax(r.map);
    const scale = colorScale('jet', 0, top > 0 ? top : 1);
    return {
      heat: mapUri(r.overlay, r.inputHeight, r.inputWidth, scale),
      scale,
      layer: r.layer,
      height: r.height,
      width: r.width,
      targetClass: r.targetClass,
      score: r.score,
      max: top,
    };
  },
  figure: (p, r, s) => renderGradCamFigure(r, s.image(p.index), { ...figureOptions(s, p.verdict), alpha: p.alpha }),
  numbers: (p, r, s) => ({ ...envelope('gradcam', s, p.verdict), ...gradCamNumbers(r) }),
  array: (_p, r) => ({ shape: [r.height, r.width], data: r.map }),
});

type GradientKind = 'saliency' | 'smoothgrad' | 'ig';

interface GradientParams extends InputParams {
  readonly kind: GradientKind;
  readonly targetClass: number;
  readonly nSamples: number;
  readonly noiseLevel: number;
  readonly seed: number;
  readonly steps: number;
  readonly baseline: number;
}

const METHOD_NAMES = { saliency: 'saliency', smoothgrad: 'smoothgrad', ig: 'integrated-gradients' } as const;

const gradientsMethod = defineMethod<GradientParams, AttributionFigureResult>({
  name: 'gradients',
  keys: ['i', 'method', 'class', 'samples', 'noise', 'seed', 'steps', 'baseline'],
  async parse(q, s) {
    const base = await inputParams(q, s);
    return {
      ...base,
      kind: q.oneOf('method', ['saliency', 'smoothgrad', 'ig'] as const, 'saliency'),
      targetClass: targetOf(q, s, base.verdict),
      nSamples: q.int('samples', 1, 10_000) ?? 50,
      noiseLevel: q.number('noise', 0, 10) ?? 0.15,
      seed: q.int('seed') ?? 0,
      steps: q.int('steps', 1, 10_000) ?? 64,
      baseline: q.number('baseline', -1e30, 1e30) ?? 0,
    };
  },
  describe(p, r) {
    // As the CLI records them.
    const options: Record<string, unknown> = { index: p.index, class: p.targetClass };
    if (p.kind === 'smoothgrad') Object.assign(options, { n: p.nSamples, noise: p.noiseLevel, ...(r?.sigma !== undefined ? { sigma: r.sigma } : {}), seed: p.seed });
    if (p.kind === 'ig') Object.assign(options, { steps: p.steps, baseline: p.baseline });
    return { method: METHOD_NAMES[p.kind], options, seed: p.kind === 'smoothgrad' ? p.seed : null, file: `${METHOD_NAMES[p.kind]}-input${p.index}-class${p.targetClass}` };
  },
  async run(p, ctx): Promise<AttributionFigureResult> {
    const { model } = ctx.session.data;
    const x = ctx.session.data.input(p.index);
    const onProgress = (done: number, total: number): void => ctx.progress({ done, total }, done === total);
    if (p.kind === 'saliency') return saliency(model, x, { targetClass: p.targetClass, signal: ctx.signal });
    if (p.kind === 'smoothgrad') return smoothGrad(model, x, { targetClass: p.targetClass, nSamples: p.nSamples, noiseLevel: p.noiseLevel, seed: p.seed, signal: ctx.signal, onProgress });
    return integratedGradients(model, x, { targetClass: p.targetClass, steps: p.steps, baseline: p.baseline, signal: ctx.signal, onProgress });
  },
  view(p, r: AttributionResult & { completenessError?: number; sigma?: number }, s) {
    const image = s.image(p.index);
    const map = sumChannels(r.attribution, image);
    const [min, max] = symmetric(map);
    const scale = colorScale('RdBu_r', min, max);
    return {
      heat: mapUri(map, image.height, image.width, scale),
      scale,
      method: r.method,
      targetClass: r.targetClass,
      score: r.score,
      ...(r.completenessError !== undefined ? { completenessError: r.completenessError } : {}),
      ...(r.sigma !== undefined ? { sigma: r.sigma } : {}),
    };
  },
  figure: (p, r, s) => renderAttributionFigure(r, s.image(p.index), figureOptions(s, p.verdict)),
  numbers(p, r, s) {
    const head = envelope(METHOD_NAMES[p.kind], s, p.verdict);
    if (p.kind === 'smoothgrad') return { ...head, ...smoothGradNumbers(r as SmoothGradResult, p.noiseLevel) };
    if (p.kind === 'ig') return { ...head, ...integratedGradientsNumbers(r as IntegratedGradientsResult, p.baseline) };
    return { ...head, ...attributionNumbers(r) };
  },
  array: (_p, r) => ({ shape: r.shape, data: r.attribution }),
});

/** The per-input methods, by name. */
export const INPUT_METHODS: readonly AnyMethod[] = [input, kernelsMethod, activationsMethod, occlusionMethod, gradCamMethod, gradientsMethod];
