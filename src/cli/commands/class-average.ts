// `convscope class-average <model> --x x.npy --y y.npy`: mean attribution maps per true class
// (and per correct/incorrect prediction) with row and column profiles.

import { num, str } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags } from '../data.js';
import { methodCommand } from '../method-command.js';
import { countFlag, fmtNum } from '../flags.js';
import { ArgumentError } from '../../errors.js';
import { classAverage, type AverageMethod } from '../../methods/class-average.js';
import { renderClassAverageFigure } from '../../render/figures.js';
import { classAverageNumbers } from '../../methods/numbers.js';

/** `convscope class-average`. */
export const classAverageCommand: Command = methodCommand({
  name: 'class-average',
  summary: 'Average attribution maps per class, with row and column profiles',
  usage:
    'convscope class-average <model> --x x.npy --y y.npy [--method occlusion|gradcam|saliency] [--n-per-class 32] [--seed 0] [-o avg.png] [--json out.json]\n\n' +
    'Each map explains the true class of its input unless --class fixes one. Groups: each class, and within it\n' +
    'the correctly and incorrectly predicted inputs. JSON: per group `mean`, `std` (H x W) and the profiles.',
  flags: {
    ...dataFlags,
    method: { kind: 'string', description: '--method occlusion|gradcam|saliency  the map averaged (default occlusion)' },
    'n-per-class': { kind: 'integer', description: '--n-per-class <n>  inputs per true class, a seeded draw (default 32)' },
    seed: { kind: 'integer', description: '--seed <s>  seed of the draw (default 0)' },
    class: { kind: 'integer', description: '--class <c>  explain this class in every map (default: each input\'s true class)' },
    window: { kind: 'integer', description: '--window <px>  occlusion window (default 8)' },
    stride: { kind: 'integer', description: '--stride <px>  occlusion step (default: the window)' },
    fill: { kind: 'number', description: '--fill <v>  occlusion fill value (default 0)' },
    layer: { kind: 'string', description: '--layer <name>  Grad-CAM layer (default: the last convolution or activation layer)' },
    groups: { kind: 'string', description: '--groups all|classes  figure rows: classes and correct/incorrect (default all) or classes only' },
  },
  needs: 'data',
  async run(ctx) {
    const method = (str(ctx.args, 'method') ?? 'occlusion') as AverageMethod;
    if (method !== 'occlusion' && method !== 'gradcam' && method !== 'saliency') {
      throw new ArgumentError('BAD_ARGUMENT', `--method must be occlusion, gradcam or saliency; got '${String(method)}'.`);
    }
    const groups = str(ctx.args, 'groups') ?? 'all';
    if (groups !== 'all' && groups !== 'classes') throw new ArgumentError('BAD_ARGUMENT', `--groups must be all or classes; got '${groups}'.`);
    const nPerClass = countFlag(ctx.args, 'n-per-class', 32);
    const seed = num(ctx.args, 'seed') ?? 0;
    const target = num(ctx.args, 'class');
    const window = num(ctx.args, 'window');
    const stride = num(ctx.args, 'stride');
    const fill = num(ctx.args, 'fill');
    const layer = str(ctx.args, 'layer');
    if (method !== 'occlusion' && (window !== undefined || stride !== undefined || fill !== undefined)) {
      throw new ArgumentError('BAD_ARGUMENT', `--window, --stride and --fill apply to --method occlusion only (method is ${method}).`);
    }
    if (method !== 'gradcam' && layer !== undefined) throw new ArgumentError('BAD_ARGUMENT', `--layer applies to --method gradcam only (method is ${method}).`);
    const bar = ctx.progress(`class-average ${method}`);
    const r = await classAverage(ctx.data!, {
      method,
      nPerClass,
      seed,
      target: target ?? 'true',
      ...(window !== undefined ? { window: countFlag(ctx.args, 'window', window) } : {}),
      ...(stride !== undefined ? { stride: countFlag(ctx.args, 'stride', stride) } : {}),
      ...(fill !== undefined ? { fill } : {}),
      ...(layer !== undefined ? { layer } : {}),
      onProgress: bar,
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    });
    bar.finish();
    const lines = r.groups.map((g) => {
      let top = -Infinity;
      for (const v of g.mean) top = Math.max(top, v);
      return `  ${g.label}: n = ${g.n}, mean map max ${fmtNum(top)}`;
    });
    return {
      method: `class-average-${method}`,
      options: { method, nPerClass, seed, target: target ?? 'true', window: window ?? null, stride: stride ?? null, fill: fill ?? null, layer: layer ?? null },
      seed,
      json: classAverageNumbers(r),
      text: [`Class-average ${method} maps (${r.quantity}; seed ${seed}):`, ...lines].join('\n'),
      figure: (provenance) => renderClassAverageFigure(r, { groups, provenance }),
    };
  },
});
