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
  'max-layers': { kind: 'integer', description: '--max-layers <n>  most layers a model may have, nested included (default 10000)' },
  'max-params': { kind: 'integer', description: '--max-params <n>  most parameters a model may have (default 2^31)' },
  'max-tensor-elements': { kind: 'integer', description: '--max-tensor-elements <n>  most values in one weight tensor (default 2^28)' },
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
  const limits: Record<string, number> = {};
  for (const [flag, option] of [['max-file-bytes', 'maxFileBytes'], ['max-layers', 'maxLayers'], ['max-params', 'maxParams'], ['max-tensor-elements', 'maxTensorElements']] as const) {
    const v = num(args, flag);
    if (v === undefined) continue;
    if (!(Number.isSafeInteger(v) && v > 0)) throw new ArgumentError('BAD_ARGUMENT', `--${flag} must be a positive integer, got ${v}.`);
    limits[option] = v;
  }
  return openPath(resolve(io.cwd, path), {
    engine: engine as EngineChoice,
    ...(weights !== undefined ? { weights: resolve(io.cwd, weights) } : {}),
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...limits,
  });
}
