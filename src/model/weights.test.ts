import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipAxes, permute, WeightStore } from './weights.js';
import { ramp, w } from '../../test/keras-builders.js';

test('permute moves axes (out[i, j, k] = in[perm...])', () => {
  const t = ramp([2, 3, 4]);
  const p = permute(t, [2, 0, 1]);
  assert.deepEqual(p.shape, [4, 2, 3]);
  for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) assert.equal(p.data[(c * 2 + a) * 3 + b], t.data[(a * 3 + b) * 4 + c]);
});

test('flipAxes reverses only the given axes', () => {
  const t = ramp([2, 3]);
  assert.deepEqual(Array.from(flipAxes(t, [1]).data), [2, 1, 0, 5, 4, 3]);
  assert.deepEqual(Array.from(flipAxes(t, [0, 1]).data), [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(Array.from(flipAxes(t, []).data), [0, 1, 2, 3, 4, 5]);
});

test('WeightStore: direct key, nested group by name segment, inner name; unclaimed keys', () => {
  const store = new WeightStore(
    new Map([
      ['a', [w('a/kernel:0', [1])]],
      ['outer', [w('outer/x/kernel:0', [1]), w('y/kernel:0', [2])]],
      ['z', [w('z_W', [3])]],
      ['unused', [w('u', [1])]],
      ['empty', []],
    ]),
  );
  assert.equal(store.lookup(['a']).found?.[0]?.name, 'a/kernel:0');
  assert.deepEqual(store.lookup(['outer', 'x']).found?.map((x) => x.name), ['outer/x/kernel:0']);
  assert.deepEqual(store.lookup(['outer', 'y']).found?.map((x) => x.name), ['y/kernel:0']);
  assert.deepEqual(store.lookup(['branch', 'z']).found?.map((x) => x.name), ['z_W']);
  const miss = store.lookup(['outer', 'q']);
  assert.equal(miss.found, null);
  assert.deepEqual(miss.looked, ['outer/q', "outer (names containing 'q/')", 'q']);
  assert.deepEqual(store.unclaimed(), ['unused']);
});
