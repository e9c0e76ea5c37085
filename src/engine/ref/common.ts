// Shared plumbing of the reference engine: the internal tensor type (float32 or float64 data;
// the precision follows the input arrays), window geometry (TensorFlow 'same' padding),
// spatial views of channels_first/channels_last tensors, and the engine's error helpers.

import { ArgumentError, UnsupportedError, formatShape } from '../../errors.js';
import type { DataFormat, Node, Padding } from '../../model/ir.js';

/** Storage of the reference engine: float32 normally; float64 when fed float64 inputs (checks). */
export type Arr = Float32Array | Float64Array;

/** A tensor inside the reference engine: concrete shape (batch first) and row-major data. */
export interface RTensor {
  readonly shape: readonly number[];
  readonly data: Arr;
}

/** A zeroed array of `n` values of the same precision as `like`. */
export function alloc(like: Arr, n: number): Arr {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Number of elements of a concrete shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Output size and leading padding of one spatial axis of a sliding window. */
export interface AxisGeometry {
  readonly out: number;
  /** Cells of padding before the first input cell (the smaller half for 'same'). */
  readonly before: number;
}

/**
 * Window geometry of one axis, as TensorFlow computes it: 'valid' uses no padding;
 * 'same' gives out = ceil(in / stride) and total padding max((out-1)*stride + (k-1)*dilation + 1 - in, 0),
 * the smaller half before; 'causal' (Conv1D) pads (k-1)*dilation before only.
 * Returns out <= 0 when the window does not fit (callers report it).
 */
export function axisGeometry(size: number, k: number, stride: number, dilation: number, padding: Padding): AxisGeometry {
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - span) / stride) + 1, before: 0 };
  if (padding === 'causal') return { out: Math.floor((size - 1) / stride) + 1, before: span - 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + span - size, 0);
  return { out, before: Math.floor(total / 2) };
}

/**
 * A spatial tensor seen as 2-D: rank-1 ops use h = 1. `channelsLast` tells whether the data is
 * (n, h, w, c) or (n, c, h, w).
 */
export interface Spatial {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly channelsLast: boolean;
}

/** Reads (n, c, h, w) from a rank-1 or rank-2 spatial tensor shape, or throws SHAPE_MISMATCH. */
export function spatialOf(node: Node, shape: readonly number[], rank: 1 | 2, dataFormat: DataFormat): Spatial {
  if (shape.length !== rank + 2) {
    throw shapeError(node, `expects a rank-${rank + 2} input (batch, ${rank === 1 ? 'steps' : 'rows, cols'}, channels in ${dataFormat} order), got ${formatShape(shape)}`);
  }
  const channelsLast = dataFormat === 'channels_last';
  const n = shape[0]!;
  const c = channelsLast ? shape[rank + 1]! : shape[1]!;
  const s0 = channelsLast ? 1 : 2;
  const h = rank === 1 ? 1 : shape[s0]!;
  const w = rank === 1 ? shape[s0]! : shape[s0 + 1]!;
  return { n, c, h, w, channelsLast };
}

/** The full shape of a spatial tensor with the given sizes, in the original rank and layout. */
export function spatialShape(rank: 1 | 2, channelsLast: boolean, n: number, c: number, h: number, w: number): number[] {
  const sp = rank === 1 ? [w] : [h, w];
  return channelsLast ? [n, ...sp, c] : [n, c, ...sp];
}

/** Extends a rank-1 parameter list ([k]) to the 2-D form ([1, k]) used internally. */
export function as2d(values: readonly number[], rank: 1 | 2, fill: number): [number, number] {
  return rank === 1 ? [fill, values[0]!] : [values[0]!, values[1]!];
}

/** Short description of a node for messages: `'conv2d_1' (Conv2D)`. */
export function describe(node: Node): string {
  return `'${node.name}' (${node.className})`;
}

/** An input of a node does not have a shape the node can take. */
export function shapeError(node: Node, what: string): ArgumentError {
  return new ArgumentError('SHAPE_MISMATCH', `Layer ${describe(node)} ${what}.`, {
    hint: 'Check the input shape given to the model.',
    details: { node: node.name },
  });
}

/** The graph itself is inconsistent (weights and op disagree): a translator problem, not the user's. */
export function graphError(node: Node, what: string): UnsupportedError {
  return new UnsupportedError('MODEL_UNSUPPORTED', `The reference engine cannot run layer ${describe(node)}: ${what}.`, {
    hint: 'The model graph is inconsistent; please report this with the model file.',
    details: { node: node.name },
  });
}

/** Validates a parameter list length and positivity of an op (kernel sizes, strides...). */
export function checkInts(node: Node, label: string, values: readonly number[], length: number, min: number): void {
  if (values.length !== length || values.some((v) => !Number.isInteger(v) || v < min)) {
    throw graphError(node, `${label} must be ${length} integer(s) >= ${min}, got [${values.join(', ')}]`);
  }
}

/**
 * Reusable work arrays (im2col columns, transposed gradients) owned by one engine. A slot keeps
 * its largest array per precision; callers must not hold on to one across calls.
 */
export class Scratch {
  private readonly slots = new Map<string, Arr>();
  /** An array of at least `n` values of `like`'s precision; contents are undefined. */
  get(slot: string, n: number, like: Arr): Arr {
    const key = `${slot}:${like instanceof Float64Array ? 64 : 32}`;
    const have = this.slots.get(key);
    if (have !== undefined && have.length >= n) return have;
    const made = alloc(like, n);
    this.slots.set(key, made);
    return made;
  }
  /** Drops every array. */
  clear(): void {
    this.slots.clear();
  }
}
