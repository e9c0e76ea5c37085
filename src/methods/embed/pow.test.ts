import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastPow } from './pow.js';
import { createRng } from '../../random.js';

test('fastPow agrees with Math.pow to 1e-12 relative over float64', () => {
  const rng = createRng(1);
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    const x = Math.pow(10, rng.next() * 600 - 300) * (1 + rng.next());
    // UMAP's exponents (b and b - 1 for min_dist 0.1) and arbitrary ones.
    const y = i % 3 === 0 ? 0.8950608779109733 : i % 3 === 1 ? -0.10493912208902669 : (rng.next() - 0.5) * 4;
    const want = Math.pow(x, y);
    if (want === 0 || !Number.isFinite(want)) continue;
    worst = Math.max(worst, Math.abs(fastPow(x, y) - want) / want);
  }
  assert.ok(worst <= 1e-12, `worst relative error ${worst}`);
});

test('fastPow falls back to Math.pow outside positive normal numbers', () => {
  for (const x of [0, -0, -2, Infinity, -Infinity, NaN, 1e-310, 5e-324]) {
    for (const y of [0.5, 2, -1.5]) assert.ok(Object.is(fastPow(x, y), Math.pow(x, y)), `${x} ^ ${y}`);
  }
  // Results past the float64 range overflow / underflow as Math.pow does.
  assert.equal(fastPow(1e300, 2), Infinity);
  assert.equal(fastPow(1e-300, 2), Math.pow(1e-300, 2));
  assert.ok(Math.abs(fastPow(2, 10) - 1024) <= 1e-12 * 1024);
  assert.ok(Math.abs(fastPow(1, 0.3) - 1) <= 1e-12);
});

test('fastPow stays within 1e-12 for large exponents', () => {
  const rng = createRng(2);
  for (let i = 0; i < 20_000; i++) {
    const x = 0.5 + rng.next() * 4;
    const y = (rng.next() - 0.5) * 200;
    const want = Math.pow(x, y);
    assert.ok(Math.abs(fastPow(x, y) - want) <= 1e-12 * want, `${x} ^ ${y}`);
  }
});
