// How faithful an embedding is: trustworthiness (Venna & Kaski 2001, as scikit-learn's
// sklearn.manifold.trustworthiness) and leave-one-out k-NN class accuracy in the embedding.
// Exact, O(n^2 d); plain typed arrays in, numbers out.

import { ArgumentError } from '../../errors.js';
import { distanceBlock, exactNeighbors, exactSq, prepareRows, type Neighbors } from './knn.js';
import { DEFAULT_YIELD_MS, Pacer, checkMatrix, drainAsync, drainSync, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

/** Options of {@link trustworthinessAsync}. */
export interface TrustworthinessOptions {
  /** Neighbourhood size, 1 <= k < n / 2. Default 10. */
  readonly k?: number;
  readonly signal?: AbortSignal;
  /** Called with stage 'quality', done = rows ranked. */
  readonly onProgress?: EmbedProgressCallback;
  /** Time between yields to the event loop, in ms. Default 40. */
  readonly yieldEveryMs?: number;
}

/** Dimensions of an embedding of n samples held in `y` (n x dy), checked. */
export function embeddedDims(what: string, y: ArrayLike<number>, n: number): number {
  const dy = n > 0 ? y.length / n : 0;
  if (!Number.isInteger(dy) || dy < 1) {
    throw new ArgumentError('SHAPE_MISMATCH', `${what}: the embedding has ${y.length} values, not a multiple of n = ${n}.`, { details: { n, length: y.length } });
  }
  return dy;
}

/** Checks trustworthiness' k against n samples (1 <= k < n / 2). */
export function checkTrustK(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) {
    throw new ArgumentError('BAD_ARGUMENT', `trustworthiness: k must be an integer with 1 <= k < n / 2 = ${n / 2}, got ${k}.`, {
      hint: 'Use fewer neighbours or more samples.',
      details: { n, k },
    });
  }
}

function* trustWork(x: FeatureMatrix, n: number, d: number, nbY: Neighbors, k: number, progress?: (done: number) => void): Generator<void, number, void> {
  const prepared = prepareRows(x, n, d);
  const block = new Float64Array(4 * n);
  const targetD = new Float64Array(k);
  const targetI = new Int32Array(k);
  const rank = new Int32Array(k);
  // Margin below which two dot-product distances are compared exactly instead.
  let maxNorm = 0;
  for (const v of prepared.norms) maxNorm = Math.max(maxNorm, v);
  const margin = prepared.exact ? 0 : 1e-12 * 4 * maxNorm;
  let penalty = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    distanceBlock(prepared, i0, 0, n, block, n);
    for (let r = 0; r < 4 && i0 + r < n; r++) {
      const i = i0 + r;
      const dist = block.subarray(r * n, (r + 1) * n);
      for (let q = 0; q < k; q++) {
        const j = nbY.indices[i * nbY.k + q]!;
        targetI[q] = j;
        targetD[q] = dist[j]!;
        rank[q] = 1;
      }
      // r(i, j) = 1 + number of points nearer to i than j in the input space (ties: lower index first).
      for (let l = 0; l < n; l++) {
        if (l === i) continue;
        const dl = dist[l]!;
        for (let q = 0; q < k; q++) {
          const dj = targetD[q]!;
          if (dl < dj - margin) rank[q]!++;
          else if (dl <= dj + margin) {
            const j = targetI[q]!;
            if (l === j) continue;
            const el = exactSq(x, d, i, l);
            const ej = exactSq(x, d, i, j);
            if (el < ej || (el === ej && l < j)) rank[q]!++;
          }
        }
      }
      for (let q = 0; q < k; q++) if (rank[q]! > k) penalty += rank[q]! - k;
    }
    progress?.(Math.min(n, i0 + 4));
    yield;
  }
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}

/**
 * Trustworthiness of the embedding `y` (n x dy) of `x` (n x d), both row-major, with `k`
 * neighbours (default 10), as scikit-learn defines it:
 * T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k(i) in y} max(0, r(i, j) - k),
 * where r(i, j) is the rank of j among i's neighbours in x. 1 means every embedded neighbour is
 * a true neighbour. Distances are Euclidean; ties in x are ranked by index. Cost O(n^2 d).
 */
export function trustworthiness(x: FeatureMatrix, n: number, d: number, y: FeatureMatrix, k = 10): number {
  checkMatrix('trustworthiness x', x, n, d);
  const dy = embeddedDims('trustworthiness', y, n);
  checkTrustK(n, k);
  return drainSync(trustWork(x, n, d, exactNeighbors(y, n, dy, k), k));
}

/** {@link trustworthiness} that yields to the event loop and honours `signal`. */
export async function trustworthinessAsync(x: FeatureMatrix, n: number, d: number, y: FeatureMatrix, options: TrustworthinessOptions = {}): Promise<number> {
  const { k = 10, signal, onProgress, yieldEveryMs = DEFAULT_YIELD_MS } = options;
  checkMatrix('trustworthiness x', x, n, d);
  const dy = embeddedDims('trustworthiness', y, n);
  checkTrustK(n, k);
  const pacer = new Pacer(signal, yieldEveryMs);
  await pacer.pause();
  const nbY = exactNeighbors(y, n, dy, k); // 2-D: fast compared with the ranking below
  let done = 0;
  const t = await drainAsync(trustWork(x, n, d, nbY, k, (r) => (done = r)), pacer, () => onProgress?.({ stage: 'quality', done, total: n }));
  onProgress?.({ stage: 'quality', done: n, total: n });
  return t;
}

/**
 * Leave-one-out k-NN classification accuracy in the embedding `y` (n x dy): each point is given
 * the majority label of its k nearest other points (ties: the tied class whose member comes
 * first in distance order) and the fraction of points whose label is recovered is returned.
 * Default k = 10 (clamped to n - 1).
 */
export function knnAccuracy(y: FeatureMatrix, n: number, labels: Int32Array, k = 10): number {
  const dy = embeddedDims('knnAccuracy', y, n);
  if (labels.length !== n) {
    throw new ArgumentError('LABEL_MISMATCH', `knnAccuracy: ${labels.length} labels for ${n} points; they must have the same length.`, { details: { n, labels: labels.length } });
  }
  if (n < 2) throw new ArgumentError('BAD_ARGUMENT', `knnAccuracy needs at least 2 points, got ${n}.`);
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError('BAD_ARGUMENT', `knnAccuracy: k must be a positive integer, got ${k}.`);
  const kk = Math.min(k, n - 1);
  const nb = exactNeighbors(y, n, dy, kk);
  const votes = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    votes.clear();
    let best = -1;
    let bestVotes = 0;
    for (let q = 0; q < kk; q++) {
      const c = labels[nb.indices[i * kk + q]!]!;
      votes.set(c, (votes.get(c) ?? 0) + 1);
    }
    // Iterating in distance order makes the first-reached class win ties.
    for (let q = 0; q < kk; q++) {
      const c = labels[nb.indices[i * kk + q]!]!;
      const v = votes.get(c)!;
      if (v > bestVotes) {
        bestVotes = v;
        best = c;
      }
    }
    if (best === labels[i]) correct++;
  }
  return correct / n;
}
