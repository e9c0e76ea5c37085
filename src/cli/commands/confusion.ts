// `convscope confusion <model> --x x.npy --y y.npy`: accuracy, confusion matrix and the most
// confidently wrong inputs.

import type { Command } from '../io.js';
import { dataFlags } from '../data.js';
import { methodCommand } from '../method-command.js';
import { countFlag, fmtNum } from '../flags.js';
import { confusion } from '../../methods/dataset.js';
import { renderConfusionFigure } from '../../render/figures.js';

/** `convscope confusion`. */
export const confusionCommand: Command = methodCommand({
  name: 'confusion',
  summary: 'Accuracy, confusion matrix and the most confidently wrong inputs',
  usage: 'convscope confusion <model> --x x.npy --y y.npy [--top 20] [-o confusion.png] [--json out.json]\n\nJSON: `counts[true][predicted]`, `accuracy`, `perClass`, `mostConfidentlyWrong`.',
  flags: { ...dataFlags, top: { kind: 'integer', description: '--top <n>  most confidently wrong inputs listed (default 20)' } },
  needs: 'data',
  async run(ctx) {
    const top = countFlag(ctx.args, 'top', 20, 0);
    const bar = ctx.progress('confusion');
    const r = await confusion(ctx.data!, { topWrong: top, onProgress: bar, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    bar.finish();
    const names = r.classNames;
    const w = Math.max(4, ...names.map((s) => s.length), ...r.counts.flat().map((v) => String(v).length)) + 2;
    const table = [
      `${'true \\ pred'.padEnd(w)}${names.map((s) => s.padStart(w)).join('')}`,
      ...r.counts.map((row, t) => `${names[t]!.padEnd(w)}${row.map((v) => String(v).padStart(w)).join('')}`),
    ];
    const word = ctx.figureOptions.probabilities === false ? 'output' : 'p';
    const wrong = r.mostConfidentlyWrong.map((m) => `  input ${m.index}: true ${names[m.trueClass]}, predicted ${names[m.predictedClass]} (${word} = ${fmtNum(m.probability)})`);
    return {
      method: 'confusion',
      options: { top },
      seed: null,
      json: { n: r.n, accuracy: r.accuracy, classNames: r.classNames, counts: r.counts, perClass: r.perClass, mostConfidentlyWrong: r.mostConfidentlyWrong },
      text: [
        `Accuracy ${fmtNum(100 * r.accuracy)}% on ${r.n} inputs`,
        ...table,
        ...(wrong.length > 0 ? [`Most confidently wrong (${wrong.length}):`, ...wrong] : ['No wrong predictions.']),
      ].join('\n'),
      figure: (provenance) => renderConfusionFigure(r, { probabilities: ctx.figureOptions.probabilities !== false, provenance }),
    };
  },
});
