// `convscope activations <model> --x x.npy`: the feature maps of one layer for one input,
// in inference mode (the original ran training mode: defect 3).

import { num } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags, pickFlags } from '../data.js';
import { methodCommand } from '../method-command.js';
import { fmtNum, layerFlags, oneBased, resolveLayerFlag } from '../flags.js';
import { activations } from '../../methods/activations.js';
import { renderActivationsFigure } from '../../render/figures.js';
import { activationsNumbers } from '../../methods/numbers.js';

const { class: _class, ...pick } = pickFlags;

/** `convscope activations`. */
export const activationsCommand: Command = methodCommand({
  name: 'activations',
  summary: 'Show the feature maps of a layer for one input',
  usage:
    'convscope activations <model> --x x.npy [--index i | --pick-class c --seed s] [--layer name | --layer-index k] [--channel m] [-o maps.png] [--json out.json]\n\n' +
    '--layer-index counts the layers that apply a non-linearity and output feature maps (Activation,\n' +
    'ReLU, LeakyReLU, convolutions with a fused activation), from 1 (default 1); --channel picks one\n' +
    'map, numbered from 1 as in the figure. In the JSON, `channels` are 0-based and `maps` is (channels, h, w).',
  flags: {
    ...dataFlags,
    ...pick,
    ...layerFlags('layers that apply a non-linearity and output feature maps'),
    channel: { kind: 'integer', description: '--channel <m>  one map, numbered from 1 as in the figure (default all)' },
    'panel-scale': { kind: 'boolean', description: '--panel-scale  scale each map on its own range (no colour bar; default: one shared scale)' },
  },
  needs: 'input',
  async run(ctx) {
    const layer = resolveLayerFlag(ctx.args);
    const ch = num(ctx.args, 'channel');
    const r = await activations(ctx.model, ctx.x!, {
      ...(layer !== undefined ? { layer } : {}),
      ...(ch !== undefined ? { channel: oneBased(ch, 'channel') } : {}),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    });
    const scale = ctx.args.flags.get('panel-scale') === true ? 'panel' : 'shared';
    return {
      method: 'activations',
      options: { layer: r.layer, channel: ch ?? null, scale },
      seed: null,
      json: activationsNumbers(r),
      text: `Activations of ${r.layer} (${r.className}): ${r.channels.length} map${r.channels.length === 1 ? '' : 's'} of ${r.height}x${r.width}, values ${fmtNum(r.min)} to ${fmtNum(r.max)} (inference mode)`,
      figure: (provenance) => renderActivationsFigure(r, { ...ctx.figureOptions, scale, provenance }),
    };
  },
});
