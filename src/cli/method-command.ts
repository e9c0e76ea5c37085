// The frame every method command shares: parse flags, refuse existing outputs before any work,
// open model (and data), pick the input, run the method, then print a summary and write the
// JSON (numbers + provenance) and the figure (.png/.svg by extension). Commands only supply
// their flags and a `run` that calls the library.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { bool, formatFlags, parseArgs, str, type FlagSpecs, type ParsedArgs } from './args.js';
import { modelFlags, openModelFromArgs } from './common.js';
import { dataFlags, loadData, pickInput, writeJsonOutput } from './data.js';
import type { CliIO, Command } from './io.js';
import { progressBar, type ProgressFn } from './progress.js';
import { ArgumentError } from '../errors.js';
import type { Dataset, InputSelection } from '../methods/dataset.js';
import { inputImage, type InputImage } from '../methods/inputs.js';
import { sha256Hex, type Provenance } from '../methods/provenance.js';
import type { Model } from '../model/model.js';
import { figureFormat, writeFigure } from '../node/figure.js';
import { preflightWrites } from '../node/files.js';
import type { Tensor } from '../tensor.js';
import type { InputFigureOptions } from '../render/figure-common.js';
import { VERSION } from '../version.js';

/** Flags of commands that need only the model (kernels). */
export const modelOnlyFlags: FlagSpecs = {
  ...modelFlags,
  json: dataFlags['json']!,
  output: dataFlags['output']!,
  overwrite: dataFlags['overwrite']!,
};

/** What a method command's `run` gets. */
export interface MethodContext {
  readonly args: ParsedArgs;
  readonly io: CliIO;
  readonly model: Model;
  /** Model + data (null for model-only commands). */
  readonly data: Dataset | null;
  /** The picked input, its tensor (1, ...input) and image (input commands only). */
  readonly selection: InputSelection | null;
  readonly x: Tensor | null;
  readonly image: InputImage | null;
  /** Options for figures of the picked input: verdict and how class values are named. */
  readonly figureOptions: InputFigureOptions;
  /** A progress bar on stderr (drawn only on a terminal, and only after a second). */
  progress(label: string): ProgressFn & { finish(): void };
}

/** What a method command's `run` returns. */
export interface MethodOutput {
  /** Method name recorded in the provenance. */
  readonly method: string;
  /** Options actually used (after defaults), recorded in the provenance. */
  readonly options: Record<string, unknown>;
  /** Seed used, or null when the method used no randomness. */
  readonly seed: number | null;
  /** Numbers for --json (typed arrays and NaN are converted). */
  readonly json: Record<string, unknown>;
  /** Human-readable summary lines. */
  readonly text: string;
  /** The figure (SVG) for -o, made only when asked for. */
  figure(provenance: Provenance): string;
}

/** Declaration of one method command. */
export interface MethodCommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) shown above the flag table. */
  readonly usage: string;
  readonly flags: FlagSpecs;
  /** 'model': no data; 'data': model + x (+ y); 'input': also pick one input. */
  readonly needs: 'model' | 'data' | 'input';
  run(ctx: MethodContext): Promise<MethodOutput>;
}

/** Refuses, before any work, outputs that exist (without --overwrite) or have no figure extension. */
export async function preflightOutputs(args: ParsedArgs, io: CliIO): Promise<void> {
  const overwrite = bool(args, 'overwrite');
  const fig = str(args, 'output');
  const json = str(args, 'json');
  if (fig !== undefined) figureFormat(fig);
  if (fig !== undefined && json !== undefined && json !== '-' && resolve(io.cwd, fig) === resolve(io.cwd, json)) {
    throw new ArgumentError('BAD_ARGUMENT', `-o and --json name the same file '${fig}'.`, { hint: 'Give the figure and the JSON different names.' });
  }
  const outputs = ([['-o', fig], ['--json', json === '-' ? undefined : json]] as const).map(([flag, path]) =>
    path === undefined ? null : { path: resolve(io.cwd, path), shown: `'${path}' (${flag})` },
  );
  await preflightWrites(outputs, overwrite);
}

/** JSON of the picked input. */
export function selectionJson(sel: InputSelection): Record<string, unknown> {
  return {
    index: sel.index,
    trueClass: sel.trueClass,
    predictedClass: sel.predictedClass,
    probabilities: sel.probabilities,
    seed: sel.seed,
    requestedClass: sel.requestedClass,
  };
}

/** One line describing the picked input. */
export function selectionLine(sel: InputSelection, probabilities: boolean): string {
  const names = sel.classNames;
  const how = sel.seed === null ? '' : sel.requestedClass !== null ? ` (drawn from class ${names[sel.requestedClass]} with seed ${sel.seed})` : ` (drawn with seed ${sel.seed})`;
  const t = sel.trueClass === null ? 'unknown' : names[sel.trueClass]!;
  const word = probabilities ? 'p' : 'output';
  const values = sel.probabilities.map((p, c) => `${word}(${names[c]}) = ${p.toPrecision(4)}`).join(', ');
  return `Input ${sel.index}${how}: true ${t}, predicted ${names[sel.predictedClass]}; ${values}`;
}

/** Whether the head's class values are probabilities (false for linear heads). */
export function isProbabilityHead(model: Model): boolean {
  return model.head.kind === 'softmax' || model.head.kind === 'sigmoid';
}

/** Builds a Command from a spec (see the module comment for the steps). */
export function methodCommand(spec: MethodCommandSpec): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `${spec.usage}\n\n${formatFlags(spec.flags)}`,
    async run(argv: readonly string[], io: CliIO): Promise<number> {
      // 1. Flags and outputs, before any work.
      const args = parseArgs(argv, spec.flags, spec.name);
      if (args.positionals.length > 1) {
        throw new ArgumentError('BAD_ARGUMENT', `'convscope ${spec.name}' takes one model file; unexpected '${args.positionals[1]}'.`, {
          hint: spec.needs === 'model' ? undefined : 'Give the inputs with --x <x.npy>.',
        });
      }
      await preflightOutputs(args, io);
      // 2. Model and data.
      let model: Model;
      let data: Dataset | null = null;
      let base: Omit<Provenance, 'method' | 'options' | 'seed'>;
      if (spec.needs === 'model') {
        model = await openModelFromArgs(args, io, spec.name);
        const file = args.positionals[0]!;
        const sha = await readFile(resolve(io.cwd, file)).then((b) => sha256Hex(b));
        base = { tool: 'convscope', version: VERSION, model: { file, sha256: sha, format: model.format }, data: null, labels: null, engine: model.engine.name };
      } else {
        const loaded = await loadData(args, io, spec.name);
        data = loaded.data;
        model = data.model;
        base = loaded.provenanceBase;
      }
      try {
        // 3. The input.
        let selection: InputSelection | null = null;
        let x: Tensor | null = null;
        let image: InputImage | null = null;
        const probabilities = isProbabilityHead(model);
        if (spec.needs === 'input' && data !== null) {
          selection = await pickInput(args, data);
          x = data.input(selection.index);
          image = inputImage(model, x);
        }
        const figureOptions: InputFigureOptions = { probabilities, ...(selection !== null ? { verdict: selection } : {}) };
        // 4. The method.
        const out = await spec.run({ args, io, model, data, selection, x, image, figureOptions, progress: (label) => progressBar(io, label) });
        const provenance: Provenance = { ...base, method: out.method, options: out.options, seed: out.seed };
        // 5. Outputs: summary (stderr when the JSON goes to stdout), JSON, figure.
        const jsonTarget = str(args, 'json');
        const textOut = jsonTarget === '-' ? io.stderr : io.stdout;
        const lines = [...(selection !== null ? [selectionLine(selection, probabilities)] : []), out.text].filter((l) => l !== '');
        textOut.write(`${lines.join('\n')}\n`);
        await writeJsonOutput(args, io, provenance, {
          command: spec.name,
          ...(selection !== null ? { input: selectionJson(selection) } : {}),
          ...(data !== null ? { classNames: data.classNames } : {}),
          ...out.json,
        });
        const fig = str(args, 'output');
        if (fig !== undefined) {
          const format = await writeFigure(out.figure(provenance), resolve(io.cwd, fig), { overwrite: bool(args, 'overwrite'), provenance });
          io.stderr.write(`wrote ${fig} (${format.toUpperCase()})\n`);
        }
        return 0;
      } finally {
        await model.dispose();
      }
    },
  };
}
