// Barnes-Hut t-SNE (van der Maaten 2014) written to scikit-learn's algorithm and defaults
// (sklearn.manifold.TSNE, method='barnes_hut'), in plain typed-array arithmetic. It can be
// stepped (class Tsne, for animation) or run to the end (tsne(), yielding and cancellable).
//
// Same as scikit-learn: exact kNN with k = min(n - 1, floor(3 * perplexity + 1)); per-point
// binary search of the Gaussian precision to the perplexity (100 steps, tolerance 1e-5 in
// entropy); P = (P_cond + P_cond^T) / sum; early exaggeration 12 for 250 iterations with
// momentum 0.5, then momentum 0.8; learning rate 'auto' = max(n / exaggeration / 4, 50); gains
// (+0.2 / x0.8, min 0.01); theta 0.5; convergence checks every 50 iterations (no progress for
// 300 iterations, or gradient norm <= 1e-7); PCA initialisation scaled so PC1 has std 1e-4.
// Differences: float64 throughout (scikit-learn's gradient is float32); the perplexity search
// shifts distances by the row minimum (the same P, without underflow on large distances);
// PCA signs follow pca.ts (a reflection of scikit-learn's); perplexity is clamped to
// (n - 1) / 3 instead of refused; the random initialisation uses our seeded generator.
// The gradient itself (tree, forces, workspace) is barnes-hut.ts.

import { ArgumentError, throwIfAborted } from '../../errors.js';
import { createRng } from '../../random.js';
import { exactNeighbors, exactNeighborsAsync, truncateNeighbors, type Neighbors } from './knn.js';
import { pca } from './pca.js';
import { barnesHutGradient, BarnesHutWorkspace, type SparseSymmetric, type TsneGradient, type TsneGradientRunner } from './barnes-hut.js';
import { DEFAULT_YIELD_MS, Pacer, checkFinite, checkMatrix, checkNumber, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

export type { SparseSymmetric, TsneGradient, TsneGradientRunner } from './barnes-hut.js';

/** Iterations between convergence checks (scikit-learn's _N_ITER_CHECK). */
const N_ITER_CHECK = 50;
/** Iterations without improvement that end the main phase (scikit-learn's n_iter_without_progress). */
const N_ITER_WITHOUT_PROGRESS = 300;
const MIN_GRAD_NORM = 1e-7;
const MIN_GAIN = 0.01;
/** Smallest number of samples t-SNE accepts (perplexity (n - 1) / 3 >= 1). */
export const TSNE_MIN_SAMPLES = 4;

/** Options of {@link Tsne}. */
export interface TsneOptions {
  /** Effective number of neighbours. Default 30; clamped to (n - 1) / 3 for small n (see `perplexityUsed`). */
  readonly perplexity?: number;
  /** Factor on P during the first phase. Default 12. */
  readonly earlyExaggeration?: number;
  /** Iterations of the exaggerated first phase (momentum 0.5). Default 250; at most nIterations. */
  readonly earlyExaggerationIterations?: number;
  /** Step size, or 'auto' = max(n / earlyExaggeration / 4, 50). Default 'auto'. */
  readonly learningRate?: number | 'auto';
  /** Total iterations, both phases. Default 1000. */
  readonly nIterations?: number;
  /** Barnes-Hut accuracy/speed trade-off (angle), 0 = exact repulsion. Default 0.5. */
  readonly theta?: number;
  /**
   * Initial coordinates: 'pca' (deterministic: the first two principal components scaled so the
   * first has standard deviation 1e-4), 'random' (N(0, 1e-4^2), from `seed`), or an explicit
   * (n x 2) array. Default 'pca' ('random' is used when the features have no two principal axes:
   * d = 1 or all rows equal).
   */
  readonly init?: 'pca' | 'random' | Float32Array | Float64Array;
  /** Seed of the random initialisation (the only randomness). Default 0. */
  readonly seed?: number;
}

/** What {@link Tsne} settled on for a dataset. */
export interface TsneResolved {
  readonly perplexity: number;
  readonly perplexityUsed: number;
  readonly nNeighbors: number;
  readonly earlyExaggeration: number;
  readonly earlyExaggerationIterations: number;
  readonly learningRate: number;
  readonly nIterations: number;
  readonly theta: number;
  readonly init: 'pca' | 'random' | 'given';
  readonly seed: number;
}

/** Perplexity actually used for n samples: min(perplexity, (n - 1) / 3). */
export function clampPerplexity(perplexity: number, n: number): number {
  return Math.min(perplexity, (n - 1) / 3);
}

/** Neighbours t-SNE needs for a perplexity: min(n - 1, floor(3 * perplexity + 1)). */
export function tsneNeighborCount(perplexityUsed: number, n: number): number {
  return Math.min(n - 1, Math.floor(3 * perplexityUsed + 1));
}

/**
 * Conditional probabilities p(j | i) over each row's k neighbours, with the Gaussian precision
 * found by binary search so that the row's entropy is log(perplexity) (scikit-learn's
 * _binary_search_perplexity). Returns (n x k) row-major.
 */
export function conditionalProbabilities(nb: Neighbors, perplexity: number): Float64Array {
  const { n, k, sqDistances } = nb;
  const p = new Float64Array(n * k);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const d0 = sqDistances[o]!; // row minimum (rows are sorted)
    let beta = 1;
    let betaMin = -Infinity;
    let betaMax = Infinity;
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      for (let q = 0; q < k; q++) {
        const v = Math.exp(-(sqDistances[o + q]! - d0) * beta);
        p[o + q] = v;
        sum += v;
      }
      let sumDP = 0;
      for (let q = 0; q < k; q++) {
        p[o + q]! /= sum;
        sumDP += (sqDistances[o + q]! - d0) * p[o + q]!;
      }
      const diff = Math.log(sum) + beta * sumDP - target;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
  }
  return p;
}


/** Joint probabilities P = (C + C^T) / sum(C + C^T) from conditional ones C on the kNN graph. */
export function jointProbabilities(nb: Neighbors, cond: Float64Array): SparseSymmetric {
  const { n, k, indices } = nb;
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      counts[i + 1]!++;
      counts[indices[i * k + q]! + 1]!++;
    }
  }
  for (let i = 0; i < n; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, n);
  const rawCols = new Int32Array(counts[n]!);
  const rawVals = new Float64Array(counts[n]!);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      const j = indices[i * k + q]!;
      const v = cond[i * k + q]!;
      let s = fill[i]!++;
      rawCols[s] = j;
      rawVals[s] = v;
      s = fill[j]!++;
      rawCols[s] = i;
      rawVals[s] = v;
    }
  }
  // Per row: merge duplicate columns (pairs that are neighbours both ways) through a dense
  // accumulator, then emit the columns in ascending order.
  const rowPtr = new Int32Array(n + 1);
  const cols = new Int32Array(rawCols.length);
  const values = new Float64Array(rawCols.length);
  const acc = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  let nnz = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let s = counts[i]!; s < counts[i + 1]!; s++) {
      const c = rawCols[s]!;
      if (seen[c] === 0) {
        seen[c] = 1;
        touched[m++] = c;
      }
      acc[c]! += rawVals[s]!;
      total += rawVals[s]!;
    }
    const row = touched.subarray(0, m).sort();
    for (let t = 0; t < m; t++) {
      const c = row[t]!;
      cols[nnz] = c;
      values[nnz++] = acc[c]!;
      acc[c] = 0;
      seen[c] = 0;
    }
    rowPtr[i + 1] = nnz;
  }
  const scale = 1 / Math.max(total, Number.EPSILON);
  for (let s = 0; s < nnz; s++) values[s]! *= scale;
  return { n, rowPtr, cols: cols.slice(0, nnz), values: values.slice(0, nnz) };
}

/**
 * A t-SNE run that can be stepped, in the style of umap-js: `initialize` (or
 * `initializeWithNeighbors` to reuse a neighbour search), then `step()` until `done`; read
 * `embedding` at any time. `tsne()` drives it asynchronously.
 */
export class Tsne {
  private readonly options: TsneOptions;
  private n = 0;
  private resolvedOptions: TsneResolved | null = null;
  private p: SparseSymmetric | null = null;
  private pos: Float64Array = new Float64Array(0);
  private update: Float64Array = new Float64Array(0);
  private gains: Float64Array = new Float64Array(0);
  private grad: Float64Array = new Float64Array(0);
  private readonly workspace = new BarnesHutWorkspace();
  private readonly injected: TsneGradient | null;
  private iter = 0;
  private phase: 1 | 2 = 1;
  private phaseEnd = 0;
  private momentum = 0.5;
  private exaggeration = 1;
  private bestError = Infinity;
  private bestIter = 0;
  private withoutProgress = 0;
  private finished = false;
  private lastKl = NaN;

  /**
   * `gradient` replaces the in-thread Barnes-Hut gradient (same contract, same results), e.g.
   * a parallel one from src/node/tsne-parallel.ts.
   */
  constructor(options: TsneOptions = {}, gradient: TsneGradient | null = null) {
    this.injected = gradient;
    checkOptionValues(options);
    this.options = options;
  }

  /** Neighbour search + affinities + initialisation, synchronously (O(n^2 d) for the search). */
  initialize(features: FeatureMatrix, n: number, d: number): void {
    this.checkFeatures(features, n, d);
    const perp = clampPerplexity(this.options.perplexity ?? 30, n);
    this.setup(features, n, d, exactNeighbors(features, n, d, tsneNeighborCount(perp, n)));
  }

  /**
   * As `initialize`, reusing neighbours found earlier for these features (at least
   * min(n - 1, floor(3 * perplexityUsed + 1)) per row; extra ones are ignored).
   */
  initializeWithNeighbors(features: FeatureMatrix, n: number, d: number, neighbors: Neighbors): void {
    this.checkFeatures(features, n, d);
    this.setup(features, n, d, neighbors);
  }

  private checkFeatures(features: FeatureMatrix, n: number, d: number): void {
    checkMatrix('tsne', features, n, d);
    if (n < TSNE_MIN_SAMPLES) {
      throw new ArgumentError('BAD_ARGUMENT', `t-SNE needs at least ${TSNE_MIN_SAMPLES} samples, got ${n}.`, { hint: 'Embed more samples, or use PCA.' });
    }
    checkFinite('tsne features', features, d);
  }

  private setup(features: FeatureMatrix, n: number, d: number, neighbors: Neighbors): void {
    const o = this.options;
    const perplexity = o.perplexity ?? 30;
    const perplexityUsed = clampPerplexity(perplexity, n);
    const k = tsneNeighborCount(perplexityUsed, n);
    if (neighbors.n !== n || neighbors.k < k) {
      throw new ArgumentError('BAD_ARGUMENT', `t-SNE needs ${k} neighbours for each of ${n} points, the table given has ${neighbors.k} for ${neighbors.n}.`);
    }
    const nb = truncateNeighbors(neighbors, k);
    const earlyExaggeration = o.earlyExaggeration ?? 12;
    const lr = o.learningRate ?? 'auto';
    const learningRate = lr === 'auto' ? Math.max(n / earlyExaggeration / 4, 50) : lr;
    const nIterations = o.nIterations ?? 1000;
    const init = o.init ?? 'pca';
    const seed = o.seed ?? 0;
    this.n = n;
    this.p = jointProbabilities(nb, conditionalProbabilities(nb, perplexityUsed));
    this.pos = initialPositions(features, n, d, init, seed);
    this.update = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.grad = new Float64Array(2 * n);
    this.resolvedOptions = {
      perplexity,
      perplexityUsed,
      nNeighbors: k,
      earlyExaggeration,
      earlyExaggerationIterations: o.earlyExaggerationIterations ?? 250,
      learningRate,
      nIterations,
      theta: o.theta ?? 0.5,
      init: typeof init === 'string' ? init : 'given',
      seed,
    };
    this.iter = 0;
    this.finished = false;
    this.lastKl = NaN;
    this.startPhase(true);
  }

  /** Starts the exaggerated phase (first = true) or the main one; skips an empty first phase. */
  private startPhase(first: boolean): void {
    const r = this.resolvedOptions!;
    if (first && r.earlyExaggerationIterations > 0) {
      this.phase = 1;
      this.phaseEnd = r.earlyExaggerationIterations;
      this.momentum = 0.5;
      this.exaggeration = r.earlyExaggeration;
      this.withoutProgress = r.earlyExaggerationIterations; // scikit-learn's first-phase setting
    } else {
      this.phase = 2;
      this.phaseEnd = r.nIterations;
      this.momentum = 0.8;
      this.exaggeration = 1;
      this.withoutProgress = N_ITER_WITHOUT_PROGRESS;
      if (this.iter >= r.nIterations) this.finished = true;
    }
    this.bestError = Infinity;
    this.bestIter = this.iter;
  }

  /** Options resolved for the current data (after `initialize`). */
  get resolved(): TsneResolved {
    if (this.resolvedOptions === null) throw new ArgumentError('BAD_ARGUMENT', 'Tsne: call initialize() first.');
    return this.resolvedOptions;
  }

  /** Iterations done so far. */
  get iteration(): number {
    return this.iter;
  }

  /** True once all iterations are done or the optimisation has converged. */
  get done(): boolean {
    return this.finished;
  }

  /** KL divergence at the last iteration where it was computed (every 50 and at phase ends); NaN before. */
  get kl(): number {
    return this.lastKl;
  }

  /** The joint probabilities P (after `initialize`), e.g. to prepare an injected gradient. */
  get affinities(): SparseSymmetric {
    if (this.p === null) throw new ArgumentError('BAD_ARGUMENT', 'Tsne: call initialize() first.');
    return this.p;
  }

  /** A copy of the current coordinates, (n x 2) row-major. */
  get embedding(): Float32Array {
    return Float32Array.from(this.pos);
  }

  /** One gradient-descent iteration; returns the number of iterations done. No-op once done. */
  step(): number {
    if (this.p === null) throw new ArgumentError('BAD_ARGUMENT', 'Tsne: call initialize() before step().');
    if (this.finished) return this.iter;
    const r = this.resolvedOptions!;
    const i = this.iter;
    const check = (i + 1) % N_ITER_CHECK === 0;
    const computeError = check || i === this.phaseEnd - 1;
    const error = this.gradient(computeError);
    const { pos, update, gains, grad } = this;
    const lr = r.learningRate;
    const mom = this.momentum;
    let gradNormSq = 0;
    for (let t = 0; t < 2 * this.n; t++) {
      let g = grad[t]!;
      let gain = gains[t]!;
      gain = update[t]! * g < 0 ? gain + 0.2 : gain * 0.8;
      if (gain < MIN_GAIN) gain = MIN_GAIN;
      gains[t] = gain;
      g *= gain;
      gradNormSq += g * g;
      const u = mom * update[t]! - lr * g;
      update[t] = u;
      pos[t]! += u;
    }
    this.iter = i + 1;
    if (computeError) this.lastKl = error;
    let stop = false;
    if (check) {
      if (error < this.bestError) {
        this.bestError = error;
        this.bestIter = i;
      } else if (i - this.bestIter > this.withoutProgress) stop = true;
      if (Math.sqrt(gradNormSq) <= MIN_GRAD_NORM) stop = true;
    }
    if (stop || this.iter >= this.phaseEnd) {
      if (this.phase === 1) this.startPhase(false);
      else this.finished = true;
    }
    return this.iter;
  }

  private gradient(computeError: boolean): number {
    const r = this.resolvedOptions!;
    if (this.injected !== null) return this.injected(this.p!, this.pos, r.theta, this.exaggeration, this.grad, computeError);
    return barnesHutGradient(this.p!, this.pos, r.theta, this.exaggeration, this.grad, computeError, this.workspace);
  }
}

/** Initial coordinates (n x 2) for an init option. */
function initialPositions(features: FeatureMatrix, n: number, d: number, init: NonNullable<TsneOptions['init']>, seed: number): Float64Array {
  if (typeof init !== 'string') {
    if (init.length !== 2 * n) {
      throw new ArgumentError('SHAPE_MISMATCH', `t-SNE init has ${init.length} values; expected n x 2 = ${2 * n}.`);
    }
    checkFinite('tsne init', init, 2);
    return Float64Array.from(init);
  }
  const pos = new Float64Array(2 * n);
  if (init === 'pca' && d >= 2) {
    const proj = pca(features, n, d, { nComponents: 2 }).projection;
    let m = 0;
    for (let i = 0; i < n; i++) m += proj[2 * i]! / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (proj[2 * i]! - m) ** 2 / n;
    const sd = Math.sqrt(v);
    // Constant features have no principal axis; fall through to the random start.
    if (sd > 0) {
      for (let t = 0; t < 2 * n; t++) pos[t] = (proj[t]! / sd) * 1e-4;
      return pos;
    }
  } else if (init !== 'pca' && init !== 'random') {
    throw new ArgumentError('BAD_ARGUMENT', `t-SNE init must be 'pca', 'random' or an (n x 2) array, got '${String(init)}'.`);
  }
  const rng = createRng(seed);
  for (let t = 0; t < 2 * n; t++) pos[t] = 1e-4 * rng.normal();
  return pos;
}

/** Options of {@link tsne}: the algorithm's plus run control. */
export interface TsneRunOptions extends TsneOptions {
  readonly signal?: AbortSignal;
  /** Progress: stage 'neighbors' then 'optimize' (with a copy of the coordinates). */
  readonly onProgress?: EmbedProgressCallback;
  /** Neighbours found earlier for these features (see `Tsne.initializeWithNeighbors`). */
  readonly neighbors?: Neighbors;
  /** Time between yields to the event loop, in ms. Default 40. */
  readonly yieldEveryMs?: number;
  /**
   * Computes the gradient elsewhere (same results), e.g. on worker threads:
   * src/node/tsne-parallel.ts. `tsne()` prepares it and closes it at the end. Default: in this thread.
   */
  readonly gradient?: TsneGradientRunner;
}

/** Result of {@link tsne}. */
export interface TsneResult {
  readonly n: number;
  /** (n x 2) coordinates, row-major. */
  readonly embedding: Float32Array;
  /** KL divergence of the final iteration. */
  readonly kl: number;
  /** Iterations run (fewer than nIterations when converged early). */
  readonly iterations: number;
  readonly perplexityUsed: number;
  readonly options: TsneResolved;
}

/**
 * Checks t-SNE's options and sample count (ArgumentError), as `tsne` does before its neighbour
 * search: callers that find the neighbours themselves call it first.
 */
export function checkTsneOptions(n: number, options: TsneOptions): void {
  checkOptionValues(options);
  checkTsneSamples(n);
}

/** Each option within its range (the Tsne constructor's check). */
function checkOptionValues(options: TsneOptions): void {
  const { perplexity = 30, earlyExaggeration = 12, earlyExaggerationIterations = 250, learningRate = 'auto', nIterations = 1000, theta = 0.5, seed = 0 } = options;
  checkNumber('perplexity', perplexity, 1);
  checkNumber('earlyExaggeration', earlyExaggeration, 1);
  checkNumber('nIterations', nIterations, 1, 1e7, true);
  checkNumber('earlyExaggerationIterations', earlyExaggerationIterations, 0, nIterations, true);
  if (learningRate !== 'auto') checkNumber('learningRate', learningRate, Number.MIN_VALUE);
  checkNumber('theta', theta, 0, 1.5);
  checkNumber('seed', seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
}

function checkTsneSamples(n: number): void {
  if (n < TSNE_MIN_SAMPLES) {
    throw new ArgumentError('BAD_ARGUMENT', `t-SNE needs at least ${TSNE_MIN_SAMPLES} samples, got ${n}.`, { hint: 'Embed more samples, or use PCA.' });
  }
}

/**
 * t-SNE of `features` (n x d, row-major) to 2-D, asynchronously: the neighbour search and the
 * iterations yield to the event loop about every `yieldEveryMs`, and `signal` cancels with
 * CancelledError. Deterministic for a given input and options (PCA init uses no randomness;
 * 'random' init draws from `seed`).
 */
export async function tsne(features: FeatureMatrix, n: number, d: number, options: TsneRunOptions = {}): Promise<TsneResult> {
  const { signal, onProgress, neighbors, yieldEveryMs = DEFAULT_YIELD_MS } = options;
  const runner = options.gradient;
  const t = new Tsne(options, runner?.gradient ?? null); // checks the options before the neighbour search
  checkMatrix('tsne', features, n, d);
  checkTsneSamples(n);
  throwIfAborted(signal);
  const perp = clampPerplexity(options.perplexity ?? 30, n);
  const nb =
    neighbors ??
    (await exactNeighborsAsync(features, n, d, tsneNeighborCount(perp, n), {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      yieldEveryMs,
    }));
  const pacer = new Pacer(signal, yieldEveryMs);
  t.initializeWithNeighbors(features, n, d, nb);
  const total = t.resolved.nIterations;
  try {
    await runner?.prepare(t.affinities);
    while (!t.done) {
      t.step();
      if (pacer.due()) {
        onProgress?.({ stage: 'optimize', done: t.iteration, total, coordinates: t.embedding });
        await pacer.pause();
      }
    }
  } finally {
    await runner?.close();
  }
  throwIfAborted(signal);
  const embedding = t.embedding;
  onProgress?.({ stage: 'optimize', done: t.iteration, total, coordinates: embedding });
  return { n, embedding, kl: t.kl, iterations: t.iteration, perplexityUsed: t.resolved.perplexityUsed, options: t.resolved };
}
