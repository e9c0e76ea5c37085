// Summary statistics of haplotype matrices and their neutral expectations (Watterson 1975;
// Tajima 1983; Fu 1995), used to check the simulations against theory. Isomorphic.

import type { HaplotypeMatrix } from './ms.js';

/** a_n = sum_{i=1}^{n-1} 1/i, so that E[S] = theta * a_n under the neutral coalescent. */
export function harmonic(n: number): number {
  let s = 0;
  for (let i = 1; i < n; i++) s += 1 / i;
  return s;
}

/** Watterson's expectation of segregating sites, theta * a_n (Watterson 1975). */
export function expectedSegregatingSites(theta: number, nSamples: number): number {
  return theta * harmonic(nSamples);
}

/** Derived-allele count of every site (column sums). */
export function derivedCounts(m: HaplotypeMatrix): Int32Array {
  const { nSamples: n, nSites: s, haplotypes } = m;
  const out = new Int32Array(s);
  for (let i = 0; i < n; i++) {
    const row = i * s;
    for (let j = 0; j < s; j++) out[j]! += haplotypes[row + j]!;
  }
  return out;
}

/**
 * Unfolded site frequency spectrum: element i counts sites whose derived allele is carried by i
 * samples (i = 0..n; 0 and n are monomorphic in the sample). Neutral expectation: theta / i.
 */
export function siteFrequencySpectrum(m: HaplotypeMatrix, from = 0, to = Infinity): Float64Array {
  const counts = derivedCounts(m);
  const sfs = new Float64Array(m.nSamples + 1);
  for (let j = 0; j < m.nSites; j++) {
    const p = m.positions[j]!;
    if (p >= from && p < to) sfs[counts[j]!]!++;
  }
  return sfs;
}

/** Segregating sites (0 < derived count < n) with positions in [from, to). */
export function segregatingSites(m: HaplotypeMatrix, from = 0, to = Infinity): number {
  const sfs = siteFrequencySpectrum(m, from, to);
  let s = 0;
  for (let i = 1; i < m.nSamples; i++) s += sfs[i]!;
  return s;
}

/**
 * Nucleotide diversity: mean pairwise differences over sites with positions in [from, to)
 * (Tajima 1983), sum over sites of 2 k (n - k) / (n (n - 1)). Expectation theta times the
 * fraction of the region covered.
 */
export function nucleotideDiversity(m: HaplotypeMatrix, from = 0, to = Infinity): number {
  const n = m.nSamples;
  if (n < 2) return 0;
  const counts = derivedCounts(m);
  let pi = 0;
  for (let j = 0; j < m.nSites; j++) {
    const p = m.positions[j]!;
    if (p < from || p >= to) continue;
    const k = counts[j]!;
    pi += (2 * k * (n - k)) / (n * (n - 1));
  }
  return pi;
}

/** Tajima's D for the whole matrix (NaN without segregating sites). */
export function tajimasD(m: HaplotypeMatrix): number {
  const n = m.nSamples;
  const s = segregatingSites(m);
  if (s === 0 || n < 4) return NaN;
  const a1 = harmonic(n);
  let a2 = 0;
  for (let i = 1; i < n; i++) a2 += 1 / (i * i);
  const b1 = (n + 1) / (3 * (n - 1));
  const b2 = (2 * (n * n + n + 3)) / (9 * n * (n - 1));
  const c1 = b1 - 1 / a1;
  const c2 = b2 - (n + 2) / (a1 * n) + a2 / (a1 * a1);
  const e1 = c1 / a1;
  const e2 = c2 / (a1 * a1 + a2);
  return (nucleotideDiversity(m) - s / a1) / Math.sqrt(e1 * s + e2 * s * (s - 1));
}
