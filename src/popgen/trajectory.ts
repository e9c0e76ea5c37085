// Forward Wright-Fisher trajectories of a new mutation under selection, conditioned on its
// frequency when sampled; the input of the structured coalescent (coalescent.ts). Isomorphic.
//
// Diploid Wright-Fisher population of N individuals (2N copies), genotype fitnesses
// w_AA = 1, w_AB = 1 + h s, w_BB = 1 + s for ancestral A and derived B (SLiM's convention, as
// BaSe uses it: h = 0.5 with s > 0 is an additive sweep; h s > s > 0 is overdominance). Each
// generation: selection on p, then binomial sampling of 2N copies. A run that loses the mutation
// starts again from one copy (SLiM restarts the same way in BaSe's scripts).

import { ArgumentError, LimitError } from '../errors.js';
import type { Rng } from '../random.js';
import { binomial } from './distributions.js';

/** When the trajectory stops, i.e. when the sample is taken. */
export type TrajectoryStop =
  /**
   * At the first generation whose frequency reaches `frequency` (a partial sweep, as discoal's
   * `-c`); a run that jumps past `maxFrequency` in that generation is rejected.
   */
  | { readonly kind: 'frequency'; readonly frequency: number; readonly maxFrequency?: number; readonly maxGenerations?: number }
  /**
   * After exactly `generations` generations, accepted only if the frequency is then in
   * (minFrequency, maxFrequency) (BaSe's conditioning: SLiM restarts otherwise).
   */
  | { readonly kind: 'age'; readonly generations: number; readonly minFrequency: number; readonly maxFrequency: number };

export interface TrajectoryOptions {
  /** Diploid population size N (2N gene copies). */
  readonly popSize: number;
  /** Selection coefficient s (fitness of BB is 1 + s). */
  readonly s: number;
  /** Dominance h (fitness of AB is 1 + h s). */
  readonly h: number;
  readonly stop: TrajectoryStop;
  /** Give up (LimitError) after this many restarts. Default 100000. */
  readonly maxAttempts?: number;
}

/** A trajectory, going back in time from the sample. */
export interface Trajectory {
  /**
   * Derived-allele frequency per generation back: [0] at sampling, the last element one
   * generation after the mutation arose (one copy). Length = the allele's age in generations.
   */
  readonly frequencies: Float64Array;
  /** Frequency at sampling. */
  readonly finalFrequency: number;
  /** Runs started (1 + restarts after loss or rejection). */
  readonly attempts: number;
}

/** Simulates a trajectory from one new copy until `stop`, restarting as described above. */
export function wrightFisherTrajectory(options: TrajectoryOptions, rng: Rng): Trajectory {
  const { popSize, s, h, stop, maxAttempts = 100_000 } = options;
  if (!Number.isInteger(popSize) || popSize < 1) throw new ArgumentError('BAD_ARGUMENT', `popSize must be an integer >= 1, got ${popSize}.`);
  if (!Number.isFinite(s) || s <= -1 || !Number.isFinite(h) || 1 + h * s <= 0) {
    throw new ArgumentError('BAD_ARGUMENT', `Fitnesses must be positive: got s = ${s}, h = ${h}.`);
  }
  const copies = 2 * popSize;
  const wAB = 1 + h * s;
  const wBB = 1 + s;
  const maxGen = stop.kind === 'age' ? stop.generations : (stop.maxGenerations ?? 100 * copies);
  if (stop.kind === 'age' && (!Number.isInteger(stop.generations) || stop.generations < 1)) {
    throw new ArgumentError('BAD_ARGUMENT', `stop.generations must be an integer >= 1, got ${stop.generations}.`);
  }
  if (stop.kind === 'frequency' && !(stop.frequency > 0 && stop.frequency < 1)) {
    throw new ArgumentError('BAD_ARGUMENT', `stop.frequency must be in (0, 1), got ${stop.frequency}.`);
  }
  const counts = new Int32Array(maxGen + 1);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let c = 1;
    counts[0] = 1;
    let gen = 0;
    let accepted = false;
    while (gen < maxGen) {
      const p = c / copies;
      const q = 1 - p;
      const mean = p * p * wBB + 2 * p * q * wAB + q * q;
      const pSel = (p * p * wBB + p * q * wAB) / mean;
      c = binomial(rng, copies, pSel);
      gen++;
      counts[gen] = c;
      if (c === 0 || c === copies) break;
      if (stop.kind === 'frequency' && c / copies >= stop.frequency) {
        accepted = c / copies < (stop.maxFrequency ?? 1);
        break;
      }
    }
    if (stop.kind === 'age' && gen === maxGen && c > 0 && c < copies) {
      const f = c / copies;
      accepted = f > stop.minFrequency && f < stop.maxFrequency;
    }
    if (!accepted) continue;
    // Back in time: frequencies[k] = frequency k generations before the sample.
    const frequencies = new Float64Array(gen);
    for (let k = 0; k < gen; k++) frequencies[k] = counts[gen - k]! / copies;
    return { frequencies, finalFrequency: c / copies, attempts: attempt };
  }
  throw new LimitError('LIMIT_EXCEEDED', `No accepted trajectory in ${maxAttempts} attempts (N = ${popSize}, s = ${s}, h = ${h}, stop = ${JSON.stringify(stop)}).`, {
    hint: 'The conditioning is too unlikely for these parameters: widen the frequency window, change the age, or strengthen selection.',
  });
}
