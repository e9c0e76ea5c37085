// The heavy steps of the embeddings behind one interface, so that a platform can run them
// faster while the results stay the same: the neighbour search, trustworthiness, and the t-SNE
// gradient. The default runs them here in plain TypeScript; Node injects onnxruntime distances
// and worker threads (src/node/embed-backend.ts). Isomorphic.

import { exactNeighborsAsync, type Neighbors, type NeighborsOptions } from './knn.js';
import { trustworthinessAsync, type TrustworthinessOptions } from './quality.js';
import type { TsneGradientRunner } from './tsne.js';
import type { FeatureMatrix } from './util.js';

/** Where the embeddings' heavy steps run. Every backend returns what the default returns. */
export interface EmbedBackend {
  /** Shown in results and reports, e.g. 'typescript', 'onnxruntime-node + 2 threads'. */
  readonly name: string;
  /** Exact k nearest neighbours (knn.ts `exactNeighborsAsync`'s contract). */
  neighbors(data: FeatureMatrix, n: number, d: number, k: number, options?: NeighborsOptions): Promise<Neighbors>;
  /** Trustworthiness (quality.ts `trustworthinessAsync`'s contract). */
  trustworthiness(x: FeatureMatrix, n: number, d: number, y: FeatureMatrix, options?: TrustworthinessOptions): Promise<number>;
  /** A gradient runner for a t-SNE of n points, or null to compute the gradient in this thread. */
  tsneGradient(n: number): TsneGradientRunner | null;
}

/** The default backend: everything in this thread, in TypeScript (works everywhere). */
export const typescriptBackend: EmbedBackend = {
  name: 'typescript',
  neighbors: (data, n, d, k, options) => exactNeighborsAsync(data, n, d, k, options),
  trustworthiness: (x, n, d, y, options) => trustworthinessAsync(x, n, d, y, options),
  tsneGradient: () => null,
};
