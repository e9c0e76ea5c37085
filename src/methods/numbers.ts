// The numbers of each method's result as plain JSON (typed arrays nested into rows, non-finite
// values as null): what `convscope <method> --json` writes and what the dashboard exports, so
// both faces write the same fields from one place. Callers add their own envelope (provenance,
// command, class names).

import type { ActivationsResult } from './activations.js';
import type { ClassAverageResult } from './class-average.js';
import type { EmbeddingResult } from './embed/index.js';
import type { GradCamResult } from './gradcam.js';
import type { AttributionResult, IntegratedGradientsResult, SmoothGradResult } from './gradients.js';
import type { KernelsResult } from './kernels.js';
import type { OcclusionResult } from './occlusion.js';
import { nest } from './provenance.js';

/** Kernels: weights (filters, in channels, kh, kw) and their per-filter aggregate. */
export function kernelsNumbers(r: KernelsResult): Record<string, unknown> {
  const n = r.filters.length;
  return {
    layer: r.layer,
    className: r.className,
    kernelHeight: r.kernelHeight,
    kernelWidth: r.kernelWidth,
    inChannels: r.inChannels,
    filters: r.filters,
    weights: nest(r.weights, [n, r.inChannels, r.kernelHeight, r.kernelWidth]),
    aggregate: nest(r.aggregate, [n, r.kernelHeight, r.kernelWidth]),
    aggregateMethod: r.aggregateMethod,
    min: r.min,
    max: r.max,
  };
}

/** Activations: the maps (channels, height, width) and their common range. */
export function activationsNumbers(r: ActivationsResult): Record<string, unknown> {
  return { layer: r.layer, className: r.className, height: r.height, width: r.width, channels: r.channels, maps: nest(r.maps, [r.channels.length, r.height, r.width]), min: r.min, max: r.max };
}

/** Occlusion: per-window probability and drop (rows x cols), the per-pixel overlay, the protocol. */
export function occlusionNumbers(r: OcclusionResult): Record<string, unknown> {
  return {
    targetClass: r.targetClass,
    window: r.window,
    stride: r.stride,
    fill: r.fill,
    fillMode: r.fillMode,
    preset: r.preset,
    rows: r.rows,
    cols: r.cols,
    height: r.height,
    width: r.width,
    baseline: r.baseline,
    probability: nest(r.probability, [r.rows, r.cols]),
    drop: nest(r.drop, [r.rows, r.cols]),
    overlay: nest(r.overlay, [r.height, r.width]),
    ...(r.originalValue !== undefined ? { originalValue: nest(r.originalValue, [r.rows, r.cols]) } : {}),
  };
}

/** Grad-CAM: the raw map at the layer's resolution and the channel weights. */
export function gradCamNumbers(r: GradCamResult): Record<string, unknown> {
  return { layer: r.layer, targetClass: r.targetClass, score: r.score, height: r.height, width: r.width, map: nest(r.map, [r.height, r.width]), weights: r.weights };
}

/** The JSON field holding each gradient method's attribution. */
const ATTRIBUTION_FIELD = { saliency: 'saliency', smoothgrad: 'smoothgrad', 'integrated-gradients': 'integratedGradients' } as const;

/** Saliency, SmoothGrad, Integrated Gradients: the attribution nested like one input, under the method's field. */
export function attributionNumbers(r: AttributionResult): Record<string, unknown> {
  return { method: r.method, targetClass: r.targetClass, score: r.score, shape: r.shape, [ATTRIBUTION_FIELD[r.method]]: nest(r.attribution, r.shape) };
}

/** SmoothGrad: the attribution and how the noise was drawn (`noiseLevel` as asked; sigma as used). */
export function smoothGradNumbers(r: SmoothGradResult, noiseLevel: number): Record<string, unknown> {
  return { ...attributionNumbers(r), nSamples: r.nSamples, noiseLevel, sigma: r.sigma, seed: r.seed };
}

/** Integrated Gradients: the attribution, the path and the completeness error. */
export function integratedGradientsNumbers(r: IntegratedGradientsResult, baseline: number): Record<string, unknown> {
  return { ...attributionNumbers(r), steps: r.steps, baseline, baselineScore: r.baselineScore, completenessError: r.completenessError };
}

/** Embedding: features and 2-D coordinates per sample, with the map's quality figures. */
export function embeddingNumbers(r: EmbeddingResult & { readonly stopped?: boolean }): Record<string, unknown> {
  return {
    method: r.method,
    layer: r.layer,
    className: r.className,
    n: r.n,
    d: r.d,
    indices: r.indices,
    labels: r.labels,
    features: nest(r.features, [r.n, r.d]),
    coordinates: nest(r.coordinates, [r.n, 2]),
    axisLabels: r.axisLabels,
    ...(r.explainedVarianceRatio !== undefined ? { explainedVarianceRatio: r.explainedVarianceRatio, explainedVariance: r.explainedVariance } : {}),
    ...(r.kl !== undefined ? { kl: r.kl, iterations: r.iterations } : {}),
    ...(r.stopped === true ? { stopped: true } : {}),
    ...(r.trustworthiness !== undefined ? { trustworthiness: r.trustworthiness } : {}),
    ...(r.knnAccuracy !== undefined ? { knnAccuracy: r.knnAccuracy } : {}),
    options: r.options,
  };
}

/** Class averages: per group, mean and std maps (height x width) and their row/column profiles. */
export function classAverageNumbers(r: ClassAverageResult): Record<string, unknown> {
  return {
    method: r.method,
    quantity: r.quantity,
    height: r.height,
    width: r.width,
    seed: r.seed,
    groups: r.groups.map((g) => ({
      label: g.label,
      trueClass: g.trueClass,
      correct: g.correct,
      n: g.n,
      indices: g.indices,
      mean: nest(g.mean, [r.height, r.width]),
      std: nest(g.std, [r.height, r.width]),
      rowProfile: g.rowProfile,
      rowProfileStd: g.rowProfileStd,
      colProfile: g.colProfile,
      colProfileStd: g.colProfileStd,
    })),
  };
}
