// The figures of the speed targets, each against its yardstick in the same run on the same
// machine: PyTorch (Debian's python3-torch) for the CNN's forward and backward passes and whole
// processes, scikit-learn (python3-sklearn) for t-SNE, umap-js with its defaults for UMAP. The
// yardsticks are installed with apt-get when missing and are never convscope dependencies.
// Prints one table (convscope, yardstick, ratio = convscope time / yardstick time, images/s,
// GFLOP/s, quality) and writes it as JSON.
//
// Run: node --import tsx bench/speed.ts [--quick] [--only forward,gradients,process,open,tsne,umap,memory]
//        [--json bench/results.json] [--seconds 2] [--no-install] [--tsne-n 20000] [--umap-n 20000]
// --quick: 5,000 points for t-SNE and UMAP, no 50,000-point memory runs, 1 s per rate.
// --keep: leave the work directory (models, inputs, PyTorch weights) in place for profiling.
// Figures, not assertions: the test suite holds no timed tests.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { UMAP } from 'umap-js';
import { readKeras } from '../src/io/keras/read.js';
import { readNpy, toFloat32, writeNpy } from '../src/io/npy.js';
import { smoothGrad } from '../src/methods/gradients.js';
import { occlusion } from '../src/methods/occlusion.js';
import { features } from '../src/methods/embed/features.js';
import { knnAccuracy } from '../src/methods/embed/quality.js';
import { tsne, tsneNeighborCount } from '../src/methods/embed/tsne.js';
import { umap } from '../src/methods/embed/umap.js';
import type { Graph } from '../src/model/ir.js';
import type { Model } from '../src/model/model.js';
import { translateKeras } from '../src/model/translate.js';
import { nodeEmbedBackend } from '../src/node/embed-backend.js';
import { openPath } from '../src/node/open.js';
import { createRng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { saveKerasH5 } from '../src/train/keras.js';
import { Network } from '../src/train/network.js';
import { baseCnnArchitecture } from '../src/train/spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PYTHON = process.env['CONVSCOPE_PYTHON'] ?? '/usr/bin/python3';
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------------------------
// Child modes: measured in a fresh process (cold start, peak memory).

if (args[0] === '--child') {
  await child(args[1]!, args.slice(2));
  process.exit(0);
}

const quick = args.includes('--quick');
const only = flag('--only') === undefined ? null : new Set(flag('--only')!.split(','));
const want = (what: string): boolean => only === null || only.has(what);
const SECONDS = Number(flag('--seconds') ?? (quick ? 1 : 2));
const TSNE_N = Number(flag('--tsne-n') ?? (quick ? 5000 : 20000));
const UMAP_N = Number(flag('--umap-n') ?? (quick ? 5000 : 20000));
const jsonPath = resolve(flag('--json') ?? join(here, 'results.json'));

/** One figure: convscope against its yardstick. Times in seconds (per image for rates). */
interface Row {
  section: string;
  what: string;
  convscope: { seconds: number; imagesPerSecond?: number; gflops?: number; cpuSeconds?: number; peakMiB?: number; detail?: string };
  yardstick: { name: string; seconds: number; imagesPerSecond?: number; gflops?: number; cpuSeconds?: number; detail?: string } | null;
  /** convscope time / yardstick time (lower is better). */
  ratio: number | null;
  quality?: { convscope: number; yardstick: number | null; name: string };
  target: string;
  met: boolean | null;
}

const rows: Row[] = [];
const notes: string[] = [];
const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = { cpu: cpuModel, cores: os.cpus().length, node: process.version, loadAtStart: os.loadavg(), memoryGiB: os.totalmem() / 1024 ** 3 };
console.log(`speed figures on ${machine.cores} x ${cpuModel}, Node ${process.version}, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);

// ---------------------------------------------------------------------------------------------
// Helpers.

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Rate {
  /** Median images/s over repeated calls (after two warm-up calls). */
  median: number;
  best: number;
  /** Images per CPU second of this process (all threads). */
  perCpuSecond: number;
}

async function measureRate(images: number, call: () => Promise<unknown>, seconds = SECONDS): Promise<Rate> {
  await call();
  await call();
  const rates: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || rates.length < 3) {
    const c0 = cpuNow();
    const t0 = performance.now();
    await call();
    rates.push(images / ((performance.now() - t0) / 1000));
    cpu.push(images / Math.max(1e-9, cpuNow() - c0));
  }
  rates.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)]!, best: rates[rates.length - 1]!, perCpuSecond: cpu[Math.floor(cpu.length / 2)]! };
}

interface ProcessRun {
  ok: boolean;
  wall: number;
  cpu: number | null;
  peakMiB: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in a fresh process; wall time here, CPU time and peak memory from GNU time when present. */
function runProcess(cmd: string, argv: string[], options: { cwd?: string; timeoutS?: number; env?: NodeJS.ProcessEnv } = {}): ProcessRun {
  const timeFile = join(os.tmpdir(), `convscope-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const useTime = existsSync(TIME);
  const t0 = performance.now();
  const r = useTime
    ? spawnSync(TIME, ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...argv], { cwd: options.cwd, encoding: 'utf8', timeout: (options.timeoutS ?? 1800) * 1000, env: options.env ?? process.env, maxBuffer: 64 * 1024 ** 2 })
    : spawnSync(cmd, argv, { cwd: options.cwd, encoding: 'utf8', timeout: (options.timeoutS ?? 1800) * 1000, env: options.env ?? process.env, maxBuffer: 64 * 1024 ** 2 });
  const wall = (performance.now() - t0) / 1000;
  let cpu: number | null = null;
  let peakMiB: number | null = null;
  if (useTime && existsSync(timeFile)) {
    const parts = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    if (parts.length === 4 && parts.every(Number.isFinite)) {
      cpu = parts[1]! + parts[2]!;
      peakMiB = parts[3]! / 1024;
    }
    rmSync(timeFile, { force: true });
  }
  return { ok: r.status === 0, wall, cpu, peakMiB, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Median of `runs` fresh-process runs (wall), with the CPU and memory of the median run. */
function medianProcess(runs: number, cmd: string, argv: string[], cwd: string): ProcessRun {
  const all: ProcessRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = runProcess(cmd, argv, { cwd });
    if (!r.ok) return r;
    all.push(r);
  }
  all.sort((a, b) => a.wall - b.wall);
  return all[Math.floor(all.length / 2)]!;
}

function lastJsonLine(text: string): Record<string, unknown> {
  const lines = text.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
}

/** FLOPs of one forward pass (multiply-adds count 2) of the conv and dense layers. */
function forwardFlops(graph: Graph): number {
  let flops = 0;
  for (const node of graph.nodes) {
    const op = node.op;
    const out = node.outputShape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
    if (op.type === 'conv') flops += 2 * out * (op.kernel.data.length / op.filters);
    else if (op.type === 'dense') flops += 2 * op.kernel.data.length;
  }
  return flops;
}

function randomImages(n: number, seed: number): Tensor {
  // Haplotype-like 0/1 matrices (BaSe's inputs), 30% ones.
  const rng = createRng(seed);
  const data = new Float32Array(n * 128 * 128);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() < 0.3 ? 1 : 0;
  return { shape: [n, 128, 128, 1], data };
}

/** n points of a 5-class Gaussian mixture in d dimensions (centres N(0, 1), unit noise); labels i % 5 (bench/embed.ts). */
function mixture(n: number, d: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: 5 }, () => Array.from({ length: d }, () => rng.normal()));
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 5;
    const c = centres[i % 5]!;
    for (let t = 0; t < d; t++) x[i * d + t] = c[t]! + rng.normal();
  }
  return { x, labels };
}

function report(row: Row): void {
  rows.push(row);
  const c = row.convscope;
  const y = row.yardstick;
  const rate = (v: number | undefined): string => (v === undefined ? '' : ` ${v.toFixed(0)} img/s`);
  const gf = (v: number | undefined): string => (v === undefined ? '' : ` ${v.toFixed(0)} GFLOP/s`);
  const q = row.quality === undefined ? '' : `  ${row.quality.name} ${fmtQ(row.quality.convscope)}${row.quality.yardstick === null ? '' : ` vs ${fmtQ(row.quality.yardstick)}`}`;
  const verdict = row.met === null ? '' : row.met ? '  [met]' : '  [NOT met]';
  console.log(
    `${row.what.padEnd(46)} convscope ${fmtS(c.seconds)}${rate(c.imagesPerSecond)}${gf(c.gflops)}${c.peakMiB !== undefined ? ` ${c.peakMiB.toFixed(0)} MiB` : ''}` +
      ` | ${y === null ? 'no yardstick' : `${y.name} ${fmtS(y.seconds)}${rate(y.imagesPerSecond)}`}` +
      ` | ratio ${row.ratio === null ? 'n/a' : row.ratio.toFixed(3)}${q} | target ${row.target}${verdict}`,
  );
}

/** The rows as a Markdown table (for docs/performance.md). */
function markdownTable(list: readonly Row[]): string {
  const lines = ['| figure | convscope | yardstick | ratio | quality | target | met |', '|---|---|---|---|---|---|---|'];
  for (const r of list) {
    const c = r.convscope;
    const y = r.yardstick;
    const ours = [fmtS(c.seconds), c.imagesPerSecond !== undefined ? `${c.imagesPerSecond.toFixed(0)} img/s` : '', c.gflops !== undefined ? `${c.gflops.toFixed(0)} GFLOP/s` : '', c.peakMiB !== undefined ? `${c.peakMiB.toFixed(0)} MiB peak` : ''].filter((v) => v !== '').join(', ');
    const theirs = y === null ? '-' : [`${y.name}: ${fmtS(y.seconds)}`, y.imagesPerSecond !== undefined ? `${y.imagesPerSecond.toFixed(0)} img/s` : '', y.gflops !== undefined ? `${y.gflops.toFixed(0)} GFLOP/s` : ''].filter((v) => v !== '').join(', ');
    const q = r.quality === undefined ? '-' : `${r.quality.name}: ${fmtQ(r.quality.convscope)}${r.quality.yardstick === null ? '' : ` vs ${fmtQ(r.quality.yardstick)}`}`;
    lines.push(`| ${r.what} | ${ours} | ${theirs} | ${r.ratio === null ? '-' : r.ratio.toFixed(3)} | ${q} | ${r.target} | ${r.met === null ? '-' : r.met ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}

function fmtQ(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(1) : v.toFixed(4);
}

function fmtS(s: number): string {
  return s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : s < 10 ? `${s.toFixed(3)} s` : `${s.toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------
// Yardsticks: Debian's python3-torch and python3-sklearn.

function yardsticksAvailable(): { torch: boolean; sklearn: boolean } {
  const probe = (mod: string): boolean => spawnSync(PYTHON, ['-c', `import ${mod}`], { encoding: 'utf8' }).status === 0;
  return { torch: existsSync(PYTHON) && probe('torch'), sklearn: existsSync(PYTHON) && probe('sklearn') };
}

function ensureYardsticks(): { torch: boolean; sklearn: boolean } {
  let have = yardsticksAvailable();
  if ((have.torch && have.sklearn) || args.includes('--no-install')) return have;
  const pkgs = [...(have.torch ? [] : ['python3-torch']), ...(have.sklearn ? [] : ['python3-sklearn'])];
  console.log(`installing the yardsticks with apt-get: ${pkgs.join(' ')} (used only to time PyTorch and scikit-learn)`);
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    install();
  }
  have = yardsticksAvailable();
  if (!have.torch) notes.push(`PyTorch yardstick unavailable (${PYTHON} cannot import torch; apt-get install python3-torch as root)`);
  if (!have.sklearn) notes.push(`scikit-learn yardstick unavailable (${PYTHON} cannot import sklearn; apt-get install python3-sklearn as root)`);
  return have;
}

// ---------------------------------------------------------------------------------------------
// Set-up: a BaSe-sized Keras .h5 (Keras 2.3 layout, as src/train writes it), its weights for
// PyTorch, and inputs.

const work = mkdtempSync(join(os.tmpdir(), 'convscope-speed-'));
const h5 = join(work, 'base-cnn.h5');
const have = ensureYardsticks();
{
  const net = new Network(baseCnnArchitecture(), { seed: 1 });
  writeFileSync(h5, await saveKerasH5(net));
  const x1 = randomImages(1, 2);
  const x512 = randomImages(512, 3);
  writeFileSync(join(work, 'x1.npy'), writeNpy({ dtype: 'float32', shape: [...x1.shape], data: x1.data }));
  writeFileSync(join(work, 'x512.npy'), writeNpy({ dtype: 'float32', shape: [...x512.shape], data: x512.data }));
  // The weights as the Keras reader sees them, for PyTorch (conv1..3, bn1..3, fc1..2).
  const graph = translateKeras(await readKeras([{ name: h5, bytes: readFileSync(h5) }]));
  const dir = join(work, 'weights');
  mkdirSync(dir);
  const manifest: Record<string, string> = {};
  const put = (key: string, t: Tensor | null): void => {
    if (t === null) return;
    writeFileSync(join(dir, `${key}.npy`), writeNpy({ dtype: 'float32', shape: [...t.shape], data: t.data }));
    manifest[key] = `${key}.npy`;
  };
  let conv = 0;
  let bn = 0;
  let fc = 0;
  for (const node of graph.nodes) {
    const op = node.op;
    if (op.type === 'conv') {
      conv++;
      put(`conv${conv}.kernel`, op.kernel);
      put(`conv${conv}.bias`, op.bias);
    } else if (op.type === 'batchNorm') {
      bn++;
      put(`bn${bn}.gamma`, op.gamma);
      put(`bn${bn}.beta`, op.beta);
      put(`bn${bn}.mean`, op.mean);
      put(`bn${bn}.variance`, op.variance);
    } else if (op.type === 'dense') {
      fc++;
      put(`fc${fc}.kernel`, op.kernel);
      put(`fc${fc}.bias`, op.bias);
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  if (have.torch) {
    const r = runProcess(PYTHON, [join(here, 'yardstick/torch_cnn.py'), 'prepare', '--weights', dir, '--out', join(work, 'state.pt')]);
    if (!r.ok) {
      have.torch = false;
      notes.push(`PyTorch yardstick failed to load the weights: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
  }
}
const torchScript = join(here, 'yardstick/torch_cnn.py');
const torch = (mode: string, extra: string[]): Record<string, unknown> => {
  const r = runProcess(PYTHON, [torchScript, mode, '--state', join(work, 'state.pt'), ...extra], { cwd: work });
  if (!r.ok) throw new Error(`PyTorch yardstick '${mode}' failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return lastJsonLine(r.stdout);
};

// ---------------------------------------------------------------------------------------------
// 1. Forward passes in-process: predict (best batch), features, occlusion.

let model: Model | null = null;
let flops = 0;
if (want('forward') || want('gradients')) {
  model = await openPath(h5, { engine: 'auto', threads: 2 });
  flops = forwardFlops(model.graph);
  console.log(`model: ${model.summary().totalParams} parameters, ${(flops / 1e6).toFixed(1)} MFLOP per image, engine ${model.engine.name}`);
}

if (want('forward') && model !== null) {
  const m = model;
  let best = { batch: 0, rate: { median: 0, best: 0, perCpuSecond: 0 } as Rate };
  const byBatch: Record<string, number> = {};
  for (const batch of [1, 16, 32, 64, 128, 256]) {
    const x = randomImages(batch, 10 + batch);
    const r = await measureRate(batch, () => m.predict(x, { batchSize: batch }));
    byBatch[batch] = Math.round(r.median);
    if (r.median > best.rate.median) best = { batch, rate: r };
  }
  let yard: Row['yardstick'] = null;
  if (have.torch) {
    const t = torch('throughput', ['--threads', '2', '--batches', '1,16,32,64,128,256', '--seconds', String(SECONDS)]);
    const trows = t['rows'] as { kind: string; batch: number; median: number }[];
    const top = trows.reduce((a, b) => (b.median > a.median ? b : a));
    const plain = trows.filter((r) => r.kind === 'plain').reduce((a, b) => (b.median > a.median ? b : a));
    yard = { name: `PyTorch ${String(t['torch'])} ${top.kind} (batch ${top.batch})`, seconds: 1 / top.median, imagesPerSecond: top.median, gflops: (top.median * flops) / 1e9, detail: `plain best ${plain.median.toFixed(0)} img/s (batch ${plain.batch})` };
  }
  const ours = best.rate.median;
  report({
    section: 'forward', what: `forward, best batch (${best.batch}), 2 threads`,
    convscope: { seconds: 1 / ours, imagesPerSecond: ours, gflops: (ours * flops) / 1e9, detail: `images/s by batch ${JSON.stringify(byBatch)}; per CPU-second ${best.rate.perCpuSecond.toFixed(0)}` },
    yardstick: yard, ratio: yard === null ? null : yard.imagesPerSecond! / ours, target: '>= 800 img/s', met: ours >= 800,
  });
  // features of 1,000 inputs (penultimate layer) and occlusion of one input (256 passes + baseline).
  const x1000 = randomImages(1000, 4);
  const fr = await measureRate(1000, () => features(m, x1000), Math.max(1, SECONDS / 2));
  report({ section: 'forward', what: 'features, 1,000 inputs (dense_1 input)', convscope: { seconds: 1 / fr.median, imagesPerSecond: fr.median, gflops: (fr.median * flops) / 1e9 }, yardstick: null, ratio: null, target: '>= 800 img/s', met: fr.median >= 800 });
  const x1 = randomImages(1, 2);
  const or = await measureRate(257, () => occlusion(m, x1, { targetClass: 1, window: 8, stride: 8, fill: 0 }));
  report({ section: 'forward', what: 'occlusion in-process, 256 windows + baseline', convscope: { seconds: 257 / or.median, imagesPerSecond: or.median, gflops: (or.median * flops) / 1e9 }, yardstick: null, ratio: null, target: '>= 800 img/s', met: or.median >= 800 });
}

// ---------------------------------------------------------------------------------------------
// 2. Gradients: saliency and Grad-CAM at batch 32 (engine level, logit score), SmoothGrad of one input.

if (want('gradients') && model !== null) {
  const m = model;
  const input = m.logits.inputs[0]!;
  const lastConv = [...m.logits.nodes].reverse().find((n) => n.op.type === 'conv')!.name;
  const seed = Float32Array.from([1]);
  const x32 = randomImages(32, 7);
  const t = have.torch ? torch('gradients', ['--threads', '2', '--batch', '32', '--seconds', String(SECONDS)]) : null;
  for (const [what, wrt, key] of [['saliency (d score / d input), batch 32', input, 'saliency'], [`Grad-CAM (d score / d ${lastConv}), batch 32`, lastConv, 'gradcam']] as const) {
    const r = await measureRate(32, () => m.gradients([x32], { score: { node: m.head.logitNode, seed }, wrt: [wrt] }));
    const ty = t === null ? null : (t[key] as { median: number }).median;
    report({
      section: 'gradients', what,
      convscope: { seconds: 1 / r.median, imagesPerSecond: r.median, detail: `engine ${m.engine.name}` },
      yardstick: ty === null ? null : { name: `PyTorch autograd`, seconds: 1 / ty, imagesPerSecond: ty },
      ratio: ty === null ? null : ty / r.median, target: 'ratio <= 0.5', met: ty === null ? null : ty / r.median <= 0.5,
    });
  }
  const x1 = randomImages(1, 2);
  writeFileSync(join(work, 'x1-sg.npy'), writeNpy({ dtype: 'float32', shape: [...x1.shape], data: x1.data }));
  const sg = await measureRate(1, () => smoothGrad(m, x1, { targetClass: 1, nSamples: 50 }));
  const ts = have.torch ? (torch('smoothgrad', ['--threads', '2', '--x', join(work, 'x1-sg.npy'), '--samples', '50', '--batch', '50', '--seconds', String(SECONDS)])['smoothgrad'] as { median: number }).median : null;
  report({
    section: 'gradients', what: 'SmoothGrad, 50 samples, one input',
    convscope: { seconds: 1 / sg.median, imagesPerSecond: (50 * sg.median) },
    yardstick: ts === null ? null : { name: 'PyTorch autograd', seconds: 1 / ts, imagesPerSecond: 50 * ts },
    ratio: ts === null ? null : ts / sg.median, target: 'ratio <= 0.5', met: ts === null ? null : ts / sg.median <= 0.5,
  });
}
await model?.dispose();

// ---------------------------------------------------------------------------------------------
// 3. Whole processes: `convscope occlusion` and `convscope predict` against python scripts.

if (want('process')) {
  const cli = join(root, 'bin/convscope.js');
  // As after `npm ci`: the CLI runs from its bundle (scripts/build-cli.mjs), rebuilt when stale.
  const built = runProcess(process.execPath, [join(root, 'scripts/build-cli.mjs')]);
  const how = built.ok && existsSync(join(root, 'dist/cli.mjs')) ? 'bundle dist/cli.mjs' : 'TypeScript sources via tsx';
  if (!built.ok) notes.push(`CLI bundle not built (${built.stderr.trim().split('\n').pop() ?? ''}); the CLI ran from its sources`);
  const runs = quick ? 1 : 3;
  const cases = [
    { what: 'whole process: occlusion of one input (256 passes)', ours: ['occlusion', h5, '--x', 'x1.npy', '--json', 'occ.json', '--overwrite'], torch: ['occlusion', '--x', 'x1.npy', '--out', 'occ-torch.npy'], limit: 0.5 },
    { what: 'whole process: 512 predictions', ours: ['predict', h5, 'x512.npy', '-o', 'pred.npy', '--overwrite'], torch: ['predict', '--x', 'x512.npy', '--out', 'pred-torch.npy'], limit: 0.25 },
  ];
  for (const c of cases) {
    runProcess(process.execPath, [cli, ...c.ours], { cwd: work }); // warms the file cache (and tsx's transform cache)
    const ours = medianProcess(runs, process.execPath, [cli, ...c.ours], work);
    if (!ours.ok) {
      notes.push(`${c.what}: convscope failed: ${ours.stderr.trim().split('\n').pop() ?? ''}`);
      continue;
    }
    let yard: Row['yardstick'] = null;
    if (have.torch) {
      const base = [torchScript, c.torch[0]!, '--state', 'state.pt', ...c.torch.slice(1), '--batch', '64'];
      runProcess(PYTHON, base, { cwd: work });
      const plain = medianProcess(runs, PYTHON, base, work);
      const frozen = medianProcess(runs, PYTHON, [...base, '--frozen'], work);
      const fast = [plain, frozen].filter((r) => r.ok).sort((a, b) => a.wall - b.wall)[0];
      if (fast !== undefined) {
        yard = { name: `PyTorch ${fast === frozen ? 'frozen' : 'plain'} script`, seconds: fast.wall, ...(fast.cpu !== null ? { cpuSeconds: fast.cpu } : {}), detail: `plain ${plain.wall.toFixed(2)} s, frozen ${frozen.wall.toFixed(2)} s` };
      }
    }
    const ratio = yard === null ? null : ours.wall / yard.seconds;
    // Both wrote their outputs: for the predictions, how far apart they are.
    let quality: Row['quality'];
    if (c.ours[0] === 'predict' && yard !== null && existsSync(join(work, 'pred-torch.npy'))) {
      const a = toFloat32(readNpy(readFileSync(join(work, 'pred.npy'))));
      const b = toFloat32(readNpy(readFileSync(join(work, 'pred-torch.npy'))));
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      quality = { name: 'max |p - p(PyTorch)|', convscope: worst, yardstick: null };
    }
    report({
      ...(quality !== undefined ? { quality } : {}),
      section: 'process', what: c.what,
      convscope: { seconds: ours.wall, ...(ours.cpu !== null ? { cpuSeconds: ours.cpu } : {}), ...(ours.peakMiB !== null ? { peakMiB: ours.peakMiB } : {}), detail: `node bin/convscope.js ${c.ours[0]} (${how})` },
      yardstick: yard, ratio, target: `ratio <= ${c.limit}`, met: ratio === null ? null : ratio <= c.limit,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Opening the 17 MB .h5, cold (fresh process: HDF5 reader, translation, ONNX export, session).

if (want('open')) {
  // The library bundled as the CLI runs it (esbuild, like scripts/build-cli.mjs), so the figure
  // is convscope's, not the TypeScript loader's; each run in a fresh process, median of several.
  const esbuild = await import('esbuild');
  // Inside the checkout (dist/ is ignored), so that the bundle finds node_modules.
  const benchDist = fileURLToPath(new URL('../dist/bench/', import.meta.url));
  mkdirSync(benchDist, { recursive: true });
  const bundle = join(benchDist, 'open.mjs');
  // The same h5wasm the CLI bundle loads (scripts/h5wasm-fast.mjs; built by build:cli).
  const fast = await import(pathToFileURL(fileURLToPath(new URL('../scripts/h5wasm-fast.mjs', import.meta.url))).href) as {
    h5wasmAlias(hl: string, dir: string): import('esbuild').Plugin;
  };
  const fastHl = fileURLToPath(new URL('../dist/h5wasm/hdf5_hl.js', import.meta.url));
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('../src/node/open.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'warning',
    minifyWhitespace: true, minifySyntax: true,
    external: ['onnxruntime-node', '@resvg/resvg-js', 'h5wasm'],
    plugins: existsSync(fastHl) ? [fast.h5wasmAlias(fastHl, benchDist)] : [],
  });
  const childFile = join(benchDist, 'open-child.mjs');
  writeFileSync(childFile, [
    'const t0 = performance.now();',
    `const { openPath } = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    'const t1 = performance.now();',
    'const m = await openPath(process.argv[2], { engine: "auto" });',
    'const t2 = performance.now();',
    'await m.dispose();',
    'const t3 = performance.now();',
    'const m2 = await openPath(process.argv[2], { engine: "auto" });',
    'const t4 = performance.now();',
    'await m2.dispose();',
    'console.log(JSON.stringify({ load: (t1 - t0) / 1000, cold: (t2 - t1) / 1000, warm: (t4 - t3) / 1000 }));',
  ].join('\n'));
  const runs = quick ? 3 : 7;
  const all: { load: number; cold: number; warm: number }[] = [];
  let failure = '';
  for (let i = 0; i < runs; i++) {
    const r = runProcess(process.execPath, [childFile, h5]);
    if (r.ok) all.push(lastJsonLine(r.stdout) as { load: number; cold: number; warm: number });
    else failure = r.stderr.trim().split('\n').pop() ?? '';
  }
  if (all.length > 0) {
    const med = (k: 'load' | 'cold' | 'warm'): number => all.map((j) => j[k]).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
    const mb = (readFileSync(h5).length / 1e6).toFixed(1);
    const [cold, warm, load] = [med('cold'), med('warm'), med('load')];
    report({
      section: 'open', what: `open a ${mb} MB Keras .h5, first in a process`,
      convscope: { seconds: cold, detail: `openPath, median of ${all.length} fresh processes: HDF5 library start, read, translate, ONNX export, session (loading convscope's own bundled code before it: ${load.toFixed(3)} s)` }, yardstick: null, ratio: null, target: '< 0.5 s', met: cold < 0.5,
    });
    report({
      section: 'open', what: `open a ${mb} MB Keras .h5, libraries loaded`,
      convscope: { seconds: warm, detail: 'openPath again in the same process' }, yardstick: null, ratio: null, target: '< 0.5 s', met: warm < 0.5,
    });
  } else notes.push(`open: child failed: ${failure}`);
}

// ---------------------------------------------------------------------------------------------
// 5. t-SNE and UMAP on a 5-class Gaussian mixture in 128-D.

async function ourTsne(x: Float32Array, n: number, d: number): Promise<{ seconds: number; cpu: number; embedding: Float32Array; kl: number; backend: string }> {
  const backend = nodeEmbedBackend('auto', { threads: 2 });
  const t0 = performance.now();
  const c0 = cpuNow();
  const neighbors = await backend.neighbors(x, n, d, tsneNeighborCount(30, n));
  const gradient = backend.tsneGradient(n);
  const r = await tsne(x, n, d, { neighbors, perplexity: 30, nIterations: 1000, ...(gradient !== null ? { gradient } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - c0; // this thread's process, workers included
  const name = backend.name;
  await backend.release();
  return { seconds, cpu, embedding: r.embedding, kl: r.kl, backend: name };
}

if (want('tsne')) {
  const n = TSNE_N;
  const d = 128;
  const { x, labels } = mixture(n, d, 1);
  const xPath = join(work, `mix-${n}.npy`);
  writeFileSync(xPath, writeNpy({ dtype: 'float32', shape: [n, d], data: x }));
  const ours = await ourTsne(x, n, d);
  const judge = nodeEmbedBackend('auto');
  const trust = await judge.trustworthiness(x, n, d, ours.embedding, { k: 10 });
  const acc = knnAccuracy(ours.embedding, n, labels, 10);
  let yard: Row['yardstick'] = null;
  let skTrust: number | null = null;
  let skAcc: number | null = null;
  if (have.sklearn) {
    const out = join(work, `sk-${n}.npy`);
    const r = runProcess(PYTHON, [join(here, 'yardstick/sklearn_tsne.py'), '--x', xPath, '--out', out, '--threads', '2', '--perplexity', '30', '--iterations', '1000']);
    if (r.ok) {
      const j = lastJsonLine(r.stdout) as { seconds: number; cpuSeconds: number; kl: number; sklearn: string };
      const emb = toFloat32(readNpy(readFileSync(out)));
      skTrust = await judge.trustworthiness(x, n, d, emb, { k: 10 });
      skAcc = knnAccuracy(emb, n, labels, 10);
      yard = { name: `scikit-learn ${j.sklearn} Barnes-Hut, 2 threads`, seconds: j.seconds, cpuSeconds: j.cpuSeconds, detail: `KL ${j.kl.toFixed(4)}, 10-NN accuracy ${skAcc.toFixed(4)}` };
    } else notes.push(`t-SNE yardstick failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  await judge.release();
  const ratio = yard === null ? null : ours.seconds / yard.seconds;
  report({
    section: 'tsne', what: `t-SNE ${n} x ${d}, perplexity 30, 1000 iterations`,
    convscope: { seconds: ours.seconds, cpuSeconds: ours.cpu, detail: `${ours.backend}; KL ${ours.kl.toFixed(4)}, 10-NN accuracy ${acc.toFixed(4)}` },
    yardstick: yard, ratio, quality: { name: 'trustworthiness (k=10)', convscope: trust, yardstick: skTrust },
    target: 'ratio <= 0.5, trust >= sklearn - 0.01', met: ratio === null || skTrust === null ? null : ratio <= 0.5 && trust >= skTrust - 0.01,
  });
}

if (want('umap')) {
  const n = UMAP_N;
  const d = 128;
  const { x, labels } = mixture(n, d, 1);
  const backend = nodeEmbedBackend('auto');
  let t0 = performance.now();
  const neighbors = await backend.neighbors(x, n, d, 14);
  const ours = await umap(x, n, d, { neighbors, seed: 0 });
  const oursSeconds = (performance.now() - t0) / 1000;
  const rowsX: number[][] = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
  const rng = createRng(0);
  t0 = performance.now();
  const u = new UMAP({ random: () => rng.next() });
  u.fit(rowsX);
  const theirSeconds = (performance.now() - t0) / 1000;
  const theirs = Float32Array.from(u.getEmbedding().flat());
  const trust = await backend.trustworthiness(x, n, d, ours.embedding, { k: 10 });
  const theirTrust = await backend.trustworthiness(x, n, d, theirs, { k: 10 });
  await backend.release();
  const ratio = oursSeconds / theirSeconds;
  report({
    section: 'umap', what: `UMAP ${n} x ${d}, 15 neighbours, min_dist 0.1`,
    convscope: { seconds: oursSeconds, detail: `exact neighbours + ${ours.options.nEpochs} epochs; 10-NN accuracy ${knnAccuracy(ours.embedding, n, labels, 10).toFixed(4)}` },
    yardstick: { name: 'umap-js 1.4 defaults (NN-descent)', seconds: theirSeconds, detail: `10-NN accuracy ${knnAccuracy(theirs, n, labels, 10).toFixed(4)}` },
    ratio, quality: { name: 'trustworthiness (k=10)', convscope: trust, yardstick: theirTrust },
    target: 'ratio <= 0.5, trust >= umap-js - 0.01', met: ratio <= 0.5 && trust >= theirTrust - 0.01,
  });
}

// ---------------------------------------------------------------------------------------------
// 6. Memory: t-SNE and UMAP of 50,000 points in a fresh process (peak resident set).

if (want('memory') && !quick) {
  for (const what of ['tsne', 'umap']) {
    const r = runProcess(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', what, '50000'], { timeoutS: 3600 });
    if (!r.ok) {
      notes.push(`${what} 50k: child failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
      continue;
    }
    const j = lastJsonLine(r.stdout) as { seconds: number; peakMiB: number };
    const peak = r.peakMiB ?? j.peakMiB;
    report({
      section: 'memory', what: `${what === 'tsne' ? 't-SNE' : 'UMAP'} 50,000 x 128, whole process`,
      convscope: { seconds: j.seconds, peakMiB: peak, ...(r.cpu !== null ? { cpuSeconds: r.cpu } : {}) }, yardstick: null, ratio: null,
      target: 'peak < 2 GiB', met: peak < 2048,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

const result = { machine: { ...machine, loadAtEnd: os.loadavg() }, date: new Date().toISOString(), quick, rows, notes };
writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${markdownTable(rows)}`);
for (const n of notes) console.log(`note: ${n}`);
console.log(`load at the end ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; JSON written to ${jsonPath}`);
if (args.includes('--keep')) console.log(`work directory kept: ${work}`);
else rmSync(work, { recursive: true, force: true });

// ---------------------------------------------------------------------------------------------

async function child(what: string, rest: string[]): Promise<void> {
  const n = Number(rest[0]);
  const { x } = mixture(n, 128, 1);
  const t0 = performance.now();
  if (what === 'tsne') await ourTsne(x, n, 128);
  else {
    const backend = nodeEmbedBackend('auto');
    await umap(x, n, 128, { neighbors: await backend.neighbors(x, n, 128, 14) });
    await backend.release();
  }
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, peakMiB: process.resourceUsage().maxRSS / 1024 }));
}
