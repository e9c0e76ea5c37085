// Checking tools for engines: one-op graphs and a central finite-difference check of
// gradients() in float64. Used by the reference engine's tests; usable for any Graph.

import type { Graph, Node, Op, Shape } from '../../model/ir.js';
import type { Rng } from '../../random.js';
import { type RTensor, Scratch, numel } from './common.js';
import { ReferenceEngine } from './engine.js';
import { forwardNode, prepareNode } from './ops.js';

/**
 * A graph with one input node per shape (names `in0`, `in1`...) feeding one node `op` running
 * `op`. Shapes are concrete, batch first; the graph declares the batch axis as null. The op's
 * output shape is found by running it once on zeros.
 */
export function opGraph(op: Op, inputShapes: readonly (readonly number[])[], className = 'Op'): Graph {
  const nodes: Node[] = inputShapes.map((s, i) => ({
    name: `in${i}`, className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: [null, ...s.slice(1)], params: 0,
  }));
  const probe: Node = { name: 'op', className, op, inputs: nodes.map((n) => n.name), outputShape: [], params: 0 };
  const zeros = inputShapes.map((s) => ({ shape: s, data: new Float64Array(numel(s)) }));
  const { y } = forwardNode(probe, prepareNode(probe), zeros, new Scratch(), false);
  const outputShape: Shape = [null, ...y.shape.slice(1)];
  nodes.push({ ...probe, outputShape });
  return { nodes, inputs: nodes.slice(0, -1).map((n) => n.name), outputs: ['op'] };
}

/** Result of finiteDifferences: analytic and numeric d(sum of scores)/d input, per graph input. */
export interface FiniteDifferenceResult {
  readonly analytic: Float64Array[];
  readonly numeric: Float64Array[];
  /** max |analytic - numeric| over all inputs. */
  readonly maxAbsError: number;
  /** max |numeric|: the scale to judge the error against. */
  readonly maxAbsGradient: number;
}

/**
 * Compares the engine's gradients w.r.t. every graph input with central differences
 * (f(x + h) - f(x - h)) / 2h of the summed score, all in float64. `inputs` must be Float64Array
 * tensors. Cost: two forward passes per input value; keep inputs small.
 */
export async function finiteDifferences(
  graph: Graph, inputs: readonly RTensor[], score: { node: string; seed: ArrayLike<number> }, h = 1e-5,
): Promise<FiniteDifferenceResult> {
  const engine = new ReferenceEngine(graph);
  const wrt = [...graph.inputs];
  const res = await engine.gradientsRaw(inputs, { score, wrt });
  const analytic = wrt.map((name) => Float64Array.from(res.gradients.get(name)!.data));
  const total = async (xs: readonly RTensor[]): Promise<number> => {
    const out = await engine.gradientsRaw(xs, { score, wrt: [] });
    return out.scores.reduce((a, b) => a + b, 0);
  };
  const numeric: Float64Array[] = [];
  let maxAbsError = 0;
  let maxAbsGradient = 0;
  for (let k = 0; k < inputs.length; k++) {
    const base = inputs[k]!;
    const num = new Float64Array(base.data.length);
    for (let i = 0; i < num.length; i++) {
      const plus = Float64Array.from(base.data);
      const minus = Float64Array.from(base.data);
      plus[i] = plus[i]! + h;
      minus[i] = minus[i]! - h;
      const with_ = (d: Float64Array): RTensor[] => inputs.map((t, j) => (j === k ? { shape: t.shape, data: d } : t));
      num[i] = ((await total(with_(plus))) - (await total(with_(minus)))) / (2 * h);
      maxAbsError = Math.max(maxAbsError, Math.abs(num[i]! - analytic[k]![i]!));
      maxAbsGradient = Math.max(maxAbsGradient, Math.abs(num[i]!));
    }
    numeric.push(num);
  }
  return { analytic, numeric, maxAbsError, maxAbsGradient };
}

/** Largest absolute difference between two equally long arrays (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Largest absolute value of an array (0 when empty). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** A float64 tensor of uniform values in [low, high) drawn from `rng`. */
export function randomTensor(rng: Rng, shape: readonly number[], low = -1, high = 1): RTensor {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.next();
  return { shape: [...shape], data };
}
