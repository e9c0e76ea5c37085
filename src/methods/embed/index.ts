// Embeddings of what a network has learned: a seeded, class-balanced sample of inputs, their
// features at one layer (default: the penultimate), and a 2-D map of them by PCA, t-SNE or
// UMAP, with quality measures. Plain data in and out; long steps yield and can be cancelled.

import { ArgumentError, throwIfAborted } from '../../errors.js';
import type { Model } from '../../model/model.js';
import type { Tensor } from '../../tensor.js';
import { typescriptBackend, type EmbedBackend } from './backend.js';
import { features, sampleBalanced } from './features.js';
import { pca } from './pca.js';
import { knnAccuracy } from './quality.js';
import { checkTsneOptions, clampPerplexity, tsne, tsneNeighborCount, type TsneOptions } from './tsne.js';
import { checkUmapOptions, umap, type UmapOptions } from './umap.js';
import { checkMatrix, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

export { pca, type PcaOptions, type PcaResult, type PcaSolver } from './pca.js';
export { Tsne, tsne, type TsneOptions, type TsneRunOptions, type TsneResult, type TsneResolved } from './tsne.js';
export { umap, type UmapOptions, type UmapResult, type UmapResolved } from './umap.js';
export { trustworthiness, trustworthinessAsync, knnAccuracy, type TrustworthinessOptions } from './quality.js';
export { features, sampleBalanced, defaultFeatureLayer, type FeaturesOptions, type FeaturesResult } from './features.js';
export { exactNeighbors, exactNeighborsAsync, type Neighbors, type NeighborsOptions } from './knn.js';
export { typescriptBackend, type EmbedBackend } from './backend.js';
export type { EmbedProgress, EmbedProgressCallback, EmbedStage, FeatureMatrix } from './util.js';

/** The 2-D maps on offer. */
export type EmbedMethod = 'pca' | 'tsne' | 'umap';

/** Options of {@link embedFeatures}: the method and its settings. */
export interface ProjectionOptions {
  readonly method: EmbedMethod;
  /** Seed of every random choice (t-SNE random init, UMAP layout; also the sample in `embed`). Default 0. */
  readonly seed?: number;
  /** t-SNE: perplexity (default 30, clamped to (n - 1) / 3). */
  readonly perplexity?: number;
  /** t-SNE: iterations (default 1000). */
  readonly nIterations?: number;
  /** t-SNE: learning rate (default 'auto'). */
  readonly learningRate?: number | 'auto';
  /** t-SNE: Barnes-Hut angle (default 0.5). */
  readonly theta?: number;
  /** t-SNE: initialisation, 'pca' or 'random' (default 'pca'). */
  readonly init?: 'pca' | 'random';
  /** UMAP: neighbours, the point included (default 15, clamped to n - 1). */
  readonly nNeighbors?: number;
  /** UMAP: minimum distance (default 0.1). */
  readonly minDist?: number;
  /** UMAP: epochs (default: umap-js's choice for n). */
  readonly nEpochs?: number;
  /**
   * Compute trustworthiness (k = 10, fewer for n <= 20; O(n^2 d)). Default: true up to 10,000
   * samples.
   */
  readonly trustworthiness?: boolean;
  /** Labels of the n rows: adds the 10-NN class accuracy in the map. */
  readonly labels?: Int32Array | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: EmbedProgressCallback;
  /**
   * Where the neighbour search, trustworthiness and t-SNE gradient run (same results, other
   * speed). Default: TypeScript in this thread. Node: `nodeEmbedBackend()` (convscope/node).
   */
  readonly backend?: EmbedBackend;
}

/** The options an embedding actually used (defaults and clamps resolved). */
export interface EmbedResolvedOptions {
  readonly method: EmbedMethod;
  readonly seed: number;
  readonly n: number;
  readonly layer?: string;
  readonly perplexity?: number;
  readonly perplexityUsed?: number;
  readonly nIterations?: number;
  readonly learningRate?: number;
  readonly theta?: number;
  readonly init?: 'pca' | 'random';
  readonly nNeighbors?: number;
  readonly nNeighborsUsed?: number;
  readonly minDist?: number;
  readonly nEpochs?: number;
  /** Neighbourhood size of the quality measures, or null when they were not computed. */
  readonly qualityK: number | null;
}

/** A 2-D map of n feature rows. */
export interface Projection {
  readonly method: EmbedMethod;
  readonly n: number;
  readonly d: number;
  /** (n x 2) row-major. */
  readonly coordinates: Float32Array;
  /** Axis titles: 'PC1 (11.8%)', 't-SNE 1', 'UMAP 1'... */
  readonly axisLabels: readonly [string, string];
  /** PCA only: share of the total variance along each axis. */
  readonly explainedVarianceRatio?: readonly number[];
  /** PCA only: variance along each axis (ddof = 1). */
  readonly explainedVariance?: readonly number[];
  /** t-SNE only: final KL divergence and iterations run. */
  readonly kl?: number;
  readonly iterations?: number;
  /** Trustworthiness with `options.qualityK` neighbours (when computed). */
  readonly trustworthiness?: number;
  /** Leave-one-out k-NN class accuracy in the map (when labels were given). */
  readonly knnAccuracy?: number;
  readonly options: EmbedResolvedOptions;
}

/** Result of {@link embed}: the map plus where it came from. */
export interface EmbeddingResult extends Projection {
  /** Layer whose output was embedded, and its Keras class. */
  readonly layer: string;
  readonly className: string;
  /** Sample indices into x, one per row (sorted ascending when drawn by `embed`). */
  readonly indices: Int32Array;
  /** Labels of those samples, or null without labels. */
  readonly labels: Int32Array | null;
  /** (n x d) features, row-major. */
  readonly features: Float32Array;
}

const TSNE_KEYS = ['perplexity', 'nIterations', 'learningRate', 'theta', 'init'] as const;
const UMAP_KEYS = ['nNeighbors', 'minDist', 'nEpochs'] as const;

function refuseForeign(options: ProjectionOptions): void {
  const foreign = [...(options.method === 'tsne' ? [] : TSNE_KEYS), ...(options.method === 'umap' ? [] : UMAP_KEYS)].filter((k) => options[k] !== undefined);
  if (foreign.length > 0) {
    throw new ArgumentError('BAD_ARGUMENT', `Option${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')} ${foreign.length > 1 ? 'do' : 'does'} not apply to method '${options.method}'.`, {
      hint: `t-SNE takes ${TSNE_KEYS.join(', ')}; UMAP takes ${UMAP_KEYS.join(', ')}.`,
    });
  }
}

/** The options among `keys` that `options` gives (undefined ones left out), and the seed. */
function methodOptions<K extends (typeof TSNE_KEYS)[number] | (typeof UMAP_KEYS)[number]>(options: ProjectionOptions, keys: readonly K[]): Pick<ProjectionOptions, K> & { seed: number } {
  const out: Partial<Pick<ProjectionOptions, K>> = {};
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k];
  return { ...(out as Pick<ProjectionOptions, K>), seed: options.seed ?? 0 };
}

/** The t-SNE options among `options`. */
const tsneOptionsOf = (options: ProjectionOptions): TsneOptions => methodOptions(options, TSNE_KEYS);
/** The UMAP options among `options`. */
const umapOptionsOf = (options: ProjectionOptions): UmapOptions => methodOptions(options, UMAP_KEYS);

/**
 * Checks the method and its options for n rows (ArgumentError), before any work: feature
 * extraction and neighbour searches are the expensive part, and a bad option must not wait for
 * them to fail.
 */
function checkProjectionOptions(n: number, options: ProjectionOptions): void {
  const { method } = options;
  if (method !== 'pca' && method !== 'tsne' && method !== 'umap') {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown embedding method '${String(method)}'; choose 'pca', 'tsne' or 'umap'.`);
  }
  refuseForeign(options);
  if (method === 'tsne') checkTsneOptions(n, tsneOptionsOf(options));
  if (method === 'umap') checkUmapOptions(n, umapOptionsOf(options));
}

/**
 * Maps n feature rows (n x d, row-major) to 2-D with the chosen method, then measures the map.
 * See {@link embed} for the whole workflow from a model and inputs.
 */
export async function embedFeatures(data: FeatureMatrix, n: number, d: number, options: ProjectionOptions): Promise<Projection> {
  const { method, seed = 0, signal, onProgress, labels = null, backend = typescriptBackend } = options;
  checkProjectionOptions(n, options);
  checkMatrix(method, data, n, d);
  if (labels !== null && labels.length !== n) {
    throw new ArgumentError('LABEL_MISMATCH', `${labels.length} labels for ${n} feature rows; they must have the same length.`);
  }
  throwIfAborted(signal);
  const run = { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) };

  let coordinates: Float32Array;
  let axisLabels: [string, string];
  let extra: Partial<Projection> = {};
  let resolved: Omit<EmbedResolvedOptions, 'qualityK'>;
  if (method === 'pca') {
    const r = pca(data, n, d, { nComponents: 2 });
    coordinates = Float32Array.from(r.projection);
    const ratio = Array.from(r.explainedVarianceRatio);
    axisLabels = [`PC1 (${(ratio[0]! * 100).toFixed(1)}%)`, `PC2 (${(ratio[1]! * 100).toFixed(1)}%)`];
    extra = { explainedVarianceRatio: ratio, explainedVariance: Array.from(r.explainedVariance) };
    resolved = { method, seed, n };
  } else if (method === 'tsne') {
    const tsneOptions = tsneOptionsOf(options);
    const neighbors = await backend.neighbors(data, n, d, tsneNeighborCount(clampPerplexity(options.perplexity ?? 30, n), n), run);
    const gradient = backend.tsneGradient(n);
    const r = await tsne(data, n, d, { ...tsneOptions, neighbors, ...(gradient !== null ? { gradient } : {}), ...run });
    coordinates = r.embedding;
    axisLabels = ['t-SNE 1', 't-SNE 2'];
    extra = { kl: r.kl, iterations: r.iterations };
    const o = r.options;
    resolved = {
      method,
      seed,
      n,
      perplexity: o.perplexity,
      perplexityUsed: o.perplexityUsed,
      nIterations: o.nIterations,
      learningRate: o.learningRate,
      theta: o.theta,
      init: o.init === 'given' ? 'pca' : o.init,
    };
  } else {
    const umapOptions = umapOptionsOf(options);
    const neighbors = await backend.neighbors(data, n, d, Math.min(options.nNeighbors ?? 15, n - 1) - 1, run);
    const r = await umap(data, n, d, { ...umapOptions, neighbors, ...run });
    coordinates = r.embedding;
    axisLabels = ['UMAP 1', 'UMAP 2'];
    const o = r.options;
    resolved = { method, seed, n, nNeighbors: o.nNeighbors, nNeighborsUsed: o.nNeighborsUsed, minDist: o.minDist, nEpochs: o.nEpochs };
  }

  // Quality: trustworthiness needs k < n / 2.
  const k = Math.min(10, Math.ceil(n / 2) - 1);
  const wantTrust = options.trustworthiness ?? n <= 10_000;
  const quality: Partial<Projection> = {};
  if (k >= 1 && wantTrust) {
    (quality as { trustworthiness: number }).trustworthiness = await backend.trustworthiness(data, n, d, coordinates, { k, ...run });
  }
  if (k >= 1 && labels !== null) (quality as { knnAccuracy: number }).knnAccuracy = knnAccuracy(coordinates, n, labels, k);
  const measured = k >= 1 && (wantTrust || labels !== null);
  return { method, n, d, coordinates, axisLabels, ...extra, ...quality, options: { ...resolved, qualityK: measured ? k : null } };
}

/** Options of {@link embed}. */
export interface EmbedOptions extends Omit<ProjectionOptions, 'labels'> {
  /** Samples to embed, drawn with `seed`, balanced by class when labels are given. Default min(N, 1000). */
  readonly n?: number;
  /** Embed exactly these samples of x (0-based) instead of drawing n. */
  readonly indices?: readonly number[];
  /** Layer whose output is embedded. Default: the input of the last Dense layer (penultimate features). */
  readonly layer?: string;
  /** Labels of all N samples of x (balance the sample, colour the map, measure k-NN accuracy). */
  readonly labels?: Int32Array | null;
  /** Samples per forward pass. Default: up to 64 within a 512 MiB activation budget. */
  readonly batchSize?: number;
}

/**
 * The embedding workflow (the original's vis_pca / vis_tsne, fixed):
 *   1. sample   n indices of x, seeded and balanced by class (or `indices` as given)
 *   2. features the layer's output for those samples, in batches, inference mode
 *   3. map      PCA, t-SNE or UMAP to 2-D
 *   4. measure  trustworthiness, and k-NN class accuracy when labels are given
 * Progress stages: 'features', then the method's ('neighbors', 'optimize'), then 'quality'.
 */
export async function embed(model: Model, x: Tensor, options: EmbedOptions): Promise<EmbeddingResult> {
  const { seed = 0, labels = null, signal, onProgress } = options;
  const total = model.checkInput(x);
  if (labels !== null && labels.length !== total) {
    throw new ArgumentError('LABEL_MISMATCH', `x has ${total} inputs but ${labels.length} labels were given; they must have the same length.`, {
      details: { x: total, labels: labels.length },
    });
  }
  // 1. Sample.
  let indices: number[];
  if (options.indices !== undefined) {
    if (options.n !== undefined) throw new ArgumentError('BAD_ARGUMENT', 'Give either n or indices, not both.');
    indices = [...options.indices];
  } else {
    const n = options.n ?? Math.min(total, 1000);
    if (!Number.isInteger(n) || n < 1 || n > total) {
      throw new ArgumentError('BAD_ARGUMENT', `n must be an integer between 1 and the ${total} samples of x, got ${n}.`, { details: { n, samples: total } });
    }
    indices = sampleBalanced(labels, n, seed, total);
  }
  checkProjectionOptions(indices.length, options); // before the features are computed
  // 2. Features.
  const f = await features(model, x, {
    indices,
    ...(options.layer !== undefined ? { layer: options.layer } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress: (done: number, all: number) => onProgress({ stage: 'features', done, total: all }) } : {}),
  });
  const rowLabels = labels === null ? null : Int32Array.from(f.indices, (i) => labels[i]!);
  // 3-4. Map and measure.
  const { n: _n, indices: _i, layer: _l, batchSize: _b, ...projection } = options;
  const p = await embedFeatures(f.data, f.n, f.d, { ...projection, seed, labels: rowLabels });
  return {
    ...p,
    layer: f.layer,
    className: f.className,
    indices: f.indices,
    labels: rowLabels,
    features: f.data,
    options: { ...p.options, layer: f.layer },
  };
}
