// `convscope occlusion <model> --x x.npy`: occlusion sensitivity of one input: the target
// class's probability with a window of a fill value at each position, and its drop.

import { num, str } from '../args.js';
import type { Command } from '../io.js';
import { dataFlags, pickFlags, targetClassOf } from '../data.js';
import { methodCommand } from '../method-command.js';
import { argmax2d, countFlag, fmtNum } from '../flags.js';
import { ArgumentError } from '../../errors.js';
import { occlusion, type OcclusionFill } from '../../methods/occlusion.js';
import { renderOcclusionFigure } from '../../render/figures.js';
import { occlusionNumbers } from '../../methods/numbers.js';

/** Parses --fill: a number, 'image-mean' or 'dataset-mean'. */
export function parseFill(text: string | undefined): OcclusionFill {
  if (text === undefined) return 0;
  if (text === 'image-mean' || text === 'dataset-mean') return text;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) {
    throw new ArgumentError('BAD_ARGUMENT', `--fill must be a number, 'image-mean' or 'dataset-mean'; got '${text}'.`);
  }
  return v;
}

/** `convscope occlusion`. */
export const occlusionCommand: Command = methodCommand({
  name: 'occlusion',
  summary: 'Occlusion heat map: the class probability with each patch hidden',
  usage:
    'convscope occlusion <model> --x x.npy [--index i | --pick-class c --seed s] [--class c] [--window 8] [--stride 8] [--fill 0] [-o occ.png] [--json out.json]\n\n' +
    'For every window position (top-left corners 0, S, 2S, ... in both directions) the window is set to\n' +
    'the fill value in every channel and p(class) recorded. JSON: `probability` (rows x cols), `baseline`\n' +
    '(unoccluded), `drop` (baseline - probability), `overlay` (per-pixel mean drop, H x W).\n' +
    "--preset original reproduces the original module (gray 0.5 window 5x the size, |p - 0.5| / 0.5) for comparison.",
  flags: {
    ...dataFlags,
    ...pickFlags,
    window: { kind: 'integer', description: '--window <px>  side of the square window (default 8)' },
    stride: { kind: 'integer', description: '--stride <px>  step between windows (default: the window)' },
    fill: { kind: 'string', description: "--fill <v|image-mean|dataset-mean>  value written into the window (default 0)" },
    preset: { kind: 'string', description: "--preset convscope|original  'original': the BaSe module's protocol, labelled as such (default convscope)" },
    show: { kind: 'string', description: '--show both|probability|drop  panels of the figure (default both)' },
    batch: { kind: 'integer', description: '--batch <n>  occluded copies per forward pass (default: what fits 512 MiB, at most 64)' },
  },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    const targetClass = targetClassOf(ctx.args, sel);
    const window = countFlag(ctx.args, 'window', 8);
    const stride = countFlag(ctx.args, 'stride', window);
    const fill = parseFill(str(ctx.args, 'fill'));
    const preset = str(ctx.args, 'preset') ?? 'convscope';
    if (preset !== 'convscope' && preset !== 'original') throw new ArgumentError('BAD_ARGUMENT', `--preset must be convscope or original; got '${preset}'.`);
    if (preset === 'original' && str(ctx.args, 'fill') !== undefined) {
      throw new ArgumentError('BAD_ARGUMENT', "--preset original always fills with gray 0.5 (as the original did); leave out --fill.");
    }
    const show = str(ctx.args, 'show') ?? 'both';
    if (show !== 'both' && show !== 'probability' && show !== 'drop') throw new ArgumentError('BAD_ARGUMENT', `--show must be both, probability or drop; got '${show}'.`);
    const batch = num(ctx.args, 'batch');
    let datasetMean: number | undefined;
    if (fill === 'dataset-mean') {
      const xs = ctx.data!.x.data;
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[i]!;
      datasetMean = s / xs.length;
    }
    const bar = ctx.progress('occlusion');
    const r = await occlusion(ctx.model, ctx.x!, {
      targetClass,
      window,
      stride,
      fill,
      preset,
      ...(datasetMean !== undefined ? { datasetMean } : {}),
      ...(batch !== undefined ? { batchSize: countFlag(ctx.args, 'batch', 1) } : {}),
      onProgress: (d, t) => bar(d, t),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    });
    bar.finish();
    const names = ctx.data!.classNames;
    const word = ctx.figureOptions.probabilities === false ? 'output' : 'p';
    const top = argmax2d(r.drop, r.cols);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of r.probability) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const vn = `${word}(${names[targetClass]})`;
    return {
      method: 'occlusion',
      options: { index: sel.index, class: targetClass, window: r.window, stride: r.stride, fill: r.fill, fillMode: r.fillMode, preset: r.preset },
      seed: sel.seed,
      json: occlusionNumbers(r),
      text:
        `Occlusion for class ${names[targetClass]} (${r.rows}x${r.cols} windows of ${r.window} px, step ${r.stride}, fill ${fmtNum(r.fill)}${r.preset === 'original' ? ', original protocol' : ''}): ` +
        `${vn} = ${fmtNum(r.baseline)} unoccluded, ${fmtNum(lo)} to ${fmtNum(hi)} occluded; ` +
        `largest drop ${fmtNum(top.value)} with the window at row ${top.row * r.stride}, column ${top.col * r.stride}`,
      figure: (provenance) => renderOcclusionFigure(r, ctx.image!, { ...ctx.figureOptions, show, provenance }),
    };
  },
});
