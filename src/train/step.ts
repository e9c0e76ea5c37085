// One training step split into shards: each shard of a batch runs forward (training mode) and
// backward on its own, and the results are combined into the batch's mean gradient, loss and
// BatchNorm statistics. With one shard this is exactly Keras' single-device step; with several,
// BatchNorm normalises each shard by its own statistics, as Keras does on several devices
// (MirroredStrategy without SyncBatchNormalization), and the moving averages are updated from the
// pooled statistics of the whole batch. Shards can run anywhere (same thread, workers): the
// result depends on the number of shards, never on where they ran.

import type { Arr, RTensor } from '../engine/ref/common.js';
import { createRng } from '../random.js';
import { headLoss } from './loss.js';
import type { BatchStatistics, Network } from './network.js';

/** One shard of a batch: its samples (N, rows, cols, channels), labels and dropout seed. */
export interface Shard {
  readonly x: RTensor;
  readonly labels: Int32Array;
  /** Seed of the shard's dropout masks. */
  readonly seed: number;
}

/** What one shard's forward and backward produce. */
export interface ShardResult {
  /** Samples in the shard. */
  readonly n: number;
  /** Cross-entropy summed over the shard's samples. */
  readonly lossSum: number;
  readonly correct: number;
  /** Gradients of the summed cross-entropy, aligned with network.parameters. */
  readonly grads: Arr[];
  /** Batch statistics per BatchNorm layer. */
  readonly batchNorm: BatchStatistics[];
}

/**
 * Runs a shard: training-mode forward (moving averages untouched), loss, backward. Gradients are
 * of the shard's summed loss, so that shards of any sizes add up to the batch's.
 */
export function runShard(network: Network, shard: Shard): ShardResult {
  const pass = network.forward(shard.x, { training: true, rng: createRng(shard.seed), updateStatistics: false });
  const hl = headLoss(network.architecture.head, pass.logits, shard.labels);
  const n = shard.labels.length;
  const d = hl.dLogits;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * n;
  return { n, lossSum: hl.loss * n, correct: hl.correct, grads: network.backward(pass, d), batchNorm: network.batchStatistics(pass) };
}

/** Runs shards and returns their results in order. */
export type ShardExecutor = (network: Network, shards: readonly Shard[]) => Promise<ShardResult[]>;

/** Runs the shards one after another in this thread. */
export const localExecutor: ShardExecutor = (network, shards) => Promise.resolve(shards.map((s) => runShard(network, s)));

/** The batch's mean gradient, loss and accuracy, and pooled BatchNorm statistics. */
export interface CombinedStep {
  readonly n: number;
  /** Mean cross-entropy over the batch. */
  readonly loss: number;
  readonly correct: number;
  /** Gradients of the mean cross-entropy (float32). */
  readonly grads: Float32Array[];
  /** Statistics of the whole batch (pooled over shards: exact mean and biased variance). */
  readonly batchNorm: BatchStatistics[];
}

/** Combines shard results (at least one). */
export function combineShards(results: readonly ShardResult[]): CombinedStep {
  const n = results.reduce((a, r) => a + r.n, 0);
  const first = results[0]!;
  const grads = first.grads.map((g) => new Float32Array(g.length));
  let lossSum = 0;
  let correct = 0;
  for (const r of results) {
    lossSum += r.lossSum;
    correct += r.correct;
    r.grads.forEach((g, k) => {
      const out = grads[k]!;
      for (let i = 0; i < g.length; i++) out[i] = out[i]! + g[i]! / n;
    });
  }
  // Pooled statistics: mean = sum(c_s m_s) / C; var = sum(c_s (v_s + (m_s - mean)^2)) / C.
  const batchNorm = first.batchNorm.map((st, j) => {
    const count = results.reduce((a, r) => a + r.batchNorm[j]!.count, 0);
    const mean = new Float64Array(st.mean.length);
    const variance = new Float64Array(st.mean.length);
    for (const r of results) {
      const s = r.batchNorm[j]!;
      for (let c = 0; c < mean.length; c++) mean[c] = mean[c]! + (s.count * s.mean[c]!) / count;
    }
    for (const r of results) {
      const s = r.batchNorm[j]!;
      for (let c = 0; c < mean.length; c++) variance[c] = variance[c]! + (s.count * (s.variance[c]! + (s.mean[c]! - mean[c]!) ** 2)) / count;
    }
    return { layer: st.layer, mean, variance, count };
  });
  return { n, loss: lossSum / n, correct, grads, batchNorm };
}

/** Splits [0, n) into `shards` contiguous ranges of sizes differing by at most one (empty ones dropped). */
export function shardRanges(n: number, shards: number): [number, number][] {
  const out: [number, number][] = [];
  const k = Math.min(shards, n);
  let start = 0;
  for (let s = 0; s < k; s++) {
    const size = Math.floor(n / k) + (s < n % k ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}
