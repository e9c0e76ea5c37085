// The seam between convscope and whatever runs the graph. An engine runs batches of a
// Graph (model/ir.ts) and takes gradients of one scalar score per sample; nothing else.

import type { Graph } from '../model/ir.js';
import type { Tensor } from '../tensor.js';

export interface RunOptions {
  /** Node names whose outputs to return. Default: the graph's outputs. */
  readonly outputs?: readonly string[];
  readonly signal?: AbortSignal;
}

/**
 * A score whose gradient is taken: for every sample, sum_i seed[i] * value[i] over the flattened
 * (per-sample) output of `node`. The score of class c of a softmax head is the logit of unit c:
 * run on a logit graph (model/logits.ts) with a one-hot seed at c; for class 0 of a single
 * sigmoid unit the seed is -1.
 */
export interface ScoreSpec {
  readonly node: string;
  /** Per-sample weights over the node's flattened output (length = per-sample size). */
  readonly seed: Float32Array;
}

export interface GradientOptions {
  readonly score: ScoreSpec;
  /** Node names (an input node for saliency) whose gradients to return. */
  readonly wrt: readonly string[];
  readonly signal?: AbortSignal;
}

export interface GradientResult {
  /** Score value per sample (length N). */
  readonly scores: Float32Array;
  /** Forward values of the `wrt` nodes, batch first. */
  readonly values: ReadonlyMap<string, Tensor>;
  /** d score / d value for each `wrt` node, same shapes as `values`. */
  readonly gradients: ReadonlyMap<string, Tensor>;
}

/** Runs one Graph. Always inference mode. Implementations never mutate the graph. */
export interface Engine {
  /** Short name shown in outputs and README tables, e.g. `onnxruntime-node`, `reference`. */
  readonly name: string;
  readonly graph: Graph;
  /** Forward pass of a batch; inputs in the graph's input order, each (N, ...inputShape). */
  run(inputs: readonly Tensor[], options?: RunOptions): Promise<Map<string, Tensor>>;
  /** Gradients of a score, per sample. */
  gradients(inputs: readonly Tensor[], options: GradientOptions): Promise<GradientResult>;
  /** Frees native resources. Safe to call twice. */
  dispose(): Promise<void>;
}
