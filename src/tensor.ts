// A minimal plain-data tensor: row-major (C order) float32 values and a shape. Results and
// engine inputs use it; it carries no engine state and can be posted to a worker as is.

import { nativeByteSearch } from './bytes.js';

/** A dense row-major float32 array with its shape. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Makes a tensor, checking that data and shape agree. */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  const n = sizeOf(shape);
  const values = data ?? new Float32Array(n);
  if (values.length !== n) {
    throw new RangeError(`tensor: shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`);
  }
  return { shape: [...shape], data: values };
}

/** The rows `rows` of the leading axis, in that order (a copy). */
export function takeRows(t: Tensor, rows: ArrayLike<number>): Tensor {
  const per = sizeOf(t.shape.slice(1));
  const data = new Float32Array(rows.length * per);
  for (let i = 0; i < rows.length; i++) data.set(t.data.subarray(rows[i]! * per, (rows[i]! + 1) * per), i * per);
  return { shape: [rows.length, ...t.shape.slice(1)], data };
}

/** Row i of the leading axis, as a view (no copy). */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  return { shape: [end - start, ...t.shape.slice(1)], data: t.data.subarray(start * row, end * row) };
}

/** True where float32 values are stored little-endian (every platform Node and browsers run on). */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * Index of the first NaN or infinite value of `data`, or -1.
 *
 * A float32 is NaN or infinite exactly when its eight exponent bits are all ones: its high byte
 * is 0x7f or 0xff and the top bit of the byte below is set. In Node, the high bytes are found by
 * the native byte search (memchr), which skips image data (0/1, small integers, values in
 * [0, 1]: no such bytes at all) at memory speed: 7 ms for BaSe's 512 x 128 x 128 inputs, where
 * a first, not yet optimised JavaScript loop over the values took 25-45 ms. Elsewhere, a loop.
 */
export function firstNonFinite(data: Float32Array): number {
  const bytes = LITTLE_ENDIAN ? nativeByteSearch(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) : null;
  if (bytes === null) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
    return -1;
  }
  let first = -1;
  for (const high of [0x7f, 0xff]) {
    // Only bytes before the first hit so far can give an earlier one.
    for (let i = bytes.indexOf(high, 3); i >= 0 && (first < 0 || i >> 2 < first); i = bytes.indexOf(high, i + 1)) {
      if ((i & 3) === 3 && (bytes[i - 1]! & 0x80) !== 0) {
        first = i >> 2;
        break;
      }
    }
  }
  return first;
}
