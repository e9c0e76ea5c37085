// `convscope kernels <model>`: the raw kernels of a convolution layer, transposed from Keras'
// (kh, kw, in, out) layout (never reshaped: defect 1 of the original).

import { num, str } from '../args.js';
import type { Command } from '../io.js';
import { methodCommand, modelOnlyFlags } from '../method-command.js';
import { layerFlags, oneBased, resolveLayerFlag } from '../flags.js';
import { kernels } from '../../methods/kernels.js';
import { renderKernelsFigure } from '../../render/figures.js';
import { fmtNum } from '../flags.js';
import { kernelsNumbers } from '../../methods/numbers.js';

/** `convscope kernels`. */
export const kernelsCommand: Command = methodCommand({
  name: 'kernels',
  summary: 'Show the kernels of a convolution layer (all filters, or one)',
  usage:
    'convscope kernels <model> [--layer name | --layer-index k] [--filter f] [-o kernels.png] [--json out.json]\n\n' +
    '--layer-index counts convolution layers from 1 (default 1); --filter picks one filter, numbered\n' +
    'from 1 as in the figure. In the JSON, `filters` are 0-based and `weights` is (filters, in, kh, kw).',
  flags: {
    ...modelOnlyFlags,
    ...layerFlags('convolution layers'),
    filter: { kind: 'integer', description: '--filter <f>  one filter, numbered from 1 as in the figure (default all)' },
  },
  needs: 'model',
  async run(ctx) {
    const layer = resolveLayerFlag(ctx.args);
    const f = num(ctx.args, 'filter');
    const r = kernels(ctx.model.graph, { ...(layer !== undefined ? { layer } : {}), ...(f !== undefined ? { filter: oneBased(f, 'filter') } : {}) });
    const n = r.filters.length;
    return {
      method: 'kernels',
      options: { layer: r.layer, filter: f ?? null, layerIndex: num(ctx.args, 'layer-index') ?? null, layerName: str(ctx.args, 'layer') ?? null },
      seed: null,
      json: kernelsNumbers(r),
      text: `Kernels of ${r.layer} (${r.className}): ${n} filter${n === 1 ? '' : 's'} of ${r.kernelHeight}x${r.kernelWidth} over ${r.inChannels} input channel${r.inChannels === 1 ? '' : 's'}; weights from ${fmtNum(r.min)} to ${fmtNum(r.max)}`,
      figure: (provenance) => renderKernelsFigure(r, { provenance }),
    };
  },
});
