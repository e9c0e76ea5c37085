// `convscope input` (alias `select`): pick an input by --index, or by true class and seed, and
// show it with the model's verdict (the original's select_input + vis_input).

import type { Command } from '../io.js';
import { dataFlags, pickFlags } from '../data.js';
import { methodCommand, type MethodCommandSpec } from '../method-command.js';
import { renderInputFigure } from '../../render/figures.js';

const { class: _class, ...pick } = pickFlags;

const spec = (name: string): MethodCommandSpec => ({
  name,
  summary: name === 'input' ? 'Pick an input (by index, or class + seed) and show it with the verdict' : "Alias of 'input'",
  usage:
    `convscope ${name} <model> --x x.npy [--y y.npy] [--index i | --pick-class c --seed s] [-o input.png] [--json out.json]\n\n` +
    'Without --index, --pick-class draws the class (or takes the one given) and then an input of\n' +
    'that true class, both from --seed (default 0): the same seed always gives the same input.',
  flags: { ...dataFlags, ...pick },
  needs: 'input',
  async run(ctx) {
    const sel = ctx.selection!;
    return {
      method: 'select',
      options: { index: sel.index, pickClass: sel.requestedClass, seed: sel.seed },
      seed: sel.seed,
      json: {},
      text: '',
      figure: (provenance) => renderInputFigure(sel, ctx.image!, { ...ctx.figureOptions, provenance }),
    };
  },
});

/** `convscope input`. */
export const inputCommand: Command = methodCommand(spec('input'));
/** `convscope select`: the same command under the original's name. */
export const selectCommand: Command = methodCommand(spec('select'));
