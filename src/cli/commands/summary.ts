// `convscope summary <model>`: format, version, input/output, a Keras-like layer table, head.

import { parseArgs, bool, formatFlags } from '../args.js';
import { modelFlags, openModelFromArgs } from '../common.js';
import type { CliIO, Command } from '../io.js';
import { formatShape } from '../../errors.js';
import type { ModelSummary } from '../../model/model.js';

const flags = { ...modelFlags, json: { kind: 'boolean', description: '--json  print machine-readable JSON to stdout' } } as const;

/** Text form of a summary, like Keras' model.summary(). */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [`${l.name} (${l.className})`, formatShape(l.outputShape), l.params.toLocaleString('en-US')]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const w = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (r: string[]) => r[0]!.padEnd(w[0]!) + r[1]!.padEnd(w[1]!) + r[2]!.padStart(w[2]!);
  const rule = '─'.repeat(w[0]! + w[1]! + w[2]!);
  const headText =
    s.head.kind === 'sigmoid'
      ? `single sigmoid unit: p(class 1) = output, p(class 0) = 1 - output`
      : s.head.kind === 'softmax'
        ? `softmax over ${s.head.units} classes`
        : s.head.kind === 'linear'
          ? `linear (${s.head.units} unit${s.head.units === 1 ? '' : 's'}; not probabilities)`
          : `other (${s.head.units} units)`;
  return [
    `Format: ${s.format}   Keras version: ${s.kerasVersion ?? 'not recorded'}   Backend: ${s.backend ?? 'not recorded'}`,
    `Input: ${formatShape(s.inputShape)}   Output: ${formatShape(s.outputShape)}   Engine: ${s.engine}`,
    rule,
    line(head),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
    `Head: ${headText}`,
  ].join('\n');
}

export const summaryCommand: Command = {
  name: 'summary',
  summary: 'Describe a model: format, Keras version, layers, shapes, parameters, head',
  usage: `convscope summary <model> [--weights w.h5] [--json]\n\n${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, flags, 'summary');
    const model = await openModelFromArgs(args, io, 'summary');
    try {
      const s = model.summary();
      if (bool(args, 'json')) {
        const out = {
          format: s.format,
          kerasVersion: s.kerasVersion,
          backend: s.backend,
          inputShape: s.inputShape,
          outputShape: s.outputShape,
          totalParams: s.totalParams,
          head: s.head,
          engine: s.engine,
          layers: s.layers.map((l) => ({ name: l.name, className: l.className, outputShape: l.outputShape, params: l.params, inputs: l.inputs })),
        };
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.stdout.write(`${formatSummary(s)}\n`);
      }
      return 0;
    } finally {
      await model.dispose();
    }
  },
};
