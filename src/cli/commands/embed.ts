// `convscope embed <model> --x x.npy`: features of a layer (default: the penultimate) for a
// seeded, class-balanced sample, mapped to 2-D by PCA, t-SNE or UMAP.

import { num, str } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags } from '../data.js';
import { methodCommand } from '../method-command.js';
import { countFlag, fmtNum, positiveFlag } from '../flags.js';
import { ArgumentError } from '../../errors.js';
import { embed, type EmbedMethod, type EmbedOptions } from '../../methods/embed/index.js';
import { renderEmbeddingFigure } from '../../render/figures.js';
import { nodeEmbedBackend } from '../../node/embed-backend.js';
import { embeddingNumbers } from '../../methods/numbers.js';

/** `convscope embed`. */
export const embedCommand: Command = methodCommand({
  name: 'embed',
  summary: 'Map the features of many inputs to 2-D (PCA, t-SNE, UMAP), coloured by class',
  usage:
    'convscope embed <model> --x x.npy [--y y.npy] [--method pca|tsne|umap] [--n count] [--layer name] [--seed 0] [-o embed.png] [--json out.json]\n\n' +
    'Without --n every input of x is used; with --n a seeded sample, balanced by class when --y is given.\n' +
    'JSON: `features` (n x d), `coordinates` (n x 2), `indices` (rows of x), `explainedVarianceRatio` (PCA).',
  flags: {
    ...dataFlags,
    method: { kind: 'string', description: '--method pca|tsne|umap  the 2-D map (default pca)' },
    n: { kind: 'integer', description: '--n <count>  inputs to embed, a seeded class-balanced sample (default: all)' },
    layer: { kind: 'string', description: '--layer <name>  layer whose output is embedded (default: the input of the last Dense layer)' },
    seed: { kind: 'integer', description: '--seed <s>  seed of the sample and of t-SNE/UMAP (default 0)' },
    perplexity: { kind: 'number', description: '--perplexity <p>  t-SNE perplexity (default 30, clamped to (n - 1) / 3)' },
    iterations: { kind: 'integer', description: '--iterations <n>  t-SNE iterations (default 1000)' },
    neighbors: { kind: 'integer', description: '--neighbors <k>  UMAP neighbours (default 15)' },
    'min-dist': { kind: 'number', description: '--min-dist <d>  UMAP minimum distance (default 0.1)' },
  },
  needs: 'data',
  async run(ctx) {
    const data = ctx.data!;
    const method = (str(ctx.args, 'method') ?? 'pca') as EmbedMethod;
    if (method !== 'pca' && method !== 'tsne' && method !== 'umap') throw new ArgumentError('BAD_ARGUMENT', `--method must be pca, tsne or umap; got '${String(method)}'.`);
    const n = countFlag(ctx.args, 'n', data.size);
    if (n > data.size) throw new ArgumentError('BAD_ARGUMENT', `--n ${n} is more than the ${data.size} inputs in x.`);
    const seed = num(ctx.args, 'seed') ?? 0;
    const layer = str(ctx.args, 'layer');
    const perplexity = num(ctx.args, 'perplexity');
    const iterations = num(ctx.args, 'iterations');
    const neighbors = num(ctx.args, 'neighbors');
    const minDist = num(ctx.args, 'min-dist');
    const bar = ctx.progress(`embed ${method}`);
    const options: EmbedOptions = {
      method,
      n,
      seed,
      labels: data.labels,
      ...(layer !== undefined ? { layer } : {}),
      ...(perplexity !== undefined ? { perplexity: positiveFlag(ctx.args, 'perplexity', perplexity) } : {}),
      ...(iterations !== undefined ? { nIterations: countFlag(ctx.args, 'iterations', iterations) } : {}),
      ...(neighbors !== undefined ? { nNeighbors: countFlag(ctx.args, 'neighbors', neighbors, 2) } : {}),
      ...(minDist !== undefined ? { minDist } : {}),
      onProgress: (p) => bar(p.done, p.total, p.stage),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    };
    // Distances and the t-SNE gradient: onnxruntime + worker threads unless --engine reference.
    const engine = str(ctx.args, 'engine') ?? 'auto';
    const backend = nodeEmbedBackend(engine === 'reference' ? 'typescript' : engine === 'onnx' ? 'onnx' : 'auto', { threads: num(ctx.args, 'threads') ?? 2 });
    const r = await embed(ctx.model, data.x, { ...options, backend }).finally(() => backend.release());
    bar.finish();
    const parts = [`${({ pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' } as const)[r.method]} of ${r.layer} (${r.className}) features: ${r.n} inputs x ${r.d}`];
    if (r.explainedVarianceRatio !== undefined) parts.push(`explained variance ratio ${r.explainedVarianceRatio.map((v) => `${fmtNum(100 * v)}%`).join(', ')}`);
    if (r.kl !== undefined) parts.push(`KL ${fmtNum(r.kl)} after ${r.iterations} iterations`);
    if (r.trustworthiness !== undefined) parts.push(`trustworthiness ${fmtNum(r.trustworthiness)}`);
    if (r.knnAccuracy !== undefined) parts.push(`${r.options.qualityK}-NN class accuracy ${fmtNum(100 * r.knnAccuracy)}%`);
    return {
      method: `embed-${r.method}`,
      options: { ...r.options },
      seed: r.method === 'pca' && n === data.size ? null : seed,
      json: embeddingNumbers(r),
      text: parts.join('; '),
      figure: (provenance) => renderEmbeddingFigure(r, { classNames: data.classNames, provenance }),
    };
  },
});
