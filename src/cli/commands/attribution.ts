// `convscope saliency | smoothgrad | ig <model> --x x.npy`: gradient attributions of a class
// score (the logit) with respect to the input, signed.

import { num, str } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags, pickFlags, targetClassOf } from '../data.js';
import { methodCommand } from '../method-command.js';
import { countFlag, fmtNum, positiveFlag } from '../flags.js';
import { ArgumentError } from '../../errors.js';
import { integratedGradients, saliency, smoothGrad } from '../../methods/gradients.js';
import { renderAttributionFigure, type AttributionFigureResult } from '../../render/figures.js';
import { attributionNumbers, integratedGradientsNumbers, smoothGradNumbers } from '../../methods/numbers.js';

function range(values: Float32Array): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return `${fmtNum(lo)} to ${fmtNum(hi)}`;
}

const usageTail = 'JSON: the attribution nested like one input (no batch axis), signed; `score` is the logit of the class.';

/** `convscope saliency`. */
export const saliencyCommand: Command = methodCommand({
  name: 'saliency',
  summary: 'Saliency: the gradient of the class score with respect to the input',
  usage: `convscope saliency <model> --x x.npy [--index i | --pick-class c --seed s] [--class c] [-o saliency.png] [--json out.json]\n\n${usageTail} Field: \`saliency\`.`,
  flags: { ...dataFlags, ...pickFlags },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    const targetClass = targetClassOf(ctx.args, sel);
    const r = await saliency(ctx.model, ctx.x!, { targetClass, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    return {
      method: 'saliency',
      options: { index: sel.index, class: targetClass },
      seed: sel.seed,
      json: attributionNumbers(r),
      text: `Saliency for class ${ctx.data!.classNames[targetClass]}: score (logit) ${fmtNum(r.score)}; gradient ${range(r.attribution)}`,
      figure: (provenance) => renderAttributionFigure(r, ctx.image!, { ...ctx.figureOptions, provenance }),
    };
  },
});

/** `convscope smoothgrad`. */
export const smoothgradCommand: Command = methodCommand({
  name: 'smoothgrad',
  summary: 'SmoothGrad: the gradient averaged over noisy copies of the input',
  usage: `convscope smoothgrad <model> --x x.npy [--index i] [--class c] [--n 50] [--noise 0.15] [--seed 0] [-o sg.png] [--json out.json]\n\n${usageTail} Field: \`smoothgrad\`.\n--seed also draws the input when neither --index nor --pick-class is given.`,
  flags: {
    ...dataFlags,
    ...pickFlags,
    n: { kind: 'integer', description: '--n <count>  noisy copies averaged (default 50)' },
    noise: { kind: 'number', description: "--noise <f>  noise standard deviation as a fraction of the input's value range (default 0.15)" },
  },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    const targetClass = targetClassOf(ctx.args, sel);
    const nSamples = countFlag(ctx.args, 'n', 50);
    const noiseLevel = positiveFlag(ctx.args, 'noise', 0.15);
    const seed = num(ctx.args, 'seed') ?? 0;
    const bar = ctx.progress('smoothgrad');
    const r = await smoothGrad(ctx.model, ctx.x!, { targetClass, nSamples, noiseLevel, seed, onProgress: bar, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    bar.finish();
    return {
      method: 'smoothgrad',
      options: { index: sel.index, class: targetClass, n: nSamples, noise: noiseLevel, sigma: r.sigma, seed },
      seed,
      json: smoothGradNumbers(r, noiseLevel),
      text: `SmoothGrad for class ${ctx.data!.classNames[targetClass]} (${nSamples} copies, sigma ${fmtNum(r.sigma)}, seed ${seed}): score (logit) ${fmtNum(r.score)}; mean gradient ${range(r.attribution)}`,
      figure: (provenance) => renderAttributionFigure(r as AttributionFigureResult, ctx.image!, { ...ctx.figureOptions, provenance }),
    };
  },
});

/** `convscope ig`. */
export const igCommand: Command = methodCommand({
  name: 'ig',
  summary: 'Integrated Gradients from a baseline, with its completeness error',
  usage:
    `convscope ig <model> --x x.npy [--index i] [--class c] [--steps 64] [--baseline 0] [-o ig.png] [--json out.json]\n\n${usageTail} Field: \`integratedGradients\`.\n` +
    'Completeness: the attributions should sum to score(input) - score(baseline); the error left is\n' +
    'printed and stored as `completenessError` (more --steps make it smaller).',
  flags: {
    ...dataFlags,
    ...pickFlags,
    steps: { kind: 'integer', description: '--steps <n>  interpolation steps, trapezoidal rule (default 64)' },
    baseline: { kind: 'string', description: "--baseline <v|image-mean>  baseline value of every element (default 0, a black image)" },
  },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    const targetClass = targetClassOf(ctx.args, sel);
    const steps = countFlag(ctx.args, 'steps', 64);
    const b = str(ctx.args, 'baseline') ?? '0';
    let baseline: number;
    if (b === 'image-mean') {
      baseline = ctx.x!.data.reduce((s, v) => s + v, 0) / ctx.x!.data.length;
    } else {
      baseline = Number(b);
      if (b.trim() === '' || !Number.isFinite(baseline)) throw new ArgumentError('BAD_ARGUMENT', `--baseline must be a number or 'image-mean'; got '${b}'.`);
    }
    const bar = ctx.progress('ig');
    const r = await integratedGradients(ctx.model, ctx.x!, { targetClass, steps, baseline, onProgress: bar, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    bar.finish();
    const diff = r.score - r.baselineScore;
    const rel = diff !== 0 ? ` (${fmtNum((100 * Math.abs(r.completenessError)) / Math.abs(diff))}% of the score difference)` : '';
    return {
      method: 'integrated-gradients',
      options: { index: sel.index, class: targetClass, steps, baseline },
      seed: sel.seed,
      json: integratedGradientsNumbers(r, baseline),
      text:
        `Integrated Gradients for class ${ctx.data!.classNames[targetClass]} (${steps} steps from baseline ${fmtNum(baseline)}): score ${fmtNum(r.score)}, baseline score ${fmtNum(r.baselineScore)}; attributions ${range(r.attribution)}\n` +
        `Completeness error: sum of attributions - (score - baseline score) = ${fmtNum(r.completenessError)}${rel}`,
      figure: (provenance) => renderAttributionFigure(r, ctx.image!, { ...ctx.figureOptions, provenance }),
    };
  },
});
