// Element-wise activation functions (every `Activation` of model/ir.ts) and softmax: forward in
// place and backward. Values are computed in float64 and rounded once into the storage.
//
// Derivatives at kinks follow TensorFlow: ReLU'(0) = 0 (the gradient flows for threshold < x <
// max_value only; below the threshold it is negative_slope, at and above max_value 0);
// thresholded ReLU flows for x > theta; hard sigmoid for 0 < slope * x + offset < 1.

import type { Activation, Node } from '../../model/ir.js';
import { type Arr, alloc, shapeError } from './common.js';

/** Which forward value the derivative of an activation is computed from. */
export type ActivationNeeds = 'none' | 'input' | 'output';

/** Plain ReLU (no cap, slope or threshold): its derivative is 1 exactly where its output is > 0. */
function isPlainRelu(act: Activation): boolean {
  return act.kind === 'relu' && act.maxValue === null && act.negativeSlope === 0 && act.threshold === 0;
}

/**
 * What activationBackward needs kept from the forward pass. Plain ReLU uses its output
 * (y > 0 exactly where x > 0), which the next layer usually keeps anyway, so no extra copy.
 */
export function activationNeeds(act: Activation): ActivationNeeds {
  if (isPlainRelu(act)) return 'output';
  switch (act.kind) {
    case 'linear':
      return 'none';
    case 'sigmoid':
    case 'tanh':
    case 'softmax':
    case 'exponential':
      return 'output';
    default:
      return 'input';
  }
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The error function to ~1e-15 (Maclaurin series below |x| = 2, continued fraction of erfc above);
 * JavaScript has no Math.erf. Exact GELU needs it.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (ax < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))), evaluated bottom-up.
  let t = ax;
  for (let n = 80; n >= 1; n--) t = ax + n / 2 / t;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}

function reluValue(x: number, maxValue: number | null, negativeSlope: number, threshold: number): number {
  if (maxValue !== null && x >= maxValue) return maxValue;
  if (x >= threshold) return x;
  return negativeSlope * (x - threshold);
}

function softmaxGeometry(node: Node, axis: number, shape: readonly number[]): [number, number, number] {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw shapeError(node, `applies softmax over axis ${axis} of a rank-${shape.length} tensor`);
  }
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/** The scalar function of an element-wise activation (every kind but softmax). */
function scalarFunction(act: Exclude<Activation, { kind: 'softmax' }>): (x: number) => number {
  switch (act.kind) {
    case 'linear':
      return (x) => x;
    case 'relu': {
      const { maxValue, negativeSlope, threshold } = act;
      return (x) => reluValue(x, maxValue, negativeSlope, threshold);
    }
    case 'sigmoid':
      return sigmoid;
    case 'hard_sigmoid':
      return (x) => Math.min(1, Math.max(0, act.slope * x + act.offset));
    case 'tanh':
      return Math.tanh;
    case 'elu':
      return (x) => (x > 0 ? x : act.alpha * Math.expm1(x));
    case 'selu':
      return (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'softplus':
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'swish':
      return (x) => x * sigmoid(x);
    case 'gelu':
      return act.approximate
        ? (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'exponential':
      return Math.exp;
    case 'thresholded_relu':
      return (x) => (x > act.theta ? x : 0);
    default: {
      const never: never = act;
      throw new RangeError(`unknown activation ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Writes act(src) into dst in one pass (same length; dst may be src, for in-place use).
 * `shape` is the tensor shape, used by softmax.
 */
export function applyActivation(node: Node, act: Activation, src: Arr, dst: Arr, shape: readonly number[]): void {
  const n = src.length;
  if (act.kind === 'linear') {
    if (dst !== src) dst.set(src);
    return;
  }
  if (isPlainRelu(act)) {
    // The hot case, without a call per element. NaN stays NaN.
    for (let i = 0; i < n; i++) {
      const x = src[i]!;
      dst[i] = x < 0 ? 0 : x;
    }
    return;
  }
  if (act.kind === 'softmax') {
    const [outer, len, inner] = softmaxGeometry(node, act.axis, shape);
    for (let o = 0; o < outer; o++) {
      for (let q = 0; q < inner; q++) {
        const b = o * len * inner + q;
        let max = -Infinity;
        for (let i = 0; i < len; i++) max = Math.max(max, src[b + i * inner]!);
        let sum = 0;
        for (let i = 0; i < len; i++) sum += Math.exp(src[b + i * inner]! - max);
        for (let i = 0; i < len; i++) dst[b + i * inner] = Math.exp(src[b + i * inner]! - max) / sum;
      }
    }
    return;
  }
  const f = scalarFunction(act);
  for (let i = 0; i < n; i++) dst[i] = f(src[i]!);
}

/** Derivative of the activation at one point, from its input x (kinds that need the input). */
function derivativeFromInput(act: Activation, x: number): number {
  switch (act.kind) {
    case 'relu':
      if (act.maxValue !== null && x >= act.maxValue) return 0;
      return x > act.threshold ? 1 : act.negativeSlope;
    case 'hard_sigmoid': {
      const u = act.slope * x + act.offset;
      return u > 0 && u < 1 ? act.slope : 0;
    }
    case 'elu':
      return x > 0 ? 1 : act.alpha * Math.exp(x);
    case 'selu':
      return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x);
    case 'softplus':
      return sigmoid(x);
    case 'softsign': {
      const d = 1 + Math.abs(x);
      return 1 / (d * d);
    }
    case 'swish': {
      const s = sigmoid(x);
      return s + x * s * (1 - s);
    }
    case 'gelu': {
      if (!act.approximate) return 0.5 * (1 + erf(x / Math.SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
      const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
    }
    case 'thresholded_relu':
      return x > act.theta ? 1 : 0;
    default:
      throw new RangeError(`activation '${act.kind}' is differentiated from its output`);
  }
}

/**
 * d loss / d input of an activation, from d loss / d output. `x` (input) or `y` (output) must be
 * given as activationNeeds says; `shape` is used by softmax.
 */
export function activationBackward(node: Node, act: Activation, x: Arr | null, y: Arr | null, dy: Arr, shape: readonly number[]): Arr {
  const n = dy.length;
  const dx = alloc(dy, n);
  const needs = activationNeeds(act);
  if (needs === 'none') {
    dx.set(dy);
    return dx;
  }
  if (needs === 'input') {
    if (x === null) throw new RangeError(`activationBackward: '${act.kind}' needs the forward input`);
    for (let i = 0; i < n; i++) dx[i] = dy[i]! * derivativeFromInput(act, x[i]!);
    return dx;
  }
  if (y === null) throw new RangeError(`activationBackward: '${act.kind}' needs the forward output`);
  switch (act.kind) {
    case 'relu': // plain ReLU only (see activationNeeds): ReLU'(0) = 0
      for (let i = 0; i < n; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
      break;
    case 'exponential':
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]!;
      break;
    case 'softmax': {
      const [outer, len, inner] = softmaxGeometry(node, act.axis, shape);
      for (let o = 0; o < outer; o++) {
        for (let q = 0; q < inner; q++) {
          const b = o * len * inner + q;
          let dot = 0;
          for (let i = 0; i < len; i++) dot += y[b + i * inner]! * dy[b + i * inner]!;
          for (let i = 0; i < len; i++) dx[b + i * inner] = y[b + i * inner]! * (dy[b + i * inner]! - dot);
        }
      }
      break;
    }
    default:
      throw new RangeError(`activation '${act.kind}' is differentiated from its input`);
  }
  return dx;
}
