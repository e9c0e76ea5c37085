// Random variates the simulations need beyond src/random.ts: exponential, Poisson, binomial and
// hypergeometric, each drawn from a seeded Rng. Pure functions, no state of their own.

import type { Rng } from '../random.js';

/** Exponential deviate with the given rate (mean 1/rate); rate must be > 0. */
export function exponential(rng: Rng, rate: number): number {
  // 1 - next() lies in (0, 1], so the log is finite.
  return -Math.log(1 - rng.next()) / rate;
}

const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211,
  0.0138761288230707, 0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];

/** log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2], the Stirling series remainder. */
function stirlingTail(k: number): number {
  if (k <= 9) return STIRLING_TAIL[k]!;
  const kp1sq = (k + 1) * (k + 1);
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

/** log(k!) for an integer k >= 0 (exact sums up to 20, Stirling series above). */
export function logFactorial(k: number): number {
  if (k < 21) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return (k + 0.5) * Math.log(k + 1) - (k + 1) + 0.5 * Math.log(2 * Math.PI) + stirlingTail(k);
}

/**
 * Poisson deviate with mean `mean` >= 0. Inversion by sequential search below 30; above,
 * Hormann's PTRS transformed rejection ("The transformed rejection method for generating
 * Poisson random variables", Insurance: Mathematics and Economics 12, 1993).
 */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean >= 0) || !Number.isFinite(mean)) throw new RangeError(`poisson: mean must be finite and >= 0, got ${mean}`);
  if (mean === 0) return 0;
  if (mean < 30) {
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const u = rng.next();
    while (u > cdf) {
      k++;
      p *= mean / k;
      cdf += p;
      if (p === 0) break; // numerical tail: u is within rounding of 1
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k;
  }
}

/**
 * Binomial deviate: successes in `n` trials of probability `p`. Inversion when n*min(p,1-p) < 10,
 * else Hormann's BTRS ("The generation of binomial random variates", J. Statist. Comput.
 * Simul. 46, 1993), as in NumPy and PyTorch.
 */
export function binomial(rng: Rng, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial: n must be an integer >= 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  if (n * p < 10) {
    // Inversion: walk up the pmf from 0.
    const q = 1 - p;
    const s = p / q;
    const a = (n + 1) * s;
    let r = Math.pow(q, n);
    let u = rng.next();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) return n; // rounding left u a hair above the total mass
      r *= a / x - s;
    }
    return x;
  }
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound =
      (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) +
      (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) +
      stirlingTail(m) +
      stirlingTail(n - m) -
      stirlingTail(k) -
      stirlingTail(n - k);
    if (v <= bound) return k;
  }
}

/**
 * Hypergeometric deviate: successes when drawing `draws` items without replacement from
 * `total` items of which `successes` are successes. Sequential draws: O(draws).
 */
export function hypergeometric(rng: Rng, total: number, successes: number, draws: number): number {
  if (!(Number.isInteger(total) && Number.isInteger(successes) && Number.isInteger(draws)) || successes < 0 || successes > total || draws < 0 || draws > total) {
    throw new RangeError(`hypergeometric: need integers 0 <= successes, draws <= total, got ${total}, ${successes}, ${draws}`);
  }
  let k = 0;
  let left = total;
  let good = successes;
  for (let i = 0; i < draws; i++) {
    if (rng.next() * left < good) {
      k++;
      good--;
    }
    left--;
  }
  return k;
}
