// One entry point per direction for every Op of model/ir.ts: prepare (check and transform
// weights once), forward, what backward needs kept, and backward to the inputs. Fused
// activations of conv/depthwise/dense run here, after the linear part.

import type { Activation, Node, Op } from '../../model/ir.js';
import { activationBackward, activationNeeds, applyActivation } from './activations.js';
import { type Arr, type RTensor, type Scratch, alloc, graphError } from './common.js';
import { type ConvPrep, convBackward, convForward, prepareConv } from './conv.js';
import { type DepthwisePrep, depthwiseBackward, depthwiseForward, prepareDepthwise } from './depthwise.js';
import { type DensePrep, denseBackward, denseForward, prepareDense } from './dense.js';
import {
  type BatchNormPrep, batchNormBackward, batchNormForward, mergeBackward, mergeForward, mergeNeedsInputs,
  prepareBatchNorm, rescaleForward, scaled,
} from './elementwise.js';
import { globalPoolBackward, globalPoolForward, poolBackward, poolForward } from './pool.js';
import {
  concatBackward, concatForward, cropBackward, cropForward, flattenBackward, flattenForward, permuteBackward,
  permuteForward, reshapeForward, upsampleBackward, upsampleForward, zeroPadBackward, zeroPadForward,
} from './shape.js';

/** Weights of a node in the form its kernels use (null for ops without weights). */
export type Prep = ConvPrep | DepthwisePrep | DensePrep | BatchNormPrep | null;

/** Checks a node (input count, parameters, weight shapes) and prepares its weights. */
export function prepareNode(node: Node): Prep {
  const op = node.op;
  const arity = op.type === 'input' ? 0 : op.type === 'merge' || op.type === 'concat' ? -1 : 1;
  if (arity >= 0 && node.inputs.length !== arity) {
    throw graphError(node, `a '${op.type}' node takes ${arity} input(s), this one has ${node.inputs.length}`);
  }
  if (arity < 0 && node.inputs.length < 1) throw graphError(node, `a '${op.type}' node needs at least one input`);
  switch (op.type) {
    case 'conv':
      return prepareConv(node, op);
    case 'depthwiseConv':
      return prepareDepthwise(node, op);
    case 'dense':
      return prepareDense(node, op);
    case 'batchNorm':
      return prepareBatchNorm(node, op);
    default:
      return null;
  }
}

/** What a node's backward pass reads from its forward pass. */
export interface BackwardNeeds {
  /** The forward inputs. */
  readonly inputs: boolean;
  /** The forward output. */
  readonly output: boolean;
  /** The pre-activation value of a fused activation. */
  readonly pre: boolean;
}

const NOTHING: BackwardNeeds = { inputs: false, output: false, pre: false };

/** What backwardNode will need kept for this op. */
export function backwardNeeds(op: Op): BackwardNeeds {
  switch (op.type) {
    case 'conv':
    case 'depthwiseConv':
    case 'dense': {
      const a = activationNeeds(op.activation);
      return { inputs: false, output: a === 'output', pre: a === 'input' };
    }
    case 'activation': {
      const a = activationNeeds(op.activation);
      return { inputs: a === 'input', output: a === 'output', pre: false };
    }
    case 'pool':
    case 'globalPool':
      return { inputs: op.mode === 'max', output: false, pre: false };
    case 'merge':
      return { inputs: mergeNeedsInputs(op), output: false, pre: false };
    default:
      return NOTHING;
  }
}

/** A node's forward result: its output, and its pre-activation value when asked for and needed. */
export interface Forward {
  readonly y: RTensor;
  readonly pre: RTensor | null;
}

function fused(node: Node, act: Activation, z: RTensor, keepPre: boolean): Forward {
  if (act.kind === 'linear') return { y: z, pre: null };
  if (keepPre && activationNeeds(act) === 'input') {
    const y = alloc(z.data, z.data.length);
    applyActivation(node, act, z.data, y, z.shape);
    return { y: { shape: z.shape, data: y }, pre: z };
  }
  applyActivation(node, act, z.data, z.data, z.shape);
  return { y: z, pre: null };
}

/** Ops that can write their output over their (single) input, saving an allocation and a pass. */
export function canRunInPlace(op: Op): boolean {
  return op.type === 'activation' || op.type === 'batchNorm' || op.type === 'rescale';
}

/**
 * Runs one node. The output may share its input's array (identity, reshape, channels_last
 * flatten). Inputs are never written, except with `inPlace` for ops where canRunInPlace holds.
 * `keepPre`: also return the pre-activation of a fused activation whose derivative needs it.
 */
export function forwardNode(node: Node, prep: Prep, inputs: readonly RTensor[], scratch: Scratch, keepPre: boolean, inPlace = false): Forward {
  const op = node.op;
  const x = inputs[0]!;
  const dst = (): Arr => (inPlace && canRunInPlace(op) ? x.data : alloc(x.data, x.data.length));
  switch (op.type) {
    case 'input':
      throw new RangeError('forwardNode: input nodes have no forward');
    case 'conv':
      return fused(node, op.activation, convForward(node, op, prep as ConvPrep, x, scratch), keepPre);
    case 'depthwiseConv':
      return fused(node, op.activation, depthwiseForward(node, op, prep as DepthwisePrep, x), keepPre);
    case 'dense':
      return fused(node, op.activation, denseForward(node, prep as DensePrep, x), keepPre);
    case 'batchNorm':
      return { y: batchNormForward(node, op, prep as BatchNormPrep, x, dst()), pre: null };
    case 'activation': {
      const y = dst();
      applyActivation(node, op.activation, x.data, y, x.shape);
      return { y: { shape: x.shape, data: y }, pre: null };
    }
    case 'pool':
      return { y: poolForward(node, op, x), pre: null };
    case 'globalPool':
      return { y: globalPoolForward(node, op, x), pre: null };
    case 'flatten':
      return { y: flattenForward(node, op.dataFormat === 'channels_first', x), pre: null };
    case 'reshape':
      return { y: reshapeForward(node, op.targetShape, x), pre: null };
    case 'permute':
      return { y: permuteForward(node, op, x), pre: null };
    case 'identity':
      return { y: x, pre: null };
    case 'zeroPad':
      return { y: zeroPadForward(node, op, x), pre: null };
    case 'crop':
      return { y: cropForward(node, op, x), pre: null };
    case 'upsample':
      return { y: upsampleForward(node, op, x), pre: null };
    case 'concat':
      return { y: concatForward(node, op.axis, inputs), pre: null };
    case 'merge':
      return { y: mergeForward(node, op, inputs), pre: null };
    case 'rescale':
      return { y: rescaleForward(op.scale, op.offset, x, dst()), pre: null };
    default: {
      const never: never = op;
      throw graphError(node, `unknown op ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
}

/** What the forward pass left for one node's backward pass (as backwardNeeds asked). */
export interface Saved {
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  /** Forward inputs (null entries when not needed). */
  readonly inputs: readonly (Arr | null)[];
  readonly output: Arr | null;
  readonly pre: Arr | null;
}

function need<T>(v: T | null, what: string, node: Node): T {
  if (v === null) throw new RangeError(`backwardNode '${node.name}': ${what} was not kept`);
  return v;
}

/**
 * Backward of one node: gradients w.r.t. its inputs given the gradient of its output, null for
 * inputs not in `want`. A returned array may be `dy` itself (identity, reshape): callers must
 * not write into results.
 */
export function backwardNode(node: Node, prep: Prep, saved: Saved, dy: Arr, want: readonly boolean[], scratch: Scratch): (Arr | null)[] {
  const op = node.op;
  const inShape = saved.inShapes[0]!;
  const one = (f: () => Arr): (Arr | null)[] => [want[0] === true ? f() : null];
  const preGrad = (act: Activation): Arr =>
    act.kind === 'linear' ? dy : activationBackward(node, act, saved.pre, saved.output, dy, saved.outShape);
  switch (op.type) {
    case 'input':
      return [];
    case 'conv':
      return one(() => convBackward(node, op, prep as ConvPrep, inShape, preGrad(op.activation), scratch));
    case 'depthwiseConv':
      return one(() => depthwiseBackward(node, op, prep as DepthwisePrep, inShape, preGrad(op.activation)));
    case 'dense':
      return one(() => denseBackward(node, prep as DensePrep, inShape, preGrad(op.activation)));
    case 'batchNorm':
      return one(() => batchNormBackward(node, op, prep as BatchNormPrep, inShape, dy));
    case 'activation':
      return one(() => activationBackward(node, op.activation, saved.inputs[0] ?? null, saved.output, dy, inShape));
    case 'pool':
      return one(() => poolBackward(node, op, inShape, saved.inputs[0] ?? null, dy));
    case 'globalPool':
      return one(() => globalPoolBackward(node, op, inShape, saved.inputs[0] ?? null, dy));
    case 'flatten':
      return one(() => flattenBackward(op.dataFormat === 'channels_first', inShape, dy));
    case 'reshape':
    case 'identity':
      return one(() => dy);
    case 'permute':
      return one(() => permuteBackward(node, op, inShape, dy));
    case 'zeroPad':
      return one(() => zeroPadBackward(node, op, inShape, dy));
    case 'crop':
      return one(() => cropBackward(node, op, inShape, dy));
    case 'upsample':
      return one(() => upsampleBackward(node, op, inShape, dy));
    case 'concat':
      return concatBackward(node, op.axis, saved.inShapes, dy, want);
    case 'merge':
      return mergeBackward(node, op, saved.inShapes, saved.inputs.map((a, i) => (mergeNeedsInputs(op) ? need(a, `input ${i}`, node) : a)), dy, want);
    case 'rescale':
      return one(() => scaled(dy, op.scale));
    default: {
      const never: never = op;
      throw graphError(node, `unknown op ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
}
