import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random.js';
import { simulateCoalescent, type CoalescentResult } from './coalescent.js';
import { demoImages, demoMsGroups, simulateDemo } from './demo.js';
import { readMs } from './ms.js';
import { writeMs } from './ms-write.js';
import { nucleotideDiversity } from './stats.js';
import { wrightFisherTrajectory } from './trajectory.js';

const N = 500; // diploids in the signature checks (2N = 1000 copies)
const n = 40;
const theta = 40;
const rho = 20;
const reps = 120;

/** pi/theta per unit of region in [0.5 - w, 0.5 + w), the selected site itself left out. */
function centralDiversity(sim: CoalescentResult, w: number): number {
  let pi = nucleotideDiversity(sim, 0.5 - w, 0.5 + w);
  if (sim.selectedSite >= 0) {
    const k = sim.carriers!.reduce((a, b) => a + b, 0);
    pi -= (2 * k * (n - k)) / (n * (n - 1));
  }
  return pi / (2 * w) / theta;
}

/** pi/theta among carriers of the selected allele in [0.45, 0.55). */
function carrierDiversity(sim: CoalescentResult): number {
  const rows: number[] = [];
  sim.carriers!.forEach((c, i) => c === 1 && rows.push(i));
  const k = rows.length;
  let pi = 0;
  for (let j = 0; j < sim.nSites; j++) {
    const p = sim.positions[j]!;
    if (p < 0.45 || p >= 0.55 || j === sim.selectedSite) continue;
    let c = 0;
    for (const i of rows) c += sim.haplotypes[i * sim.nSites + j]!;
    pi += (2 * c * (k - c)) / (k * (k - 1));
  }
  return pi / 0.1 / theta;
}

function stats(values: number[]): { mean: number; se: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, se: Math.sqrt(v / values.length) };
}

function run(model: 'neutral' | 'sweep' | 'overdominance', ...measures: ((sim: CoalescentResult) => number)[]): { mean: number; se: number }[] {
  const values: number[][] = measures.map(() => []);
  for (let r = 0; r < reps; r++) {
    const rng = createRng(500 + r);
    let trajectory: Float64Array | undefined;
    if (model === 'sweep') {
      // 2Ns = 400, sampled when the allele first reaches 0.5
      trajectory = wrightFisherTrajectory({ popSize: N, s: 0.4, h: 0.5, stop: { kind: 'frequency', frequency: 0.5, maxFrequency: 0.6 } }, rng).frequencies;
    } else if (model === 'overdominance') {
      // 2Nhs = 100 (BaSe's h = 20), allele 4N generations old, frequency in (0.4, 0.6)
      trajectory = wrightFisherTrajectory({ popSize: N, s: 0.1 / 20, h: 20, stop: { kind: 'age', generations: 4 * N * 2, minFrequency: 0.4, maxFrequency: 0.6 } }, rng).frequencies;
    }
    const sim = simulateCoalescent({ nSamples: n, theta, rho, rng, ...(trajectory !== undefined ? { selection: { trajectory, copies: 2 * N } } : {}) });
    measures.forEach((m, i) => values[i]!.push(m(sim)));
  }
  return values.map(stats);
}

test('after a partial sweep, diversity near the selected site is lower than neutral', () => {
  const [neutral] = run('neutral', (s) => centralDiversity(s, 0.05)) as [{ mean: number; se: number }];
  const [sweep, carriers] = run('sweep', (s) => centralDiversity(s, 0.05), carrierDiversity) as [{ mean: number; se: number }, { mean: number; se: number }];
  // neutral: pi/theta = 1 (within 4 SE)
  assert.ok(Math.abs(neutral.mean - 1) < 4 * neutral.se, `neutral ${neutral.mean.toFixed(3)} +- ${neutral.se.toFixed(3)}`);
  // A sweep to 1/2: carrier pairs (1/4 of pairs) have coalesced during the sweep, so pi drops by
  // about a quarter; measured 0.73 here. Require < 0.85 and a gap of 4 combined SE.
  assert.ok(sweep.mean < 0.85 * neutral.mean, `sweep ${sweep.mean.toFixed(3)} vs neutral ${neutral.mean.toFixed(3)}`);
  assert.ok(neutral.mean - sweep.mean > 4 * Math.hypot(neutral.se, sweep.se));
  // among carriers the region is nearly identical by descent
  assert.ok(carriers.mean < 0.2, `carrier pi/theta ${carriers.mean.toFixed(3)}`);
});

test('under long-standing overdominance, diversity near the selected site is higher than neutral', () => {
  const [neutral] = run('neutral', (s) => centralDiversity(s, 0.01)) as [{ mean: number; se: number }];
  const [od] = run('overdominance', (s) => centralDiversity(s, 0.01)) as [{ mean: number; se: number }];
  // The two allelic classes have been apart for about 4 units of 2N generations: between-class
  // pairs (half of all pairs) differ by about 4 + 1 theta per unit; measured 2.6 here.
  assert.ok(od.mean > 1.5 * neutral.mean, `overdominance ${od.mean.toFixed(3)} vs neutral ${neutral.mean.toFixed(3)}`);
  assert.ok(od.mean - neutral.mean > 4 * Math.hypot(neutral.se, od.se));
});

test('simulateDemo: two labelled classes, reproducible, distinct replicates, BaSe-style images', () => {
  const demo = simulateDemo({ nPerClass: 6, seed: 7, sampleSize: 32, theta: 20, rho: 10 });
  assert.equal(demo.replicates.length, 12);
  assert.deepEqual(Array.from(demo.labels), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(demo.classNames, ['Neutral', 'Selection']);
  for (const r of demo.replicates) {
    assert.equal(r.nSamples, 32);
    if (r.label === 0) {
      assert.equal(r.model, 'neutral');
      assert.equal(r.regionLength, 100_000);
      assert.equal(r.selectedSite, -1);
    } else {
      assert.ok(r.model === 'sweep' || r.model === 'overdominance');
      assert.equal(r.positions[r.selectedSite], 0.5);
      assert.ok(r.selectionParams!.frequency > 0.4 && r.selectionParams!.frequency < 0.6);
    }
  }
  const keys = new Set(demo.replicates.map((r) => Array.from(r.positions.subarray(0, 5)).join()));
  assert.equal(keys.size, 12, 'every replicate is a different draw');
  // same seed, same data; replicate i does not depend on nPerClass
  const again = simulateDemo({ nPerClass: 3, seed: 7, sampleSize: 32, theta: 20, rho: 10 });
  assert.deepEqual(again.replicates[1]!.haplotypes, demo.replicates[1]!.haplotypes);
  assert.deepEqual(again.replicates[4]!.haplotypes, demo.replicates[7]!.haplotypes);
  const images = demoImages(demo, { rows: 32, cols: 48 });
  assert.deepEqual(images.shape, [12, 32, 48, 1]);
  assert.ok(images.x.every((v) => v >= 0 && v <= 1));
  let progress = 0;
  simulateDemo({ nPerClass: 2, sampleSize: 16, theta: 5, rho: 5, onProgress: (done) => (progress = done) });
  assert.equal(progress, 4);
});

test('the demo written as ms files reads back with its region lengths', () => {
  const demo = simulateDemo({ nPerClass: 4, seed: 2, sampleSize: 20, theta: 15, rho: 10 });
  let total = 0;
  for (const group of demoMsGroups(demo)) {
    const file = readMs(writeMs(group.replicates, group.write), { fileName: `${group.token}.ms` });
    assert.equal(file.nReplicates, group.replicates.length);
    assert.equal(file.regionLength, group.model === 'neutral' ? 100_000 : 50_000);
    file.replicates.forEach((r, i) => assert.deepEqual(r.haplotypes, group.replicates[i]!.haplotypes));
    total += file.replicates.length;
  }
  assert.equal(total, 8);
});
