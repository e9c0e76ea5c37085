// Demo-grade simulations for a two-class CNN (Neutral vs Selection), BaSe-style: neutral regions
// from the coalescent with recombination, selected regions from a structured coalescent
// conditioned on a forward Wright-Fisher trajectory of a new mutation at the centre (partial
// sweep or overdominance). Scaled parameters, seeded; not a replacement for SLiM. Isomorphic.
//
// What the defaults stand for (see docs/popgen.md): N = 1000 diploids, a 50 kb region (BaSe's
// L), theta = 4 N mu L = 50 and rho = 4 N r L = 35 (mu = 2.5e-7 and r = 1.75e-7 per bp and
// generation: scaled up about 17-fold from human rates so that a small population has human-like
// diversity; r/mu = 0.7 as in BaSe's parameters), 128 sampled chromosomes. Neutral replicates
// are simulated over a region twice as long and re-centred on an intermediate-frequency site by
// the preprocessing, as BaSe does with its 500 kb neutral runs (a neutral replicate without a
// site of frequency in the conditioning window, rare, is drawn again).

import { ArgumentError, throwIfAborted } from '../errors.js';
import { createRng, type Rng } from '../random.js';
import { simulateCoalescent, type CoalescentResult } from './coalescent.js';
import { haplotypeImage, type ImageOptions } from './preprocess.js';
import { derivedCounts } from './stats.js';
import { wrightFisherTrajectory } from './trajectory.js';
import type { MsWriteOptions } from './ms-write.js';

/** A closed range [min, max] drawn uniformly. */
export type Range = readonly [number, number];

export interface DemoOptions {
  /** Replicates per class (Neutral, Selection). */
  readonly nPerClass: number;
  /** Seed; replicate i of a class always gets the same draw whatever nPerClass is. Default 0. */
  readonly seed?: number;
  /** Chromosomes sampled. Default 128. */
  readonly sampleSize?: number;
  /** Diploid population size N of the forward simulation (2N copies). Default 1000. */
  readonly popSize?: number;
  /** Region length in bp (positions are written as fractions of it). Default 50000. */
  readonly regionLength?: number;
  /** Neutral regions are simulated this many times longer, for re-centring. Default 2. */
  readonly neutralLengthFactor?: number;
  /** 4 N mu L over `regionLength`. Default 50. */
  readonly theta?: number;
  /** 4 N r L over `regionLength`. Default 35. */
  readonly rho?: number;
  /** Share of Selection replicates that are partial sweeps; the rest are overdominance. Default 0.5. */
  readonly sweepFraction?: number;
  /** Partial sweeps: scaled strength 2 N s (drawn uniformly), dominance h. Default [50, 500], 0.5. */
  readonly sweep?: { readonly scaledS?: Range; readonly h?: number };
  /**
   * Overdominance: scaled heterozygote advantage 2 N h s (drawn uniformly), dominance h (the
   * derived homozygote has 1 + s), and age in units of 2N generations. Defaults [20, 100], 20
   * (BaSe's largest, equilibrium frequency h/(2h - 1) = 0.51), [1, 4].
   */
  readonly overdominance?: { readonly scaledHs?: Range; readonly h?: number; readonly age?: Range };
  /** Derived frequency at sampling is conditioned to lie in this open interval. Default [0.4, 0.6]. */
  readonly frequency?: Range;
  /** Called after each replicate. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** Demo class names, in label order. */
export const DEMO_CLASSES = ['Neutral', 'Selection'] as const;

/** The model behind a demo replicate; also its BaSe class token in file names. */
export type DemoModel = 'neutral' | 'sweep' | 'overdominance';
/** BaSe's class tokens for the demo models. */
export const DEMO_TOKENS: Readonly<Record<DemoModel, string>> = { neutral: 'NE', sweep: 'IS', overdominance: 'OD' };

/** One demo replicate: the simulated matrix with what produced it. */
export interface DemoReplicate extends CoalescentResult {
  /** 0 = Neutral, 1 = Selection. */
  readonly label: number;
  readonly model: DemoModel;
  /** Length in bp of the simulated region (longer for neutral replicates). */
  readonly regionLength: number;
  /** theta and rho over the simulated region. */
  readonly theta: number;
  readonly rho: number;
  /** Selection parameters (null for neutral): s, h, age in generations, frequency at sampling, restarts. */
  readonly selectionParams: { readonly s: number; readonly h: number; readonly ageGenerations: number; readonly frequency: number; readonly attempts: number } | null;
}

/** The demo data set. */
export interface DemoResult {
  /** nPerClass Neutral replicates, then nPerClass Selection ones. */
  readonly replicates: DemoReplicate[];
  /** Label per replicate (0 = Neutral, 1 = Selection). */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** The options used, with defaults filled in. */
  readonly options: Required<Omit<DemoOptions, 'onProgress' | 'signal' | 'sweep' | 'overdominance'>> & {
    readonly sweep: { readonly scaledS: Range; readonly h: number };
    readonly overdominance: { readonly scaledHs: Range; readonly h: number; readonly age: Range };
  };
  /** Wall-clock seconds spent simulating. */
  readonly seconds: number;
}

function hasIntermediateSite(m: CoalescentResult, [lo, hi]: Range): boolean {
  const counts = derivedCounts(m);
  return counts.some((c) => c / m.nSamples > lo && c / m.nSamples < hi);
}

function uniform(rng: Rng, [a, b]: Range): number {
  return a + (b - a) * rng.next();
}

function checkRange(name: string, r: Range, lo: number, hi: number): void {
  if (!(r.length === 2 && r[0] >= lo && r[1] >= r[0] && r[1] <= hi)) {
    throw new ArgumentError('BAD_ARGUMENT', `${name} must be [min, max] with ${lo} <= min <= max <= ${hi}, got [${r.join(', ')}].`);
  }
}

/** An independent random source for replicate `i` of class `cls`. */
function replicateRng(seed: number, cls: number, i: number): Rng {
  // Low 32 bits: the seed mixed with the class; high bits: the replicate (createRng mixes both).
  return createRng((((seed >>> 0) ^ Math.imul(cls + 1, 0x9e3779b9)) >>> 0) + i * 4294967296);
}

/**
 * Simulates the demo data set: nPerClass Neutral and nPerClass Selection replicates (see the
 * module comment for the models, and docs/popgen.md for parameters and references).
 */
export function simulateDemo(options: DemoOptions): DemoResult {
  const {
    nPerClass,
    seed = 0,
    sampleSize = 128,
    popSize = 1000,
    regionLength = 50_000,
    neutralLengthFactor = 2,
    theta = 50,
    rho = 35,
    sweepFraction = 0.5,
    frequency = [0.4, 0.6] as const,
    onProgress,
    signal,
  } = options;
  const sweep = { scaledS: options.sweep?.scaledS ?? ([50, 500] as const), h: options.sweep?.h ?? 0.5 };
  const od = { scaledHs: options.overdominance?.scaledHs ?? ([20, 100] as const), h: options.overdominance?.h ?? 20, age: options.overdominance?.age ?? ([1, 4] as const) };
  if (!Number.isInteger(nPerClass) || nPerClass < 1) throw new ArgumentError('BAD_ARGUMENT', `nPerClass must be an integer >= 1, got ${nPerClass}.`);
  if (!Number.isInteger(sampleSize) || sampleSize < 4) throw new ArgumentError('BAD_ARGUMENT', `sampleSize must be an integer >= 4, got ${sampleSize}.`);
  if (!Number.isInteger(popSize) || popSize < 10) throw new ArgumentError('BAD_ARGUMENT', `popSize must be an integer >= 10, got ${popSize}.`);
  if (!(regionLength >= 100)) throw new ArgumentError('BAD_ARGUMENT', `regionLength must be >= 100 bp, got ${regionLength}.`);
  if (!(neutralLengthFactor >= 1)) throw new ArgumentError('BAD_ARGUMENT', `neutralLengthFactor must be >= 1, got ${neutralLengthFactor}.`);
  if (!(theta > 0) || !(rho >= 0)) throw new ArgumentError('BAD_ARGUMENT', `theta must be > 0 and rho >= 0, got ${theta} and ${rho}.`);
  if (!(sweepFraction >= 0 && sweepFraction <= 1)) throw new ArgumentError('BAD_ARGUMENT', `sweepFraction must be in [0, 1], got ${sweepFraction}.`);
  checkRange('frequency', frequency, 0, 1);
  checkRange('sweep.scaledS', sweep.scaledS, 0, Infinity);
  checkRange('overdominance.scaledHs', od.scaledHs, 0, Infinity);
  checkRange('overdominance.age', od.age, 1 / (2 * popSize), Infinity);
  if (!(od.h > 1)) throw new ArgumentError('BAD_ARGUMENT', `overdominance.h must be > 1 (heterozygote fitter than both homozygotes), got ${od.h}.`);
  const copies = 2 * popSize;
  const started = Date.now();
  const total = 2 * nPerClass;
  const replicates: DemoReplicate[] = [];
  for (let i = 0; i < nPerClass; i++) {
    throwIfAborted(signal);
    const rng = replicateRng(seed, 0, i);
    const f = neutralLengthFactor;
    // Re-centring needs a site of intermediate frequency; draw again in the rare replicate without.
    let sim = simulateCoalescent({ nSamples: sampleSize, theta: theta * f, rho: rho * f, rng });
    for (let tries = 1; !hasIntermediateSite(sim, frequency) && tries < 1000; tries++) {
      sim = simulateCoalescent({ nSamples: sampleSize, theta: theta * f, rho: rho * f, rng });
    }
    replicates.push({ ...sim, label: 0, model: 'neutral', regionLength: Math.round(regionLength * f), theta: theta * f, rho: rho * f, selectionParams: null });
    onProgress?.(replicates.length, total);
  }
  for (let i = 0; i < nPerClass; i++) {
    throwIfAborted(signal);
    const rng = replicateRng(seed, 1, i);
    const isSweep = rng.next() < sweepFraction;
    let s: number;
    let h: number;
    let traj;
    if (isSweep) {
      h = sweep.h;
      s = uniform(rng, sweep.scaledS) / copies;
      const target = uniform(rng, frequency);
      traj = wrightFisherTrajectory({ popSize, s, h, stop: { kind: 'frequency', frequency: target, maxFrequency: frequency[1] } }, rng);
    } else {
      h = od.h;
      s = uniform(rng, od.scaledHs) / copies / h;
      const generations = Math.max(1, Math.round(uniform(rng, od.age) * copies));
      traj = wrightFisherTrajectory({ popSize, s, h, stop: { kind: 'age', generations, minFrequency: frequency[0], maxFrequency: frequency[1] } }, rng);
    }
    const sim = simulateCoalescent({ nSamples: sampleSize, theta, rho, rng, selection: { trajectory: traj.frequencies, copies } });
    replicates.push({
      ...sim,
      label: 1,
      model: isSweep ? 'sweep' : 'overdominance',
      regionLength,
      theta,
      rho,
      selectionParams: { s, h, ageGenerations: traj.frequencies.length, frequency: traj.finalFrequency, attempts: traj.attempts },
    });
    onProgress?.(replicates.length, total);
  }
  return {
    replicates,
    labels: Int32Array.from(replicates, (r) => r.label),
    classNames: DEMO_CLASSES,
    options: { nPerClass, seed, sampleSize, popSize, regionLength, neutralLengthFactor, theta, rho, sweepFraction, frequency, sweep, overdominance: od },
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Image options for a demo replicate: the base options plus its region length, and for neutral
 * replicates re-centring to a window of `windowLength` bp (the selection replicates' length).
 */
export function demoImageOptions(rep: DemoReplicate, windowLength: number, base: Omit<ImageOptions, 'regionLength' | 'recentre'> = {}): ImageOptions {
  return { ...base, regionLength: rep.regionLength, recentre: rep.model === 'neutral' ? { windowLength } : null };
}

/** The demo as BaSe-style images: x (N, rows, cols, 1) float32 and labels. */
export function demoImages(demo: DemoResult, base: Omit<ImageOptions, 'regionLength' | 'recentre'> = {}): { x: Float32Array; shape: [number, number, number, number]; labels: Int32Array } {
  const rows = base.rows ?? 128;
  const cols = base.cols ?? 128;
  const x = new Float32Array(demo.replicates.length * rows * cols);
  demo.replicates.forEach((rep, i) => {
    const img = haplotypeImage(rep, demoImageOptions(rep, demo.options.regionLength, base));
    x.set(img.image, i * rows * cols);
  });
  return { x, shape: [demo.replicates.length, rows, cols, 1], labels: demo.labels };
}

/** The demo as ms-format files, one per model, named by BaSe's class tokens (NE, IS, OD). */
export function demoMsGroups(demo: DemoResult): { token: string; model: DemoModel; replicates: DemoReplicate[]; write: MsWriteOptions }[] {
  const out = [];
  for (const model of ['neutral', 'sweep', 'overdominance'] as const) {
    const reps = demo.replicates.filter((r) => r.model === model);
    if (reps.length === 0) continue;
    const r0 = reps[0]!;
    const o = demo.options;
    const extra =
      model === 'neutral'
        ? ''
        : model === 'sweep'
          ? ` --sweep 2Ns=${o.sweep.scaledS.join('..')} h=${o.sweep.h} N=${o.popSize} freq=${o.frequency.join('..')}`
          : ` --overdominance 2Nhs=${o.overdominance.scaledHs.join('..')} h=${o.overdominance.h} age2N=${o.overdominance.age.join('..')} N=${o.popSize} freq=${o.frequency.join('..')}`;
    const command = `convscope-demo ${r0.nSamples} ${reps.length} -t ${round(r0.theta)} -r ${round(r0.rho)} ${r0.regionLength}${extra}`;
    out.push({ token: DEMO_TOKENS[model], model, replicates: reps, write: { command, seeds: String(o.seed) } });
  }
  return out;
}

function round(v: number): string {
  return String(Math.round(v * 1e6) / 1e6);
}
