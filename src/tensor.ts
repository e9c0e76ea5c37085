// A minimal plain-data tensor: row-major (C order) float32 values and a shape. Results and
// engine inputs use it; it carries no engine state and can be posted to a worker as is.

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
