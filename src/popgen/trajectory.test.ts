import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConvscopeError } from '../errors.js';
import { createRng } from '../random.js';
import { wrightFisherTrajectory } from './trajectory.js';

test('frequency stop: the sample is taken when the frequency first reaches the target', () => {
  const rng = createRng(1);
  for (let r = 0; r < 50; r++) {
    const t = wrightFisherTrajectory({ popSize: 500, s: 0.05, h: 0.5, stop: { kind: 'frequency', frequency: 0.45, maxFrequency: 0.6 } }, rng);
    const f = t.frequencies;
    assert.equal(f[0], t.finalFrequency);
    assert.ok(t.finalFrequency >= 0.45 && t.finalFrequency < 0.6);
    for (let g = 1; g < f.length; g++) assert.ok(f[g]! > 0 && f[g]! < 0.45, `generation ${g} back: ${f[g]}`);
  }
});

test('age stop: exactly that many generations, final frequency inside the window', () => {
  const rng = createRng(2);
  for (let r = 0; r < 20; r++) {
    const t = wrightFisherTrajectory({ popSize: 200, s: 0.05 / 20, h: 20, stop: { kind: 'age', generations: 800, minFrequency: 0.4, maxFrequency: 0.6 } }, rng);
    assert.equal(t.frequencies.length, 800);
    assert.ok(t.finalFrequency > 0.4 && t.finalFrequency < 0.6);
    assert.ok(t.frequencies.every((x) => x > 0 && x < 1));
  }
});

test('neutral restarts obey the martingale: mean attempts = E[copies at the stop]', () => {
  // Without selection the count is a martingale started at 1, so P(reach c before loss) times
  // E[count when reaching] = 1: attempts are geometric with mean E[count at the stop].
  const rng = createRng(3);
  const runs = 400;
  let attempts = 0;
  let attempts2 = 0;
  let copiesAtStop = 0;
  for (let r = 0; r < runs; r++) {
    const t = wrightFisherTrajectory({ popSize: 50, s: 0, h: 0.5, stop: { kind: 'frequency', frequency: 0.2 } }, rng);
    attempts += t.attempts;
    attempts2 += t.attempts ** 2;
    copiesAtStop += t.finalFrequency * 100;
  }
  const mean = attempts / runs;
  const se = Math.sqrt((attempts2 / runs - mean * mean) / runs);
  const expected = copiesAtStop / runs;
  assert.ok(Math.abs(mean - expected) < 4 * se, `attempts ${mean.toFixed(2)} vs ${expected.toFixed(2)} (SE ${se.toFixed(2)})`);
});

test('strong additive selection: establishment probability near Kimura (1 - e^-s) for 2N s = 200', () => {
  const rng = createRng(4);
  const runs = 300;
  let attempts = 0;
  let attempts2 = 0;
  for (let r = 0; r < runs; r++) {
    const t = wrightFisherTrajectory({ popSize: 1000, s: 0.1, h: 0.5, stop: { kind: 'frequency', frequency: 0.5 } }, rng);
    attempts += t.attempts;
    attempts2 += t.attempts ** 2;
  }
  const mean = attempts / runs;
  const se = Math.sqrt((attempts2 / runs - mean * mean) / runs);
  const expected = 1 / (1 - Math.exp(-0.1)); // 10.5: each copy has advantage s/2 (genic)
  assert.ok(Math.abs(mean - expected) < 4 * se, `attempts ${mean.toFixed(2)} vs ${expected.toFixed(2)} (SE ${se.toFixed(2)})`);
});

test('impossible conditioning ends with a LimitError; bad parameters with ArgumentError', () => {
  const rng = createRng(5);
  assert.throws(
    () => wrightFisherTrajectory({ popSize: 20, s: 0, h: 0.5, stop: { kind: 'age', generations: 5, minFrequency: 0.9, maxFrequency: 0.95 }, maxAttempts: 50 }, rng),
    (e: unknown) => e instanceof ConvscopeError && e.code === 'LIMIT_EXCEEDED',
  );
  assert.throws(() => wrightFisherTrajectory({ popSize: 20, s: -2, h: 0.5, stop: { kind: 'frequency', frequency: 0.5 } }, rng), ConvscopeError);
  assert.throws(() => wrightFisherTrajectory({ popSize: 20, s: 0.1, h: 0.5, stop: { kind: 'frequency', frequency: 1 } }, rng), ConvscopeError);
});
