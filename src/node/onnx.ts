// Node-only: the ONNX engine on onnxruntime-node (native CPU build inside the npm package).
// Everything but the module import lives in engine/onnx/engine.ts (shared with the browser).

import * as ort from 'onnxruntime-node';
import type { Graph } from '../model/ir.js';
import type { Engine } from '../engine/engine.js';
import { createOnnxEngine, type OrtLike } from '../engine/onnx/engine.js';

export interface NodeOnnxEngineOptions {
  /** Intra-op threads per onnxruntime session. Default 2. */
  readonly threads?: number;
  /** Largest number of samples per onnxruntime call (bigger batches run in slices). Default: engine/onnx/engine.ts `defaultMaxBatch`. */
  readonly maxBatch?: number;
}

const ortNode: OrtLike = ort;

/**
 * An engine running `graph` on onnxruntime-node. Throws UnsupportedError when the graph has a
 * layer the ONNX exporter cannot translate (callers fall back to the reference engine).
 */
export function createNodeOnnxEngine(graph: Graph, options: NodeOnnxEngineOptions = {}): Promise<Engine> {
  const { threads = 2, maxBatch } = options;
  return createOnnxEngine(graph, { ort: ortNode, threads, name: 'onnxruntime-node', ...(maxBatch !== undefined ? { maxBatch } : {}) });
}
