// Finding a layer's stored weights (top-level and nested models) and checking them against what
// the architecture implies; plus the kernel re-layouts the canonical IR needs (transpose, flip).

import type { NamedWeight } from '../io/keras/artifacts.js';
import { firstNonFinite, sizeOf, type Tensor } from '../tensor.js';
import { missingWeights, nonFiniteWeight, weightsMismatch, type ExpectedWeight, type Where } from './translate-messages.js';

/** Weights by layer name, as the reader grouped them, with lookups for nested layers. */
export class WeightStore {
  private readonly weights: ReadonlyMap<string, readonly NamedWeight[]>;
  /** Keys whose weights some layer used. */
  readonly claimed = new Set<string>();

  constructor(weights: ReadonlyMap<string, readonly NamedWeight[]>) {
    this.weights = weights;
  }

  /**
   * The weights of the layer at `path` (outer model names first, the layer last): the group
   * `a/b/layer`, else the weights of an outer group whose names contain the layer's name as a
   * path segment (Keras 2 stores a nested model's weights in the nested model's group), else the
   * group named like the layer. `found` is null when nothing matches.
   */
  lookup(path: readonly string[]): { found: readonly NamedWeight[] | null; looked: string[] } {
    const looked: string[] = [];
    const full = path.join('/');
    const direct = this.get(full, looked);
    if (direct !== null || path.length === 1) return { found: direct, looked };
    const layer = path[path.length - 1]!;
    for (let k = path.length - 1; k >= 1; k--) {
      const key = path.slice(0, k).join('/');
      const group = this.weights.get(key);
      if (group === undefined) continue;
      looked.push(`${key} (names containing '${layer}/')`);
      const mine = group.filter((w) => w.name.split('/').slice(0, -1).includes(layer));
      if (mine.length > 0) {
        this.claimed.add(key);
        return { found: mine, looked };
      }
    }
    return { found: this.get(layer, looked), looked };
  }

  private get(key: string, looked: string[]): readonly NamedWeight[] | null {
    looked.push(key);
    const w = this.weights.get(key);
    if (w === undefined) return null;
    this.claimed.add(key);
    return w;
  }

  /** Keys holding at least one weight that no layer claimed. */
  unclaimed(): string[] {
    return [...this.weights.entries()].filter(([k, w]) => w.length > 0 && !this.claimed.has(k)).map(([k]) => k);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Name and shape of stored weights, for messages. */
function summarise(found: readonly NamedWeight[]): { name: string; shape: readonly number[] }[] {
  return found.map((w) => ({ name: w.name, shape: w.tensor.shape }));
}

/**
 * Checks the stored weights of a layer against the expected roles and shapes (in Keras' storage
 * order) and returns their tensors. Throws KERAS_MISSING_WEIGHTS when the layer has none,
 * KERAS_WEIGHTS_MISMATCH for a wrong count or shape.
 */
export function checkWeights(
  where: Where,
  found: readonly NamedWeight[] | null,
  looked: readonly string[],
  expected: readonly ExpectedWeight[],
): Tensor[] {
  const have = found ?? [];
  if (expected.length > 0 && have.length === 0) throw missingWeights(where, expected, looked);
  if (have.length !== expected.length) {
    throw weightsMismatch(where, expected, summarise(have), `has ${have.length} stored weight arrays, not ${expected.length}`);
  }
  return expected.map((e, i) => {
    const w = have[i]!;
    if (!sameShape(w.tensor.shape, e.shape)) {
      throw weightsMismatch(where, expected, summarise(have), `weight '${w.name}' (${e.role}) has the wrong shape`);
    }
    checkFinite(where, w);
    return w.tensor;
  });
}

/** Refuses a weight holding NaN or infinite values (damaged bytes usually decode to those). */
function checkFinite(where: Where, w: NamedWeight): void {
  const d = w.tensor.data;
  const first = firstNonFinite(d); // a native byte search in Node: ~10 ms for BaSe's 4.2 million weights
  if (first < 0) return;
  let count = 0;
  for (let j = first; j < d.length; j++) if (!Number.isFinite(d[j]!)) count++;
  throw nonFiniteWeight(where, w.name, count, first);
}

/** Number of values of a list of tensors (a layer's parameter count). */
export function countValues(tensors: readonly (Tensor | null)[]): number {
  return tensors.reduce((s, t) => s + (t === null ? 0 : sizeOf(t.shape)), 0);
}

/** Transposes a tensor: output axis i is input axis perm[i]. */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => t.shape[p]!);
  const rank = t.shape.length;
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * t.shape[i + 1]!;
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i]! * strides[i]!;
    out[o] = t.data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape, data: out };
}

/** Reverses a tensor along the given axes (Theano kernels: every spatial axis). */
export function flipAxes(t: Tensor, axes: readonly number[]): Tensor {
  const rank = t.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * t.shape[i + 1]!;
  const flip = new Array<boolean>(rank).fill(false);
  for (const a of axes) flip[a] = true;
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (flip[i] ? t.shape[i]! - 1 - idx[i]! : idx[i]!) * strides[i]!;
    out[o] = t.data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < t.shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: [...t.shape], data: out };
}
