// Node-only: runs the shards of each training step on worker threads (one shard in this thread,
// the others on workers), for src/train/fit.ts. Results are identical to running the same shards
// in one thread: only where they run changes.

import { Worker } from 'node:worker_threads';
import { ConvscopeError } from '../errors.js';
import type { BatchStatistics, Network } from '../train/network.js';
import type { ResolvedArchitecture } from '../train/spec.js';
import { type Shard, type ShardExecutor, type ShardResult, localExecutor, runShard } from '../train/step.js';

/** Message to a worker: the trainable weights (flat, in parameter order) and one shard. */
export interface ShardRequest {
  readonly id: number;
  readonly parameters: Float32Array;
  readonly shape: number[];
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly seed: number;
}

/** A worker's answer. */
export type ShardReply =
  | { readonly id: number; readonly n: number; readonly lossSum: number; readonly correct: number; readonly grads: Float32Array[]; readonly batchNorm: BatchStatistics[] }
  | { readonly id: number; readonly error: string };

/** A pool of training workers; close() when done. */
export interface WorkerExecutor {
  readonly executor: ShardExecutor;
  /** Threads used, this one included. */
  readonly threads: number;
  close(): Promise<void>;
}

/**
 * Starts `threads - 1` workers for a network of this architecture (threads >= 1; 1 runs
 * everything here). Shard k runs on thread k mod threads (shard 0 here).
 */
export function createWorkerExecutor(architecture: ResolvedArchitecture, threads: number): WorkerExecutor {
  const workers: Worker[] = [];
  for (let i = 1; i < threads; i++) {
    const w = new Worker(new URL('./train-worker-boot.mjs', import.meta.url), { workerData: { architecture } });
    w.unref();
    workers.push(w);
  }
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: ShardResult) => void; reject: (e: unknown) => void }>();
  const fail = (error: unknown): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  for (const w of workers) {
    w.on('message', (reply: ShardReply) => {
      const p = pending.get(reply.id);
      if (p === undefined) return;
      pending.delete(reply.id);
      if ('error' in reply) p.reject(new ConvscopeError('ENGINE_FAILURE', `A training worker failed: ${reply.error}`));
      else p.resolve({ n: reply.n, lossSum: reply.lossSum, correct: reply.correct, grads: reply.grads, batchNorm: reply.batchNorm });
    });
    w.on('error', (e) => fail(new ConvscopeError('ENGINE_FAILURE', `A training worker stopped: ${e.message}`, { cause: e })));
  }
  const flatParameters = (net: Network): Float32Array => {
    const total = net.parameters.reduce((a, p) => a + p.data.length, 0);
    const flat = new Float32Array(total);
    let o = 0;
    for (const p of net.parameters) {
      flat.set(p.data, o);
      o += p.data.length;
    }
    return flat;
  };
  /** Sends shard `s` to worker t - 1 (t = its index modulo the threads, 1 or more). */
  const send = (s: Shard, t: number, parameters: Float32Array): Promise<ShardResult> => {
    const id = nextId++;
    const req: ShardRequest = { id, parameters, shape: [...s.x.shape], x: Float32Array.from(s.x.data), labels: Int32Array.from(s.labels), seed: s.seed };
    return new Promise<ShardResult>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      workers[t - 1]!.postMessage(req, [req.x.buffer as ArrayBuffer]);
    });
  };
  const executor: ShardExecutor = async (net: Network, shards: readonly Shard[]) => {
    if (workers.length === 0) return localExecutor(net, shards);
    const params = flatParameters(net);
    // Every remote shard is sent before this thread runs its own, in shard order.
    const remote = shards.map((s, k) => (k % threads === 0 ? null : send(s, k % threads, params)));
    return Promise.all(shards.map((s, k) => remote[k] ?? runShard(net, s)));
  };
  return {
    executor,
    threads: workers.length + 1,
    async close(): Promise<void> {
      fail(new ConvscopeError('CANCELLED', 'Training workers were closed.'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
