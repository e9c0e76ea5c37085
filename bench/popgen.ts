// Speed and theory checks of the population-genetics simulations (src/popgen), the figures of
// docs/popgen.md: replicates per second, Watterson and SFS agreement, sweep and overdominance
// signatures, an optional cross-check against Debian's scrm (if on PATH), and a linear probe of
// how separable the demo's two classes are.
// Run: node --import tsx bench/popgen.ts [--quick] [--json]

import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createRng } from '../src/random.js';
import { simulateCoalescent, type CoalescentResult } from '../src/popgen/coalescent.js';
import { demoImages, simulateDemo } from '../src/popgen/demo.js';
import { readMs } from '../src/popgen/ms.js';
import { expectedSegregatingSites, nucleotideDiversity, siteFrequencySpectrum } from '../src/popgen/stats.js';
import { wrightFisherTrajectory } from '../src/popgen/trajectory.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const asJson = args.includes('--json');
const out: Record<string, unknown> = {};
const log = (s: string): void => {
  if (!asJson) process.stdout.write(`${s}\n`);
};

function meanVar(v: number[]): { mean: number; variance: number; se: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
  return { mean, variance, se: Math.sqrt(variance / v.length) };
}

// 1. Speed: wall clock, and CPU time of this process (steadier on a shared machine).
{
  const n = quick ? 50 : 250;
  const timed = (f: () => void): { wall: number; cpu: number } => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  let demo: ReturnType<typeof simulateDemo> | undefined;
  const sim = timed(() => {
    demo = simulateDemo({ nPerClass: n, seed: 1 });
  });
  const img = timed(() => demoImages(demo!));
  const speed: Record<string, number> = {
    demoReplicatesPerSecond: (2 * n) / sim.wall,
    demoReplicatesPerCpuSecond: (2 * n) / sim.cpu,
    imagesPerCpuSecond: (2 * n) / img.cpu,
  };
  for (const model of ['neutral', 'sweep', 'overdominance'] as const) {
    const reps = 40;
    const t = timed(() => {
      for (let r = 0; r < reps; r++) {
        const rng = createRng(r);
        if (model === 'neutral') simulateCoalescent({ nSamples: 128, theta: 50, rho: 35, rng });
        else {
          const traj =
            model === 'sweep'
              ? wrightFisherTrajectory({ popSize: 1000, s: 0.1, h: 0.5, stop: { kind: 'frequency', frequency: 0.5, maxFrequency: 0.6 } }, rng)
              : wrightFisherTrajectory({ popSize: 1000, s: 0.05 / 20, h: 20, stop: { kind: 'age', generations: 5000, minFrequency: 0.4, maxFrequency: 0.6 } }, rng);
          simulateCoalescent({ nSamples: 128, theta: 50, rho: 35, rng, selection: { trajectory: traj.frequencies, copies: 2000 } });
        }
      }
    });
    speed[`${model}PerCpuSecond(n=128,theta=50,rho=35)`] = reps / t.cpu;
  }
  out.speed = speed;
  log(`speed: ${JSON.stringify(speed, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
}

// 2. Neutral theory: Watterson and the SFS.
{
  const n = 20;
  const theta = 10;
  const reps = quick ? 2000 : 10_000;
  for (const rho of [0, 20]) {
    const s: number[] = [];
    const sfs = new Float64Array(n);
    for (let r = 0; r < reps; r++) {
      const sim = simulateCoalescent({ nSamples: n, theta, rho, seed: 77_000 + r });
      s.push(sim.nSites);
      const f = siteFrequencySpectrum(sim);
      for (let i = 1; i < n; i++) sfs[i]! += f[i]!;
    }
    const m = meanVar(s);
    const exp = expectedSegregatingSites(theta, n);
    const ratios = Array.from({ length: n - 1 }, (_, k) => sfs[k + 1]! / reps / (theta / (k + 1)));
    const row = { rho, reps, meanS: m.mean, expectedS: exp, relErrS: m.mean / exp - 1, varS: m.variance, sfsRatioMin: Math.min(...ratios), sfsRatioMax: Math.max(...ratios) };
    (out.neutral ??= [] as unknown[]) as unknown[];
    (out.neutral as unknown[]).push(row);
    log(`neutral n=${n} theta=${theta} rho=${rho}: mean S ${m.mean.toFixed(2)} vs ${exp.toFixed(2)} (${(100 * row.relErrS).toFixed(2)} %), var S ${m.variance.toFixed(1)}, SFS xi_i/(theta/i) in [${row.sfsRatioMin.toFixed(3)}, ${row.sfsRatioMax.toFixed(3)}]`);
  }
}

// 3. scrm cross-check (Var S depends on rho), when Debian's scrm is installed.
{
  const which = spawnSync('scrm', ['2', '1', '-t', '1'], { encoding: 'utf8' });
  if (which.status === 0) {
    const reps = quick ? 1000 : 4000;
    const res = spawnSync('scrm', ['20', String(reps), '-t', '10', '-r', '20', '100000', '-seed', '5'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const file = readMs(res.stdout, { fileName: 'scrm' });
    const theirs = meanVar(file.replicates.map((r) => r.nSites));
    const ours = meanVar(Array.from({ length: reps }, (_, r) => simulateCoalescent({ nSamples: 20, theta: 10, rho: 20, seed: 99_000 + r }).nSites));
    out.scrm = { reps, scrmMeanS: theirs.mean, scrmVarS: theirs.variance, oursMeanS: ours.mean, oursVarS: ours.variance };
    log(`scrm 20 ${reps} -t 10 -r 20 100000: mean S ${theirs.mean.toFixed(2)} var ${theirs.variance.toFixed(1)}; ours ${ours.mean.toFixed(2)} var ${ours.variance.toFixed(1)}`);
  } else {
    log('scrm not on PATH: cross-check skipped (apt-get install scrm)');
  }
}

// 4. Signatures near the selected site (n = 40, theta = 40, rho = 20, N = 500).
{
  const reps = quick ? 100 : 400;
  const n = 40;
  const centre = (sim: CoalescentResult, w: number): number => {
    let pi = nucleotideDiversity(sim, 0.5 - w, 0.5 + w);
    if (sim.selectedSite >= 0) {
      const k = sim.carriers!.reduce((a, b) => a + b, 0);
      pi -= (2 * k * (n - k)) / (n * (n - 1));
    }
    return pi / (2 * w) / 40;
  };
  const res: Record<string, number> = {};
  for (const model of ['neutral', 'sweep', 'overdominance'] as const) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < reps; r++) {
      const rng = createRng(5000 + r);
      const traj =
        model === 'neutral'
          ? null
          : model === 'sweep'
            ? wrightFisherTrajectory({ popSize: 500, s: 0.4, h: 0.5, stop: { kind: 'frequency', frequency: 0.5, maxFrequency: 0.6 } }, rng)
            : wrightFisherTrajectory({ popSize: 500, s: 0.1 / 20, h: 20, stop: { kind: 'age', generations: 4000, minFrequency: 0.4, maxFrequency: 0.6 } }, rng);
      const sim = simulateCoalescent({ nSamples: n, theta: 40, rho: 20, rng, ...(traj !== null ? { selection: { trajectory: traj.frequencies, copies: 1000 } } : {}) });
      a.push(centre(sim, 0.05));
      b.push(centre(sim, 0.01));
    }
    res[`${model}PiOverTheta(+-5%)`] = meanVar(a).mean;
    res[`${model}PiOverTheta(+-1%)`] = meanVar(b).mean;
  }
  out.signatures = res;
  log(`signatures (pi/theta per unit, near the centre): ${JSON.stringify(res, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v))}`);
}

// 5. Linear probe of the demo classes: logistic regression on 8x8-pooled pixels and vertical
// differences (a CNN sees more; this is a floor, not the CNN's accuracy).
{
  const train = simulateDemo({ nPerClass: quick ? 200 : 600, seed: 11 });
  const test = simulateDemo({ nPerClass: quick ? 100 : 300, seed: 12 });
  const features = (x: Float32Array, count: number): Float64Array => {
    const k = 8;
    const o = 16;
    const d = 2 * k * k;
    const f = new Float64Array(count * d);
    for (let i = 0; i < count; i++) {
      for (let r = 0; r < 128; r++) {
        for (let c = 0; c < 128; c++) {
          const v = x[i * 16384 + r * 128 + c]!;
          const cell = Math.floor(r / o) * k + Math.floor(c / o);
          f[i * d + cell]! += v / 256;
          if (r < 127) f[i * d + k * k + cell]! += Math.abs(x[i * 16384 + (r + 1) * 128 + c]! - v) / 256;
        }
      }
    }
    return f;
  };
  const a = demoImages(train);
  const b = demoImages(test);
  const d = 128;
  const fa = features(a.x, a.labels.length);
  const fb = features(b.x, b.labels.length);
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  const na = a.labels.length;
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < na; i++) {
      s += fa[i * d + j]!;
      s2 += fa[i * d + j]! ** 2;
    }
    mu[j] = s / na;
    sd[j] = Math.sqrt(Math.max(1e-12, s2 / na - mu[j]! ** 2));
  }
  const w = new Float64Array(d);
  let bias = 0;
  const z = (f: Float64Array, i: number): number => {
    let s = bias;
    for (let j = 0; j < d; j++) s += (w[j]! * (f[i * d + j]! - mu[j]!)) / sd[j]!;
    return s;
  };
  for (let it = 0; it < 500; it++) {
    const g = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < na; i++) {
      const e = 1 / (1 + Math.exp(-z(fa, i))) - a.labels[i]!;
      gb += e;
      for (let j = 0; j < d; j++) g[j]! += (e * (fa[i * d + j]! - mu[j]!)) / sd[j]!;
    }
    for (let j = 0; j < d; j++) w[j]! -= 0.3 * (g[j]! / na + 1e-3 * w[j]!);
    bias -= (0.3 * gb) / na;
  }
  const byModel: Record<string, [number, number]> = {};
  let right = 0;
  test.replicates.forEach((r, i) => {
    const ok = (z(fb, i) > 0 ? 1 : 0) === r.label ? 1 : 0;
    right += ok;
    const m = (byModel[r.model] ??= [0, 0]);
    m[0] += ok;
    m[1]++;
  });
  out.linearProbe = { testAccuracy: right / test.replicates.length, byModel };
  log(`linear probe on demo images (test ${test.replicates.length}): accuracy ${(right / test.replicates.length).toFixed(3)} ${JSON.stringify(byModel)}`);
}

if (asJson) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
