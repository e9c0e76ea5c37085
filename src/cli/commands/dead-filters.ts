// `convscope dead-filters <model> --x x.npy`: filters that are zero everywhere for every input
// of a seeded sample, per layer that applies a non-linearity.

import { num } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags } from '../data.js';
import { methodCommand } from '../method-command.js';
import { countFlag } from '../flags.js';
import { deadFilters } from '../../methods/activations.js';
import { renderDeadFiltersFigure } from '../../render/figures.js';

/** `convscope dead-filters`. */
export const deadFiltersCommand: Command = methodCommand({
  name: 'dead-filters',
  summary: 'Count filters that never activate over a sample of inputs',
  usage: 'convscope dead-filters <model> --x x.npy [--n 256] [--seed 0] [-o dead.png] [--json out.json]',
  flags: {
    ...dataFlags,
    n: { kind: 'integer', description: '--n <count>  inputs sampled without replacement (default 256; all when x has fewer)' },
    seed: { kind: 'integer', description: '--seed <s>  seed of the sample (default 0)' },
  },
  needs: 'data',
  async run(ctx) {
    const nSamples = countFlag(ctx.args, 'n', 256);
    const seed = num(ctx.args, 'seed') ?? 0;
    const bar = ctx.progress('dead-filters');
    const r = await deadFilters(ctx.model, ctx.data!.x, { nSamples, seed, onProgress: bar, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    bar.finish();
    const lines = r.layers.map((l) => `  ${l.layer} (${l.className}): ${l.dead.length} of ${l.channels} dead${l.dead.length > 0 ? ` [${l.dead.map((c) => c + 1).join(', ')}]` : ''}`);
    return {
      method: 'dead-filters',
      options: { n: nSamples, seed },
      seed,
      json: { nSamples: r.nSamples, seed: r.seed, indices: r.indices, layers: r.layers, totalDead: r.totalDead, totalChannels: r.totalChannels },
      text: [`Dead filters over ${r.nSamples} inputs (seed ${seed}): ${r.totalDead} of ${r.totalChannels}; filters numbered from 1:`, ...lines].join('\n'),
      figure: (provenance) => renderDeadFiltersFigure(r, { provenance }),
    };
  },
});
