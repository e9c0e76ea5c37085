import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, shuffled } from './random.js';

test('the same seed gives the same sequence; different seeds differ', () => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const sa = Array.from({ length: 8 }, () => a.uint32());
  const sb = Array.from({ length: 8 }, () => b.uint32());
  const sc = Array.from({ length: 8 }, () => c.uint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('a fixed seed yields a fixed, documented sequence (cross-machine reproducibility)', () => {
  // These values pin the generator: if they change, every seeded result in convscope changes.
  const r = createRng(0);
  const first = Array.from({ length: 4 }, () => r.uint32());
  assert.deepEqual(first, [3809008728, 1133695204, 53579671, 2891528803]);
});

test('next() is uniform in [0, 1): mean and variance within 4 standard errors', () => {
  const r = createRng(7);
  const n = 100_000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  const variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n));
  assert.ok(Math.abs(variance - 1 / 12) < 0.002);
});

test('int(n) covers 0..n-1 evenly and normal() has mean 0, variance 1', () => {
  const r = createRng(3);
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < 50_000; i++) counts[r.int(5)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < 50_000; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / 50_000) < 0.03);
  assert.ok(Math.abs(s2 / 50_000 - 1) < 0.03);
  assert.throws(() => r.int(0), RangeError);
});

test('shuffled is a seeded permutation', () => {
  const items = Array.from({ length: 20 }, (_, i) => i);
  const a = shuffled(items, createRng(5));
  assert.deepEqual([...a].sort((x, y) => x - y), items);
  assert.deepEqual(shuffled(items, createRng(5)), a);
});
