import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random.js';
import { binomial, exponential, hypergeometric, logFactorial, poisson } from './distributions.js';

/** Mean and variance of `n` draws. */
function moments(n: number, draw: () => number): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

// Tolerance for a sample mean: 4 standard errors. For the variance we allow 10 % (n >= 20000
// draws keep its standard error near 1-2 % for these distributions).
function assertMoments(got: { mean: number; variance: number }, mean: number, variance: number, n: number, label: string): void {
  const se = Math.sqrt(variance / n);
  assert.ok(Math.abs(got.mean - mean) < 4 * se + 1e-12, `${label}: mean ${got.mean} vs ${mean} (4 SE = ${4 * se})`);
  assert.ok(Math.abs(got.variance - variance) <= 0.1 * variance + 1e-12, `${label}: variance ${got.variance} vs ${variance}`);
}

test('logFactorial is exact for small k and matches the Stirling series within 1e-12 relative', () => {
  assert.equal(logFactorial(0), 0);
  assert.equal(logFactorial(1), 0);
  assert.ok(Math.abs(logFactorial(5) - Math.log(120)) < 1e-12);
  let exact = 0;
  for (let k = 1; k <= 200; k++) {
    exact += Math.log(k);
    assert.ok(Math.abs(logFactorial(k) - exact) <= 1e-12 * Math.max(1, exact), `k = ${k}`);
  }
});

test('exponential, Poisson, binomial and hypergeometric draws have the right mean and variance', () => {
  const rng = createRng(1);
  const n = 40_000;
  assertMoments(moments(n, () => exponential(rng, 2.5)), 0.4, 0.16, n, 'exponential(2.5)');
  for (const mean of [0.3, 4, 29.5, 30, 250]) assertMoments(moments(n, () => poisson(rng, mean)), mean, mean, n, `poisson(${mean})`);
  // inversion (np < 10), BTRS (np >= 10), and p > 1/2 by symmetry
  for (const [trials, p] of [[20, 0.1], [2000, 0.002], [2000, 0.3], [50, 0.5], [2000, 0.97]] as const) {
    assertMoments(moments(n, () => binomial(rng, trials, p)), trials * p, trials * p * (1 - p), n, `binomial(${trials}, ${p})`);
  }
  const [total, good, draws] = [2000, 900, 128];
  const hMean = (draws * good) / total;
  const hVar = ((draws * good * (total - good)) / (total * total)) * ((total - draws) / (total - 1));
  assertMoments(moments(n, () => hypergeometric(rng, total, good, draws)), hMean, hVar, n, 'hypergeometric');
});

test('binomial stays in 0..n and handles the edge probabilities', () => {
  const rng = createRng(2);
  assert.equal(binomial(rng, 10, 0), 0);
  assert.equal(binomial(rng, 10, 1), 10);
  assert.equal(binomial(rng, 0, 0.5), 0);
  for (let i = 0; i < 5000; i++) {
    const k = binomial(rng, 37, 0.73);
    assert.ok(Number.isInteger(k) && k >= 0 && k <= 37);
  }
  assert.throws(() => binomial(rng, 10, 1.5), RangeError);
  assert.throws(() => poisson(rng, -1), RangeError);
});

test('the same seed gives the same draws', () => {
  const a = createRng(9);
  const b = createRng(9);
  const da = Array.from({ length: 50 }, () => [binomial(a, 2000, 0.4), poisson(a, 42), exponential(a, 1)]);
  const db = Array.from({ length: 50 }, () => [binomial(b, 2000, 0.4), poisson(b, 42), exponential(b, 1)]);
  assert.deepEqual(da, db);
});
