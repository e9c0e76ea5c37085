// Dense (fully connected) layers as GEMM: forward to the pre-activation output and backward to
// the input. Like Keras, a Dense on a rank > 2 input applies to the last axis.

import { formatShape } from '../../errors.js';
import type { Node, Op } from '../../model/ir.js';
import { type Arr, type RTensor, alloc, graphError, shapeError } from './common.js';
import { gemmNT, transpose } from './gemm.js';

type DenseOp = Extract<Op, { type: 'dense' }>;

/** Kernel data of a Dense layer, prepared once per node. */
export interface DensePrep {
  readonly units: number;
  readonly inFeatures: number;
  /** Kernel as stored: (in, units). */
  readonly kmat: Float32Array;
  /** Kernel transposed: (units, in). */
  readonly kt: Float32Array;
  readonly bias: Float32Array | null;
}

/** Checks a Dense layer's kernel and bias, and transposes the kernel. */
export function prepareDense(node: Node, op: DenseOp): DensePrep {
  const ks = op.kernel.shape;
  if (ks.length !== 2 || ks[1] !== op.units) {
    throw graphError(node, `kernel shape [${ks.join(', ')}] is not (in, ${op.units})`);
  }
  if (op.bias !== null && op.bias.data.length !== op.units) {
    throw graphError(node, `bias has ${op.bias.data.length} values for ${op.units} units`);
  }
  const inFeatures = ks[0]!;
  return { units: op.units, inFeatures, kmat: op.kernel.data, kt: transpose(op.kernel.data, inFeatures, op.units), bias: op.bias?.data ?? null };
}

function rowsOf(node: Node, pr: DensePrep, shape: readonly number[]): number {
  if (shape.length < 2 || shape[shape.length - 1] !== pr.inFeatures) {
    throw shapeError(node, `expects inputs of shape (batch, ..., ${pr.inFeatures}), got ${formatShape(shape)}`);
  }
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i]!;
  return rows;
}

/** Dense forward: the pre-activation output (bias included). */
export function denseForward(node: Node, pr: DensePrep, x: RTensor): RTensor {
  const rows = rowsOf(node, pr, x.shape);
  const { units, inFeatures } = pr;
  const y = alloc(x.data, rows * units);
  if (pr.bias !== null) for (let r = 0; r < rows; r++) y.set(pr.bias, r * units);
  gemmNT(rows, units, inFeatures, x.data, 0, inFeatures, pr.kt, 0, inFeatures, y, 0, units);
  return { shape: [...x.shape.slice(0, -1), units], data: y };
}

/** Dense backward: d loss / d input from d loss / d pre-activation output. */
export function denseBackward(node: Node, pr: DensePrep, inShape: readonly number[], dz: Arr): Arr {
  const rows = rowsOf(node, pr, inShape);
  const { units, inFeatures } = pr;
  const dx = alloc(dz, rows * inFeatures);
  gemmNT(rows, inFeatures, units, dz, 0, units, pr.kmat, 0, units, dx, 0, inFeatures);
  return dx;
}
