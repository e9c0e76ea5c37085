// `convscope images <files or folders> -o x.npy y.npy`: ms-format simulations -> BaSe-style
// haplotype images (N, rows, cols, 1) float32, with labels from the file names.

import { resolve } from 'node:path';
import { parseArgs, bool, num, str, list, formatFlags, type ParsedArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';
import { progressBar } from '../progress.js';
import { ArgumentError, ConvscopeError, throwIfAborted } from '../../errors.js';
import { writeNpy } from '../../io/npy.js';
import { collectMsFiles, scanMsFile } from '../../node/ms-files.js';
import { preflightWrites, writeFileAtomic } from '../../node/files.js';
import { classFromFileName, parseLabelSpec } from '../../popgen/names.js';
import { haplotypeImage, ROW_GROUPS, ROW_SORTS, type RowGroup, type RowSort } from '../../popgen/preprocess.js';
import { INTERPOLATIONS, type Interpolation, type Quantize } from '../../popgen/resize.js';

/** BaSe's region lengths (Simulations/Params.txt), used when neither flag nor file says. */
const BASE_LENGTH = 50_000;
const BASE_NEUTRAL_LENGTH = 500_000;

const flags = {
  output: { kind: 'list', alias: 'o', arity: 2, description: '-o, --output <x.npy> <y.npy>  write images (N, rows, cols, 1) float32 and labels (N,) int32' },
  'images-out': { kind: 'string', description: '--images-out <x.npy>  write only the images (no labels needed)' },
  'label-from-name': { kind: 'string', description: "--label-from-name 'NE=0,IS=1,OD=1,FD=1'  label by the file name's class token (<CLASS>_...)" },
  size: { kind: 'string', description: '--size <rows>x<cols>  image size (default 128x128)' },
  sort: { kind: 'string', description: `--sort ${ROW_SORTS.join('|')}  row order (default freq)` },
  group: { kind: 'string', description: `--group ${ROW_GROUPS.join('|')}  sort all rows together, or non-carriers then carriers of the target (default separate)` },
  interpolation: { kind: 'string', description: `--interpolation ${INTERPOLATIONS.join('|')}  resizing (default bicubic, as Pillow)` },
  quantize: { kind: 'string', description: '--quantize uint8|none  8-bit levels as in BaSe image files, or floating point (default uint8)' },
  length: { kind: 'number', description: '--length <bp>  region length (default: the file command line, else 50000)' },
  'neutral-length': { kind: 'number', description: '--neutral-length <bp>  region length of re-centred files (default: the file command line, else 500000)' },
  recentre: { kind: 'string', description: "--recentre <CLASSES>  class tokens whose files are re-centred on an intermediate-frequency site (default NE; 'none' for no file)" },
  window: { kind: 'number', description: '--window <bp>  length kept around the new centre (default --length, else 50000)' },
  'min-freq': { kind: 'number', description: '--min-freq <f>  re-centring: frequency above f (default 0.4)' },
  'max-freq': { kind: 'number', description: '--max-freq <f>  re-centring: frequency below f (default 0.6)' },
  tolerance: { kind: 'number', description: '--tolerance <bp>  target = site within this distance of the centre (default 1)' },
  'on-missing-target': { kind: 'string', description: '--on-missing-target error|skip  replicates without a target site (default error)' },
  'max-replicates': { kind: 'integer', description: '--max-replicates <n>  read at most n replicates per file' },
  manifest: { kind: 'string', description: '--manifest <file.tsv>  one line per image: file, replicate, class, label, sites, target, carriers' },
  overwrite: { kind: 'boolean', description: '--overwrite  replace existing output files' },
  json: { kind: 'boolean', description: '--json  print the summary as JSON to stdout' },
} as const;

function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback: T): T {
  const v = str(args, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ArgumentError('BAD_ARGUMENT', `--${name} must be one of ${allowed.join(', ')}, got '${v}'.`);
  }
  return v as T;
}

/** Parses `128x128` (rows x cols). */
export function parseSize(text: string): [number, number] {
  const m = /^(\d+)\s*[xX]\s*(\d+)$/.exec(text.trim());
  const rows = m === null ? NaN : Number(m[1]);
  const cols = m === null ? NaN : Number(m[2]);
  if (!(rows >= 1 && rows <= 4096 && cols >= 1 && cols <= 4096)) {
    throw new ArgumentError('BAD_ARGUMENT', `--size must be <rows>x<cols> with each in 1..4096, got '${text}'.`, { hint: 'For example --size 128x128.' });
  }
  return [rows, cols];
}

function positive(args: ParsedArgs, name: string): number | undefined {
  const v = num(args, name);
  if (v !== undefined && !(v > 0)) throw new ArgumentError('BAD_ARGUMENT', `--${name} must be > 0, got ${v}.`);
  return v;
}

interface ClassCount {
  label: number | null;
  files: number;
  images: number;
  skipped: number;
}

export const imagesCommand: Command = {
  name: 'images',
  summary: 'Turn ms-format simulations into BaSe-style haplotype images (x.npy, y.npy)',
  usage: `convscope images <files or folders...> --label-from-name 'NE=0,IS=1,OD=1,FD=1' -o x.npy y.npy [options]

Reads ms, msms, discoal, scrm or SLiM ms-format output (gzip too; several replicates per file),
re-centres neutral files on an intermediate-frequency site, finds the target site at the
centre, orders the rows and resizes each replicate to an image: 1 = ancestral, 0 = derived.

${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, flags, 'images');
    // 1. Options.
    if (args.positionals.length === 0) {
      throw new ArgumentError('BAD_ARGUMENT', "'convscope images' needs simulation files or folders.", { hint: "Usage: convscope images sims/ --label-from-name 'NE=0,IS=1' -o x.npy y.npy" });
    }
    const output = list(args, 'output');
    const imagesOut = str(args, 'images-out');
    const labelSpec = str(args, 'label-from-name');
    const labels = labelSpec !== undefined ? parseLabelSpec(labelSpec) : null;
    if (output.length > 2) throw new ArgumentError('BAD_ARGUMENT', '-o/--output is given more than once.');
    if (output.length === 0 && imagesOut === undefined) throw new ArgumentError('BAD_ARGUMENT', "'convscope images' needs -o x.npy y.npy (or --images-out x.npy).");
    if (output.length > 0 && imagesOut !== undefined) throw new ArgumentError('BAD_ARGUMENT', 'Give either -o x.npy y.npy or --images-out x.npy, not both.');
    if (output.length > 0 && labels === null) {
      throw new ArgumentError('BAD_ARGUMENT', "Writing labels (y.npy) needs --label-from-name, e.g. 'NE=0,IS=1,OD=1,FD=1'.", { hint: 'Or write only the images with --images-out x.npy.' });
    }
    const [rows, cols] = parseSize(str(args, 'size') ?? '128x128');
    const sort = oneOf<RowSort>(args, 'sort', ROW_SORTS, 'freq');
    const group = oneOf<RowGroup>(args, 'group', ROW_GROUPS, 'separate');
    const interpolation = oneOf<Interpolation>(args, 'interpolation', INTERPOLATIONS, 'bicubic');
    const quantize = oneOf<Quantize>(args, 'quantize', ['uint8', 'none'], 'uint8');
    const onMissing = oneOf(args, 'on-missing-target', ['error', 'skip'] as const, 'error');
    const length = positive(args, 'length');
    const neutralLength = positive(args, 'neutral-length');
    const window = positive(args, 'window') ?? length ?? BASE_LENGTH;
    const tolerance = positive(args, 'tolerance') ?? 1;
    const minFrequency = num(args, 'min-freq') ?? 0.4;
    const maxFrequency = num(args, 'max-freq') ?? 0.6;
    if (!(minFrequency >= 0 && maxFrequency <= 1 && minFrequency < maxFrequency)) {
      throw new ArgumentError('BAD_ARGUMENT', `--min-freq and --max-freq must satisfy 0 <= min < max <= 1, got ${minFrequency} and ${maxFrequency}.`);
    }
    const recentreSpec = str(args, 'recentre') ?? 'NE';
    const recentreClasses = new Set(recentreSpec === 'none' ? [] : recentreSpec.split(',').map((s) => s.trim()).filter((s) => s !== ''));
    const maxReplicates = num(args, 'max-replicates');
    if (maxReplicates !== undefined && maxReplicates < 1) throw new ArgumentError('BAD_ARGUMENT', `--max-replicates must be >= 1, got ${maxReplicates}.`);
    const overwrite = bool(args, 'overwrite');
    const xPath = resolve(io.cwd, output[0] ?? imagesOut!);
    const yPath = output[1] !== undefined ? resolve(io.cwd, output[1]) : null;
    const manifestPath = str(args, 'manifest') !== undefined ? resolve(io.cwd, str(args, 'manifest')!) : null;
    if (yPath === xPath) throw new ArgumentError('BAD_ARGUMENT', 'x and y outputs must be different files.');
    await preflightWrites([xPath, yPath, manifestPath], overwrite);

    // 2. Files and their classes (all checked before any work).
    const files = await collectMsFiles(args.positionals, io.cwd);
    const classOf = files.map((f) => classFromFileName(f));
    if (labels !== null) {
      const unknown = files.filter((_, i) => !labels.has(classOf[i]!));
      if (unknown.length > 0) {
        throw new ArgumentError('LABEL_MISMATCH', `${unknown.length} file(s) have a class not in --label-from-name (first: '${unknown[0]}', class '${classFromFileName(unknown[0]!)}').`, {
          hint: `Known classes: ${[...labels.keys()].join(', ')}. File names must start with <CLASS>_ (BaSe: <CLASS>_<TIME>_<N>.txt).`,
        });
      }
    }

    // 3. Each replicate -> image.
    const pixels = rows * cols;
    let x = new Float32Array(pixels * 64);
    let nImages = 0;
    const ys: number[] = [];
    const manifest: string[] = ['file\treplicate\tclass\tlabel\tsites\ttarget_site\tcarriers\trecentred_at_bp'];
    const counts = new Map<string, ClassCount>();
    const bar = progressBar(io, 'images');
    const started = Date.now();
    for (let f = 0; f < files.length; f++) {
      throwIfAborted(io.signal);
      const file = files[f]!;
      const cls = classOf[f]!;
      const label = labels?.get(cls) ?? null;
      const rc = recentreClasses.has(cls);
      const count = counts.get(cls) ?? { label, files: 0, images: 0, skipped: 0 };
      counts.set(cls, count);
      count.files++;
      await scanMsFile(
        file,
        (rep, header) => {
          throwIfAborted(io.signal);
          bar(f, files.length, `${nImages} images`);
          const regionLength = (rc ? neutralLength : length) ?? header.regionLength ?? (rc ? BASE_NEUTRAL_LENGTH : BASE_LENGTH);
          try {
            const img = haplotypeImage(rep, {
              regionLength,
              recentre: rc ? { windowLength: window, minFrequency, maxFrequency } : null,
              rows,
              cols,
              sort,
              group,
              targetTolerance: tolerance,
              interpolation,
              quantize,
            });
            if ((nImages + 1) * pixels > x.length) {
              // grow by half: amortised copies without doubling the peak memory
              const bigger = new Float32Array(Math.ceil(x.length * 1.5 / pixels + 1) * pixels);
              bigger.set(x);
              x = bigger;
            }
            x.set(img.image, nImages * pixels);
            nImages++;
            if (label !== null) ys.push(label);
            count.images++;
            manifest.push([file, rep.index + 1, cls, label ?? '', img.nSites, img.targetSite, img.carriers, img.recentredAt ?? ''].join('\t'));
          } catch (err) {
            if (err instanceof ConvscopeError && err.code === 'POPGEN_NO_TARGET') {
              if (onMissing === 'skip') {
                count.skipped++;
                return;
              }
              throw new ArgumentError('POPGEN_NO_TARGET', `${file}, replicate ${rep.index + 1} (line ${rep.line}): ${err.message}`, { cause: err, details: { file, replicate: rep.index } });
            }
            throw err;
          }
        },
        { displayName: file, ...(maxReplicates !== undefined ? { maxReplicates } : {}) },
      );
      bar(f + 1, files.length, `${nImages} images`);
    }
    bar.finish();
    if (nImages === 0) throw new ArgumentError('BAD_ARGUMENT', 'No images were made (every replicate was skipped).');

    // 4. Outputs.
    const xShape = [nImages, rows, cols, 1];
    const writes: [string, Uint8Array | string][] = [[xPath, writeNpy({ dtype: 'float32', shape: xShape, data: x.subarray(0, nImages * pixels) })]];
    if (yPath !== null) writes.push([yPath, writeNpy({ dtype: 'int32', shape: [ys.length], data: Int32Array.from(ys) })]);
    if (manifestPath !== null) writes.push([manifestPath, `${manifest.join('\n')}\n`]);
    for (const [path, data] of writes) await writeFileAtomic(path, data, { overwrite });
    const seconds = (Date.now() - started) / 1000;

    // 5. Summary.
    const perClass = [...counts.entries()].map(([cls, c]) => ({ class: cls, ...c }));
    if (bool(args, 'json')) {
      io.stdout.write(`${JSON.stringify({ images: nImages, shape: xShape, x: xPath, y: yPath, classes: perClass, seconds })}\n`);
    } else {
      const lines = ['class     label   files   images  skipped'];
      for (const c of perClass) lines.push(`${c.class.padEnd(8)}  ${String(c.label ?? '-').padStart(5)}  ${String(c.files).padStart(6)}  ${String(c.images).padStart(7)}  ${String(c.skipped).padStart(7)}`);
      const skipped = perClass.reduce((s, c) => s + c.skipped, 0);
      lines.push(`${'total'.padEnd(8)}  ${''.padStart(5)}  ${String(files.length).padStart(6)}  ${String(nImages).padStart(7)}  ${String(skipped).padStart(7)}`);
      if (labels !== null) {
        const byLabel = new Map<number, number>();
        for (const y of ys) byLabel.set(y, (byLabel.get(y) ?? 0) + 1);
        lines.push(`per label: ${[...byLabel.entries()].sort((a, b) => a[0] - b[0]).map(([l, n]) => `${l}: ${n}`).join(', ')}`);
      }
      lines.push(`wrote ${output[0] ?? imagesOut} (${xShape.join(' x ')}, float32)${output[1] !== undefined ? ` and ${output[1]} (${ys.length}, int32)` : ''} in ${seconds.toFixed(1)} s`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
