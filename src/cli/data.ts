// Shared plumbing for the method commands: open model + data from flags, pick the input,
// resolve the target class, and write JSON (with provenance) and figures atomically.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FlagSpecs, ParsedArgs } from './args.js';
import { bool, num, str } from './args.js';
import { ArgumentError } from '../errors.js';
import { modelFlags, openModelFromArgs } from './common.js';
import type { CliIO } from './io.js';
import { Dataset, type InputSelection } from '../methods/dataset.js';
import { readNpy, toLabels } from '../io/npy.js';
import { readFileLimited, writeFileAtomic } from '../node/files.js';
import { nonFiniteSamples, readTensorFile } from '../node/arrays.js';
import { sha256Hex, toJsonable, type Provenance } from '../methods/provenance.js';
import { VERSION } from '../version.js';
import type { Model } from '../model/model.js';

export const dataFlags: FlagSpecs = {
  ...modelFlags,
  x: { kind: 'string', description: '--x <x.npy>  inputs, shaped (N, ...model input)' },
  y: { kind: 'string', description: '--y <y.npy>  labels: integers (N,) or one-hot (N, k)' },
  classes: { kind: 'string', description: '--classes "A,B"  class names in class order' },
  test: { kind: 'integer', description: '--test 1|2|3  BaSe preset class names (1: Neutral/Selection, 2: Incomplete Sweep/Balancing Selection, 3: Overdominance/Negative Freq-Dep. Selection)' },
  json: { kind: 'string', description: '--json <file.json>  write the numbers (with provenance); "-" for stdout' },
  output: { kind: 'string', alias: 'o', description: '-o, --output <fig.png|fig.svg>  write the figure (format by extension)' },
  overwrite: { kind: 'boolean', description: '--overwrite  replace existing output files' },
};

export const pickFlags: FlagSpecs = {
  index: { kind: 'integer', description: '--index <i>  the input to explain (0-based)' },
  'pick-class': { kind: 'integer', description: '--pick-class <c>  pick a random input of this true class (with --seed)' },
  seed: { kind: 'integer', description: '--seed <s>  seed for picks and sampling (default 0)' },
  class: { kind: 'integer', description: '--class <c>  target class (default: the true class, else the predicted one)' },
};

export interface LoadedData {
  readonly data: Dataset;
  readonly provenanceBase: Omit<Provenance, 'method' | 'options' | 'seed'>;
}

/** Opens model, x and y from the flags and checks them against each other. */
export async function loadData(args: ParsedArgs, io: CliIO, command: string): Promise<LoadedData> {
  const xPath = str(args, 'x');
  if (xPath === undefined) throw new ArgumentError('BAD_ARGUMENT', `'convscope ${command}' needs --x <x.npy>.`);
  const model = await openModelFromArgs(args, io, command);
  try {
    return await loadDataFor(model, args, io, xPath);
  } catch (err) {
    await model.dispose();
    throw err;
  }
}

async function loadDataFor(model: Model, args: ParsedArgs, io: CliIO, xPath: string): Promise<LoadedData> {
  const modelPath = resolve(io.cwd, args.positionals[0]!);
  const x = await readTensorFile(resolve(io.cwd, xPath));
  const bad = nonFiniteSamples(x);
  if (bad.length > 0) io.stderr.write(`warning: x holds NaN or infinite values in inputs ${bad.join(', ')}${bad.length === 20 ? ', ...' : ''}; results for them are not meaningful.\n`);
  const yPath = str(args, 'y');
  let labels: Int32Array | null = null;
  let yHash: string | null = null;
  if (yPath !== undefined) {
    const bytes = await readFileLimited(resolve(io.cwd, yPath));
    labels = toLabels(readNpy(bytes, { fileName: yPath }));
    yHash = await sha256Hex(bytes);
  }
  const classes = str(args, 'classes');
  const test = num(args, 'test');
  const data = new Dataset(model, x, {
    labels,
    ...(classes !== undefined ? { classNames: classes.split(',') } : {}),
    ...(test !== undefined ? { baseTest: test } : {}),
  });
  const [mh, xh] = await Promise.all([readFile(modelPath).then((b) => sha256Hex(b)), readFile(resolve(io.cwd, xPath)).then((b) => sha256Hex(b))]);
  return {
    data,
    provenanceBase: {
      tool: 'convscope',
      version: VERSION,
      model: { file: args.positionals[0]!, sha256: mh, format: model.format },
      data: { file: xPath, sha256: xh },
      labels: yPath !== undefined && yHash !== null ? { file: yPath, sha256: yHash } : null,
      engine: model.engine.name,
    },
  };
}

/** Picks the input from --index or --pick-class/--seed (default: index 0 when neither is given). */
export async function pickInput(args: ParsedArgs, data: Dataset): Promise<InputSelection> {
  const index = num(args, 'index');
  const cls = num(args, 'pick-class');
  const seed = num(args, 'seed');
  if (index !== undefined && cls !== undefined) {
    throw new ArgumentError('BAD_ARGUMENT', `Give --index (${index}) or --pick-class (${cls}), not both.`, {
      hint: '--index takes that input; --pick-class draws one of that true class with --seed.',
    });
  }
  if (index !== undefined) return data.selectInput({ index });
  if (cls !== undefined || seed !== undefined) return data.selectInput({ ...(cls !== undefined ? { class: cls } : {}), seed: seed ?? 0 });
  return data.selectInput({ index: 0 });
}

/** --class, else the true class, else the predicted class. */
export function targetClassOf(args: ParsedArgs, sel: InputSelection): number {
  return num(args, 'class') ?? sel.trueClass ?? sel.predictedClass;
}

/** Writes `{provenance, ...result}` as JSON to --json (file or '-'). */
export async function writeJsonOutput(args: ParsedArgs, io: CliIO, provenance: Provenance, result: Record<string, unknown>): Promise<void> {
  const target = str(args, 'json');
  if (target === undefined) return;
  const text = `${JSON.stringify(toJsonable({ ...result, provenance }))}\n`;
  if (target === '-') io.stdout.write(text);
  else {
    await writeFileAtomic(resolve(io.cwd, target), text, { overwrite: bool(args, 'overwrite') });
    io.stderr.write(`wrote ${target}\n`);
  }
}

/** Title line "True: X, Predicted: Y (p = 0.93)" for figures. */
export function verdictLine(sel: InputSelection): string {
  const names = sel.classNames;
  const t = sel.trueClass === null ? 'unknown' : names[sel.trueClass]!;
  const p = sel.probabilities[sel.predictedClass]!;
  return `True: ${t}, Predicted: ${names[sel.predictedClass]} (p = ${p.toFixed(3)})`;
}
