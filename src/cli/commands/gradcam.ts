// `convscope gradcam <model> --x x.npy`: Grad-CAM of one input at a layer, computed on a copy
// of the model without its final activation (the loaded model is never changed: defect 7).

import { str } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags, pickFlags, targetClassOf } from '../data.js';
import { methodCommand } from '../method-command.js';
import { argmax2d, fmtNum } from '../flags.js';
import { gradCam } from '../../methods/gradcam.js';
import { renderGradCamFigure } from '../../render/figures.js';
import { gradCamNumbers } from '../../methods/numbers.js';

/** `convscope gradcam`. */
export const gradcamCommand: Command = methodCommand({
  name: 'gradcam',
  summary: 'Grad-CAM of one input at a layer, overlaid on the image',
  usage:
    'convscope gradcam <model> --x x.npy [--index i | --pick-class c --seed s] [--class c] [--layer name] [-o gradcam.png] [--json out.json]\n\n' +
    'Default layer: the last convolution or activation layer with a spatial output. JSON: `map` (the raw\n' +
    'map at the layer resolution, rows x cols, not normalised), `weights` (alpha per channel), `score` (logit).',
  flags: { ...dataFlags, ...pickFlags, layer: { kind: 'string', description: '--layer <name>  layer with a spatial output (default: the last convolution or activation layer)' } },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    const targetClass = targetClassOf(ctx.args, sel);
    const layer = str(ctx.args, 'layer');
    const r = await gradCam(ctx.model, ctx.x!, { targetClass, ...(layer !== undefined ? { layer } : {}), ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    const top = argmax2d(r.map, r.width);
    return {
      method: 'gradcam',
      options: { index: sel.index, class: targetClass, layer: r.layer },
      seed: sel.seed,
      json: gradCamNumbers(r),
      text:
        `Grad-CAM at ${r.layer} (${r.height}x${r.width}) for class ${ctx.data!.classNames[targetClass]}: score (logit) ${fmtNum(r.score)}; ` +
        (top.value > 0 ? `map max ${fmtNum(top.value)} at row ${top.row}, column ${top.col}` : 'the map is 0 everywhere (no positive evidence at this layer)'),
      figure: (provenance) => renderGradCamFigure(r, ctx.image!, { ...ctx.figureOptions, provenance }),
    };
  },
});
