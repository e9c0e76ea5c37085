// UMAP (McInnes et al. 2018) to 2-D through umap-js, seeded and cancellable. We hand umap-js
// our exact neighbours (the row itself first, as umap-learn does) so one search can serve
// t-SNE, UMAP and the quality measures; umap-js builds the fuzzy graph and optimises the layout.
// Differences from umap-learn: umap-js starts from a random layout (no spectral init) and
// picks its own default number of epochs (500 up to 2,500 points, 400 to 5,000, 300 to 7,500, else 200).

import { UMAP } from 'umap-js';
import { ArgumentError, throwIfAborted } from '../../errors.js';
import { createRng } from '../../random.js';
import { exactNeighborsAsync, truncateNeighbors, type Neighbors } from './knn.js';
import { DEFAULT_YIELD_MS, checkFinite, checkMatrix, checkNumber, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

/** Smallest number of samples UMAP accepts. */
export const UMAP_MIN_SAMPLES = 4;

/** Options of {@link umap}. */
export interface UmapOptions {
  /** Neighbourhood size, the point itself included (as umap-learn counts). Default 15; clamped to n - 1. */
  readonly nNeighbors?: number;
  /** Smallest distance between embedded points. Default 0.1. */
  readonly minDist?: number;
  /** Scale of the embedded clusters. Default 1. */
  readonly spread?: number;
  /** Optimisation epochs. Default: umap-js's choice for n (see the module comment). */
  readonly nEpochs?: number;
  /** Seed of the initial layout and the negative sampling (the only randomness). Default 0. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Progress: stage 'neighbors' then 'optimize' (epochs, with a copy of the coordinates). */
  readonly onProgress?: EmbedProgressCallback;
  /** Neighbours found earlier for these features (self excluded, at least nNeighbors - 1 per row). */
  readonly neighbors?: Neighbors;
  /** Least time between progress reports during the epochs, in ms. Default 40. */
  readonly yieldEveryMs?: number;
}

/** What {@link umap} used. */
export interface UmapResolved {
  readonly nNeighbors: number;
  readonly nNeighborsUsed: number;
  readonly minDist: number;
  readonly spread: number;
  readonly nEpochs: number;
  readonly seed: number;
}

/** Result of {@link umap}. */
export interface UmapResult {
  readonly n: number;
  /** (n x 2) coordinates, row-major. */
  readonly embedding: Float32Array;
  readonly options: UmapResolved;
}

function flatten(rows: number[][], n: number): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = rows[i]![0]!;
    out[2 * i + 1] = rows[i]![1]!;
  }
  return out;
}

/**
 * UMAP of `features` (n x d, row-major) to 2-D. Deterministic for a given seed. The neighbour
 * search and the epochs yield to the event loop; `signal` cancels with CancelledError. (umap-js
 * builds its fuzzy graph synchronously: for 20k points that takes seconds without a yield.)
 */
export async function umap(features: FeatureMatrix, n: number, d: number, options: UmapOptions = {}): Promise<UmapResult> {
  const { nNeighbors = 15, minDist = 0.1, spread = 1, seed = 0, signal, onProgress, neighbors, yieldEveryMs = DEFAULT_YIELD_MS } = options;
  checkMatrix('umap', features, n, d);
  if (n < UMAP_MIN_SAMPLES) {
    throw new ArgumentError('BAD_ARGUMENT', `UMAP needs at least ${UMAP_MIN_SAMPLES} samples, got ${n}.`, { hint: 'Embed more samples, or use PCA.' });
  }
  checkNumber('nNeighbors', nNeighbors, 2, Infinity, true);
  checkNumber('minDist', minDist, 0);
  checkNumber('spread', spread, Number.MIN_VALUE);
  if (minDist > spread) throw new ArgumentError('BAD_ARGUMENT', `minDist (${minDist}) must not exceed spread (${spread}).`);
  if (options.nEpochs !== undefined) checkNumber('nEpochs', options.nEpochs, 1, 1e6, true);
  checkNumber('seed', seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  checkFinite('umap features', features, d);
  throwIfAborted(signal);

  // 1. Neighbours: ours are exact and exclude the point; umap-js wants it first at distance 0.
  const k = Math.min(nNeighbors, n - 1);
  const others = k - 1;
  let nb = neighbors;
  if (nb !== undefined && (nb.n !== n || nb.k < others)) {
    throw new ArgumentError('BAD_ARGUMENT', `UMAP needs ${others} neighbours for each of ${n} points, the table given has ${nb.k} for ${nb.n}.`);
  }
  nb ??= await exactNeighborsAsync(features, n, d, others, { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}), yieldEveryMs });
  nb = truncateNeighbors(nb, others);
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const idx = [i];
    const dist = [0];
    for (let q = 0; q < others; q++) {
      idx.push(nb.indices[i * others + q]!);
      dist.push(Math.sqrt(nb.sqDistances[i * others + q]!));
    }
    knnIndices.push(idx);
    knnDistances.push(dist);
  }

  // 2. Fuzzy graph and layout. With precomputed neighbours umap-js reads only the row count of X.
  const rng = createRng(seed);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors: k,
    minDist,
    spread,
    random: () => rng.next(),
    ...(options.nEpochs !== undefined ? { nEpochs: options.nEpochs } : {}),
  });
  model.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = Array.from({ length: n }, () => []);
  const nEpochs = model.initializeFit(rows);
  throwIfAborted(signal);

  // 3. Epochs: fitAsync yields once per epoch (setTimeout); its callback returning false stops it.
  let lastReport = -Infinity;
  await model.fitAsync(rows, (epoch) => {
    if (signal?.aborted === true) return false;
    const now = Date.now();
    if (onProgress !== undefined && now - lastReport >= yieldEveryMs) {
      lastReport = now;
      onProgress({ stage: 'optimize', done: epoch, total: nEpochs, coordinates: flatten(model.getEmbedding(), n) });
    }
    return true;
  });
  throwIfAborted(signal);
  const embedding = flatten(model.getEmbedding(), n);
  onProgress?.({ stage: 'optimize', done: nEpochs, total: nEpochs, coordinates: embedding });
  return { n, embedding, options: { nNeighbors, nNeighborsUsed: k, minDist, spread, nEpochs, seed } };
}
