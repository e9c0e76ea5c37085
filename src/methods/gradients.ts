// Gradient attributions of a class score with respect to the input: vanilla saliency
// (Simonyan et al. 2014), SmoothGrad (Smilkov et al. 2017) and Integrated Gradients
// (Sundararajan et al. 2017) with its completeness check. Scores are logits (methods/classes.ts).

import { ArgumentError, throwIfAborted } from '../errors.js';
import type { Model } from '../model/model.js';
import { createRng, fillNormal } from '../random.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { batchForBudget, DEFAULT_MEMORY_BUDGET } from './budget.js';
import { checkClass, scoreSeed } from './classes.js';

export interface SaliencyOptions {
  readonly targetClass: number;
  readonly signal?: AbortSignal;
}

export interface AttributionResult {
  readonly method: 'saliency' | 'smoothgrad' | 'integrated-gradients';
  readonly targetClass: number;
  /** Same shape as one input (no batch axis), signed. */
  readonly shape: number[];
  readonly attribution: Float32Array;
  /** Score of the class at the input. */
  readonly score: number;
}

async function gradBatch(model: Model, xs: Tensor, c: number, signal?: AbortSignal): Promise<{ scores: Float32Array; grads: Float32Array }> {
  const input = model.logits.inputs[0]!;
  const res = await model.gradients([xs], { score: { node: model.head.logitNode, seed: scoreSeed(model.head, c) }, wrt: [input], ...(signal ? { signal } : {}) });
  return { scores: res.scores, grads: res.gradients.get(input)!.data };
}

/** d score / d input for one input x (1, ...input). */
export async function saliency(model: Model, x: Tensor, options: SaliencyOptions): Promise<AttributionResult> {
  model.checkInput(x);
  const c = checkClass(model.head, options.targetClass);
  const { scores, grads } = await gradBatch(model, x, c, options.signal);
  return { method: 'saliency', targetClass: c, shape: x.shape.slice(1), attribution: grads.slice(), score: scores[0]! };
}

export interface SmoothGradOptions extends SaliencyOptions {
  /** Noisy copies averaged. Default 50. */
  readonly nSamples?: number;
  /** Noise standard deviation as a fraction of the input's value range (max - min). Default 0.15. */
  readonly noiseLevel?: number;
  readonly seed?: number;
  readonly memoryBudget?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** SmoothGrad's result: the mean gradient and how its noise was drawn. */
export interface SmoothGradResult extends AttributionResult {
  readonly nSamples: number;
  /** Noise standard deviation used: noiseLevel x (max - min) of the input. */
  readonly sigma: number;
  readonly seed: number;
}

/** SmoothGrad: the mean gradient over noisy copies x + N(0, sigma^2). */
export async function smoothGrad(model: Model, x: Tensor, options: SmoothGradOptions): Promise<SmoothGradResult> {
  const { nSamples = 50, noiseLevel = 0.15, seed = 0, signal, onProgress, memoryBudget = DEFAULT_MEMORY_BUDGET } = options;
  model.checkInput(x);
  const c = checkClass(model.head, options.targetClass);
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new ArgumentError('BAD_ARGUMENT', `SmoothGrad nSamples must be a positive integer, got ${nSamples}.`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const sigma = noiseLevel * (hi - lo > 0 ? hi - lo : 1);
  const rng = createRng(seed);
  const per = sizeOf(x.shape.slice(1));
  const acc = new Float64Array(per);
  const noise = new Float64Array(per); // one noisy copy's N(0, sigma^2) draws (ziggurat)
  // Equal batches within the budget; x itself rides at the end of the first one (its score),
  // so no pass of its own.
  const most = batchForBudget(model.graph, memoryBudget, 32, 3);
  const batch = Math.ceil(nSamples / Math.ceil(nSamples / most));
  let score = NaN;
  const xs = x.data;
  /** The noisy copies of samples s..s+b (and x itself after them in the first batch). */
  const noisy = (s: number): Tensor => {
    const b = Math.min(batch, nSamples - s);
    const rows = s === 0 ? b + 1 : b;
    const data = new Float32Array(rows * per);
    for (let r = 0; r < b; r++) {
      const o = r * per;
      fillNormal(rng, noise, 0, per, 0, sigma);
      for (let j = 0; j < per; j++) data[o + j] = xs[j]! + noise[j]!;
    }
    if (s === 0) data.set(xs.subarray(0, per), b * per);
    return { shape: [rows, ...x.shape.slice(1)], data };
  };
  let next = noisy(0);
  for (let s = 0; s < nSamples; s += batch) {
    throwIfAborted(signal);
    const b = Math.min(batch, nSamples - s);
    const pending = gradBatch(model, next, c, signal);
    // The next batch's noise is drawn while the engine computes this one (same draws, same order).
    if (s + b < nSamples) next = noisy(s + b);
    const { scores, grads } = await pending;
    if (s === 0) score = scores[b]!;
    for (let r = 0; r < b; r++) {
      const o = r * per;
      for (let j = 0; j < per; j++) acc[j]! += grads[o + j]!;
    }
    onProgress?.(s + b, nSamples);
  }
  return { method: 'smoothgrad', targetClass: c, shape: x.shape.slice(1), attribution: Float32Array.from(acc, (v) => v / nSamples), score, nSamples, sigma, seed };
}

export interface IntegratedGradientsOptions extends SaliencyOptions {
  /** Baseline value (every element) or a full baseline input. Default 0 (a black image). */
  readonly baseline?: number | Float32Array;
  /** Interpolation steps (trapezoidal rule over steps + 1 points). Default 64. */
  readonly steps?: number;
  readonly memoryBudget?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface IntegratedGradientsResult extends AttributionResult {
  readonly steps: number;
  readonly baselineScore: number;
  /** sum(attribution) - (score - baselineScore): the completeness error, small when steps suffice. */
  readonly completenessError: number;
}

/** Integrated Gradients along the straight path from the baseline to x (trapezoidal rule). */
export async function integratedGradients(model: Model, x: Tensor, options: IntegratedGradientsOptions): Promise<IntegratedGradientsResult> {
  const { steps = 64, signal, onProgress, memoryBudget = DEFAULT_MEMORY_BUDGET } = options;
  model.checkInput(x);
  const c = checkClass(model.head, options.targetClass);
  if (!Number.isInteger(steps) || steps < 1) throw new ArgumentError('BAD_ARGUMENT', `Integrated Gradients steps must be a positive integer, got ${steps}.`);
  const per = sizeOf(x.shape.slice(1));
  const base = typeof options.baseline === 'object' ? options.baseline : new Float32Array(per).fill(options.baseline ?? 0);
  if (base.length !== per) throw new ArgumentError('SHAPE_MISMATCH', `The baseline has ${base.length} values; one input has ${per}.`);
  const acc = new Float64Array(per);
  const batch = batchForBudget(model.graph, memoryBudget, 32, 3);
  const points = steps + 1;
  let score = NaN;
  let baselineScore = NaN;
  for (let s = 0; s < points; s += batch) {
    throwIfAborted(signal);
    const b = Math.min(batch, points - s);
    const data = new Float32Array(b * per);
    for (let k = 0; k < b; k++) {
      const alpha = (s + k) / steps;
      for (let i = 0; i < per; i++) data[k * per + i] = base[i]! + alpha * (x.data[i]! - base[i]!);
    }
    const { scores, grads } = await gradBatch(model, { shape: [b, ...x.shape.slice(1)], data }, c, signal);
    for (let k = 0; k < b; k++) {
      const j = s + k;
      const w = j === 0 || j === steps ? 0.5 : 1;
      for (let i = 0; i < per; i++) acc[i]! += w * grads[k * per + i]!;
      if (j === 0) baselineScore = scores[k]!;
      if (j === steps) score = scores[k]!;
    }
    onProgress?.(s + b, points);
  }
  const attribution = new Float32Array(per);
  let total = 0;
  for (let i = 0; i < per; i++) {
    attribution[i] = ((x.data[i]! - base[i]!) * acc[i]!) / steps;
    total += attribution[i]!;
  }
  return { method: 'integrated-gradients', targetClass: c, shape: x.shape.slice(1), attribution, score, baselineScore, steps, completenessError: total - (score - baselineScore) };
}
