// Exact k-nearest-neighbour search (Euclidean) by brute force over all pairs, computed once
// and shared by t-SNE (affinities), UMAP (fuzzy graph) and the quality measures. Pure
// arithmetic on typed arrays; the async form yields to the event loop and can be cancelled.

import { ArgumentError } from '../../errors.js';
import { DEFAULT_YIELD_MS, Pacer, checkMatrix, drainAsync, drainSync, type EmbedProgressCallback, type FeatureMatrix } from './util.js';

/** The k nearest neighbours of every row, the row itself excluded, nearest first. */
export interface Neighbors {
  readonly n: number;
  readonly k: number;
  /** (n x k) neighbour indices, row-major. */
  readonly indices: Int32Array;
  /** (n x k) squared Euclidean distances, ascending within a row (ties: lower index first). */
  readonly sqDistances: Float64Array;
}

/** Options of {@link exactNeighborsAsync}. */
export interface NeighborsOptions {
  readonly signal?: AbortSignal;
  /** Called with stage 'neighbors', done = rows whose pairs are all computed. */
  readonly onProgress?: EmbedProgressCallback;
  /** Time between yields to the event loop, in ms. Default 40. */
  readonly yieldEveryMs?: number;
}

/** Checks a neighbour count k against n samples (1 <= k <= n - 1). */
export function checkK(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > n - 1) {
    throw new ArgumentError('BAD_ARGUMENT', `Number of neighbours k must be an integer in [1, n - 1] = [1, ${n - 1}], got ${k}.`, {
      details: { n, k },
    });
  }
}

/** Rows prepared for the distance kernel. */
export interface PreparedRows {
  readonly n: number;
  readonly d: number;
  /** The rows as given. */
  readonly data: FeatureMatrix;
  /** True when distances are computed as differences (exact; low d), else by dot products. */
  readonly exact: boolean;
  /** Centred float64 copies of the rows and their squared norms (dot-product form only). */
  readonly x: Float64Array;
  readonly norms: Float64Array;
}

/** Below this many columns distances are computed as differences (exact, and as fast). */
const DOT_MIN_DIMS = 8;

/**
 * Prepares rows for {@link distanceBlock}. For d >= 8 the rows are centred (distances do not
 * change; the dot-product form loses less precision) and their squared norms computed.
 */
export function prepareRows(data: FeatureMatrix, n: number, d: number): PreparedRows {
  if (d < DOT_MIN_DIMS) return { n, d, data, exact: true, x: new Float64Array(0), norms: new Float64Array(0) };
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t]! += data[i * d + t]!;
  for (let t = 0; t < d; t++) mean[t]! /= Math.max(1, n);
  const x = new Float64Array(n * d);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = data[i * d + t]! - mean[t]!;
      x[i * d + t] = v;
      s += v * v;
    }
    norms[i] = s;
  }
  return { n, d, data, exact: false, x, norms };
}

/**
 * Squared distances from the four rows i0..i0+3 (rows past n are skipped) to the rows
 * j0..j1-1, written to out[r * stride + j]. For d >= 8: |a|^2 + |b|^2 - 2 a.b (clamped at 0,
 * relative rounding ~1e-15 of the norms), four rows at a time sharing each load of row j;
 * below, exact differences.
 */
export function distanceBlock(p: PreparedRows, i0: number, j0: number, j1: number, out: Float64Array, stride: number): void {
  const { n, d, x, norms } = p;
  const rows = Math.min(4, n - i0);
  if (p.exact) {
    const data = p.data;
    for (let r = 0; r < rows; r++) {
      const oi = (i0 + r) * d;
      for (let j = j0; j < j1; j++) {
        const oj = j * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const diff = data[oi + t]! - data[oj + t]!;
          s += diff * diff;
        }
        out[r * stride + j] = s;
      }
    }
    return;
  }
  const o0 = i0 * d;
  if (rows === 4) {
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const n0 = norms[i0]!;
    const n1 = norms[i0 + 1]!;
    const n2 = norms[i0 + 2]!;
    const n3 = norms[i0 + 3]!;
    for (let j = j0; j < j1; j++) {
      const oj = j * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < d; t++) {
        const v = x[oj + t]!;
        s0 += x[o0 + t]! * v;
        s1 += x[o1 + t]! * v;
        s2 += x[o2 + t]! * v;
        s3 += x[o3 + t]! * v;
      }
      const nj = norms[j]!;
      out[j] = Math.max(0, n0 + nj - 2 * s0);
      out[stride + j] = Math.max(0, n1 + nj - 2 * s1);
      out[2 * stride + j] = Math.max(0, n2 + nj - 2 * s2);
      out[3 * stride + j] = Math.max(0, n3 + nj - 2 * s3);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const oi = o0 + r * d;
    const ni = norms[i0 + r]!;
    for (let j = j0; j < j1; j++) {
      const oj = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += x[oi + t]! * x[oj + t]!;
      out[r * stride + j] = Math.max(0, ni + norms[j]! - 2 * s);
    }
  }
}

/** Exact squared distance between rows i and j of the original data (difference form). */
export function exactSq(data: FeatureMatrix, d: number, i: number, j: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const diff = data[i * d + t]! - data[j * d + t]!;
    s += diff * diff;
  }
  return s;
}

/**
 * The search itself, as a generator that yields after each block of rows so callers decide when
 * to pause. Every pair (i, j > i) is computed once (dot-product kernel) and offered to both rows'
 * bounded max-heaps; the k survivors of each row are then re-measured exactly and sorted.
 */
function* neighborsWork(data: FeatureMatrix, n: number, d: number, k: number, progress?: (done: number) => void): Generator<void, Neighbors, void> {
  const heapD = new Float64Array(n * k).fill(Infinity);
  const heapI = new Int32Array(n * k).fill(-1);
  const size = new Int32Array(n);
  // Each row's current k-th distance (Infinity until the heap is full), kept apart from the heaps
  // so the rejection test below reads memory sequentially.
  const worst = new Float64Array(n).fill(Infinity);

  // Max-heap on (distance, index): the root is the current worst neighbour of the row.
  const worse = (da: number, ia: number, db: number, ib: number): boolean => da > db || (da === db && ia > ib);
  const offer = (row: number, dist: number, idx: number): void => {
    const base = row * k;
    let s = size[row]!;
    if (s === k) {
      if (!worse(heapD[base]!, heapI[base]!, dist, idx)) return;
      // Replace the root and sift down.
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        if (l >= k) break;
        let c = l;
        const r = l + 1;
        if (r < k && worse(heapD[base + r]!, heapI[base + r]!, heapD[base + l]!, heapI[base + l]!)) c = r;
        if (!worse(heapD[base + c]!, heapI[base + c]!, dist, idx)) break;
        heapD[base + p] = heapD[base + c]!;
        heapI[base + p] = heapI[base + c]!;
        p = c;
      }
      heapD[base + p] = dist;
      heapI[base + p] = idx;
      worst[row] = heapD[base]!;
      return;
    }
    // Append and sift up.
    let c = s++;
    size[row] = s;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (!worse(dist, idx, heapD[base + p]!, heapI[base + p]!)) break;
      heapD[base + c] = heapD[base + p]!;
      heapI[base + c] = heapI[base + p]!;
      c = p;
    }
    heapD[base + c] = dist;
    heapI[base + c] = idx;
    if (s === k) worst[row] = heapD[base]!;
  };

  const prepared = prepareRows(data, n, d);
  const block = new Float64Array(4 * n);
  for (let i0 = 0; i0 < n; i0 += 4) {
    distanceBlock(prepared, i0, i0 + 1, n, block, n);
    for (let r = 0; r < 4 && i0 + r < n; r++) {
      const i = i0 + r;
      const o = r * n;
      for (let j = i + 1; j < n; j++) {
        const s = block[o + j]!;
        // Cheap rejection before the heap calls: most pairs are worse than both rows' worst.
        if (s <= worst[i]!) offer(i, s, j);
        if (s <= worst[j]!) offer(j, s, i);
      }
    }
    progress?.(Math.min(n, i0 + 4));
    yield;
  }

  // Re-measure each row's survivors exactly and sort them by (distance, index).
  const order = Array.from({ length: k }, (_, t) => t);
  const tmpD = new Float64Array(k);
  const tmpI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let t = 0; t < k; t++) {
      heapD[base + t] = exactSq(data, d, i, heapI[base + t]!);
      order[t] = t;
    }
    order.sort((a, b) => heapD[base + a]! - heapD[base + b]! || heapI[base + a]! - heapI[base + b]!);
    for (let t = 0; t < k; t++) {
      tmpD[t] = heapD[base + order[t]!]!;
      tmpI[t] = heapI[base + order[t]!]!;
    }
    heapD.set(tmpD, base);
    heapI.set(tmpI, base);
  }
  return { n, k, indices: heapI, sqDistances: heapD };
}

/**
 * Exact k nearest neighbours of each of the n rows of `data` (n x d, row-major), excluding the
 * row itself. O(n^2 d) time, O(n k) memory. Candidates are selected with the dot-product form
 * for d >= 8 (so a near-tie at the k-th place, within ~1e-15 relative, may go either way); the
 * reported distances are exact. Synchronous: prefer {@link exactNeighborsAsync} in
 * interactive code.
 */
export function exactNeighbors(data: FeatureMatrix, n: number, d: number, k: number): Neighbors {
  checkMatrix('exactNeighbors', data, n, d);
  checkK(n, k);
  return drainSync(neighborsWork(data, n, d, k));
}

/** {@link exactNeighbors} that yields to the event loop about every `yieldEveryMs` and honours `signal`. */
export async function exactNeighborsAsync(data: FeatureMatrix, n: number, d: number, k: number, options: NeighborsOptions = {}): Promise<Neighbors> {
  const { signal, onProgress, yieldEveryMs = DEFAULT_YIELD_MS } = options;
  checkMatrix('exactNeighbors', data, n, d);
  checkK(n, k);
  let done = 0;
  const result = await drainAsync(
    neighborsWork(data, n, d, k, (r) => (done = r)),
    new Pacer(signal, yieldEveryMs),
    () => onProgress?.({ stage: 'neighbors', done, total: n }),
  );
  onProgress?.({ stage: 'neighbors', done: n, total: n });
  return result;
}

/** The first `k` neighbours of each row of a wider neighbour table (rows are sorted, so this is exact). */
export function truncateNeighbors(nb: Neighbors, k: number): Neighbors {
  if (k === nb.k) return nb;
  if (!Number.isInteger(k) || k < 1 || k > nb.k) {
    throw new ArgumentError('BAD_ARGUMENT', `Cannot take ${k} neighbours from a table of ${nb.k} per row.`);
  }
  const indices = new Int32Array(nb.n * k);
  const sqDistances = new Float64Array(nb.n * k);
  for (let i = 0; i < nb.n; i++) {
    indices.set(nb.indices.subarray(i * nb.k, i * nb.k + k), i * k);
    sqDistances.set(nb.sqDistances.subarray(i * nb.k, i * nb.k + k), i * k);
  }
  return { n: nb.n, k, indices, sqDistances };
}
