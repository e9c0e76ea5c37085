// The layout of the model's input as an image: height, width, channels and where pixel
// (y, x, c) of one sample lives, for channels_last, channels_first and 1-D inputs.

import { ArgumentError, formatShape } from '../errors.js';
import type { Model } from '../model/model.js';
import { dataFormatOf } from './layers.js';

export interface InputLayout {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly dataFormat: 'channels_last' | 'channels_first';
  /** Offset of (y, x, c) within one sample. */
  offset(y: number, x: number, c: number): number;
}

/** How the single input of `model` maps to an image. */
export function inputLayout(model: Model): InputLayout {
  const shape = model.inputShape.slice(1).map((d) => d ?? 0);
  // The input's format is the one of the first layer that has one.
  const first = model.graph.nodes.find((n) => n.inputs.includes(model.graph.inputs[0]!));
  const fmt = first !== undefined ? dataFormatOf(model.graph, first.name) : 'channels_last';
  if (shape.some((d) => d <= 0)) throw new ArgumentError('SHAPE_MISMATCH', `The model input ${formatShape(model.inputShape)} has unknown sizes; methods need a fixed input size.`);
  if (shape.length === 3) {
    if (fmt === 'channels_first') {
      const [c, h, w] = shape as [number, number, number];
      return { height: h, width: w, channels: c, dataFormat: fmt, offset: (y, x, k) => (k * h + y) * w + x };
    }
    const [h, w, c] = shape as [number, number, number];
    return { height: h, width: w, channels: c, dataFormat: 'channels_last', offset: (y, x, k) => (y * w + x) * c + k };
  }
  if (shape.length === 2) {
    // 1-D sequences (steps, channels) or a 2-D single-channel input.
    const [a, b] = shape as [number, number];
    if (fmt === 'channels_first') return { height: 1, width: b, channels: a, dataFormat: fmt, offset: (_y, x, k) => k * b + x };
    return { height: a, width: b, channels: 1, dataFormat: 'channels_last', offset: (y, x) => y * b + x };
  }
  throw new ArgumentError('SHAPE_MISMATCH', `The model input ${formatShape(model.inputShape)} is not an image (expected (H, W, C), (C, H, W) or (H, W)).`);
}
