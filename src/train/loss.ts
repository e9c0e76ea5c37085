// Losses of a classification head as Keras computes them: binary cross-entropy on a sigmoid unit,
// categorical cross-entropy on a softmax, with Keras' clipping of probabilities to
// [1e-7, 1 - 1e-7]; their gradients with respect to the logits; accuracy; the L2 penalty.

import { type Arr, type RTensor, alloc } from '../engine/ref/common.js';
import { ArgumentError } from '../errors.js';
import type { Parameter } from './network.js';
import type { HeadSpec } from './spec.js';

/** Keras' fuzz factor `K.epsilon()`: probabilities are clipped to [EPSILON, 1 - EPSILON] in the loss. */
export const KERAS_EPSILON = 1e-7;

/** Loss, gradient and hits of one batch. */
export interface BatchLoss {
  /** Mean cross-entropy over the batch (no regularisation). */
  readonly loss: number;
  /** d mean loss / d logits, same shape and precision as the logits. */
  readonly dLogits: Arr;
  /** Correctly classified samples (sigmoid: p > 0.5 means class 1; softmax: argmax). */
  readonly correct: number;
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Cross-entropy of a batch of logits against integer labels (0..classes-1). Where Keras' clip
 * is active (a probability outside [1e-7, 1 - 1e-7]) its gradient is zero, as in Keras.
 * Throws ArgumentError LABEL_MISMATCH for a label outside the head's classes.
 */
export function headLoss(head: HeadSpec, logits: RTensor, labels: ArrayLike<number>): BatchLoss {
  const n = logits.shape[0]!;
  const k = logits.data.length / n;
  if (labels.length !== n) throw new ArgumentError('LABEL_MISMATCH', `headLoss: ${n} logits rows but ${labels.length} labels.`);
  const d = alloc(logits.data, logits.data.length);
  let total = 0;
  let correct = 0;
  const lo = KERAS_EPSILON;
  const hi = 1 - KERAS_EPSILON;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= head.classes) {
      throw new ArgumentError('LABEL_MISMATCH', `Label ${i} is ${y}, but the model has ${head.classes} classes (labels 0..${head.classes - 1}).`, {
        details: { index: i, label: y, classes: head.classes },
      });
    }
    if (head.kind === 'sigmoid') {
      const p = sigmoid(logits.data[i]!);
      const pc = Math.min(hi, Math.max(lo, p));
      total += y === 1 ? -Math.log(pc) : -Math.log(1 - pc);
      d[i] = p < lo || p > hi ? 0 : (p - y) / n;
      if ((p > 0.5 ? 1 : 0) === y) correct++;
    } else {
      const o = i * k;
      let max = -Infinity;
      let arg = 0;
      for (let j = 0; j < k; j++) {
        const v = logits.data[o + j]!;
        if (v > max) {
          max = v;
          arg = j;
        }
      }
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(logits.data[o + j]! - max);
      const py = Math.exp(logits.data[o + y]! - max) / sum;
      const clipped = py < lo || py > hi;
      total += -Math.log(Math.min(hi, Math.max(lo, py)));
      for (let j = 0; j < k; j++) {
        const p = Math.exp(logits.data[o + j]! - max) / sum;
        d[o + j] = clipped ? 0 : (p - (j === y ? 1 : 0)) / n;
      }
      if (arg === y) correct++;
    }
  }
  return { loss: total / n, dLogits: d, correct };
}

/**
 * Keras' L2 kernel regularisation: returns sum over parameters of l2 * sum(w^2) and, when
 * `grads` are given (aligned with `parameters`), adds its gradient 2 * l2 * w to them.
 */
export function l2Penalty(parameters: readonly Parameter[], grads?: readonly Arr[]): number {
  let penalty = 0;
  parameters.forEach((p, k) => {
    if (p.l2 === 0) return;
    let s = 0;
    const g = grads?.[k];
    for (let i = 0; i < p.data.length; i++) {
      const w = p.data[i]!;
      s += w * w;
      if (g !== undefined) g[i] = g[i]! + 2 * p.l2 * w;
    }
    penalty += p.l2 * s;
  });
  return penalty;
}
