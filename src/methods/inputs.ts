// The layout of the model's input as an image: height, width, channels and where pixel
// (y, x, c) of one sample lives, for channels_last, channels_first and 1-D inputs; and one
// input as drawable planes (the `InputImage` every image figure draws on).

import { ArgumentError, formatShape } from '../errors.js';
import type { DataFormat, Graph } from '../model/ir.js';
import type { Model } from '../model/model.js';
import { sizeOf, type Tensor } from '../tensor.js';

export interface InputLayout {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly dataFormat: 'channels_last' | 'channels_first';
  /** Offset of (y, x, c) within one sample. */
  offset(y: number, x: number, c: number): number;
}

/** Ops that declare a data format. */
const FORMAT_OPS = new Set(['conv', 'depthwiseConv', 'pool', 'globalPool', 'zeroPad', 'crop', 'upsample']);
/** Ops that keep the layout of their input (a format declared after them applies to the input). */
const LAYOUT_PRESERVING = new Set(['identity', 'activation', 'batchNorm', 'rescale', 'merge']);

/**
 * The data format of the graph's first input: that of the first layer (in topological order)
 * fed by the input through layout-preserving layers only (Dropout, Rescaling, BatchNorm, ...)
 * that declares one; channels_last when none does.
 */
export function inputDataFormat(graph: Graph): DataFormat {
  const reach = new Set([graph.inputs[0]!]);
  for (const n of graph.nodes) {
    if (!n.inputs.some((i) => reach.has(i))) continue;
    if (FORMAT_OPS.has(n.op.type)) return (n.op as { dataFormat: DataFormat }).dataFormat;
    if (LAYOUT_PRESERVING.has(n.op.type)) reach.add(n.name);
  }
  return 'channels_last';
}

/** How the single input of `model` maps to an image. */
export function inputLayout(model: Model): InputLayout {
  const shape = model.inputShape.slice(1).map((d) => d ?? 0);
  const fmt = inputDataFormat(model.graph);
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

/** One input as an image: channel planes, their mean, and the value range to draw it with. */
export interface InputImage {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** How one sample of the input (and of a gradient w.r.t. it) is laid out. */
  readonly dataFormat: DataFormat;
  /** Channel planes (channels, height, width), row-major. */
  readonly planes: Float32Array;
  /** Mean over channels (height x width): what figures draw in gray. */
  readonly gray: Float32Array;
  /** Value drawn black and white: [0, 1] when every value lies there, else the data range. */
  readonly min: number;
  readonly max: number;
}

/** Rearranges one sample laid out as the model input into channel planes (C, H, W). */
export function toInputPlanes(layout: InputLayout, sample: ArrayLike<number>): Float32Array {
  const { height: h, width: w, channels: c } = layout;
  if (sample.length !== h * w * c) {
    throw new ArgumentError('SHAPE_MISMATCH', `One input has ${h * w * c} values (${h} x ${w} x ${c}); got ${sample.length}.`);
  }
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(k * h + y) * w + x] = sample[layout.offset(y, x, k)]!;
  return out;
}

/** The image of one input x (shape (1, ...input)) of `model`, ready for figures. */
export function inputImage(model: Model, x: Tensor): InputImage {
  const layout = inputLayout(model);
  const per = sizeOf(model.inputShape.slice(1).map((d) => d ?? 0));
  if (x.data.length !== per) throw new ArgumentError('SHAPE_MISMATCH', `inputImage takes one input (${per} values, shape (1, ...input)); got ${x.data.length} values.`);
  const planes = toInputPlanes(layout, x.data);
  const hw = layout.height * layout.width;
  const gray = new Float32Array(hw);
  for (let k = 0; k < layout.channels; k++) for (let p = 0; p < hw; p++) gray[p]! += planes[k * hw + p]! / layout.channels;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of planes) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const unit = lo >= 0 && hi <= 1;
  const [min, max] = unit || lo > hi ? [0, 1] : lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
  return { height: layout.height, width: layout.width, channels: layout.channels, dataFormat: layout.dataFormat, planes, gray, min, max };
}
