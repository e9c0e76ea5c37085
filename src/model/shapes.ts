// Shape arithmetic for Keras layers: output lengths of convolutions and pooling (TensorFlow's
// 'same' rule: ceil(n / stride)), spatial and channel axes per data format. Unknown sizes (null)
// propagate.

import type { DataFormat, Padding, Shape } from './ir.js';

/**
 * Output length of a convolution along one axis (Keras conv_output_length):
 * valid: ceil((n - ((k - 1) d + 1) + 1) / s); same and causal: ceil(n / s).
 * Returns null for an unknown input length.
 */
export function convOutLength(n: number | null, kernel: number, stride: number, dilation: number, padding: Padding): number | null {
  if (n === null) return null;
  if (padding === 'same' || padding === 'causal') return Math.ceil(n / stride);
  const eff = (kernel - 1) * dilation + 1;
  return Math.floor((n - eff + stride) / stride);
}

/** Axes (batch included) of the spatial dimensions of a rank-r layer's input. */
export function spatialAxes(rank: number, dataFormat: DataFormat): number[] {
  const first = dataFormat === 'channels_first' ? 2 : 1;
  return Array.from({ length: rank }, (_, i) => first + i);
}

/** Axis (batch included) of the channels of a rank-r layer's input. */
export function channelAxis(rank: number, dataFormat: DataFormat): number {
  return dataFormat === 'channels_first' ? 1 : rank + 1;
}

/** Product of the non-batch dimensions, or null when one is unknown. */
export function perSampleSize(shape: Shape): number | null {
  let n = 1;
  for (const d of shape.slice(1)) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/** Replaces the given axes of `shape` by `values`. */
export function withAxes(shape: Shape, axes: readonly number[], values: readonly (number | null)[]): Shape {
  const out = [...shape];
  axes.forEach((a, i) => {
    out[a] = values[i] ?? null;
  });
  return out;
}
