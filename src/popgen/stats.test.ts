import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derivedCounts, expectedSegregatingSites, harmonic, nucleotideDiversity, segregatingSites, siteFrequencySpectrum, tajimasD } from './stats.js';

// 4 chromosomes, 4 sites at 0.1, 0.3, 0.6, 0.9; derived counts 1, 2, 3, 4 (the last is fixed).
const m = {
  nSamples: 4,
  nSites: 4,
  positions: Float64Array.from([0.1, 0.3, 0.6, 0.9]),
  haplotypes: Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1]),
};

test('counts, SFS, segregating sites and windows on a hand-made matrix', () => {
  assert.deepEqual(Array.from(derivedCounts(m)), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(siteFrequencySpectrum(m)), [0, 1, 1, 1, 1]);
  assert.equal(segregatingSites(m), 3); // the fixed site does not count
  assert.equal(segregatingSites(m, 0.2, 0.7), 2);
  // pi = sum 2k(n-k)/(n(n-1)) = (6 + 8 + 6) / 12
  assert.ok(Math.abs(nucleotideDiversity(m) - 20 / 12) < 1e-12);
  assert.ok(Math.abs(nucleotideDiversity(m, 0, 0.2) - 6 / 12) < 1e-12);
});

test("Watterson's a_n and Tajima's D (hand computation: 0.16765579503)", () => {
  assert.ok(Math.abs(harmonic(4) - 11 / 6) < 1e-15);
  assert.ok(Math.abs(expectedSegregatingSites(2, 4) - 11 / 3) < 1e-15);
  assert.ok(Math.abs(tajimasD(m) - 0.1676557950339481) < 1e-12);
  assert.ok(Number.isNaN(tajimasD({ ...m, nSites: 0, positions: new Float64Array(0), haplotypes: new Uint8Array(0) })));
});
