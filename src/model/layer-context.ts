// What a per-class layer translator receives (config, input shapes, weights access) and returns
// (IR ops with output shapes and parameter counts), plus the input checks they share.

import type { NamedWeight } from '../io/keras/artifacts.js';
import { formatShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Op, Shape } from './ir.js';
import type { LayerSpec } from './keras-config.js';
import type { Dialect, LayerConfig } from './layer-config.js';
import { badConfig, type ExpectedWeight, type Where } from './translate-messages.js';

/** Everything a translator may look at for one call of one layer. */
export interface LayerContext {
  readonly spec: LayerSpec;
  readonly cfg: LayerConfig;
  readonly where: Where;
  /** Output shapes of the layer's inputs, in order (batch axis first, null). */
  readonly inputShapes: readonly Shape[];
  readonly dialect: Dialect;
  /** True when convolution kernels must be flipped spatially (Theano-trained). */
  readonly theano: boolean;
  /**
   * The layer's stored weights, checked against `expected` (roles and shapes in storage order).
   * `adapt` may reshape what was found first (Keras 1 Conv1D kernels carry a unit axis).
   */
  weights(expected: readonly ExpectedWeight[], adapt?: (found: readonly NamedWeight[]) => readonly NamedWeight[]): Tensor[];
}

/** One IR node produced by a translator. Helper nodes before the last get `name/suffix`. */
export interface LayerOutput {
  readonly op: Op;
  readonly outputShape: Shape;
  readonly params: number;
  /** Name suffix of a helper node (all but the last output), e.g. `depthwise`. */
  readonly suffix?: string;
}

/** Translates one call of a layer into one node, or a chain of nodes (last = the layer). */
export type Translator = (ctx: LayerContext) => LayerOutput[];

/** The single input shape of a layer, checked for count and (optionally) rank. */
export function oneInput(ctx: LayerContext, ranks?: readonly number[]): Shape {
  if (ctx.inputShapes.length !== 1) throw badConfig(ctx.where, `takes one input but is called on ${ctx.inputShapes.length}`);
  const x = ctx.inputShapes[0]!;
  if (ranks !== undefined && !ranks.includes(x.length)) {
    throw badConfig(ctx.where, `expects an input of rank ${ranks.join(' or ')} (batch included) but gets ${formatShape(x)}`);
  }
  return x;
}

/** A dimension that must be known (channels, Dense input size). */
export function knownDim(ctx: LayerContext, shape: Shape, axis: number, what: string): number {
  const d = shape[axis];
  if (d === null || d === undefined) throw badConfig(ctx.where, `needs a known ${what} size (axis ${axis}) but its input is ${formatShape(shape)}`);
  return d;
}

/** Resolves a Keras axis (negative counts from the end) to a non-negative non-batch axis. */
export function resolveAxis(ctx: LayerContext, axis: number, rank: number, key = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 1 || a >= rank) throw badConfig(ctx.where, `option '${key}' = ${axis} is not a non-batch axis of a rank-${rank} input`);
  return a;
}

/** Throws KERAS_BAD_CONFIG when a computed size is not positive (the layer cannot apply). */
export function checkPositive(ctx: LayerContext, input: Shape, output: Shape): Shape {
  if (output.some((d) => d !== null && d <= 0)) {
    throw badConfig(ctx.where, `would turn input ${formatShape(input)} into ${formatShape(output)}: the input is too small for this layer`);
  }
  return output;
}
