// `convscope simulate --n-per-class 100 --out-dir sims/`: the demo simulations (Neutral vs
// Selection, see src/popgen/demo.ts) written as ms-format files NE.ms, IS.ms, OD.ms plus a
// params.tsv, and optionally straight to images (-o x.npy y.npy).

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, bool, num, str, list, formatFlags, type ParsedArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';
import { progressBar } from '../progress.js';
import { ArgumentError } from '../../errors.js';
import { writeNpy } from '../../io/npy.js';
import { writeMsFile } from '../../node/ms-files.js';
import { preflightWrites, refuseExisting, writeFileAtomic } from '../../node/files.js';
import { demoImages, demoMsGroups, simulateDemo, type DemoOptions, type Range } from '../../popgen/demo.js';
import { segregatingSites } from '../../popgen/stats.js';

const flags = {
  'n-per-class': { kind: 'integer', alias: 'n', description: '-n, --n-per-class <n>  replicates per class (Neutral, Selection); required' },
  seed: { kind: 'integer', description: '--seed <int>  random seed (default 0)' },
  'sample-size': { kind: 'integer', description: '--sample-size <n>  chromosomes sampled (default 128)' },
  'pop-size': { kind: 'integer', description: '--pop-size <N>  diploid population size of the forward simulation (default 1000)' },
  theta: { kind: 'number', description: '--theta <4NmuL>  scaled mutation rate over the region (default 50)' },
  rho: { kind: 'number', description: '--rho <4NrL>  scaled recombination rate over the region (default 35)' },
  length: { kind: 'integer', description: '--length <bp>  region length written to the files (default 50000)' },
  'neutral-factor': { kind: 'number', description: '--neutral-factor <f>  neutral regions are f times longer, for re-centring (default 2)' },
  'sweep-fraction': { kind: 'number', description: '--sweep-fraction <p>  share of Selection replicates that are partial sweeps; the rest overdominance (default 0.5)' },
  'sweep-2ns': { kind: 'string', description: '--sweep-2ns <min,max>  scaled sweep strength 2Ns (default 50,500)' },
  'od-2nhs': { kind: 'string', description: '--od-2nhs <min,max>  scaled heterozygote advantage 2Nhs (default 20,100)' },
  'od-age': { kind: 'string', description: '--od-age <min,max>  overdominant allele age in units of 2N generations (default 1,4)' },
  'out-dir': { kind: 'string', description: '--out-dir <folder>  write NE.ms, IS.ms, OD.ms (ms format) and params.tsv there' },
  gzip: { kind: 'boolean', description: '--gzip  compress the ms files (.ms.gz)' },
  output: { kind: 'list', alias: 'o', arity: 2, description: '-o, --output <x.npy> <y.npy>  also write BaSe-style images (default preprocessing) and labels' },
  overwrite: { kind: 'boolean', description: '--overwrite  replace existing output files' },
  json: { kind: 'boolean', description: '--json  print the summary as JSON to stdout' },
} as const;

function range(args: ParsedArgs, name: string): Range | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every((p) => Number.isFinite(p)) || parts[0]! > parts[1]!) {
    throw new ArgumentError('BAD_ARGUMENT', `--${name} must be 'min,max' with min <= max, got '${v}'.`);
  }
  return [parts[0]!, parts[1]!];
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate the demo data (Neutral vs Selection) as ms files and/or images',
  usage: `convscope simulate -n <per class> --out-dir sims/ [-o x.npy y.npy] [options]

Demo-grade simulations, not a replacement for SLiM: neutral regions from a coalescent with
recombination; selected regions from a structured coalescent conditioned on a Wright-Fisher
trajectory of a new mutation at the centre (partial sweep or overdominance), with its frequency
at sampling in (0.4, 0.6). Scaled parameters; see docs/popgen.md. Classes: NE (label 0),
IS and OD (label 1); then: convscope images sims/ --label-from-name NE=0,IS=1,OD=1 -o x.npy y.npy

${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, flags, 'simulate');
    if (args.positionals.length > 0) throw new ArgumentError('BAD_ARGUMENT', `'convscope simulate' takes no positional arguments (got '${args.positionals[0]}').`);
    const nPerClass = num(args, 'n-per-class');
    if (nPerClass === undefined) throw new ArgumentError('BAD_ARGUMENT', "'convscope simulate' needs --n-per-class <n>.");
    const outDir = str(args, 'out-dir');
    const output = list(args, 'output');
    if (outDir === undefined && output.length === 0) throw new ArgumentError('BAD_ARGUMENT', "'convscope simulate' needs --out-dir <folder> and/or -o x.npy y.npy.");
    if (output.length > 2) throw new ArgumentError('BAD_ARGUMENT', '-o/--output is given more than once.');
    const overwrite = bool(args, 'overwrite');
    const gzip = bool(args, 'gzip');
    const opt = <T>(name: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [name]: v });
    const sweepS = range(args, 'sweep-2ns');
    const odHs = range(args, 'od-2nhs');
    const odAge = range(args, 'od-age');
    const options: DemoOptions = {
      nPerClass,
      ...opt('seed', num(args, 'seed')),
      ...opt('sampleSize', num(args, 'sample-size')),
      ...opt('popSize', num(args, 'pop-size')),
      ...opt('theta', num(args, 'theta')),
      ...opt('rho', num(args, 'rho')),
      ...opt('regionLength', num(args, 'length')),
      ...opt('neutralLengthFactor', num(args, 'neutral-factor')),
      ...opt('sweepFraction', num(args, 'sweep-fraction')),
      ...(sweepS !== undefined ? { sweep: { scaledS: sweepS } } : {}),
      ...(odHs !== undefined || odAge !== undefined ? { overdominance: { ...(odHs !== undefined ? { scaledHs: odHs } : {}), ...(odAge !== undefined ? { age: odAge } : {}) } } : {}),
      ...(io.signal !== undefined ? { signal: io.signal } : {}),
    };
    const dir = outDir !== undefined ? resolve(io.cwd, outDir) : null;
    const ext = gzip ? '.ms.gz' : '.ms';
    const msPaths = dir !== null ? ['NE', 'IS', 'OD'].map((t) => join(dir, `${t}${ext}`)).concat(join(dir, 'params.tsv')) : [];
    const xPath = output[0] !== undefined ? resolve(io.cwd, output[0]) : null;
    const yPath = output[1] !== undefined ? resolve(io.cwd, output[1]) : null;
    // The ms folder is created below; x and y go into folders that must exist.
    if (!overwrite) await refuseExisting(msPaths);
    await preflightWrites([xPath, yPath], overwrite);

    const bar = progressBar(io, 'simulate');
    const demo = simulateDemo({ ...options, onProgress: bar });
    bar.finish();
    const rate = demo.replicates.length / Math.max(demo.seconds, 1e-3);

    const written: string[] = [];
    if (dir !== null) {
      await mkdir(dir, { recursive: true });
      for (const g of demoMsGroups(demo)) {
        const path = join(dir, `${g.token}${ext}`);
        await writeMsFile(path, g.replicates, { ...g.write, gzip, overwrite });
        written.push(path);
      }
      const tsv = ['file\treplicate\tmodel\tlabel\tregion_bp\ttheta\trho\tsegsites\ts\th\tage_generations\tfrequency\tcarriers\tattempts'];
      const index = new Map<string, number>();
      for (const r of demo.replicates) {
        const token = r.model === 'neutral' ? 'NE' : r.model === 'sweep' ? 'IS' : 'OD';
        const k = index.get(token) ?? 0;
        index.set(token, k + 1);
        const p = r.selectionParams;
        const carriers = r.carriers === null ? '' : r.carriers.reduce((a, b) => a + b, 0);
        tsv.push([`${token}${ext}`, k + 1, r.model, r.label, r.regionLength, r.theta, r.rho, r.nSites, p?.s ?? '', p?.h ?? '', p?.ageGenerations ?? '', p?.frequency ?? '', carriers, p?.attempts ?? ''].join('\t'));
      }
      await writeFileAtomic(join(dir, 'params.tsv'), `${tsv.join('\n')}\n`, { overwrite });
      written.push(join(dir, 'params.tsv'));
    }
    if (xPath !== null && yPath !== null) {
      const im = demoImages(demo);
      await writeFileAtomic(xPath, writeNpy({ dtype: 'float32', shape: im.shape, data: im.x }), { overwrite });
      await writeFileAtomic(yPath, writeNpy({ dtype: 'int32', shape: [im.labels.length], data: im.labels }), { overwrite });
      written.push(xPath, yPath);
    }

    const models = ['neutral', 'sweep', 'overdominance'].map((m) => {
      const reps = demo.replicates.filter((r) => r.model === m);
      const meanSites = reps.length === 0 ? 0 : reps.reduce((s, r) => s + segregatingSites(r), 0) / reps.length;
      return { model: m, replicates: reps.length, meanSegregatingSites: meanSites };
    });
    if (bool(args, 'json')) {
      io.stdout.write(`${JSON.stringify({ replicates: demo.replicates.length, seconds: demo.seconds, replicatesPerSecond: rate, models, options: demo.options, written })}\n`);
    } else {
      const lines = [
        `simulated ${demo.replicates.length} replicates in ${demo.seconds.toFixed(1)} s (${rate.toFixed(1)} replicates/s)`,
        ...models.map((m) => `  ${m.model.padEnd(14)} ${String(m.replicates).padStart(6)} replicates, mean segregating sites ${m.meanSegregatingSites.toFixed(1)}`),
        ...written.map((w) => `wrote ${w}`),
        ...(outDir !== undefined
          ? [`next: convscope images ${outDir} --label-from-name NE=0,IS=1,OD=1${demo.options.regionLength !== 50_000 ? ` --length ${demo.options.regionLength}` : ''} -o x.npy y.npy`]
          : []),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
