// Element-wise ops other than activations: inference BatchNormalization, Rescaling and the
// merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum), forward and backward.
// Maximum/Minimum send the gradient to the FIRST input attaining the extreme value, as Keras'
// chained tf.maximum / tf.minimum do (their gradient goes to x where x >= y / x <= y).

import { formatShape } from '../../errors.js';
import type { Node, Op } from '../../model/ir.js';
import { type Arr, type RTensor, alloc, graphError, shapeError } from './common.js';

type BatchNormOp = Extract<Op, { type: 'batchNorm' }>;
type MergeOp = Extract<Op, { type: 'merge' }>;

/** Per-channel constants of an inference BatchNormalization, in float64. */
export interface BatchNormPrep {
  readonly channels: number;
  readonly mean: Float64Array;
  /** gamma / sqrt(variance + epsilon). */
  readonly scale: Float64Array;
  readonly beta: Float64Array;
}

/** Checks a BatchNormalization's parameter lengths and folds them into scale and shift. */
export function prepareBatchNorm(node: Node, op: BatchNormOp): BatchNormPrep {
  const channels = op.mean.data.length;
  for (const [label, t] of [['moving_variance', op.variance], ['gamma', op.gamma], ['beta', op.beta]] as const) {
    if (t !== null && t.data.length !== channels) {
      throw graphError(node, `${label} has ${t.data.length} values but moving_mean has ${channels}`);
    }
  }
  if (!(op.epsilon >= 0)) throw graphError(node, `epsilon must be >= 0, got ${op.epsilon}`);
  const mean = new Float64Array(channels);
  const scale = new Float64Array(channels);
  const beta = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = op.mean.data[c]!;
    scale[c] = (op.gamma === null ? 1 : op.gamma.data[c]!) / Math.sqrt(op.variance.data[c]! + op.epsilon);
    beta[c] = op.beta === null ? 0 : op.beta.data[c]!;
  }
  return { channels, mean, scale, beta };
}

function bnGeometry(node: Node, op: BatchNormOp, pr: BatchNormPrep, shape: readonly number[]): [number, number] {
  if (!Number.isInteger(op.axis) || op.axis < 0 || op.axis >= shape.length || shape[op.axis] !== pr.channels) {
    throw shapeError(node, `normalises axis ${op.axis} with ${pr.channels} channels, but its input has shape ${formatShape(shape)}`);
  }
  let inner = 1;
  for (let i = op.axis + 1; i < shape.length; i++) inner *= shape[i]!;
  let outer = 1;
  for (let i = 0; i < op.axis; i++) outer *= shape[i]!;
  return [outer, inner];
}

/**
 * BatchNormalization forward: (x - mean) / sqrt(var + eps) * gamma + beta on `axis`, written
 * into `dst` (which may be x's own array) or a new array.
 */
export function batchNormForward(node: Node, op: BatchNormOp, pr: BatchNormPrep, x: RTensor, dst?: Arr): RTensor {
  const [outer, inner] = bnGeometry(node, op, pr, x.shape);
  const xd = x.data;
  const y = dst ?? alloc(xd, xd.length);
  const C = pr.channels;
  const { mean, scale, beta } = pr;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const b = o * C;
      for (let c = 0; c < C; c++) y[b + c] = (xd[b + c]! - mean[c]!) * scale[c]! + beta[c]!;
    }
  } else {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++) {
        const b = (o * C + c) * inner;
        const m = mean[c]!, s = scale[c]!, t = beta[c]!;
        for (let i = 0; i < inner; i++) y[b + i] = (xd[b + i]! - m) * s + t;
      }
    }
  }
  return { shape: x.shape, data: y };
}

/** BatchNormalization backward: dx = dy * gamma / sqrt(var + eps). */
export function batchNormBackward(node: Node, op: BatchNormOp, pr: BatchNormPrep, inShape: readonly number[], dy: Arr): Arr {
  const [outer, inner] = bnGeometry(node, op, pr, inShape);
  const dx = alloc(dy, dy.length);
  const C = pr.channels;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const b = (o * C + c) * inner;
      const s = pr.scale[c]!;
      for (let i = 0; i < inner; i++) dx[b + i] = dy[b + i]! * s;
    }
  }
  return dx;
}

/** Rescaling forward: y = x * scale + offset, into `dst` (may be x's array) or a new array. */
export function rescaleForward(scale: number, offset: number, x: RTensor, dst?: Arr): RTensor {
  const xd = x.data;
  const y = dst ?? alloc(xd, xd.length);
  for (let i = 0; i < xd.length; i++) y[i] = xd[i]! * scale + offset;
  return { shape: x.shape, data: y };
}

/** Multiplies a gradient by a constant into a new array. */
export function scaled(dy: Arr, factor: number): Arr {
  const dx = alloc(dy, dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * factor;
  return dx;
}

function checkMerge(node: Node, op: MergeOp, shapes: readonly (readonly number[])[]): void {
  if (shapes.length < 1 || (op.mode === 'subtract' && shapes.length !== 2)) {
    throw graphError(node, `'${op.mode}' got ${shapes.length} inputs`);
  }
  const first = shapes[0]!;
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      throw shapeError(node, `merges inputs of different shapes: ${shapes.map((t) => formatShape(t)).join(' and ')}`);
    }
  }
}

/** Merge forward (all inputs of one shape). */
export function mergeForward(node: Node, op: MergeOp, xs: readonly RTensor[]): RTensor {
  checkMerge(node, op, xs.map((t) => t.shape));
  const first = xs[0]!;
  const n = first.data.length;
  const y = alloc(first.data, n);
  y.set(first.data);
  for (let k = 1; k < xs.length; k++) {
    const d = xs[k]!.data;
    switch (op.mode) {
      case 'add':
      case 'average':
        for (let i = 0; i < n; i++) y[i] = y[i]! + d[i]!;
        break;
      case 'subtract':
        for (let i = 0; i < n; i++) y[i] = y[i]! - d[i]!;
        break;
      case 'multiply':
        for (let i = 0; i < n; i++) y[i] = y[i]! * d[i]!;
        break;
      case 'maximum':
        for (let i = 0; i < n; i++) if (d[i]! > y[i]!) y[i] = d[i]!;
        break;
      case 'minimum':
        for (let i = 0; i < n; i++) if (d[i]! < y[i]!) y[i] = d[i]!;
        break;
    }
  }
  if (op.mode === 'average') for (let i = 0; i < n; i++) y[i] = y[i]! / xs.length;
  return { shape: first.shape, data: y };
}

/** Whether mergeBackward needs the forward inputs. */
export function mergeNeedsInputs(op: MergeOp): boolean {
  return op.mode === 'multiply' || op.mode === 'maximum' || op.mode === 'minimum';
}

/** Merge backward: gradients of the wanted inputs (null where not wanted). */
export function mergeBackward(node: Node, op: MergeOp, shapes: readonly (readonly number[])[], xs: readonly (Arr | null)[], dy: Arr, want: readonly boolean[]): (Arr | null)[] {
  checkMerge(node, op, shapes);
  const k = shapes.length;
  const n = dy.length;
  return shapes.map((_, j) => {
    if (want[j] !== true) return null;
    switch (op.mode) {
      case 'add':
        return scaled(dy, 1);
      case 'average':
        return scaled(dy, 1 / k);
      case 'subtract':
        return scaled(dy, j === 0 ? 1 : -1);
      case 'multiply': {
        const dx = scaled(dy, 1);
        for (let q = 0; q < k; q++) {
          if (q === j) continue;
          const d = xs[q]!;
          for (let i = 0; i < n; i++) dx[i] = dx[i]! * d[i]!;
        }
        return dx;
      }
      case 'maximum':
      case 'minimum': {
        const sign = op.mode === 'maximum' ? 1 : -1;
        const dx = alloc(dy, n);
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let q = 1; q < k; q++) if (sign * (xs[q]![i]! - xs[best]![i]!) > 0) best = q;
          if (best === j) dx[i] = dy[i]!;
        }
        return dx;
      }
    }
  });
}
