// Node-only: the fast embedding backend (methods/embed/backend.ts): neighbour search and
// trustworthiness on onnxruntime-node (knn-onnx.ts) and the t-SNE gradient on worker threads
// (tsne-parallel.ts). Results are the same as the TypeScript backend's; only the time differs.

import { ArgumentError } from '../errors.js';
import { typescriptBackend, type EmbedBackend } from '../methods/embed/backend.js';
import type { OnnxDistances } from './knn-onnx.js';
import { createParallelTsneGradient } from './tsne-parallel.js';

/** Which embedding backend runs: 'auto' (the fast one in Node), 'onnx' (the fast one) or 'typescript'. */
export type EmbedBackendChoice = 'auto' | 'onnx' | 'typescript';

/** Options of {@link nodeEmbedBackend}. */
export interface NodeEmbedBackendOptions {
  /** Threads for onnxruntime and the t-SNE gradient (this one included). Default 2. */
  readonly threads?: number;
  /** Bytes the distance blocks may take. Default 512 MiB. */
  readonly memoryBudget?: number;
  /**
   * Smallest n for which t-SNE starts worker threads (starting one costs ~0.3 s of CPU).
   * Default 2,000.
   */
  readonly parallelTsneFrom?: number;
}

/**
 * The fast backend: onnxruntime distances, parallel t-SNE gradient. With `fallback` (what
 * 'auto' uses), a failure to load onnxruntime-node sends the distance work to the TypeScript
 * code instead; `name` then says so. `release()` when done.
 */
export function onnxEmbedBackend(options: NodeEmbedBackendOptions = {}, fallback = false): EmbedBackend & { release(): Promise<void> } {
  const { threads = 2, parallelTsneFrom = 2000 } = options;
  if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError('BAD_ARGUMENT', `threads must be a positive integer, got ${threads}.`);
  let distances: Promise<OnnxDistances | null> | null = null;
  let onnx = true;
  const get = (): Promise<OnnxDistances | null> =>
    (distances ??= import('./knn-onnx.js')
      .then((m) => new m.OnnxDistances({ threads, ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}) }))
      .catch((err: unknown) => {
        if (!fallback) throw err;
        onnx = false;
        return null;
      }));
  const parallel = threads > 1 ? ` + t-SNE gradient on ${threads} threads` : '';
  return {
    get name(): string {
      return `${onnx ? 'onnxruntime-node distances' : 'typescript distances'}${parallel}`;
    },
    async neighbors(data, n, d, k, o) {
      const od = await get();
      return od === null ? typescriptBackend.neighbors(data, n, d, k, o) : od.neighbors(data, n, d, k, o);
    },
    async trustworthiness(x, n, d, y, o = {}) {
      const od = await get();
      return od === null ? typescriptBackend.trustworthiness(x, n, d, y, o) : od.trustworthiness(x, n, d, y, o.k ?? 10, o);
    },
    tsneGradient: (n) => (threads > 1 && n >= parallelTsneFrom ? createParallelTsneGradient({ threads }) : null),
    async release() {
      const od = await (distances ?? Promise.resolve(null)).catch(() => null);
      distances = null;
      await od?.release();
    },
  };
}

/** The backend for a choice: 'auto' (fast, falling back to TypeScript), 'onnx' (fast) or 'typescript'. */
export function nodeEmbedBackend(choice: EmbedBackendChoice = 'auto', options: NodeEmbedBackendOptions = {}): EmbedBackend & { release(): Promise<void> } {
  if (choice === 'typescript') return { ...typescriptBackend, release: () => Promise.resolve() };
  if (choice !== 'auto' && choice !== 'onnx') {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown embedding backend '${String(choice)}'; choose auto, onnx or typescript.`);
  }
  return onnxEmbedBackend(options, choice === 'auto');
}
