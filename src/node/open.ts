// Node-only: open a model and data by path. Finds companion files (weights given with
// --weights, TensorFlow.js shards named by model.json) and picks the engine.

import { dirname, basename, resolve, relative, isAbsolute } from 'node:path';
import { ArgumentError, FileFormatError, UnsupportedError } from '../errors.js';
import { openModel, referenceEngineFactory, type InputFile } from '../model/open.js';
import type { EngineFactory, Model } from '../model/model.js';
import type { Graph } from '../model/ir.js';
import { readFileLimited, DEFAULT_MAX_FILE_BYTES } from './files.js';
import { preloadHdf5 } from '../io/hdf5.js';

export type EngineChoice = 'auto' | 'onnx' | 'reference';

export interface OpenPathOptions {
  /** Weights `.h5` for an architecture JSON. */
  readonly weights?: string;
  /** Skip the graph up to and including this layer (e.g. a Lambda). */
  readonly startAfter?: string;
  /** Which engine runs the model. Default 'auto': onnxruntime-node when the graph exports, else reference. */
  readonly engine?: EngineChoice;
  /** Threads for onnxruntime. Default 2. */
  readonly threads?: number;
  /** Largest file read, in bytes. Default 4 GiB. */
  readonly maxFileBytes?: number;
  /** Largest number of layers, nested included. Default 10,000. */
  readonly maxLayers?: number;
  /** Largest number of parameters (stored weight values). Default 2^31. */
  readonly maxParams?: number;
  /** Largest number of values in one weight tensor. Default 2^28. */
  readonly maxTensorElements?: number;
}

/** Engine factory for Node: ONNX Runtime first (fast), reference engine as fallback. */
export function nodeEngineFactory(choice: EngineChoice = 'auto', threads = 2): EngineFactory {
  if (choice === 'reference') return referenceEngineFactory;
  return async (graph: Graph) => {
    try {
      const { createNodeOnnxEngine } = await import('./onnx.js');
      return await createNodeOnnxEngine(graph, { threads });
    } catch (err) {
      if (choice === 'onnx') {
        throw err instanceof UnsupportedError
          ? err
          : new UnsupportedError('MODEL_UNSUPPORTED', `The ONNX engine cannot run this model: ${err instanceof Error ? err.message : String(err)}.`, {
              cause: err,
              hint: "Use --engine reference (or 'auto').",
            });
      }
      return referenceEngineFactory(graph);
    }
  };
}

function looksLikeJson(bytes: Uint8Array): boolean {
  for (const b of bytes.subarray(0, 64)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x7b || b === 0x22; // '{' or '"'
  }
  return false;
}

/** Shard paths a TensorFlow.js model.json names, or [] for other JSON. */
function tfjsShardPaths(bytes: Uint8Array, fileName: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null || !('weightsManifest' in doc)) return [];
  const manifest = (doc as { weightsManifest: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}': weightsManifest is not a list.`);
  }
  const paths: string[] = [];
  for (const group of manifest) {
    const ps = (group as { paths?: unknown }).paths;
    if (!Array.isArray(ps)) throw new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}': a weightsManifest entry has no 'paths' list.`);
    for (const p of ps) {
      if (typeof p !== 'string' || p.length === 0) throw new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}': a shard path is not a string.`);
      paths.push(p);
    }
  }
  return paths;
}

/** Reads the model file(s) at `path` and opens them. */
export async function openPath(path: string, options: OpenPathOptions = {}): Promise<Model> {
  const { engine = 'auto', threads = 2, maxFileBytes = DEFAULT_MAX_FILE_BYTES } = options;
  // onnxruntime's native library loads while the file is read; HDF5's WebAssembly (for .h5 and
  // .keras files) compiles on V8's background threads while other work goes on.
  if (engine !== 'reference') import('./onnx.js').catch(() => undefined);
  const bytes = await readFileLimited(path, maxFileBytes);
  const json = looksLikeJson(bytes);
  if (!json) preloadHdf5();
  const files: InputFile[] = [{ name: path, bytes }];
  if (options.weights !== undefined) {
    files.push({ name: options.weights, bytes: await readFileLimited(options.weights, maxFileBytes) });
  } else if (json) {
    const dir = dirname(resolve(path));
    for (const shard of tfjsShardPaths(bytes, path)) {
      const full = resolve(dir, shard);
      const rel = relative(dir, full);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new FileFormatError('ZIP_UNSAFE_PATH', `'${basename(path)}' names a weight shard outside its folder: '${shard}'. convscope only reads shards next to model.json.`);
      }
      try {
        files.push({ name: shard, bytes: await readFileLimited(full, maxFileBytes) });
      } catch (cause) {
        if (cause instanceof FileFormatError && cause.code === 'FILE_NOT_FOUND') {
          throw new FileFormatError('KERAS_MISSING_FILE', `'${path}' needs the weight shard '${shard}', which is not in ${dir}.`, {
            cause,
            hint: 'Put every shard listed in model.json next to it.',
          });
        }
        throw cause;
      }
    }
  }
  if (threads < 1 || !Number.isInteger(threads)) throw new ArgumentError('BAD_ARGUMENT', `threads must be a positive integer, got ${threads}.`);
  return openModel(files, {
    engine: nodeEngineFactory(engine, threads),
    ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
    ...(options.maxLayers !== undefined ? { maxLayers: options.maxLayers } : {}),
    ...(options.maxParams !== undefined ? { maxParams: options.maxParams } : {}),
    ...(options.maxTensorElements !== undefined ? { maxTensorElements: options.maxTensorElements } : {}),
  });
}
