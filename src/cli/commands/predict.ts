// `convscope predict <model> <x.npy> -o out.npy`: batched model outputs as float32 .npy.

import { resolve } from 'node:path';
import { parseArgs, bool, num, str, formatFlags } from '../args.js';
import { modelFlags, openModelFromArgs } from '../common.js';
import type { CliIO, Command } from '../io.js';
import { ArgumentError } from '../../errors.js';
import { progressBar } from '../progress.js';
import { nonFiniteSamples, readTensorFile, writeTensorFile } from '../../node/arrays.js';
import { preflightWrites } from '../../node/files.js';

const flags = {
  ...modelFlags,
  output: { kind: 'string', alias: 'o', description: '-o, --output <out.npy>  write the outputs (float32, shape (N, ...))' },
  batch: { kind: 'integer', description: '--batch <n>  samples per forward pass (default 64)' },
  json: { kind: 'boolean', description: '--json  print the outputs as JSON to stdout' },
  overwrite: { kind: 'boolean', description: '--overwrite  replace an existing output file' },
} as const;

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Run the model on x.npy and write its outputs',
  usage: `convscope predict <model> <x.npy> [-o out.npy] [--batch N] [--json]\n\n${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, flags, 'predict');
    const xPath = args.positionals[1];
    if (xPath === undefined) throw new ArgumentError('BAD_ARGUMENT', "'convscope predict' needs an input array.", { hint: 'Usage: convscope predict <model> <x.npy> -o out.npy' });
    const output = str(args, 'output');
    if (output === undefined && !bool(args, 'json')) {
      throw new ArgumentError('BAD_ARGUMENT', "'convscope predict' needs -o out.npy or --json.");
    }
    const outPath = output !== undefined ? resolve(io.cwd, output) : null;
    const overwrite = bool(args, 'overwrite');
    // Before any work: an output that exists (without --overwrite) or has no folder to go in.
    await preflightWrites([outPath], overwrite);
    // The inputs are read while the model opens (its HDF5 and onnxruntime libraries load).
    const reading = readTensorFile(resolve(io.cwd, xPath));
    reading.catch(() => undefined); // reported below, after the model's own errors
    const model = await openModelFromArgs(args, io, 'predict');
    try {
      const x = await reading;
      const bad = nonFiniteSamples(x);
      if (bad.length > 0) io.stderr.write(`warning: x holds NaN or infinite values in inputs ${bad.join(', ')}${bad.length === 20 ? ', ...' : ''}; their outputs will not be meaningful.\n`);
      const bar = progressBar(io, 'predict');
      const batch = num(args, 'batch');
      const y = await model.predict(x, { ...(batch !== undefined ? { batchSize: batch } : {}), onProgress: bar, ...(io.signal ? { signal: io.signal } : {}) });
      bar.finish();
      if (outPath !== null) await writeTensorFile(outPath, y, overwrite);
      if (bool(args, 'json')) {
        const per = y.data.length / Math.max(1, y.shape[0] ?? 1);
        const rows = Array.from({ length: y.shape[0] ?? 0 }, (_, i) => Array.from(y.data.subarray(i * per, (i + 1) * per)));
        io.stdout.write(`${JSON.stringify({ shape: y.shape, engine: model.engine.name, outputs: rows })}\n`);
      } else {
        io.stderr.write(`wrote ${output} (${y.shape.join(' x ')}, float32) with ${model.engine.name}\n`);
      }
      return 0;
    } finally {
      await model.dispose();
    }
  },
};
