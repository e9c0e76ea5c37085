// A trainable network: the weights of a resolved architecture (spec.ts), a training-mode forward
// pass that keeps what backward needs (BatchNorm on batch statistics with moving averages,
// Dropout with seeded masks), and the backward pass to every weight. Inference goes through the
// ordinary IR Graph (toGraph) and any engine. Isomorphic; one thread.
//
// Reused from the reference engine (src/engine/ref): convolution forward and input gradient,
// Dense forward and input gradient, max pooling both ways, activations both ways, the GEMM.
// Added here (kernels.ts): conv/Dense weight gradients, training-mode BatchNorm, dropout.

import type { Activation, Graph, Node, Op } from '../model/ir.js';
import { type Arr, type RTensor, Scratch, alloc } from '../engine/ref/common.js';
import { activationBackward, activationNeeds, applyActivation } from '../engine/ref/activations.js';
import { convBackward, convForward, prepareConv } from '../engine/ref/conv.js';
import { denseBackward, denseForward, prepareDense } from '../engine/ref/dense.js';
import { poolBackward, poolForward } from '../engine/ref/pool.js';
import { ArgumentError, formatShape } from '../errors.js';
import type { NamedWeight } from '../io/keras/artifacts.js';
import { createRng, type Rng } from '../random.js';
import { tensor, type Tensor } from '../tensor.js';
import {
  type BatchNormSaved, type ConvGeometry, batchNormTrainBackward, batchNormTrainForward, convForwardSimd, convGeometry,
  convInputGradientSimd, convWeightGradients, denseWeightGradients, dropoutBackward, dropoutForward, flippedConvApplies,
} from './kernels.js';
import { type SimdGemm, simdGemm } from './simd.js';
import type { ActivationName, ArchitectureSpec, Initializer, ResolvedArchitecture, ResolvedLayer } from './spec.js';
import { resolveArchitecture } from './spec.js';

/** One trainable weight array (live: the optimiser updates `data` in place). */
export interface Parameter {
  /** Layer name. */
  readonly layer: string;
  readonly name: 'kernel' | 'bias' | 'gamma' | 'beta';
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** L2 penalty factor: adds l2 * sum(data^2) to the loss (kernels only; 0 = none). */
  readonly l2: number;
}

/** Weights of one layer, Keras order (kernel, bias / gamma, beta, moving mean, moving variance). */
interface LayerWeights {
  kernel?: Float32Array;
  bias?: Float32Array;
  gamma?: Float32Array;
  beta?: Float32Array;
  movingMean?: Float32Array;
  movingVariance?: Float32Array;
}

/** What one layer's training forward kept for backward. */
interface Saved {
  readonly x: RTensor;
  readonly y: RTensor;
  /** Pre-activation of a fused activation (when its derivative needs the input). */
  readonly pre: Arr | null;
  readonly mask: Float32Array | null;
  readonly bn: BatchNormSaved | null;
}

/** Statistics of one batch at one BatchNorm layer (per channel). */
export interface BatchStatistics {
  readonly layer: string;
  readonly mean: Float64Array;
  /** Biased (population) variance of the batch. */
  readonly variance: Float64Array;
  /** Values per channel. */
  readonly count: number;
}

/** A training forward pass: the logits and what backward needs. */
export interface ForwardPass {
  /** Pre-activation of the head (sigmoid/softmax not applied), (N, units). */
  readonly logits: RTensor;
  readonly batch: number;
  /** Internal: per-layer saved values. */
  readonly saved: readonly Saved[];
  /** Internal: the SIMD GEMM used by this pass (null: reference kernels). */
  readonly simd: SimdGemm | null;
}

/** Options of {@link Network.forward}. */
export interface ForwardOptions {
  /** Training mode: batch statistics in BatchNorm, active Dropout (default true). */
  readonly training?: boolean;
  /** Random source of the dropout masks (required when training with Dropout layers). */
  readonly rng?: Rng;
  /** Update the BatchNorm moving averages from this batch (default: same as `training`). */
  readonly updateStatistics?: boolean;
}

const LINEAR: Activation = { kind: 'linear' };

/** The IR activation of a Keras activation name; softmax over the last axis of a `rank`-D output (batch included). */
function irActivation(name: ActivationName, rank: number): Activation {
  switch (name) {
    case 'relu':
      return { kind: 'relu', maxValue: null, negativeSlope: 0, threshold: 0 };
    case 'softmax':
      return { kind: 'softmax', axis: rank - 1 };
    case 'linear':
      return LINEAR;
    default:
      return { kind: name };
  }
}

function initKernel(rng: Rng, init: Initializer, n: number, fanIn: number, fanOut: number): Float32Array {
  const limit = init === 'uniform' ? 0.05 : init === 'he_uniform' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** Options of {@link Network}'s constructor. */
export interface NetworkOptions {
  /** Seed of the weight initialisation (default 0). */
  readonly seed?: number;
  /**
   * Use the WebAssembly SIMD matrix product for float32 passes where available (default true).
   * Float64 passes (gradient checks) always use the reference engine's kernels.
   */
  readonly simd?: boolean;
}

/** A trainable chain network. Create with `new Network(architecture, {seed})`. */
export class Network {
  readonly architecture: ResolvedArchitecture;
  /** Trainable weights in Keras order (layer by layer; kernel, bias / gamma, beta). */
  readonly parameters: readonly Parameter[];
  private readonly weights = new Map<string, LayerWeights>();
  private readonly scratch = new Scratch();
  private readonly convScratch = new Map<string, { cols: Arr | null; dzt: Arr | null }>();
  private readonly useSimd: boolean;

  /** Checks the architecture and initialises the weights as Keras would (seeded). */
  constructor(architecture: ArchitectureSpec | ResolvedArchitecture, options: NetworkOptions = {}) {
    const { seed = 0, simd = true } = options;
    this.useSimd = simd;
    this.architecture = 'head' in architecture ? architecture : resolveArchitecture(architecture);
    const rng = createRng(seed);
    const params: Parameter[] = [];
    for (const l of this.architecture.layers) {
      const w: LayerWeights = {};
      if (l.type === 'conv2d') {
        const [kh, kw] = l.kernelSize;
        const cin = l.inShape[2]!;
        const shape = [kh, kw, cin, l.filters];
        w.kernel = initKernel(rng, l.kernelInitializer, kh * kw * cin * l.filters, kh * kw * cin, kh * kw * l.filters);
        params.push({ layer: l.name, name: 'kernel', shape, data: w.kernel, l2: l.l2 });
        if (l.useBias) {
          w.bias = new Float32Array(l.filters);
          params.push({ layer: l.name, name: 'bias', shape: [l.filters], data: w.bias, l2: 0 });
        }
      } else if (l.type === 'dense') {
        const inF = l.inShape[0]!;
        w.kernel = initKernel(rng, l.kernelInitializer, inF * l.units, inF, l.units);
        params.push({ layer: l.name, name: 'kernel', shape: [inF, l.units], data: w.kernel, l2: l.l2 });
        if (l.useBias) {
          w.bias = new Float32Array(l.units);
          params.push({ layer: l.name, name: 'bias', shape: [l.units], data: w.bias, l2: 0 });
        }
      } else if (l.type === 'batchNorm') {
        const c = l.inShape[l.inShape.length - 1]!;
        w.gamma = new Float32Array(c).fill(1);
        w.beta = new Float32Array(c);
        w.movingMean = new Float32Array(c);
        w.movingVariance = new Float32Array(c).fill(1);
        params.push({ layer: l.name, name: 'gamma', shape: [c], data: w.gamma, l2: 0 });
        params.push({ layer: l.name, name: 'beta', shape: [c], data: w.beta, l2: 0 });
      }
      this.weights.set(l.name, w);
    }
    this.parameters = params;
  }

  /** Number of stored values (trainable and BatchNorm statistics), as Keras counts parameters. */
  get parameterCount(): number {
    let n = 0;
    for (const w of this.weights.values()) for (const a of Object.values(w)) n += (a as Float32Array).length;
    return n;
  }

  /** The IR node of a layer over the current weights (views, not copies). */
  private node(l: ResolvedLayer, inputName: string, copy: boolean): Node {
    const w = this.weights.get(l.name)!;
    const t = (shape: readonly number[], data: Float32Array | undefined): Tensor | null =>
      data === undefined ? null : tensor(shape, copy ? data.slice() : data);
    const rank = l.outShape.length + 1;
    let op: Op;
    let className: string;
    let params = 0;
    switch (l.type) {
      case 'conv2d': {
        const cin = l.inShape[2]!;
        className = 'Conv2D';
        op = {
          type: 'conv', rank: 2, filters: l.filters, kernelSize: [...l.kernelSize], strides: [...l.strides], dilation: [1, 1],
          padding: l.padding, dataFormat: 'channels_last', groups: 1,
          kernel: t([l.kernelSize[0], l.kernelSize[1], cin, l.filters], w.kernel)!, bias: t([l.filters], w.bias),
          activation: irActivation(l.activation, rank),
        };
        params = w.kernel!.length + (w.bias?.length ?? 0);
        break;
      }
      case 'dense':
        className = 'Dense';
        op = {
          type: 'dense', units: l.units, kernel: t([l.inShape[0]!, l.units], w.kernel)!, bias: t([l.units], w.bias),
          activation: irActivation(l.activation, rank),
        };
        params = w.kernel!.length + (w.bias?.length ?? 0);
        break;
      case 'batchNorm': {
        const c = w.gamma!.length;
        className = 'BatchNormalization';
        op = {
          type: 'batchNorm', axis: rank - 1, epsilon: l.epsilon, gamma: t([c], w.gamma), beta: t([c], w.beta),
          mean: t([c], w.movingMean)!, variance: t([c], w.movingVariance)!,
        };
        params = 4 * c;
        break;
      }
      case 'activation':
        className = 'Activation';
        op = { type: 'activation', activation: irActivation(l.activation, rank) };
        break;
      case 'maxPool2d':
        className = 'MaxPooling2D';
        op = { type: 'pool', mode: 'max', rank: 2, poolSize: [...l.poolSize], strides: [...l.strides], padding: l.padding, dataFormat: 'channels_last' };
        break;
      case 'dropout':
        className = 'Dropout';
        op = { type: 'identity' };
        break;
      case 'flatten':
        className = 'Flatten';
        op = { type: 'flatten', dataFormat: 'channels_last' };
        break;
    }
    return { name: l.name, className, op, inputs: [inputName], outputShape: [null, ...l.outShape], params };
  }

  /**
   * The inference graph (BatchNorm on moving statistics, Dropout as identity), as the Keras file
   * written from this network translates to. `copy` (default true) snapshots the weights;
   * false shares the live arrays (valid until the next optimiser step).
   */
  toGraph(options: { copy?: boolean } = {}): Graph {
    const { copy = true } = options;
    const a = this.architecture;
    const nodes: Node[] = [{ name: a.inputName, className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: [null, ...a.inputShape], params: 0 }];
    let prev = a.inputName;
    for (const l of a.layers) {
      nodes.push(this.node(l, prev, copy));
      prev = l.name;
    }
    return { nodes, inputs: [a.inputName], outputs: [prev] };
  }

  /**
   * Weights by layer as Keras 2 stores them: `<layer>/kernel:0`, `<layer>/bias:0`;
   * BatchNormalization `gamma:0, beta:0, moving_mean:0, moving_variance:0`. Copies.
   */
  kerasWeights(): Map<string, NamedWeight[]> {
    const out = new Map<string, NamedWeight[]>();
    for (const l of this.architecture.layers) {
      const w = this.weights.get(l.name)!;
      const list: NamedWeight[] = [];
      const add = (name: string, shape: readonly number[], data: Float32Array | undefined): void => {
        if (data !== undefined) list.push({ name: `${l.name}/${name}:0`, tensor: tensor(shape, data.slice()) });
      };
      if (l.type === 'conv2d') {
        add('kernel', [l.kernelSize[0], l.kernelSize[1], l.inShape[2]!, l.filters], w.kernel);
        add('bias', [l.filters], w.bias);
      } else if (l.type === 'dense') {
        add('kernel', [l.inShape[0]!, l.units], w.kernel);
        add('bias', [l.units], w.bias);
      } else if (l.type === 'batchNorm') {
        const c = w.gamma!.length;
        add('gamma', [c], w.gamma);
        add('beta', [c], w.beta);
        add('moving_mean', [c], w.movingMean);
        add('moving_variance', [c], w.movingVariance);
      }
      out.set(l.name, list);
    }
    return out;
  }

  /**
   * Replaces weights from Keras-named weights (as kerasWeights() gives them): every layer with
   * weights must be present with the same shapes. Throws ArgumentError SHAPE_MISMATCH otherwise.
   */
  setKerasWeights(weights: ReadonlyMap<string, readonly NamedWeight[]>): void {
    for (const [layer, list] of this.kerasWeights()) {
      const given = weights.get(layer) ?? [];
      if (given.length !== list.length) {
        throw new ArgumentError('SHAPE_MISMATCH', `Layer '${layer}' needs ${list.length} weight arrays, got ${given.length}.`);
      }
      const w = this.weights.get(layer)!;
      const targets = [w.kernel ?? w.gamma, w.bias ?? w.beta, w.movingMean, w.movingVariance].filter((a): a is Float32Array => a !== undefined);
      list.forEach((want, i) => {
        const got = given[i]!.tensor;
        if (got.data.length !== want.tensor.data.length) {
          throw new ArgumentError('SHAPE_MISMATCH', `Weight '${want.name}' has shape ${formatShape(want.tensor.shape)}, got ${formatShape(got.shape)}.`);
        }
        targets[i]!.set(got.data);
      });
    }
  }

  /** A copy of every weight (trainable and moving statistics), for restoring later. */
  snapshot(): Float32Array[] {
    const out: Float32Array[] = [];
    for (const w of this.weights.values()) for (const a of Object.values(w)) out.push((a as Float32Array).slice());
    return out;
  }

  /** Restores weights from a snapshot() of this network. */
  restore(snap: readonly Float32Array[]): void {
    let i = 0;
    for (const w of this.weights.values()) for (const a of Object.values(w)) (a as Float32Array).set(snap[i++]!);
  }

  /**
   * Forward pass of a batch x (N, rows, cols, channels) in x's precision. In training mode
   * BatchNorm uses the batch statistics (and, with `updateStatistics`, moves its averages by
   * momentum) and Dropout drops with masks from `rng`. Returns the head's logits and the tape.
   */
  forward(x: RTensor, options: ForwardOptions = {}): ForwardPass {
    const { training = true, rng, updateStatistics = training } = options;
    const a = this.architecture;
    const want = [a.inputShape[0], a.inputShape[1], a.inputShape[2]];
    if (x.shape.length !== 4 || x.shape[0]! < 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
      throw new ArgumentError('SHAPE_MISMATCH', `The network expects inputs of shape ${formatShape([null, ...want])}, got ${formatShape(x.shape)}.`);
    }
    const batch = x.shape[0]!;
    const simd = this.useSimd && x.data instanceof Float32Array ? simdGemm() : null;
    const saved: Saved[] = [];
    let cur: RTensor = x;
    const layers = a.layers;
    layers.forEach((l, i) => {
      const isHead = i === layers.length - 1;
      const node = this.node(l, i === 0 ? a.inputName : layers[i - 1]!.name, false);
      const op = node.op;
      let y: RTensor;
      let pre: Arr | null = null;
      let mask: Float32Array | null = null;
      let bn: BatchNormSaved | null = null;
      switch (op.type) {
        case 'conv':
        case 'dense': {
          let z: RTensor;
          if (op.type === 'conv') {
            const prep = prepareConv(node, op);
            const g = l.type === 'conv2d' ? geometryOf(l, cur.shape) : null;
            z = simd !== null && g !== null && cur.data instanceof Float32Array
              ? { shape: [batch, ...l.outShape], data: convForwardSimd(cur.data, g, prep.kt, prep.bias, simd) }
              : convForward(node, op, prep, cur, this.scratch);
          } else {
            const prep = prepareDense(node, op);
            if (simd !== null && cur.data instanceof Float32Array) {
              const y = new Float32Array(batch * prep.units);
              if (prep.bias !== null) for (let r = 0; r < batch; r++) y.set(prep.bias, r * prep.units);
              simd.gemmNT(batch, prep.units, prep.inFeatures, cur.data, 0, prep.inFeatures, prep.kt, 0, prep.inFeatures, y, 0, prep.units);
              z = { shape: [batch, prep.units], data: y };
            } else {
              z = denseForward(node, prep, cur);
            }
          }
          if (isHead || op.activation.kind === 'linear') {
            y = z;
          } else {
            const out = alloc(z.data, z.data.length);
            applyActivation(node, op.activation, z.data, out, z.shape);
            y = { shape: z.shape, data: out };
            pre = z.data;
          }
          break;
        }
        case 'batchNorm': {
          if (training) {
            const c = op.mean.data.length;
            const w = this.weights.get(l.name)!;
            const r = batchNormTrainForward(cur.data, c, w.gamma ?? null, w.beta ?? null, op.epsilon);
            y = { shape: cur.shape, data: r.y };
            bn = r.saved;
            if (updateStatistics) this.applyBatchStatistics([{ layer: l.name, mean: r.saved.mean, variance: r.saved.variance, count: r.saved.count }]);
          } else {
            y = inferenceBatchNorm(cur, this.weights.get(l.name)!, op.epsilon);
          }
          break;
        }
        case 'activation': {
          if (isHead) {
            y = cur;
          } else {
            const out = alloc(cur.data, cur.data.length);
            applyActivation(node, op.activation, cur.data, out, cur.shape);
            y = { shape: cur.shape, data: out };
          }
          break;
        }
        case 'pool':
          y = poolForward(node, op, cur);
          break;
        case 'identity': {
          // Dropout
          if (training && l.type === 'dropout' && l.rate > 0) {
            if (rng === undefined) throw new ArgumentError('BAD_ARGUMENT', `Layer '${l.name}' (Dropout) needs a random source in training mode; pass {rng}.`);
            const r = dropoutForward(cur.data, l.rate, rng);
            y = { shape: cur.shape, data: r.y };
            mask = r.mask;
          } else {
            y = cur;
          }
          break;
        }
        case 'flatten':
          y = { shape: [batch, l.outShape[0]!], data: cur.data };
          break;
        default:
          throw new RangeError(`unexpected op ${op.type}`);
      }
      saved.push({ x: cur, y, pre, mask, bn });
      cur = y;
    });
    return { logits: cur, batch, saved, simd };
  }

  /**
   * Moves the BatchNorm moving averages towards batch statistics, as Keras does after each
   * training step: moving = moving * momentum + batch * (1 - momentum), the variance with
   * Bessel's correction (count / (count - 1)), as TensorFlow's batch normalisation updates it.
   */
  applyBatchStatistics(stats: readonly BatchStatistics[]): void {
    for (const st of stats) {
      const l = this.architecture.layers.find((q) => q.name === st.layer);
      const w = this.weights.get(st.layer);
      if (l === undefined || l.type !== 'batchNorm' || w === undefined) throw new RangeError(`no BatchNormalization layer '${st.layer}'`);
      const m = l.momentum;
      const unbiased = st.count > 1 ? st.count / (st.count - 1) : 1;
      for (let ch = 0; ch < st.mean.length; ch++) {
        w.movingMean![ch] = w.movingMean![ch]! * m + st.mean[ch]! * (1 - m);
        w.movingVariance![ch] = w.movingVariance![ch]! * m + st.variance[ch]! * unbiased * (1 - m);
      }
    }
  }

  /** The batch statistics a training forward pass computed, per BatchNorm layer. */
  batchStatistics(pass: ForwardPass): BatchStatistics[] {
    const out: BatchStatistics[] = [];
    this.architecture.layers.forEach((l, i) => {
      const bn = pass.saved[i]?.bn ?? null;
      if (l.type === 'batchNorm' && bn !== null) out.push({ layer: l.name, mean: bn.mean, variance: bn.variance, count: bn.count });
    });
    return out;
  }

  /**
   * Backward pass from d loss / d logits (same shape as pass.logits): gradients of every
   * parameter (aligned with `parameters`, in the precision of the pass), without the L2 term.
   */
  backward(pass: ForwardPass, dLogits: Arr): Arr[] {
    const a = this.architecture;
    const layers = a.layers;
    const like = dLogits;
    const grads = new Map<Parameter, Arr>();
    for (const p of this.parameters) grads.set(p, alloc(like, p.data.length));
    const gradOf = (layer: string, name: Parameter['name']): Arr | null => {
      const p = this.parameters.find((q) => q.layer === layer && q.name === name);
      return p === undefined ? null : grads.get(p)!;
    };
    let dy: Arr = dLogits;
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      const s = pass.saved[i]!;
      const isHead = i === layers.length - 1;
      const needDx = i > 0;
      const node = this.node(l, i === 0 ? a.inputName : layers[i - 1]!.name, false);
      const op = node.op;
      switch (op.type) {
        case 'conv':
        case 'dense': {
          let dz = dy;
          if (!isHead && op.activation.kind !== 'linear') {
            const needs = activationNeeds(op.activation);
            dz = activationBackward(node, op.activation, needs === 'input' ? s.pre : null, needs === 'output' ? s.y.data : null, dy, s.y.shape);
          }
          const dK = gradOf(l.name, 'kernel')!;
          const dB = gradOf(l.name, 'bias');
          const simd = pass.simd;
          if (op.type === 'conv' && l.type === 'conv2d') {
            const g = geometryOf(l, s.x.shape);
            let sc = this.convScratch.get(l.name);
            if (sc === undefined) this.convScratch.set(l.name, (sc = { cols: null, dzt: null }));
            convWeightGradients(s.x.data, dz, g, dK, dB, sc, simd);
            if (!needDx) {
              dy = dz;
            } else if (simd !== null && dz instanceof Float32Array && flippedConvApplies(g)) {
              dy = convInputGradientSimd(dz, g, op.kernel.data, simd);
            } else {
              dy = convBackward(node, op, prepareConv(node, op), s.x.shape, dz, this.scratch);
            }
          } else if (op.type === 'dense' && l.type === 'dense') {
            const inF = l.inShape[0]!;
            denseWeightGradients(s.x.data, dz, pass.batch, inF, l.units, dK, dB, simd);
            if (!needDx) {
              dy = dz;
            } else if (simd !== null && dz instanceof Float32Array) {
              const dx = new Float32Array(pass.batch * inF);
              simd.gemmNT(pass.batch, inF, l.units, dz, 0, l.units, op.kernel.data, 0, l.units, dx, 0, inF);
              dy = dx;
            } else {
              dy = denseBackward(node, prepareDense(node, op), s.x.shape, dz);
            }
          }
          break;
        }
        case 'batchNorm': {
          const w = this.weights.get(l.name)!;
          if (s.bn === null) throw new ArgumentError('BAD_ARGUMENT', 'Network.backward needs a training-mode forward pass (BatchNorm batch statistics).');
          dy = batchNormTrainBackward(s.x.data, dy, w.gamma!.length, w.gamma ?? null, s.bn, gradOf(l.name, 'gamma'), gradOf(l.name, 'beta'));
          break;
        }
        case 'activation':
          if (!isHead) {
            const needs = activationNeeds(op.activation);
            dy = activationBackward(node, op.activation, needs === 'input' ? s.x.data : null, needs === 'output' ? s.y.data : null, dy, s.y.shape);
          }
          break;
        case 'pool':
          if (needDx) dy = poolBackward(node, op, s.x.shape, s.x.data, dy);
          break;
        case 'identity':
          if (s.mask !== null) dy = dropoutBackward(dy, s.mask);
          break;
        case 'flatten':
          break;
        default:
          throw new RangeError(`unexpected op ${op.type}`);
      }
    }
    return this.parameters.map((p) => grads.get(p)!);
  }
}

/** The geometry of a Conv2D layer on an input of this (batch-first) shape. */
function geometryOf(l: Extract<ResolvedLayer, { type: 'conv2d' }>, shape: readonly number[]): ConvGeometry {
  const [n, h, w, cin] = shape as [number, number, number, number];
  return convGeometry(n, h, w, cin, l.kernelSize[0], l.kernelSize[1], l.strides[0], l.strides[1], l.filters, l.padding);
}

/** BatchNorm on the moving statistics (inference), over the last axis. */
function inferenceBatchNorm(x: RTensor, w: LayerWeights, epsilon: number): RTensor {
  const C = w.movingMean!.length;
  const y = alloc(x.data, x.data.length);
  // The reference engine's arithmetic (engine/ref/elementwise.ts), so both agree bit for bit.
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) scale[c] = w.gamma![c]! / Math.sqrt(w.movingVariance![c]! + epsilon);
  const mean = w.movingMean!;
  const beta = w.beta!;
  for (let o = 0; o < x.data.length; o += C) for (let c = 0; c < C; c++) y[o + c] = (x.data[o + c]! - mean[c]!) * scale[c]! + beta[c]!;
  return { shape: x.shape, data: y };
}
