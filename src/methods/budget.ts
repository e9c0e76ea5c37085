// Batch sizing under a memory budget: how many samples fit when every node's output of a
// forward (and, for gradients, backward) pass may be alive at once.

import type { Graph } from '../model/ir.js';

/** Default memory budget for one method's working set: 512 MiB. */
export const DEFAULT_MEMORY_BUDGET = 512 * 1024 ** 2;

/** Bytes of all node outputs for one sample (float32), an upper bound of a pass's activations. */
export function bytesPerSample(graph: Graph): number {
  let n = 0;
  for (const node of graph.nodes) {
    let s = 1;
    for (const d of node.outputShape.slice(1)) s *= d ?? 1;
    n += s;
  }
  return n * 4;
}

/** Largest batch (1..maxBatch) whose activations fit the budget; `factor` 2 for backward passes. */
export function batchForBudget(graph: Graph, budgetBytes = DEFAULT_MEMORY_BUDGET, maxBatch = 64, factor = 1): number {
  const per = bytesPerSample(graph) * factor;
  return Math.max(1, Math.min(maxBatch, Math.floor(budgetBytes / Math.max(1, per))));
}
