// The opened model: artifacts read from disk, the translated graph, an engine, and the
// questions every method asks (summary, head, predictions). Isomorphic: takes bytes.

import { ArgumentError, UnsupportedError, formatShape, throwIfAborted } from '../errors.js';
import type { Engine, GradientOptions, GradientResult } from '../engine/engine.js';
import { createReferenceEngine } from '../engine/ref/engine.js';
import type { KerasArtifacts, KerasFormat } from '../io/keras/artifacts.js';
import type { Graph, Shape } from './ir.js';
import { logitGraph, type HeadInfo } from './logits.js';
import { sizeOf, type Tensor } from '../tensor.js';

/** Builds an engine for a graph; injected so Node can use onnxruntime-node and browsers onnxruntime-web. */
export type EngineFactory = (graph: Graph) => Promise<Engine>;

/** One row of the Keras-like summary table. */
export interface LayerSummary {
  readonly name: string;
  readonly className: string;
  readonly outputShape: Shape;
  readonly params: number;
  readonly inputs: readonly string[];
}

/** What `convscope summary` prints; the JSON form is a public contract. */
export interface ModelSummary {
  readonly format: KerasFormat;
  readonly kerasVersion: string | null;
  readonly backend: string | null;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly totalParams: number;
  readonly head: HeadInfo;
  readonly engine: string;
  readonly layers: readonly LayerSummary[];
}

export interface PredictOptions {
  /** Samples per forward pass. Default 64. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each batch with (done, total) samples. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** An opened model. Obtain one with `openModel` (bytes) or `open` (paths, Node). */
export class Model {
  readonly artifacts: KerasArtifacts;
  /** The model as loaded (outputs after the final activation). */
  readonly graph: Graph;
  /** The model with the final activation removed (scores for gradients); never the same object as `graph`. */
  readonly logits: Graph;
  readonly head: HeadInfo;
  readonly engine: Engine;
  private readonly engineFactory: EngineFactory;
  private logitEngine: Engine | undefined;
  private referenceLogits: Engine | undefined;

  constructor(artifacts: KerasArtifacts, graph: Graph, engine: Engine, engineFactory: EngineFactory) {
    this.artifacts = artifacts;
    this.graph = graph;
    this.engine = engine;
    this.engineFactory = engineFactory;
    const { graph: lg, head } = logitGraph(graph);
    this.logits = lg;
    this.head = head;
  }

  get format(): KerasFormat {
    return this.artifacts.format;
  }

  /** Input shape of the (single) input, batch axis first as null. */
  get inputShape(): Shape {
    return this.graph.nodes.find((n) => n.name === this.graph.inputs[0])!.outputShape;
  }

  get outputShape(): Shape {
    return this.graph.nodes.find((n) => n.name === this.graph.outputs[0])!.outputShape;
  }

  /** Engine over the logit graph (lazily created). */
  async logitEngineInstance(): Promise<Engine> {
    this.logitEngine ??= await this.engineFactory(this.logits);
    return this.logitEngine;
  }

  /**
   * Gradients of a score on the logit graph. When the fast engine has no backward rule for a
   * layer (UnsupportedError METHOD_UNSUPPORTED), the reference engine computes them instead.
   */
  async gradients(inputs: readonly Tensor[], options: GradientOptions): Promise<GradientResult & { engine: string }> {
    const engine = await this.logitEngineInstance();
    try {
      return { ...(await engine.gradients(inputs, options)), engine: engine.name };
    } catch (err) {
      if (!(err instanceof UnsupportedError && err.code === 'METHOD_UNSUPPORTED') || engine.name === 'reference') throw err;
      this.referenceLogits ??= createReferenceEngine(this.logits);
      return { ...(await this.referenceLogits.gradients(inputs, options)), engine: 'reference' };
    }
  }

  /** Keras-like summary as plain data. */
  summary(): ModelSummary {
    const layers = this.graph.nodes.map((n) => ({
      name: n.name,
      className: n.className,
      outputShape: n.outputShape,
      params: n.params,
      inputs: n.inputs,
    }));
    return {
      format: this.artifacts.format,
      kerasVersion: this.artifacts.kerasVersion,
      backend: this.artifacts.backend,
      inputShape: this.inputShape,
      outputShape: this.outputShape,
      totalParams: layers.reduce((s, l) => s + l.params, 0),
      head: this.head,
      engine: this.engine.name,
      layers,
    };
  }

  /**
   * Checks that `x` (N, ...) fits the model's single input and returns N.
   * Throws ArgumentError SHAPE_MISMATCH naming both shapes otherwise.
   */
  checkInput(x: Tensor, what = 'x'): number {
    if (this.graph.inputs.length !== 1) {
      throw new ArgumentError('SHAPE_MISMATCH', `This model has ${this.graph.inputs.length} inputs; convscope's methods need a model with one input.`);
    }
    const want = this.inputShape.slice(1);
    const got = x.shape.slice(1);
    const ok = got.length === want.length && want.every((d, i) => d === null || d === got[i]);
    if (!ok) {
      throw new ArgumentError(
        'SHAPE_MISMATCH',
        `${what} has shape ${formatShape(x.shape)} but the model expects ${formatShape(this.inputShape)} (batch first).`,
        {
          hint:
            got.length + 1 === want.length && want[want.length - 1] === 1
              ? 'Add a trailing channel axis of size 1 (e.g. x[..., None] in NumPy).'
              : 'Make x match the model input (resize or transpose it).',
          details: { expected: this.inputShape, actual: x.shape },
        },
      );
    }
    return x.shape[0] ?? 0;
  }

  /** Model outputs for every sample of x, in batches; returns (N, ...outputShape). */
  async predict(x: Tensor, options: PredictOptions = {}): Promise<Tensor> {
    const { batchSize = 64, signal, onProgress } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}.`);
    const n = this.checkInput(x);
    const outName = this.graph.outputs[0]!;
    const perOut = sizeOf(this.outputShape.slice(1).map((d) => d ?? 1));
    const out = new Float32Array(n * perOut);
    const per = sizeOf(x.shape.slice(1));
    for (let start = 0; start < n; start += batchSize) {
      throwIfAborted(signal);
      const end = Math.min(n, start + batchSize);
      const batch: Tensor = { shape: [end - start, ...x.shape.slice(1)], data: x.data.subarray(start * per, end * per) };
      const res = await this.engine.run([batch], { outputs: [outName], ...(signal ? { signal } : {}) });
      out.set(res.get(outName)!.data, start * perOut);
      onProgress?.(end, n);
    }
    return { shape: [n, ...this.outputShape.slice(1).map((d) => d ?? 1)], data: out };
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
    await this.logitEngine?.dispose();
    await this.referenceLogits?.dispose();
  }
}
