// Node-only: the distance work of the embeddings on onnxruntime-node. Squared distances from a
// block of rows to all rows come from one GEMM (onnxruntime's MLAS kernels on every core) and,
// for neighbour search, a TopK; every candidate is then re-measured exactly in float64 and a row
// whose float32 ranking cannot be trusted is recomputed exactly. Results equal knn.ts/quality.ts.

import * as ort from 'onnxruntime-node';
import { ArgumentError } from '../errors.js';
import { DataType, type NodeProto } from '../engine/onnx/proto.js';
import { encodeGraph } from '../engine/onnx/export.js';
import { checkK, exactNeighbors, exactSq, type Neighbors } from '../methods/embed/knn.js';
import { checkTrustK, embeddedDims } from '../methods/embed/quality.js';
import { checkMatrix, checkFinite, DEFAULT_YIELD_MS, Pacer, type FeatureMatrix, type EmbedProgressCallback } from '../methods/embed/util.js';
import { DEFAULT_MEMORY_BUDGET } from '../methods/budget.js';

/** Options of {@link OnnxDistances}. */
export interface OnnxDistancesOptions {
  /** Intra-op threads of onnxruntime. Default 2. */
  readonly threads?: number;
  /**
   * Bytes the distance blocks may take (each block is rows x n float32, held about three times:
   * GEMM output, distances, onnxruntime's copy). Default 512 MiB (budget.ts).
   */
  readonly memoryBudget?: number;
}

/** Run control shared by the searches. */
export interface OnnxRunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: EmbedProgressCallback;
  /** Least time between progress reports and yields, in ms. Default 40. */
  readonly yieldEveryMs?: number;
}

/** Extra candidates beyond k taken from TopK, so that float32 near-ties rarely force a recount. */
const EXTRA_CANDIDATES = 8;
/** float32 unit roundoff. */
const U32 = 2 ** -24;

/**
 * Bound on |float32 distance - exact distance| for a row of norm `a` against rows of norm at
 * most `m` in d dimensions: the dot-product form |a|^2 + |b|^2 - 2 a.b summed in any order errs
 * by at most ~(d + 2) u (|a| + |b|)^2 (Higham, inner products); doubled for the float32 rounding
 * of the centred inputs and norms.
 */
function errorBound(d: number, a: number, m: number): number {
  return 2 * (d + 4) * U32 * (a + m) * (a + m);
}

interface Prepared {
  /** Centred rows as float32, n x d. */
  readonly x: Float32Array;
  /** Squared norms of the centred float32 rows (float32). */
  readonly norms: Float32Array;
  /** Norms (not squared) in float64, for error bounds. */
  readonly lengths: Float64Array;
  readonly maxLength: number;
}

function prepare(data: FeatureMatrix, n: number, d: number): Prepared {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t]! += data[i * d + t]!;
  for (let t = 0; t < d; t++) mean[t]! /= Math.max(1, n);
  const x = new Float32Array(n * d);
  const norms = new Float32Array(n);
  const lengths = new Float64Array(n);
  let maxLength = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = Math.fround(data[i * d + t]! - mean[t]!);
      x[i * d + t] = v;
      s += v * v;
    }
    norms[i] = s;
    lengths[i] = Math.sqrt(s);
    if (lengths[i]! > maxLength) maxLength = lengths[i]!;
  }
  return { x, norms, lengths, maxLength };
}

/**
 * The ONNX model for A (rows x d) against B (n x d): distances D = |a|^2 + |b|^2 - 2 A B^T, or
 * (topK) the k smallest of |b|^2 - 2 A B^T per row (the same order; |a|^2 is added afterwards).
 */
function distanceModel(topK: boolean): Uint8Array {
  const nodes: NodeProto[] = [
    { opType: 'Gemm', inputs: ['a', 'b', 'nb'], outputs: topK ? ['g'] : ['g0'], attributes: [{ name: 'alpha', type: 'float', f: -2 }, { name: 'transB', type: 'int', i: 1 }] },
  ];
  if (!topK) nodes.push({ opType: 'Add', inputs: ['g0', 'na'], outputs: ['d'] });
  else {
    nodes.push({
      opType: 'TopK',
      inputs: ['g', 'k'],
      outputs: ['values', 'indices'],
      attributes: [{ name: 'largest', type: 'int', i: 0 }, { name: 'sorted', type: 'int', i: 1 }, { name: 'axis', type: 'int', i: 1 }],
    });
  }
  return encodeGraph({
    name: topK ? 'knn' : 'distances',
    nodes,
    initializers: [],
    inputs: [
      { name: 'a', elemType: DataType.FLOAT, shape: ['rows', 'd'] },
      { name: 'b', elemType: DataType.FLOAT, shape: ['n', 'd'] },
      { name: 'nb', elemType: DataType.FLOAT, shape: [1, 'n'] },
      ...(topK ? [{ name: 'k', elemType: DataType.INT64, shape: [1] }] : [{ name: 'na', elemType: DataType.FLOAT, shape: ['rows', 1] }]),
    ],
    outputs: topK
      ? [{ name: 'values', elemType: DataType.FLOAT }, { name: 'indices', elemType: DataType.INT64 }]
      : [{ name: 'd', elemType: DataType.FLOAT }],
  });
}

/**
 * Exact neighbour search and trustworthiness over onnxruntime. Create once, use for many
 * searches, `release()` when done. Both methods return exactly what the plain versions
 * (knn.ts `exactNeighbors`, quality.ts `trustworthiness`) return.
 */
export class OnnxDistances {
  private readonly threads: number;
  private readonly budget: number;
  private knnSession: Promise<ort.InferenceSession> | null = null;
  private distSession: Promise<ort.InferenceSession> | null = null;
  /** Rows recomputed exactly because float32 could not settle them (for tests and benchmarks). */
  recounted = 0;

  constructor(options: OnnxDistancesOptions = {}) {
    const { threads = 2, memoryBudget = DEFAULT_MEMORY_BUDGET } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError('BAD_ARGUMENT', `threads must be a positive integer, got ${threads}.`);
    if (!(memoryBudget > 0)) throw new ArgumentError('BAD_ARGUMENT', `memoryBudget must be a positive number of bytes, got ${memoryBudget}.`);
    this.threads = threads;
    this.budget = memoryBudget;
  }

  private session(topK: boolean): Promise<ort.InferenceSession> {
    const create = (): Promise<ort.InferenceSession> =>
      ort.InferenceSession.create(distanceModel(topK), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 4,
      });
    if (topK) return (this.knnSession ??= create());
    return (this.distSession ??= create());
  }

  /** Rows per block so that a block's distances (x3) fit the budget; at least 16. */
  private blockRows(n: number): number {
    return Math.max(16, Math.min(4096, Math.floor(this.budget / (3 * 4 * Math.max(1, n)))));
  }

  /** Feeds shared by every block of one dataset. */
  private static baseFeeds(p: Prepared, n: number, d: number): Record<string, ort.Tensor> {
    return { b: new ort.Tensor('float32', p.x, [n, d]), nb: new ort.Tensor('float32', p.norms, [1, n]) };
  }

  private static blockFeeds(p: Prepared, d: number, i0: number, i1: number, withNorms: boolean): Record<string, ort.Tensor> {
    const a = new ort.Tensor('float32', p.x.subarray(i0 * d, i1 * d), [i1 - i0, d]);
    return withNorms ? { a, na: new ort.Tensor('float32', p.norms.subarray(i0, i1), [i1 - i0, 1]) } : { a };
  }

  /**
   * The k nearest neighbours of every row (self excluded), nearest first, ties by index: the
   * same table as knn.ts `exactNeighbors`.
   */
  async neighbors(data: FeatureMatrix, n: number, d: number, k: number, options: OnnxRunOptions = {}): Promise<Neighbors> {
    const { signal, onProgress, yieldEveryMs = DEFAULT_YIELD_MS } = options;
    checkMatrix('exactNeighbors', data, n, d);
    checkK(n, k);
    checkFinite('exactNeighbors', data, d);
    const pacer = new Pacer(signal, yieldEveryMs);
    const p = prepare(data, n, d);
    const session = await this.session(true);
    const take = Math.min(n, k + 1 + EXTRA_CANDIDATES);
    const base = { ...OnnxDistances.baseFeeds(p, n, d), k: new ort.Tensor('int64', BigInt64Array.from([BigInt(take)]), [1]) };
    const indices = new Int32Array(n * k);
    const sqDistances = new Float64Array(n * k);
    const candI = new Int32Array(take);
    const candD = new Float64Array(take);
    const rows = this.blockRows(n);
    for (let i0 = 0; i0 < n; i0 += rows) {
      const i1 = Math.min(n, i0 + rows);
      const out = await session.run({ ...base, ...OnnxDistances.blockFeeds(p, d, i0, i1, false) });
      const values = out['values']!.data as Float32Array;
      const idx = out['indices']!.data as BigInt64Array;
      for (let i = i0; i < i1; i++) {
        const o = (i - i0) * take;
        // Insertion sort by (exact distance, index): TopK's float32 order is nearly right already.
        let m = 0;
        for (let q = 0; q < take; q++) {
          const j = Number(idx[o + q]!);
          if (j === i) continue;
          const dj = exactSq(data, d, i, j);
          let s = m++;
          while (s > 0 && (candD[s - 1]! > dj || (candD[s - 1]! === dj && candI[s - 1]! > j))) {
            candD[s] = candD[s - 1]!;
            candI[s] = candI[s - 1]!;
            s--;
          }
          candD[s] = dj;
          candI[s] = j;
        }
        // Every row outside the candidates has a float32 distance >= the last candidate's, so an
        // exact distance >= that minus the error bound; the k-th must lie strictly below it.
        const settled = m >= k && (take === n || candD[k - 1]! < p.norms[i]! + values[o + take - 1]! - errorBound(d, p.lengths[i]!, p.maxLength));
        if (settled) {
          indices.set(candI.subarray(0, k), i * k);
          sqDistances.set(candD.subarray(0, k), i * k);
        } else {
          this.recounted++;
          exactRow(data, n, d, i, k, indices, sqDistances);
        }
      }
      if (pacer.due()) {
        onProgress?.({ stage: 'neighbors', done: i1, total: n });
        await pacer.pause();
      }
    }
    onProgress?.({ stage: 'neighbors', done: n, total: n });
    return { n, k, indices, sqDistances };
  }

  /**
   * Trustworthiness of `y` (n x dy) as an embedding of `x` (n x d) with `k` neighbours: the
   * same number as quality.ts `trustworthiness` (ties in x ranked by index, decided exactly).
   */
  async trustworthiness(x: FeatureMatrix, n: number, d: number, y: FeatureMatrix, k = 10, options: OnnxRunOptions = {}): Promise<number> {
    const { signal, onProgress, yieldEveryMs = DEFAULT_YIELD_MS } = options;
    checkMatrix('trustworthiness x', x, n, d);
    const dy = embeddedDims('trustworthiness', y, n);
    checkTrustK(n, k);
    const pacer = new Pacer(signal, yieldEveryMs);
    const nbY = exactNeighbors(y, n, dy, k);
    const p = prepare(x, n, d);
    const session = await this.session(false);
    const base = OnnxDistances.baseFeeds(p, n, d);
    const targetD = new Float64Array(k);
    const targetI = new Int32Array(k);
    const rank = new Int32Array(k);
    const rows = this.blockRows(n);
    let penalty = 0;
    for (let i0 = 0; i0 < n; i0 += rows) {
      const i1 = Math.min(n, i0 + rows);
      const out = await session.run({ ...base, ...OnnxDistances.blockFeeds(p, d, i0, i1, true) });
      const dist = out['d']!.data as Float32Array;
      for (let i = i0; i < i1; i++) {
        const o = (i - i0) * n;
        const eps = errorBound(d, p.lengths[i]!, p.maxLength);
        let reach = -Infinity;
        for (let q = 0; q < k; q++) {
          const j = nbY.indices[i * k + q]!;
          targetI[q] = j;
          targetD[q] = exactSq(x, d, i, j);
          rank[q] = 1;
          if (targetD[q]! > reach) reach = targetD[q]!;
        }
        reach += eps;
        // r(i, j) = 1 + rows nearer to i than j in x (ties: lower index first); a row whose
        // float32 distance is within eps of a target's is compared exactly.
        for (let l = 0; l < n; l++) {
          const dl = dist[o + l]!;
          if (dl > reach || l === i) continue;
          for (let q = 0; q < k; q++) {
            const dj = targetD[q]!;
            if (dl < dj - eps) rank[q]!++;
            else if (dl <= dj + eps) {
              const j = targetI[q]!;
              if (l === j) continue;
              const el = exactSq(x, d, i, l);
              if (el < dj || (el === dj && l < j)) rank[q]!++;
            }
          }
        }
        for (let q = 0; q < k; q++) if (rank[q]! > k) penalty += rank[q]! - k;
      }
      if (pacer.due()) {
        onProgress?.({ stage: 'quality', done: i1, total: n });
        await pacer.pause();
      }
    }
    onProgress?.({ stage: 'quality', done: n, total: n });
    return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
  }

  /** Frees onnxruntime's sessions. Safe to call twice. */
  async release(): Promise<void> {
    const sessions = [this.knnSession, this.distSession];
    this.knnSession = null;
    this.distSession = null;
    for (const s of sessions) if (s !== null) await (await s).release();
  }
}

/** Row i's k nearest (self excluded) by a full exact scan, ties by index; written into the tables. */
function exactRow(data: FeatureMatrix, n: number, d: number, i: number, k: number, indices: Int32Array, sq: Float64Array): void {
  const all = new Float64Array(n);
  const ids: number[] = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    all[j] = exactSq(data, d, i, j);
    ids.push(j);
  }
  ids.sort((a, b) => all[a]! - all[b]! || a - b);
  for (let q = 0; q < k; q++) {
    indices[i * k + q] = ids[q]!;
    sq[i * k + q] = all[ids[q]!]!;
  }
}
