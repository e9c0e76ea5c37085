// The ONNX Runtime engine: exports the graph (export.ts, backward.ts) and runs it with an
// injected onnxruntime module, so the same code serves onnxruntime-node (src/node/onnx.ts) and
// onnxruntime-web in browsers. One InferenceSession per distinct request, created lazily.

import { ArgumentError, ConvscopeError, formatShape, throwIfAborted } from '../../errors.js';
import type { Graph } from '../../model/ir.js';
import { sizeOf, sliceRows, type Tensor } from '../../tensor.js';
import type { Engine, GradientOptions, GradientResult, RunOptions } from '../engine.js';
import { buildGradientModel, type GradientModel } from './backward.js';
import { graphToOnnx, perSampleSize } from './export.js';

/** The part of an onnxruntime tensor the engine reads. */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The part of an onnxruntime InferenceSession the engine uses. */
export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** Session options the engine sets (a subset of onnxruntime's). */
export interface OrtSessionOptionsLike {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** The onnxruntime module as the engine needs it: `import * as ort from 'onnxruntime-node'` fits. */
export interface OrtLike {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: OrtSessionOptionsLike): Promise<OrtSessionLike>;
  };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

/** Options of createOnnxEngine. */
export interface OnnxEngineOptions {
  /** The onnxruntime module (onnxruntime-node, or onnxruntime-web in a browser). */
  readonly ort: OrtLike;
  /**
   * Intra-op threads of each session. Default 2. onnxruntime-web ignores it: set
   * `ort.env.wasm.numThreads` there instead.
   */
  readonly threads?: number;
  /** Engine name shown in outputs. Default 'onnxruntime'. */
  readonly name?: string;
  /**
   * Largest number of samples per onnxruntime call; bigger batches run in slices of this size
   * (bounds the memory onnxruntime keeps for intermediate tensors, and keeps them closer to the
   * caches). Default {@link defaultMaxBatch} of the graph: at most 64.
   */
  readonly maxBatch?: number;
}

/** Bytes the largest activation of one onnxruntime call may take by default (48 MiB). */
const ACTIVATION_BLOCK_BYTES = 48 * 1024 ** 2;

/**
 * Default slice size for a graph: as many samples as keep its largest activation (float32)
 * within 48 MiB, between 1 and 64. On BaSe's CNN (2 MiB per sample at its first convolution)
 * that is 24: forward passes ran at ~1,300 images/s there against ~900-1,050 at 64.
 */
export function defaultMaxBatch(graph: Graph): number {
  let largest = 4;
  for (const node of graph.nodes) {
    let size = 4;
    for (const d of node.outputShape.slice(1)) size *= d ?? 1;
    if (size > largest) largest = size;
  }
  return Math.max(1, Math.min(64, Math.floor(ACTIVATION_BLOCK_BYTES / largest)));
}

interface GradientSession {
  readonly session: OrtSessionLike;
  readonly model: GradientModel;
}

function engineFailure(what: string, cause: unknown): ConvscopeError {
  if (cause instanceof ConvscopeError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ConvscopeError('ENGINE_FAILURE', `onnxruntime failed to ${what}: ${detail}`, {
    cause,
    hint: 'This is a bug in convscope\'s ONNX export or in onnxruntime; the reference engine (--engine reference) avoids it.',
  });
}

class OnnxEngine implements Engine {
  readonly name: string;
  readonly graph: Graph;
  private readonly ort: OrtLike;
  private readonly sessionOptions: OrtSessionOptionsLike;
  private readonly maxBatch: number;
  private readonly forward = new Map<string, Promise<OrtSessionLike>>();
  private readonly backward = new Map<string, Promise<GradientSession>>();
  private disposed = false;

  constructor(graph: Graph, options: OnnxEngineOptions) {
    const { ort, threads = 2, name = 'onnxruntime', maxBatch = defaultMaxBatch(graph) } = options;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ArgumentError('BAD_ARGUMENT', `ONNX engine: threads must be a positive integer, got ${threads}.`);
    }
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new ArgumentError('BAD_ARGUMENT', `ONNX engine: maxBatch must be a positive integer, got ${maxBatch}.`);
    }
    this.maxBatch = maxBatch;
    this.graph = graph;
    this.ort = ort;
    this.name = name;
    this.sessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 4 };
    // (severity 4: onnxruntime's own log lines stay quiet; its errors reach the caller as exceptions)
  }

  private checkAlive(): void {
    if (this.disposed) throw new ConvscopeError('ENGINE_FAILURE', `The ${this.name} engine was disposed; create a new one.`);
  }

  private async createSession(bytes: Uint8Array, level: 'all' | 'extended' = 'all'): Promise<OrtSessionLike> {
    try {
      return await this.ort.InferenceSession.create(bytes, { ...this.sessionOptions, graphOptimizationLevel: level });
    } catch (cause) {
      throw engineFailure('load the exported model', cause);
    }
  }

  /**
   * The forward session returning `outputs` (any order, duplicates ignored); created once per
   * set of names, and export errors are cached with it.
   */
  forwardSession(outputs: readonly string[]): Promise<OrtSessionLike> {
    const names = [...new Set(outputs)].sort();
    const key = names.join('\u0000');
    let s = this.forward.get(key);
    if (s === undefined) {
      s = Promise.resolve().then(() => this.createSession(graphToOnnx(this.graph, { outputs: names })));
      s.catch(() => undefined); // observed by the caller; avoid an unhandled-rejection warning
      this.forward.set(key, s);
    }
    return s;
  }

  private gradientSession(score: string, wrt: readonly string[]): Promise<GradientSession> {
    const key = [score, ...wrt].join('\u0000');
    let s = this.backward.get(key);
    if (s === undefined) {
      s = Promise.resolve().then(async () => {
        const model = buildGradientModel(this.graph, { score, wrt });
        return { model, session: await this.createSession(model.bytes, model.spatialBackward ? 'extended' : 'all') };
      });
      s.catch(() => undefined);
      this.backward.set(key, s);
    }
    return s;
  }

  /** Checks inputs against the graph's input shapes; returns the batch size. */
  private checkInputs(inputs: readonly Tensor[]): number {
    const g = this.graph;
    if (inputs.length !== g.inputs.length) {
      throw new ArgumentError('BAD_ARGUMENT', `The model has ${g.inputs.length} input(s) (${g.inputs.join(', ')}); got ${inputs.length} tensor(s).`);
    }
    let batch = -1;
    inputs.forEach((t, i) => {
      const node = g.nodes.find((n) => n.name === g.inputs[i])!;
      const want = node.outputShape;
      const fits = t.shape.length === want.length && want.every((d, j) => j === 0 || d === null || d === t.shape[j]);
      if (!fits) {
        throw new ArgumentError('SHAPE_MISMATCH', `Input '${node.name}' expects ${formatShape(want)}, got ${formatShape(t.shape)}.`, {
          hint: 'Batch first, then the shape Keras reports for the input.',
          details: { input: node.name, expected: want, got: t.shape },
        });
      }
      if (t.data.length !== sizeOf(t.shape)) {
        throw new ArgumentError('SHAPE_MISMATCH', `Input '${node.name}': shape ${formatShape(t.shape)} needs ${sizeOf(t.shape)} values, got ${t.data.length}.`);
      }
      if (batch >= 0 && t.shape[0] !== batch) {
        throw new ArgumentError('SHAPE_MISMATCH', `Inputs disagree on the batch size: ${batch} and ${t.shape[0]} (input '${node.name}').`);
      }
      batch = t.shape[0]!;
    });
    return batch;
  }

  private feeds(inputs: readonly Tensor[]): Record<string, OrtTensorLike> {
    const feeds: Record<string, OrtTensorLike> = {};
    inputs.forEach((t, i) => (feeds[this.graph.inputs[i]!] = new this.ort.Tensor('float32', t.data, t.shape)));
    return feeds;
  }

  private checkNames(names: readonly string[], what: string): void {
    for (const name of names) {
      if (!this.graph.nodes.some((n) => n.name === name)) {
        throw new ArgumentError('BAD_ARGUMENT', `${what}: no layer named '${name}' in this model.`, {
          hint: `Layer names: ${this.graph.nodes.slice(0, 20).map((n) => n.name).join(', ')}${this.graph.nodes.length > 20 ? ', ...' : ''}.`,
        });
      }
    }
  }

  private shapeOf(name: string, batch: number): number[] {
    const node = this.graph.nodes.find((n) => n.name === name)!;
    return [batch, ...node.outputShape.slice(1).map((d) => d ?? 0)];
  }

  /**
   * Runs `session` on consecutive slices of at most maxBatch samples, as equal as can be (26
   * samples with maxBatch 24 run as 13 + 13, not 24 + 2: a 2-sample call costs nearly as much
   * as a full one); returns each slice's outputs.
   */
  private async runChunks(
    session: OrtSessionLike,
    inputs: readonly Tensor[],
    batch: number,
    extra: Record<string, OrtTensorLike>,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Record<string, OrtTensorLike>[]> {
    const parts: Record<string, OrtTensorLike>[] = [];
    const size = Math.ceil(batch / Math.ceil(batch / this.maxBatch));
    for (let start = 0; start < batch; start += size) {
      const end = Math.min(batch, start + size);
      const chunk = batch <= this.maxBatch ? inputs : inputs.map((t) => sliceRows(t, start, end));
      try {
        parts.push(await session.run({ ...this.feeds(chunk), ...extra }));
      } catch (cause) {
        throw engineFailure(what, cause);
      }
      throwIfAborted(signal);
    }
    return parts;
  }

  async run(inputs: readonly Tensor[], options: RunOptions = {}): Promise<Map<string, Tensor>> {
    const { outputs = this.graph.outputs, signal } = options;
    this.checkAlive();
    throwIfAborted(signal);
    this.checkNames(outputs, 'run');
    const batch = this.checkInputs(inputs);
    const unique = [...new Set(outputs)];
    const result = new Map<string, Tensor>();
    if (batch === 0) {
      for (const name of unique) result.set(name, { shape: this.shapeOf(name, 0), data: new Float32Array(0) });
      return result;
    }
    const session = await this.forwardSession(unique);
    throwIfAborted(signal);
    const parts = await this.runChunks(session, inputs, batch, {}, signal, 'run the model');
    for (const name of unique) result.set(name, concatRows(parts.map((p) => toTensor(p[name]!))));
    return result;
  }

  async gradients(inputs: readonly Tensor[], options: GradientOptions): Promise<GradientResult> {
    const { score, wrt, signal } = options;
    this.checkAlive();
    throwIfAborted(signal);
    this.checkNames([score.node], 'gradients (score)');
    this.checkNames(wrt, 'gradients (wrt)');
    const scoreNode = this.graph.nodes.find((n) => n.name === score.node)!;
    const size = perSampleSize(scoreNode);
    if (score.seed.length !== size) {
      throw new ArgumentError('SHAPE_MISMATCH', `gradients: the seed has ${score.seed.length} values; layer '${score.node}' has ${size} per sample ${formatShape(scoreNode.outputShape)}.`);
    }
    const batch = this.checkInputs(inputs);
    const unique = [...new Set(wrt)];
    const { session, model } = await this.gradientSession(score.node, unique);
    throwIfAborted(signal);
    const values = new Map<string, Tensor>();
    const gradients = new Map<string, Tensor>();
    if (batch === 0) {
      for (const name of unique) {
        const shape = this.shapeOf(name, 0);
        values.set(name, { shape, data: new Float32Array(0) });
        gradients.set(name, { shape, data: new Float32Array(0) });
      }
      return { scores: new Float32Array(0), values, gradients };
    }
    const seed = { [model.seedInput]: new this.ort.Tensor('float32', score.seed, model.seedShape) };
    const parts = await this.runChunks(session, inputs, batch, seed, signal, 'run the gradient model');
    const gather = (output: string): Tensor => concatRows(parts.map((p) => toTensor(p[output]!)));
    unique.forEach((name, i) => {
      const value = gather(model.valueOutputs[i]!);
      values.set(name, value);
      const g = model.gradientOutputs[i];
      gradients.set(name, g === null || g === undefined ? { shape: value.shape, data: new Float32Array(value.data.length) } : gather(g));
    });
    return { scores: gather(model.scoreOutput).data, values, gradients };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = [
      ...[...this.forward.values()].map((p) => p.catch(() => null)),
      ...[...this.backward.values()].map((p) => p.then((s) => s.session).catch(() => null)),
    ];
    this.forward.clear();
    this.backward.clear();
    for (const s of await Promise.all(sessions)) if (s !== null) await s.release();
  }
}

/** Joins tensors along the batch axis (no copy for one part). */
function concatRows(parts: readonly Tensor[]): Tensor {
  if (parts.length === 1) return parts[0]!;
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { shape: [parts.reduce((n, p) => n + p.shape[0]!, 0), ...parts[0]!.shape.slice(1)], data };
}

function toTensor(t: OrtTensorLike): Tensor {
  if (!(t.data instanceof Float32Array)) throw new ConvscopeError('ENGINE_FAILURE', 'onnxruntime returned a tensor that is not float32.');
  return { shape: [...t.dims], data: t.data };
}

/**
 * An engine running `graph` with onnxruntime. Exports the graph and loads the default forward
 * session at once, so a graph the exporter cannot translate fails here (UnsupportedError), not
 * at the first `run`. Gradients are available for the ops listed in backward.ts; others throw
 * UnsupportedError 'METHOD_UNSUPPORTED' (fall back to the reference engine for those).
 *
 * Node: `createNodeOnnxEngine` (src/node/onnx.ts). Browser:
 * `import * as ort from 'onnxruntime-web'; ort.env.wasm.numThreads = 2;
 *  const engine = await createOnnxEngine(graph, { ort, name: 'onnxruntime-web' });`
 */
export async function createOnnxEngine(graph: Graph, options: OnnxEngineOptions): Promise<Engine> {
  const engine = new OnnxEngine(graph, options);
  await engine.forwardSession(graph.outputs);
  return engine;
}
