// Options shared by the commands that open a model, and helpers to read arrays and write
// outputs. Thin: all work is in the library.

import { resolve } from 'node:path';
import type { FlagSpecs, ParsedArgs } from './args.js';
import { str, num } from './args.js';
import { ArgumentError } from '../errors.js';
import { openPath, type EngineChoice } from '../node/open.js';
import type { Model } from '../model/model.js';
import type { CliIO } from './io.js';

export const modelFlags: FlagSpecs = {
  weights: { kind: 'string', description: '--weights <file.h5>  weights for an architecture JSON model' },
  'start-after': { kind: 'string', description: '--start-after <layer>  open the model after this layer (skip a Lambda)' },
  engine: { kind: 'string', description: '--engine auto|onnx|reference  which engine runs the model (default auto)' },
  threads: { kind: 'integer', description: '--threads <n>  CPU threads for the ONNX engine (default 2)' },
  'max-file-bytes': { kind: 'integer', description: '--max-file-bytes <n>  largest file read (default 4 GiB)' },
};

/** Opens the model named by the first positional argument with the shared flags. */
export async function openModelFromArgs(args: ParsedArgs, io: CliIO, command: string): Promise<Model> {
  const path = args.positionals[0];
  if (path === undefined) {
    throw new ArgumentError('BAD_ARGUMENT', `'convscope ${command}' needs a model file.`, { hint: `Usage: convscope ${command} <model> ...` });
  }
  const engine = str(args, 'engine') ?? 'auto';
  if (engine !== 'auto' && engine !== 'onnx' && engine !== 'reference') {
    throw new ArgumentError('BAD_ARGUMENT', `--engine must be auto, onnx or reference, got '${engine}'.`);
  }
  const weights = str(args, 'weights');
  const startAfter = str(args, 'start-after');
  const threads = num(args, 'threads');
  const maxFileBytes = num(args, 'max-file-bytes');
  return openPath(resolve(io.cwd, path), {
    engine: engine as EngineChoice,
    ...(weights !== undefined ? { weights: resolve(io.cwd, weights) } : {}),
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
  });
}
