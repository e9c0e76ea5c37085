// openModel: bytes of one or more files -> a runnable Model. Steps:
//   1. readKeras     files -> KerasArtifacts (format sniffed from bytes, not names)
//   2. translateKeras artifacts -> Graph (dialects, layouts, Lambda refusal)
//   3. engine        Graph -> Engine (injected; reference engine by default)

import type { Engine } from '../engine/engine.js';
import { createReferenceEngine } from '../engine/ref/engine.js';
import { readKeras } from '../io/keras/read.js';
import type { Graph } from './ir.js';
import { Model, type EngineFactory } from './model.js';
import { translateKeras } from './translate.js';

/** A file handed to convscope: its name (for messages and sniffing companions) and bytes. */
export interface InputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface OpenModelOptions {
  /** Start the graph after this layer (to skip a Lambda preprocessing layer). */
  readonly startAfter?: string;
  /** Builds the engine. Default: the pure-TypeScript reference engine. */
  readonly engine?: EngineFactory;
  /** Largest number of values in one weight tensor. Default 2^28. */
  readonly maxTensorElements?: number;
  /** Largest number of layers. Default 10,000. */
  readonly maxLayers?: number;
  /** Largest number of parameters (stored weight values). Default 2^31. */
  readonly maxParams?: number;
}

/** The engine that works everywhere (pure TypeScript). */
export const referenceEngineFactory: EngineFactory = (graph: Graph): Promise<Engine> => Promise.resolve(createReferenceEngine(graph));

/**
 * Opens a Keras model from file bytes: a full-model `.h5`/`.keras`, an architecture JSON plus
 * a weights `.h5`, or a TensorFlow.js `model.json` plus its shards (all given in `files`).
 */
export async function openModel(files: readonly InputFile[], options: OpenModelOptions = {}): Promise<Model> {
  const { engine: factory = referenceEngineFactory } = options;
  const artifacts = await readKeras(files, {
    ...(options.maxTensorElements !== undefined ? { maxTensorElements: options.maxTensorElements } : {}),
  });
  const graph = translateKeras(artifacts, {
    ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
    ...(options.maxLayers !== undefined ? { maxLayers: options.maxLayers } : {}),
    ...(options.maxParams !== undefined ? { maxParams: options.maxParams } : {}),
  });
  const engine = await factory(graph);
  return new Model(artifacts, graph, engine, factory);
}

/**
 * Wraps an in-memory Graph (built in code, e.g. model/presets.ts, or just trained) as a Model.
 * `format` is reported as 'keras2-h5' with no version: the graph came from no file.
 */
export async function modelFromGraph(graph: Graph, options: { engine?: EngineFactory; name?: string } = {}): Promise<Model> {
  const { engine: factory = referenceEngineFactory, name = 'in-memory graph' } = options;
  const artifacts = {
    format: 'keras2-h5' as const,
    kerasVersion: null,
    backend: null,
    modelConfig: { class_name: 'Graph', config: null },
    weights: new Map(),
    fileName: name,
  };
  return new Model(artifacts, graph, await factory(graph), factory);
}
