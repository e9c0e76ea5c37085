// UMAP (McInnes et al. 2018) to 2-D, seeded and cancellable, computed as umap-js 1.4 computes
// it (the same fuzzy graph, random initial layout, epoch schedule, negative sampling and random
// draws: with the same neighbours and seed the layout is umap-js's, number for number) but on
// typed arrays, several times faster and in O(n k) memory. We hand it exact neighbours (the row
// itself first, as umap-learn does) so one search can serve t-SNE, UMAP and the quality measures.
// Differences from umap-learn: a random initial layout (no spectral init) and umap-js's default
// number of epochs (500 up to 2,500 points, 400 to 5,000, 300 to 7,500, else 200).
import { findABParams } from 'umap-js/dist/umap.js';
import { fastPow } from './pow.js';
import { ArgumentError, throwIfAborted } from '../../errors.js';
import { createRng, type Rng } from '../../random.js';
import { exactNeighborsAsync, truncateNeighbors, type Neighbors } from './knn.js';
import { DEFAULT_YIELD_MS, Pacer, checkFinite, checkMatrix, checkNumber, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

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
  /**
   * Compute powers with Math.pow in umap-js's order, so that the layout equals umap-js's (same
   * neighbours, same seed) number for number; about 3x slower. Default false: a power function
   * accurate to 1e-12 (pow.ts), so the layout differs from umap-js's as another seed would.
   */
  readonly matchUmapJs?: boolean;
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

/** umap-js's tolerance of the bandwidth search and floor on the bandwidth (relative to the mean distance). */
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const NEGATIVE_SAMPLE_RATE = 5;
const CLIP = 4;

/** umap-js's default number of epochs for n points. */
export function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** umap-js `mean`: the left-to-right sum divided by the count. */
function meanOf(a: Float64Array, from: number, to: number): number {
  let s = a[from]!;
  for (let t = from + 1; t < to; t++) s += a[t]!;
  return s / (to - from);
}

/** The weighted edges of the fuzzy graph, row-major with columns ascending (umap-js `getAll` order). */
export interface FuzzyGraph {
  readonly n: number;
  /** Row (umap-js `tail`) and column (`head`) of each edge. */
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly weights: Float64Array;
}

/**
 * The fuzzy simplicial set of umap-js `fuzzySimplicialSet` (local connectivity 1, bandwidth 1,
 * set-op mix ratio 1) from a neighbour table with k entries per row, the row itself first at
 * distance 0: per-row rho and sigma, membership strengths, then w = a + b - a b over both
 * directions. Edges of weight 0 are left out.
 */
export function fuzzyGraph(n: number, k: number, indices: Int32Array, distances: Float64Array): FuzzyGraph {
  // 1. smoothKNNDistance (64 bisection steps).
  const target = Math.log(k) / Math.log(2);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let meanAll = NaN;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let nonZero = 0;
    let firstNonZero = 0;
    let maxNonZero = 0;
    for (let j = 0; j < k; j++) {
      const v = distances[o + j]!;
      if (v > 0) {
        if (nonZero === 0) firstNonZero = v;
        nonZero++;
        if (v > maxNonZero) maxNonZero = v;
      }
    }
    if (nonZero >= 1) rho[i] = firstNonZero;
    else if (nonZero > 0) rho[i] = maxNonZero;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let step = 0; step < 64; step++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const dd = distances[o + j]! - rho[i]!;
        psum += dd > 0 ? Math.exp(-(dd / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    sigma[i] = mid;
    if (rho[i]! > 0) {
      const m = meanOf(distances, o, o + k);
      if (sigma[i]! < MIN_K_DIST_SCALE * m) sigma[i] = MIN_K_DIST_SCALE * m;
    } else {
      if (Number.isNaN(meanAll)) {
        let s = 0;
        for (let r = 0; r < n; r++) s = r === 0 ? meanOf(distances, 0, k) : s + meanOf(distances, r * k, r * k + k);
        meanAll = s / n;
      }
      if (sigma[i]! < MIN_K_DIST_SCALE * meanAll) sigma[i] = MIN_K_DIST_SCALE * meanAll;
    }
  }
  // 2. Directed memberships as CSR over the union of both directions: a = w(i -> j), b = w(j -> i).
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      const j = indices[i * k + q]!;
      if (j === i) continue;
      counts[i + 1]!++;
      counts[j + 1]!++;
    }
  }
  for (let i = 0; i < n; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, n);
  const rawCols = new Int32Array(counts[n]!);
  const rawVals = new Float64Array(counts[n]!);
  const rawDir = new Uint8Array(counts[n]!);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      const j = indices[i * k + q]!;
      if (j === i) continue;
      const dd = distances[i * k + q]! - rho[i]!;
      const v = dd <= 0 ? 1 : Math.exp(-(dd / sigma[i]!));
      let s = fill[i]!++;
      rawCols[s] = j;
      rawVals[s] = v;
      rawDir[s] = 0;
      s = fill[j]!++;
      rawCols[s] = i;
      rawVals[s] = v;
      rawDir[s] = 1;
    }
  }
  // 3. Per row, merge the two directions (dense scratch) and emit columns in ascending order.
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  const rows: number[] = [];
  const cols: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let s = counts[i]!; s < counts[i + 1]!; s++) {
      const c = rawCols[s]!;
      if (seen[c] === 0) {
        seen[c] = 1;
        touched[m++] = c;
      }
      if (rawDir[s] === 0) a[c] = rawVals[s]!;
      else b[c] = rawVals[s]!;
    }
    const row = touched.subarray(0, m).sort();
    for (let t = 0; t < m; t++) {
      const c = row[t]!;
      const w = a[c]! + b[c]! - a[c]! * b[c]!;
      if (w !== 0) {
        rows.push(i);
        cols.push(c);
        weights.push(w);
      }
      a[c] = 0;
      b[c] = 0;
      seen[c] = 0;
    }
  }
  return { n, rows: Int32Array.from(rows), cols: Int32Array.from(cols), weights: Float64Array.from(weights) };
}

/**
 * umap-js's layout optimisation, stepped one epoch at a time: random initial layout in
 * [-10, 10)^2, edges below max / nEpochs dropped, each edge sampled in proportion to its weight
 * with 5 negative samples per positive one, learning rate falling linearly from 1.
 */
export class UmapLayout {
  readonly n: number;
  readonly nEpochs: number;
  /** Current coordinates (n x 2), float64 as in umap-js. */
  readonly embedding: Float64Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly epochsPerSample: Float64Array;
  private readonly epochOfNextSample: Float64Array;
  private readonly epochsPerNegativeSample: Float64Array;
  private readonly epochOfNextNegativeSample: Float64Array;
  private readonly a: number;
  private readonly b: number;
  private readonly rng: Rng;
  /** Draws of `rng.next()` taken in blocks (the same sequence, fewer calls in the hot loop). */
  private readonly draws = new Float64Array(4096);
  private drawAt = 4096;
  private readonly exact: boolean;
  private epochValue = 0;
  private alpha = 1;

  /**
   * `rng`: the only randomness (initial layout, then negative samples, in umap-js's order of
   * draws). `exactPowers`: Math.pow in umap-js's order, so the layout equals umap-js's given
   * `random: () => rng.next()`, number for number (about 3x slower); else fastPow.
   */
  constructor(graph: FuzzyGraph, options: { nEpochs: number; minDist: number; spread: number; rng: Rng; exactPowers?: boolean }) {
    const { nEpochs, minDist, spread, rng, exactPowers = false } = options;
    this.exact = exactPowers;
    const n = graph.n;
    this.n = n;
    this.nEpochs = nEpochs;
    this.rng = rng;
    let max = 0;
    for (const w of graph.weights) if (max < w) max = w;
    this.embedding = new Float64Array(2 * n);
    for (let t = 0; t < 2 * n; t++) this.embedding[t] = rng.next() * 20 + -10;
    const keep: number[] = [];
    for (let e = 0; e < graph.weights.length; e++) if (!(graph.weights[e]! < max / nEpochs)) keep.push(e);
    const m = keep.length;
    this.head = new Int32Array(m);
    this.tail = new Int32Array(m);
    this.epochsPerSample = new Float64Array(m).fill(-1);
    let wMax = 0;
    for (const e of keep) if (graph.weights[e]! > wMax) wMax = graph.weights[e]!;
    keep.forEach((e, t) => {
      this.head[t] = graph.cols[e]!;
      this.tail[t] = graph.rows[e]!;
      const nSamples = (graph.weights[e]! / wMax) * nEpochs;
      if (nSamples > 0) this.epochsPerSample[t] = nEpochs / nSamples;
    });
    this.epochOfNextSample = this.epochsPerSample.slice();
    this.epochsPerNegativeSample = this.epochsPerSample.map((v) => v / NEGATIVE_SAMPLE_RATE);
    this.epochOfNextNegativeSample = this.epochsPerNegativeSample.slice();
    const ab = findABParams(spread, minDist);
    this.a = ab.a;
    this.b = ab.b;
  }

  /** Epochs done. */
  get epoch(): number {
    return this.epochValue;
  }

  get done(): boolean {
    return this.epochValue >= this.nEpochs;
  }

  /** One epoch (umap-js `optimizeLayoutStep`); no-op once done. */
  step(): void {
    if (this.done) return;
    const n = this.epochValue;
    const { head, tail, embedding: y, epochsPerSample, epochOfNextSample, epochsPerNegativeSample, epochOfNextNegativeSample, a, b, draws } = this;
    let drawAt = this.drawAt;
    const alpha = this.alpha;
    const exact = this.exact;
    const nVertices = this.n;
    const m = head.length;
    for (let i = 0; i < m; i++) {
      if (epochOfNextSample[i]! > n) continue;
      const j = head[i]!;
      const k = tail[i]!;
      const cj = 2 * j;
      const ck = 2 * k;
      let dx = y[cj]! - y[ck]!;
      let dy = y[cj + 1]! - y[ck + 1]!;
      const distSquared = dx * dx + dy * dy;
      let gradCoeff = 0;
      if (distSquared > 0) {
        if (exact) {
          gradCoeff = -2 * a * b * Math.pow(distSquared, b - 1);
          gradCoeff /= a * Math.pow(distSquared, b) + 1;
        } else {
          const pb = fastPow(distSquared, b);
          gradCoeff = (-2 * a * b * (pb / distSquared)) / (a * pb + 1);
        }
      }
      // umap-js updates x (both points) before it computes y's difference.
      let g = clip(gradCoeff * dx);
      y[cj]! += g * alpha;
      y[ck]! += -g * alpha;
      dy = y[cj + 1]! - y[ck + 1]!;
      g = clip(gradCoeff * dy);
      y[cj + 1]! += g * alpha;
      y[ck + 1]! += -g * alpha;
      epochOfNextSample[i]! += epochsPerSample[i]!;
      const nNeg = Math.floor((n - epochOfNextNegativeSample[i]!) / epochsPerNegativeSample[i]!);
      for (let p = 0; p < nNeg; p++) {
        if (drawAt === draws.length) {
          for (let t = 0; t < draws.length; t++) draws[t] = this.rng.next();
          drawAt = 0;
        }
        const kk = Math.floor(draws[drawAt++]! * nVertices);
        const ok = 2 * kk;
        dx = y[cj]! - y[ok]!;
        dy = y[cj + 1]! - y[ok + 1]!;
        const d2 = dx * dx + dy * dy;
        let coeff = 0;
        if (d2 > 0) {
          coeff = 2 * 1 * b;
          coeff /= (0.001 + d2) * (a * (exact ? Math.pow(d2, b) : fastPow(d2, b)) + 1);
        } else if (j === kk) continue;
        let gx = 4;
        if (coeff > 0) gx = clip(coeff * dx);
        y[cj]! += gx * alpha;
        let gy = 4;
        if (coeff > 0) gy = clip(coeff * (y[cj + 1]! - y[ok + 1]!));
        y[cj + 1]! += gy * alpha;
      }
      epochOfNextNegativeSample[i]! += nNeg * epochsPerNegativeSample[i]!;
    }
    this.drawAt = drawAt;
    this.alpha = 1 * (1 - n / this.nEpochs);
    this.epochValue = n + 1;
  }
}

function clip(x: number): number {
  return x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
}

/**
 * Checks UMAP's options and sample count (ArgumentError), as `umap` does before its neighbour
 * search: callers that find the neighbours themselves call it first, so that a bad option
 * fails at once and not after the search.
 */
export function checkUmapOptions(n: number, options: Pick<UmapOptions, 'nNeighbors' | 'minDist' | 'spread' | 'nEpochs' | 'seed'>): void {
  const { nNeighbors = 15, minDist = 0.1, spread = 1, seed = 0 } = options;
  if (n < UMAP_MIN_SAMPLES) {
    throw new ArgumentError('BAD_ARGUMENT', `UMAP needs at least ${UMAP_MIN_SAMPLES} samples, got ${n}.`, { hint: 'Embed more samples, or use PCA.' });
  }
  checkNumber('nNeighbors', nNeighbors, 2, Infinity, true);
  checkNumber('minDist', minDist, 0);
  checkNumber('spread', spread, Number.MIN_VALUE);
  if (minDist > spread) throw new ArgumentError('BAD_ARGUMENT', `minDist (${minDist}) must not exceed spread (${spread}).`);
  if (options.nEpochs !== undefined) checkNumber('nEpochs', options.nEpochs, 1, 1e6, true);
  checkNumber('seed', seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
}

/**
 * UMAP of `features` (n x d, row-major) to 2-D. Deterministic for a given seed. The neighbour
 * search and the epochs yield to the event loop; `signal` cancels with CancelledError. (umap-js
 * builds its fuzzy graph synchronously: for 20k points that takes seconds without a yield.)
 */
export async function umap(features: FeatureMatrix, n: number, d: number, options: UmapOptions = {}): Promise<UmapResult> {
  const { nNeighbors = 15, minDist = 0.1, spread = 1, seed = 0, signal, onProgress, neighbors, yieldEveryMs = DEFAULT_YIELD_MS } = options;
  checkMatrix('umap', features, n, d);
  checkUmapOptions(n, options);
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
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    indices[i * k] = i;
    for (let q = 0; q < others; q++) {
      indices[i * k + 1 + q] = nb.indices[i * others + q]!;
      distances[i * k + 1 + q] = Math.sqrt(nb.sqDistances[i * others + q]!);
    }
  }

  // 2. Fuzzy graph and layout.
  const rng = createRng(seed);
  const nEpochs = options.nEpochs ?? defaultEpochs(n);
  const layout = new UmapLayout(fuzzyGraph(n, k, indices, distances), { nEpochs, minDist, spread, rng, exactPowers: options.matchUmapJs ?? false });
  throwIfAborted(signal);

  // 3. Epochs, yielding to the event loop about every yieldEveryMs.
  const pacer = new Pacer(signal, yieldEveryMs);
  while (!layout.done) {
    layout.step();
    if (pacer.due()) {
      onProgress?.({ stage: 'optimize', done: layout.epoch, total: nEpochs, coordinates: Float32Array.from(layout.embedding) });
      await pacer.pause();
    }
  }
  throwIfAborted(signal);
  const embedding = Float32Array.from(layout.embedding);
  onProgress?.({ stage: 'optimize', done: nEpochs, total: nEpochs, coordinates: embedding });
  return { n, embedding, options: { nNeighbors, nNeighborsUsed: k, minDist, spread, nEpochs, seed } };
}
