import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConvscopeError } from '../errors.js';
import { createRng } from '../random.js';
import { simulateCoalescent } from './coalescent.js';
import { expectedSegregatingSites, siteFrequencySpectrum } from './stats.js';
import { wrightFisherTrajectory } from './trajectory.js';

/** Mean and standard error of the mean. */
function meanSe(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

for (const rho of [0, 20]) {
  test(`neutral, rho = ${rho}: segregating sites match Watterson and the SFS matches theta/i (within 4 SE)`, () => {
    const n = 20;
    const theta = 10;
    const reps = 2000;
    const sites: number[] = [];
    const classes: number[][] = Array.from({ length: n }, () => []);
    for (let r = 0; r < reps; r++) {
      const sim = simulateCoalescent({ nSamples: n, theta, rho, seed: 1000 * rho + r });
      sites.push(sim.nSites);
      const sfs = siteFrequencySpectrum(sim);
      assert.equal(sfs[0], 0);
      assert.equal(sfs[n], 0);
      for (let i = 1; i < n; i++) classes[i]!.push(sfs[i]!);
    }
    const s = meanSe(sites);
    const expected = expectedSegregatingSites(theta, n);
    assert.ok(Math.abs(s.mean - expected) < 4 * s.se, `mean S ${s.mean.toFixed(2)} vs ${expected.toFixed(2)} (SE ${s.se.toFixed(3)})`);
    for (let i = 1; i < n; i++) {
      const c = meanSe(classes[i]!);
      assert.ok(Math.abs(c.mean - theta / i) < 4 * c.se, `xi_${i}: ${c.mean.toFixed(3)} vs ${(theta / i).toFixed(3)} (SE ${c.se.toFixed(3)})`);
    }
  });
}

test('recombination: TMRCA at two points 0.5 apart covary as (R + 18) / (R^2 + 13 R + 18) (n = 2)', () => {
  // Two-locus result for a sample of two (Griffiths 1981; Hudson 1983), R = 4 N r d = rho * 0.5.
  const rho = 10;
  const R = rho * 0.5;
  const reps = 10_000;
  const at = (t: { left: Float64Array; right: Float64Array; time: Float64Array }, x: number): number => {
    for (let i = 0; i < t.left.length; i++) if (t.left[i]! <= x && x < t.right[i]!) return t.time[i]!;
    throw new Error(`no TMRCA at ${x}`);
  };
  let s1 = 0;
  let s2 = 0;
  let s12 = 0;
  for (let r = 0; r < reps; r++) {
    const sim = simulateCoalescent({ nSamples: 2, theta: 0, rho, seed: r, recordTmrca: true });
    const a = at(sim.tmrca!, 0.25);
    const b = at(sim.tmrca!, 0.75);
    s1 += a;
    s2 += b;
    s12 += a * b;
  }
  const cov = s12 / reps - (s1 / reps) * (s2 / reps);
  const theory = (R + 18) / (R * R + 13 * R + 18); // 0.213
  // E[T] = 1 (SE 0.01); the covariance estimate has SE about 0.015 here
  assert.ok(Math.abs(s1 / reps - 1) < 0.04 && Math.abs(s2 / reps - 1) < 0.04, `mean TMRCA ${s1 / reps}, ${s2 / reps}`);
  assert.ok(Math.abs(cov - theory) < 0.05, `covariance ${cov.toFixed(3)} vs ${theory.toFixed(3)}`);
});

test('the same seed gives the same replicate; another seed another', () => {
  const a = simulateCoalescent({ nSamples: 30, theta: 20, rho: 15, seed: 5 });
  const b = simulateCoalescent({ nSamples: 30, theta: 20, rho: 15, seed: 5 });
  const c = simulateCoalescent({ nSamples: 30, theta: 20, rho: 15, seed: 6 });
  assert.deepEqual(a.haplotypes, b.haplotypes);
  assert.deepEqual(a.positions, b.positions);
  assert.notDeepEqual(a.positions, c.positions);
  for (let j = 1; j < a.nSites; j++) assert.ok(a.positions[j]! > a.positions[j - 1]!, 'positions strictly ascend');
});

test('structured coalescent without recombination: the carriers form a clade at every site', () => {
  const rng = createRng(3);
  for (let r = 0; r < 30; r++) {
    const traj = wrightFisherTrajectory({ popSize: 500, s: 0.05, h: 0.5, stop: { kind: 'frequency', frequency: 0.5, maxFrequency: 0.7 } }, rng);
    const sim = simulateCoalescent({ nSamples: 40, theta: 20, rho: 0, rng, selection: { trajectory: traj.frequencies, copies: 1000 } });
    const k = sim.carriers!.reduce((a, b) => a + b, 0);
    assert.ok(k > 0 && k < 40);
    assert.equal(sim.positions[sim.selectedSite], 0.5);
    for (let i = 0; i < 40; i++) assert.equal(sim.haplotypes[i * sim.nSites + sim.selectedSite], sim.carriers![i]);
    // The carriers descend from one mutant copy, so no mutation is shared by some carriers and
    // some non-carriers: either it lies inside the carriers' clade or it is older and carried
    // by all of them.
    for (let j = 0; j < sim.nSites; j++) {
      let inside = 0;
      let outside = 0;
      for (let i = 0; i < 40; i++) {
        if (sim.carriers![i] === 1) inside += sim.haplotypes[i * sim.nSites + j]!;
        else outside += sim.haplotypes[i * sim.nSites + j]!;
      }
      if (inside > 0 && outside > 0) assert.equal(inside, k, `site ${j}: ${inside} of ${k} carriers and ${outside} non-carriers`);
    }
  }
});

test('after a sweep with recombination, carriers are alike near the selected site and less so far away', () => {
  // Hitchhiking decays with distance: recombination during the sweep moves flanking pieces of
  // carrier lineages onto random backgrounds. pi among carriers, per unit of region / theta.
  const rng = createRng(8);
  const near = [0, 0];
  const far = [0, 0];
  for (let r = 0; r < 60; r++) {
    const traj = wrightFisherTrajectory({ popSize: 500, s: 0.1, h: 0.5, stop: { kind: 'frequency', frequency: 0.5 } }, rng);
    const sim = simulateCoalescent({ nSamples: 40, theta: 40, rho: 100, rng, selection: { trajectory: traj.frequencies, copies: 1000 } });
    const rows: number[] = [];
    sim.carriers!.forEach((c, i) => c === 1 && rows.push(i));
    const k = rows.length;
    for (let j = 0; j < sim.nSites; j++) {
      if (j === sim.selectedSite) continue;
      let c = 0;
      for (const i of rows) c += sim.haplotypes[i * sim.nSites + j]!;
      const d = Math.abs(sim.positions[j]! - 0.5);
      const pi = (2 * c * (k - c)) / (k * (k - 1));
      if (d < 0.05) near[0]! += pi;
      else if (d >= 0.4) far[0]! += pi;
    }
    near[1]! += 0.1 * 40;
    far[1]! += 0.2 * 40;
  }
  const piNear = near[0]! / near[1]!;
  const piFar = far[0]! / far[1]!;
  // about 0.2 near and 0.9 far with these parameters; require a clear gap
  assert.ok(piNear < 0.4 && piFar > 0.6 && piNear < 0.5 * piFar, `near ${piNear.toFixed(3)}, far ${piFar.toFixed(3)}`);
});

test('bad arguments are refused with ArgumentError', () => {
  assert.throws(() => simulateCoalescent({ nSamples: 1, theta: 1 }), ConvscopeError);
  assert.throws(() => simulateCoalescent({ nSamples: 10, theta: -1 }), ConvscopeError);
  assert.throws(() => simulateCoalescent({ nSamples: 10, theta: 1, selection: { trajectory: Float64Array.from([0.5, 1]), copies: 100 } }), ConvscopeError);
  assert.throws(() => simulateCoalescent({ nSamples: 10, theta: 1, rho: 1e9, maxEvents: 1000 }), ConvscopeError);
});
