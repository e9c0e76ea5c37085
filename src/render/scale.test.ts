import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTicks, formatValue, linearScale, MINUS, niceDomain, niceStep, niceTicks } from './scale.js';

test('niceStep picks 1, 2 or 5 x 10^k', () => {
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(100, 10), 10);
  assert.equal(niceStep(7, 5), 1);
  assert.equal(niceStep(0.037, 5), 0.01);
});

test('niceTicks: multiples of the step inside the range, without float dust', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-0.1, 0.7), [0, 0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(-0.1, 0.7, 8), [-0.1, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  assert.deepEqual(niceTicks(0, 127, 5), [0, 20, 40, 60, 80, 100, 120]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  assert.deepEqual(niceTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3]);
  for (const t of niceTicks(0, 0.0003, 6)) assert.equal(t, Number(t.toPrecision(6)), `tick ${t} has float dust`);
});

test('niceDomain extends to ticks and widens empty ranges', () => {
  // Snapping [-4.3, 11.5] to step 2 gives [-6, 12], whose span asks for step 5 (as d3's nice()).
  assert.deepEqual(niceDomain(-4.3, 11.5), [-10, 15]);
  assert.deepEqual(niceDomain(0.12, 0.78), [0.1, 0.8]);
  assert.deepEqual(niceDomain(2, 2), [1.8, 2.2]);
  assert.deepEqual(niceDomain(0, 0), [-1, 1]);
});

test('formatTicks: shared decimals, typographic minus, exponents for extremes', () => {
  assert.deepEqual(formatTicks([0, 0.5, 1]), ['0.0', '0.5', '1.0']);
  assert.deepEqual(formatTicks([-10, 0, 10]), [`${MINUS}10`, '0', '10']);
  assert.deepEqual(formatTicks([0, 0.25]), ['0.00', '0.25']);
  assert.deepEqual(formatTicks([0, 2e-5, 4e-5]), ['0', '2e-5'.replace('-', MINUS), '4e-5'.replace('-', MINUS)]);
  assert.deepEqual(formatTicks([2e6, 4e6]), ['2e6', '4e6']);
  assert.deepEqual(formatTicks([]), []);
});

test('formatValue: integers as is, otherwise about 3 significant digits', () => {
  assert.equal(formatValue(430), '430');
  assert.equal(formatValue(0.12345), '0.123');
  assert.equal(formatValue(12.5), '12.5');
  assert.equal(formatValue(-3.5), `${MINUS}3.5`);
});

test('linearScale maps ends to ends, a zero domain to the middle', () => {
  const s = linearScale([0, 10], [100, 0]);
  assert.equal(s(0), 100);
  assert.equal(s(10), 0);
  assert.equal(s(2.5), 75);
  assert.equal(linearScale([1, 1], [0, 50])(1), 25);
});
