// Node-only: the worker side of parallel training (train-workers.ts). Holds a replica of the
// network; per message sets its trainable weights and runs one shard (src/train/step.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { Network } from '../train/network.js';
import type { ResolvedArchitecture } from '../train/spec.js';
import { runShard } from '../train/step.js';
import type { ShardRequest, ShardReply } from './train-workers.js';

const net = new Network((workerData as { architecture: ResolvedArchitecture }).architecture);

parentPort!.on('message', (msg: ShardRequest) => {
  try {
    let o = 0;
    for (const p of net.parameters) {
      p.data.set(msg.parameters.subarray(o, o + p.data.length));
      o += p.data.length;
    }
    const r = runShard(net, { x: { shape: msg.shape, data: msg.x }, labels: msg.labels, seed: msg.seed });
    const grads = r.grads.map((g) => (g instanceof Float32Array ? g : new Float32Array(g)));
    const reply: ShardReply = { id: msg.id, n: r.n, lossSum: r.lossSum, correct: r.correct, grads, batchNorm: r.batchNorm };
    parentPort!.postMessage(reply, grads.map((g) => g.buffer as ArrayBuffer));
  } catch (error) {
    parentPort!.postMessage({ id: msg.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
