// The reference engine: runs a Graph in plain TypeScript (any JavaScript runtime, one thread)
// and takes input/activation gradients by reverse mode. It is the fallback engine, the oracle
// for faster engines, and the gradient engine for the interpretation methods.
//
// run():       validate inputs -> ancestors of the requested nodes -> forward in topological
//              order, dropping each value once no later node needs it.
// gradients(): forward over the ancestors of the score and `wrt` nodes, keeping only what the
//              backward pass of the nodes between them needs (ops.ts backwardNeeds) -> seed the
//              score's output gradient -> backward in reverse order over the nodes that lie on a
//              path from a `wrt` node to the score, accumulating where values fan out.
// Precision follows the inputs: Float32Array as usual, Float64Array (runRaw/gradientsRaw) for
// checks against finite differences. Between nodes, when a signal is given, the engine yields
// to the event loop (at most every ~20 ms) so that an abort can land, then checks the signal.

import type { Engine, GradientOptions, GradientResult, RunOptions } from '../engine.js';
import { ArgumentError, ConvscopeError, formatShape, throwIfAborted } from '../../errors.js';
import { type Graph, type Node, ancestors } from '../../model/ir.js';
import type { Tensor } from '../../tensor.js';
import { type Arr, type RTensor, Scratch, alloc, describe, graphError, numel } from './common.js';
import { type Prep, type Saved, backwardNeeds, backwardNode, canRunInPlace, forwardNode, prepareNode } from './ops.js';

/** How often (ms) a run with a signal yields to the event loop so that an abort can arrive. */
const YIELD_INTERVAL_MS = 20;

/** Gradients as computed internally, in the precision of the inputs. */
export interface RawGradientResult {
  readonly scores: Float64Array;
  readonly values: ReadonlyMap<string, RTensor>;
  readonly gradients: ReadonlyMap<string, RTensor>;
}

/** Options of the raw (any-precision) entry points; same meaning as RunOptions. */
export interface RawRunOptions {
  readonly outputs?: readonly string[];
  readonly signal?: AbortSignal;
}

/** Options of gradientsRaw: as GradientOptions, with a seed of any precision. */
export interface RawGradientOptions {
  readonly score: { readonly node: string; readonly seed: ArrayLike<number> };
  readonly wrt: readonly string[];
  readonly signal?: AbortSignal;
}

/** What the last forward pass did (diagnostics for tests and benchmarks). */
export interface ForwardStats {
  /** Nodes computed (input nodes excluded). */
  readonly nodesRun: number;
  /**
   * Peak bytes of the values held at once between nodes (inputs included; arrays shared by
   * several values counted once; excludes scratch and what a gradient pass keeps for backward).
   */
  readonly peakBytes: number;
}

class Pacer {
  private last = Date.now();
  constructor(private readonly signal: AbortSignal | undefined) {}
  /** Throws CancelledError when aborted; yields to the event loop now and then. */
  async check(): Promise<void> {
    throwIfAborted(this.signal);
    if (this.signal === undefined || Date.now() - this.last < YIELD_INTERVAL_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.last = Date.now();
    throwIfAborted(this.signal);
  }
}

function toTensor(t: RTensor, used: Set<ArrayBufferLike>): Tensor {
  let data: Float32Array;
  if (t.data instanceof Float32Array) {
    // Results never share storage: a value passed through unchanged (identity, reshape) is copied.
    data = used.has(t.data.buffer) ? t.data.slice() : t.data;
  } else {
    data = new Float32Array(t.data);
  }
  used.add(data.buffer);
  return { shape: [...t.shape], data };
}

/** The pure-TypeScript engine. Build it with createReferenceEngine. */
export class ReferenceEngine implements Engine {
  readonly name = 'reference';
  readonly graph: Graph;
  private readonly nodes = new Map<string, Node>();
  private readonly preps = new Map<string, Prep>();
  private readonly scratch = new Scratch();
  private disposed = false;
  private lastStats: ForwardStats = { nodesRun: 0, peakBytes: 0 };

  /** Checks the graph (names, order, weight shapes) and prepares weights; throws MODEL_UNSUPPORTED. */
  constructor(graph: Graph) {
    this.graph = graph;
    for (const node of graph.nodes) {
      if (this.nodes.has(node.name)) throw graphError(node, 'its name is used by two nodes');
      for (const inp of node.inputs) {
        if (!this.nodes.has(inp)) throw graphError(node, `its input '${inp}' is not an earlier node of the graph`);
      }
      this.preps.set(node.name, prepareNode(node));
      this.nodes.set(node.name, node);
    }
    for (const name of graph.inputs) {
      const node = this.nodes.get(name);
      if (node === undefined || node.op.type !== 'input') {
        throw new ConvscopeError('MODEL_UNSUPPORTED', `The model input '${name}' is not an input node of the graph.`);
      }
    }
    for (const name of graph.outputs) {
      if (!this.nodes.has(name)) throw new ConvscopeError('MODEL_UNSUPPORTED', `The model output '${name}' is not a node of the graph.`);
    }
  }

  /** Statistics of the most recent forward pass (run, or the forward half of gradients). */
  get stats(): ForwardStats {
    return this.lastStats;
  }

  /** Forward pass of a float32 batch (Engine.run). */
  async run(inputs: readonly Tensor[], options: RunOptions = {}): Promise<Map<string, Tensor>> {
    const raw = await this.runRaw(inputs, options);
    const used = new Set<ArrayBufferLike>();
    const out = new Map<string, Tensor>();
    for (const [name, t] of raw) out.set(name, toTensor(t, used));
    return out;
  }

  /** Gradients of a score (Engine.gradients). */
  async gradients(inputs: readonly Tensor[], options: GradientOptions): Promise<GradientResult> {
    const raw = await this.gradientsRaw(inputs, options);
    const used = new Set<ArrayBufferLike>();
    const convert = (m: ReadonlyMap<string, RTensor>): Map<string, Tensor> => new Map([...m].map(([k, v]) => [k, toTensor(v, used)]));
    return { scores: new Float32Array(raw.scores), values: convert(raw.values), gradients: convert(raw.gradients) };
  }

  /** Drops prepared weights and scratch memory. Safe to call twice; the engine is unusable after. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.preps.clear();
    this.scratch.clear();
    return Promise.resolve();
  }

  /**
   * Forward pass in the precision of `inputs` (all Float32Array or all Float64Array). Returned
   * tensors may share storage with the inputs or with each other; treat them as read-only.
   */
  async runRaw(inputs: readonly RTensor[], options: RawRunOptions = {}): Promise<Map<string, RTensor>> {
    const { outputs = this.graph.outputs, signal } = options;
    this.checkUsable();
    this.checkNames(outputs, 'outputs');
    const batch = this.checkInputs(inputs);
    const values = await this.forward(inputs, batch, outputs, new Set(outputs), null, new Pacer(signal));
    return new Map(outputs.map((name) => [name, values.get(name)!]));
  }

  /** Gradients in the precision of `inputs`; see Engine.gradients. */
  async gradientsRaw(inputs: readonly RTensor[], options: RawGradientOptions): Promise<RawGradientResult> {
    const { score, wrt, signal } = options;
    this.checkUsable();
    this.checkNames([score.node], 'score.node');
    this.checkNames(wrt, 'wrt');
    const scoreNode = this.nodes.get(score.node)!;
    const declared = scoreNode.outputShape.slice(1);
    if (declared.every((d) => d !== null)) this.checkSeed(score, scoreNode, numel(declared as number[]));
    const batch = this.checkInputs(inputs);
    const pacer = new Pacer(signal);

    // 1. The backward region: nodes on a path from a wrt node to the score node.
    const targets = [score.node, ...wrt];
    const plan = ancestors(this.graph, targets);
    const wrtSet = new Set(wrt);
    const fromWrt = new Set<string>();
    for (const n of plan) if (wrtSet.has(n.name) || n.inputs.some((i) => fromWrt.has(i))) fromWrt.add(n.name);
    const toScore = new Set(ancestors(this.graph, [score.node]).map((n) => n.name));
    const region = plan.filter((n) => fromWrt.has(n.name) && toScore.has(n.name));
    const inRegion = new Set(region.map((n) => n.name));

    // 2. Forward, keeping what the region's backward needs.
    const saved = new Map<string, Saved>();
    const values = await this.forward(inputs, batch, targets, new Set(targets), { inRegion, saved }, pacer);
    const y = values.get(score.node)!;
    const per = numel(y.shape) / batch;
    this.checkSeed(score, scoreNode, per);
    const scores = new Float64Array(batch);
    for (let n = 0; n < batch; n++) {
      let s = 0;
      for (let i = 0; i < per; i++) s += score.seed[i]! * y.data[n * per + i]!;
      scores[n] = s;
    }

    // 3. Backward over the region in reverse topological order.
    const grads = new Map<string, Arr>();
    const seed = alloc(y.data, y.data.length);
    for (let n = 0; n < batch; n++) for (let i = 0; i < per; i++) seed[n * per + i] = score.seed[i]!;
    grads.set(score.node, seed);
    for (let r = region.length - 1; r >= 0; r--) {
      const node = region[r]!;
      const g = grads.get(node.name);
      if (g === undefined || node.op.type === 'input') continue;
      await pacer.check();
      const want = node.inputs.map((i) => inRegion.has(i));
      if (want.some((w) => w)) {
        const rec = saved.get(node.name)!;
        const dxs = backwardNode(node, this.preps.get(node.name)!, rec, g, want, this.scratch);
        node.inputs.forEach((inp, i) => {
          const d = dxs[i];
          if (d === null || d === undefined) return;
          const prev = grads.get(inp);
          if (prev === undefined) {
            grads.set(inp, d);
          } else {
            const sum = alloc(prev, prev.length);
            for (let q = 0; q < sum.length; q++) sum[q] = prev[q]! + d[q]!;
            grads.set(inp, sum);
          }
        });
      }
      saved.delete(node.name);
      if (!wrtSet.has(node.name)) grads.delete(node.name);
    }

    const outValues = new Map<string, RTensor>();
    const outGrads = new Map<string, RTensor>();
    for (const name of wrt) {
      const v = values.get(name)!;
      outValues.set(name, v);
      outGrads.set(name, { shape: v.shape, data: grads.get(name) ?? alloc(v.data, v.data.length) });
    }
    return { scores, values: outValues, gradients: outGrads };
  }

  /**
   * Forward over the ancestors of `targets`; returns the values of `keep`. With `tape`, also
   * records the Saved data of the region's nodes.
   */
  private async forward(
    inputs: readonly RTensor[], batch: number, targets: readonly string[], keep: ReadonlySet<string>,
    tape: { inRegion: ReadonlySet<string>; saved: Map<string, Saved> } | null, pacer: Pacer,
  ): Promise<Map<string, RTensor>> {
    const plan = ancestors(this.graph, targets);
    const uses = new Map<string, number>();
    for (const n of plan) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
    const values = new Map<string, RTensor>();
    // Live values per array (identity and reshape share arrays): an op may overwrite its input
    // only when nothing else can still read that array: not the caller's arrays, not an array
    // kept for the backward pass, not when the op's own backward needs its input.
    const refs = new Map<Arr, number>();
    const foreign = new Set<Arr>(inputs.map((t) => t.data));
    const taped = new Set<Arr>();
    let live = 0;
    let peak = 0;
    const hold = (name: string, t: RTensor): void => {
      values.set(name, t);
      const r = refs.get(t.data) ?? 0;
      refs.set(t.data, r + 1);
      if (r === 0) live += t.data.byteLength;
      peak = Math.max(peak, live);
    };
    let nodesRun = 0;
    for (const node of plan) {
      await pacer.check();
      if (node.op.type === 'input') {
        hold(node.name, inputs[this.graph.inputs.indexOf(node.name)]!);
        continue;
      }
      const xs = node.inputs.map((i) => values.get(i)!);
      const inTape = tape !== null && tape.inRegion.has(node.name);
      const needs = inTape ? backwardNeeds(node.op) : null;
      const first = node.inputs[0];
      const x0 = xs[0]?.data;
      const inPlace = x0 !== undefined && canRunInPlace(node.op) && uses.get(first!) === 1 && !keep.has(first!) &&
        refs.get(x0) === 1 && !foreign.has(x0) && !taped.has(x0) && needs?.inputs !== true;
      const { y, pre } = forwardNode(node, this.preps.get(node.name)!, xs, this.scratch, needs?.pre === true, inPlace);
      this.checkOutput(node, y, batch);
      hold(node.name, y);
      if (inTape) {
        const rec: Saved = {
          inShapes: xs.map((x) => x.shape),
          outShape: y.shape,
          inputs: xs.map((x) => (needs!.inputs ? x.data : null)),
          output: needs!.output ? y.data : null,
          pre: needs!.pre ? pre!.data : null,
        };
        tape.saved.set(node.name, rec);
        for (const a of [...rec.inputs, rec.output, rec.pre]) if (a !== null) taped.add(a);
      }
      nodesRun++;
      for (const i of node.inputs) {
        const left = uses.get(i)! - 1;
        uses.set(i, left);
        if (left === 0 && !keep.has(i)) {
          const data = values.get(i)!.data;
          const r = refs.get(data)! - 1;
          refs.set(data, r);
          if (r === 0) live -= data.byteLength;
          values.delete(i);
        }
      }
    }
    this.lastStats = { nodesRun, peakBytes: peak };
    return values;
  }

  private checkUsable(): void {
    if (this.disposed) throw new ConvscopeError('ENGINE_FAILURE', 'The reference engine was disposed; create a new one.');
  }

  private checkNames(names: readonly string[], option: string): void {
    for (const name of names) {
      if (!this.nodes.has(name)) {
        const known = [...this.nodes.keys()];
        const list = known.slice(0, 12).join(', ') + (known.length > 12 ? `, ... (${known.length} in all)` : '');
        throw new ArgumentError('BAD_ARGUMENT', `${option}: the model has no layer named '${name}'. Layers: ${list}.`, {
          details: { option, name },
        });
      }
    }
  }

  private checkSeed(score: RawGradientOptions['score'], node: Node, per: number): void {
    if (score.seed.length !== per) {
      throw new ArgumentError('SHAPE_MISMATCH', `score.seed has ${score.seed.length} values, but layer ${describe(node)} outputs ${per} per sample ${formatShape(node.outputShape)}.`, {
        hint: 'Give one weight per output value of one sample.',
        details: { node: node.name, expected: per, actual: score.seed.length },
      });
    }
  }

  /** Validates inputs against the input nodes; returns the batch size. */
  private checkInputs(inputs: readonly RTensor[]): number {
    const names = this.graph.inputs;
    if (inputs.length !== names.length) {
      throw new ArgumentError('BAD_ARGUMENT', `The model takes ${names.length} input(s) (${names.join(', ')}), got ${inputs.length}.`);
    }
    let batch = -1;
    let f64: boolean | null = null;
    inputs.forEach((t, k) => {
      const node = this.nodes.get(names[k]!)!;
      const expected = node.outputShape;
      const shape = t.shape;
      const fits = shape.length === expected.length && shape.every((d, i) => Number.isInteger(d) && d >= 0 && (expected[i] === null || expected[i] === d));
      if (!fits || shape[0]! < 1) {
        throw new ArgumentError('SHAPE_MISMATCH', `Input '${node.name}' expects shape ${formatShape(expected)}, got ${formatShape(shape)}.`, {
          hint: 'Give a batch of samples of the model input shape (batch axis first).',
          details: { input: node.name, expected: [...expected], actual: [...shape] },
        });
      }
      if (!(t.data instanceof Float32Array || t.data instanceof Float64Array) || t.data.length !== numel(shape)) {
        throw new ArgumentError('SHAPE_MISMATCH', `Input '${node.name}' has ${t.data.length} values for shape ${formatShape(shape)} (needs ${numel(shape)} float32 values).`);
      }
      const is64 = t.data instanceof Float64Array;
      if (f64 !== null && f64 !== is64) throw new ArgumentError('BAD_ARGUMENT', 'Inputs mix float32 and float64 arrays; use one precision.');
      f64 = is64;
      if (batch >= 0 && shape[0] !== batch) {
        throw new ArgumentError('SHAPE_MISMATCH', `Input '${node.name}' has batch size ${shape[0]}, but an earlier input has ${batch}.`);
      }
      batch = shape[0]!;
    });
    return batch;
  }

  private checkOutput(node: Node, y: RTensor, batch: number): void {
    const declared = node.outputShape;
    const ok = y.shape.length === declared.length && y.shape[0] === batch && y.shape.every((d, i) => i === 0 || declared[i] === null || declared[i] === d);
    if (!ok) throw graphError(node, `it computes shape ${formatShape(y.shape)} but the model declares ${formatShape(declared)}`);
  }
}

/**
 * Creates the pure-TypeScript engine for a graph. Checks every node's parameters and weight
 * shapes up front (UnsupportedError MODEL_UNSUPPORTED when the graph is inconsistent).
 */
export function createReferenceEngine(graph: Graph): ReferenceEngine {
  return new ReferenceEngine(graph);
}
