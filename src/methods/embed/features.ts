// Feature vectors for embeddings: one layer's output for chosen samples, flattened, computed in
// batches in inference mode (fixes defect 4 of the original: first-n images, one at a time,
// fixed 128x128, two classes, two Dense layers); and the seeded, class-balanced sample.

import { ArgumentError, UnsupportedError, throwIfAborted } from '../../errors.js';
import { ancestors, type Graph, type Node } from '../../model/ir.js';
import type { Model } from '../../model/model.js';
import { createRng } from '../../random.js';
import { sizeOf, type Tensor } from '../../tensor.js';
import { batchForBudget } from '../budget.js';
import { unknownLayer } from '../layers.js';

/** Options of {@link features}. */
export interface FeaturesOptions {
  /** Layer whose output is used. Default: {@link defaultFeatureLayer} (the input of the last Dense). */
  readonly layer?: string;
  /** Samples of x to use (0-based, any order, repeats allowed). Default: all, in order. */
  readonly indices?: readonly number[] | Int32Array;
  /** Samples per forward pass. Default: up to 64, within a 512 MiB activation budget. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each batch with (done, total) samples. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Flattened layer outputs, one row per selected sample. */
export interface FeaturesResult {
  readonly layer: string;
  /** Keras class of the layer. */
  readonly className: string;
  readonly n: number;
  readonly d: number;
  /** (n x d) row-major; row r belongs to sample indices[r]. */
  readonly data: Float32Array;
  readonly indices: Int32Array;
}

/**
 * The default feature layer: the node feeding the last Dense node on the path to the model's
 * output (the "penultimate features"). A Dense with a fused activation is still that Dense, so
 * the features are its input, never its own output. Throws UnsupportedError when the model has
 * no Dense layer (pass `layer` then).
 */
export function defaultFeatureLayer(graph: Graph): Node {
  const needed = ancestors(graph, graph.outputs);
  const dense = needed.filter((n) => n.op.type === 'dense');
  const last = dense[dense.length - 1];
  if (last === undefined || last.inputs.length !== 1) {
    throw new UnsupportedError('METHOD_UNSUPPORTED', 'This model has no Dense layer, so there is no default penultimate layer for the embedding.', {
      hint: `Choose a layer with the layer option; layers: ${graph.nodes.map((n) => n.name).join(', ')}.`,
    });
  }
  return needed.find((n) => n.name === last.inputs[0])!;
}

/** Resolves the feature layer by name, or the default. */
export function resolveFeatureLayer(graph: Graph, layer: string | undefined): Node {
  if (layer === undefined) return defaultFeatureLayer(graph);
  const node = graph.nodes.find((n) => n.name === layer);
  if (node === undefined) throw unknownLayer(graph, layer);
  return node;
}

/**
 * Output of one layer for the selected samples of `x` (N, ...input), flattened per sample (in
 * the layer's own memory layout), as an (n x d) float32 matrix. Runs the model's engine in
 * inference mode, in batches. Throws NON_FINITE_INPUT if a feature is NaN or infinite.
 */
export async function features(model: Model, x: Tensor, options: FeaturesOptions = {}): Promise<FeaturesResult> {
  const { signal, onProgress } = options;
  const total = model.checkInput(x);
  const node = resolveFeatureLayer(model.graph, options.layer);
  const batchSize = options.batchSize ?? batchForBudget(model.graph);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}.`);
  const given = options.indices;
  if (given !== undefined) {
    for (let r = 0; r < given.length; r++) {
      const i = given[r]!;
      if (!Number.isInteger(i) || i < 0 || i >= total) {
        throw new ArgumentError('BAD_ARGUMENT', `Sample index ${String(i)} is not valid: x has ${total} samples (0 to ${total - 1}).`, {
          details: { index: i, samples: total },
        });
      }
    }
  }
  const indices = given === undefined ? Int32Array.from({ length: total }, (_, i) => i) : Int32Array.from(given);
  const n = indices.length;
  const per = sizeOf(x.shape.slice(1));
  let d = -1;
  let data = new Float32Array(0);
  for (let start = 0; start < n; start += batchSize) {
    throwIfAborted(signal);
    const end = Math.min(n, start + batchSize);
    const batch = new Float32Array((end - start) * per);
    for (let r = start; r < end; r++) batch.set(x.data.subarray(indices[r]! * per, (indices[r]! + 1) * per), (r - start) * per);
    const out = await model.engine.run([{ shape: [end - start, ...x.shape.slice(1)], data: batch }], {
      outputs: [node.name],
      ...(signal ? { signal } : {}),
    });
    const t = out.get(node.name)!;
    const bd = t.data.length / (end - start);
    if (d === -1) {
      d = bd;
      data = new Float32Array(n * d);
    }
    data.set(t.data, start * d);
    onProgress?.(end, n);
  }
  if (d === -1) d = sizeOf(node.outputShape.slice(1).map((s) => s ?? 1));
  for (let q = 0; q < data.length; q++) {
    if (!Number.isFinite(data[q]!)) {
      const r = Math.floor(q / d);
      throw new ArgumentError('NON_FINITE_INPUT', `Layer '${node.name}' gives ${data[q]} for sample ${indices[r]}; embeddings need finite features.`, {
        hint: 'Check that sample for NaN or infinite values, or exclude it with indices.',
        details: { layer: node.name, index: indices[r] },
      });
    }
  }
  return { layer: node.name, className: node.className, n, d, data, indices };
}

/**
 * Draws `n` distinct sample indices out of `nTotal` (default labels.length) with the seeded
 * generator, balanced by class: every class gets floor(n / classes) or one more (which classes
 * get the extra one is drawn too), and a class with fewer samples gives all it has, its share
 * going to the others. Without labels: a uniform sample without replacement.
 *
 * Order: the returned indices are sorted ascending (the sample is a set; the same seed gives the
 * same set, and batches read x in order). Throws when n > nTotal.
 */
export function sampleBalanced(labels: Int32Array | null, n: number, seed: number, nTotal: number | undefined = labels?.length): number[] {
  if (nTotal === undefined || !Number.isInteger(nTotal) || nTotal < 0) {
    throw new ArgumentError('BAD_ARGUMENT', `sampleBalanced: give the number of samples (nTotal) when there are no labels, got ${String(nTotal)}.`);
  }
  if (labels !== null && labels.length !== nTotal) {
    throw new ArgumentError('LABEL_MISMATCH', `sampleBalanced: ${labels.length} labels for ${nTotal} samples; they must have the same length.`);
  }
  if (!Number.isInteger(n) || n < 0 || n > nTotal) {
    throw new ArgumentError('BAD_ARGUMENT', `Cannot draw ${n} samples out of ${nTotal}; choose n between 0 and ${nTotal}.`, { details: { n, nTotal } });
  }
  const rng = createRng(seed);
  // Partial Fisher-Yates: the first `take` entries of `pool` become a uniform random subset.
  const draw = (pool: number[], take: number): number[] => {
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(pool.length - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    return pool.slice(0, take);
  };
  if (labels === null) return draw(Array.from({ length: nTotal }, (_, i) => i), n).sort((a, b) => a - b);

  const byClass = new Map<number, number[]>();
  for (let i = 0; i < nTotal; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (list === undefined) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  // Water-filling quotas: small classes give all they have; the rest share what is left evenly.
  const quota = new Map<number, number>();
  let open = classes.slice();
  let left = n;
  for (;;) {
    const share = Math.floor(left / Math.max(1, open.length));
    const small = open.filter((c) => byClass.get(c)!.length <= share);
    if (small.length === 0) break;
    for (const c of small) {
      quota.set(c, byClass.get(c)!.length);
      left -= byClass.get(c)!.length;
    }
    open = open.filter((c) => !small.includes(c));
  }
  const share = Math.floor(left / Math.max(1, open.length));
  for (const c of open) quota.set(c, share);
  left -= share * open.length;
  // The remainder (< open.length) goes, one each, to open classes in a seeded random order.
  for (const c of draw(open.slice(), left)) quota.set(c, quota.get(c)! + 1);
  const out: number[] = [];
  for (const c of classes) out.push(...draw(byClass.get(c)!, quota.get(c)!));
  return out.sort((a, b) => a - b);
}
