import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../errors.js';
import {
  categoryColor,
  colorize,
  colormapBytes,
  colormapColor,
  colormapHex,
  colormapTable,
  COLORMAP_NAMES,
  LUT_SIZE,
  luminance,
  TABLEAU10,
} from './colormaps.js';

// Reference values are matplotlib's own (matplotlib 3.x: cmap(t) with its 256-entry LUT).
// Tolerance: 1e-4 for maps built from segment data (same formula), 0.5/255 + 1e-9 for viridis
// (our table is matplotlib's float table rounded to 8 bits).
const close = (actual: readonly number[], expected: readonly number[], tol: number, what: string): void => {
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `${what}[${i}] = ${v}, expected ${expected[i]} ± ${tol}`));
};

test('hot: black (0.0416, 0, 0) at 0, white at 1, pure red around 0.37', () => {
  close(colormapColor('hot', 0), [0.0416, 0, 0], 1e-9, 'hot(0)');
  assert.ok(Math.max(...colormapColor('hot', 0)) < 0.05, 'hot(0) is black to the eye');
  close(colormapColor('hot', 1), [1, 1, 1], 1e-9, 'hot(1)');
  // Entry 94 (x = 94/255 = 0.3686 > 0.365079): red saturated, green just starting.
  close(colormapColor('hot', 94 / 256), [1, 0.0093, 0], 1e-4, 'hot(94/256)');
});

test('jet: dark blue at 0, (0.49, 1, 0.48) at 0.5, dark red at 1', () => {
  close(colormapColor('jet', 0), [0, 0, 0.5], 1e-9, 'jet(0)');
  close(colormapColor('jet', 0.5), [0.4902, 1, 0.4775], 1e-4, 'jet(0.5)');
  close(colormapColor('jet', 1), [0.5, 0, 0], 1e-9, 'jet(1)');
});

test('viridis: matplotlib endpoints and midpoint within 0.5/255', () => {
  const tol = 0.5 / 255 + 1e-9;
  close(colormapColor('viridis', 0), [0.267004, 0.004874, 0.329415], tol, 'viridis(0)');
  close(colormapColor('viridis', 0.5), [0.127568, 0.566949, 0.550556], tol, 'viridis(0.5)');
  close(colormapColor('viridis', 1), [0.993248, 0.906157, 0.143936], tol, 'viridis(1)');
});

test('gray is linear; RdBu_r runs blue -> near-white -> red', () => {
  close(colormapColor('gray', 0), [0, 0, 0], 0, 'gray(0)');
  close(colormapColor('gray', 1), [1, 1, 1], 0, 'gray(1)');
  close(colormapColor('gray', 0.5), [128 / 255, 128 / 255, 128 / 255], 1e-12, 'gray(0.5)');
  assert.equal(colormapHex('RdBu_r', 0), '#053061');
  assert.equal(colormapHex('RdBu_r', 1), '#67001f');
  close(colormapColor('RdBu_r', 0.5), [0.9691, 0.9665, 0.9649], 1e-3, 'RdBu_r(0.5)');
  assert.equal(colormapHex('Blues', 0), '#f7fbff');
  assert.equal(colormapHex('Blues', 1), '#08306b');
});

test('every table has LUT_SIZE entries in [0, 1], bytes are rounded floats', () => {
  for (const name of COLORMAP_NAMES) {
    const f = colormapTable(name);
    const b = colormapBytes(name);
    assert.equal(f.length, LUT_SIZE * 3, name);
    for (let i = 0; i < f.length; i++) {
      assert.ok((f[i] as number) >= 0 && (f[i] as number) <= 1, `${name}[${i}]`);
      assert.equal(b[i], Math.round((f[i] as number) * 255), `${name} byte ${i}`);
    }
  }
});

test('colorize: matplotlib indexing, clamping, NaN transparent, min = max gives the first colour', () => {
  const rgba = colorize(new Float32Array([0, 0.5, 1, 2, -1, NaN]), { min: 0, max: 1, colormap: 'gray' });
  assert.deepEqual(Array.from(rgba.slice(0, 4)), [0, 0, 0, 255]);
  assert.deepEqual(Array.from(rgba.slice(4, 8)), [128, 128, 128, 255]); // floor(0.5 * 256) = 128
  assert.deepEqual(Array.from(rgba.slice(8, 12)), [255, 255, 255, 255]);
  assert.deepEqual(Array.from(rgba.slice(12, 16)), [255, 255, 255, 255], 'above max clamps');
  assert.deepEqual(Array.from(rgba.slice(16, 20)), [0, 0, 0, 255], 'below min clamps');
  assert.deepEqual(Array.from(rgba.slice(20, 24)), [0, 0, 0, 0], 'NaN is transparent');
  const flat = colorize([3, 3], { colormap: 'hot' });
  assert.deepEqual(Array.from(flat.slice(0, 4)), [11, 0, 0, 255]);
  // Default range is the data range.
  const auto = colorize([10, 20], { colormap: 'gray' });
  assert.deepEqual([auto[0], auto[4]], [0, 255]);
});

test('colorize rejects unknown maps and inverted ranges with ArgumentError', () => {
  assert.throws(
    () => colorize([1], { colormap: 'plasma' as never }),
    (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT' && /plasma/.test(e.message) && /viridis/.test(e.message),
  );
  assert.throws(() => colorize([1], { min: 2, max: 1 }), (e: unknown) => e instanceof ArgumentError && /min 2, max 1/.test(e.message));
});

test('categorical colours are matplotlib tab10 and cycle', () => {
  assert.equal(TABLEAU10.length, 10);
  assert.equal(categoryColor(0), '#1f77b4');
  assert.equal(categoryColor(1), '#ff7f0e');
  assert.equal(categoryColor(10), '#1f77b4');
  assert.ok(luminance('#ffffff') > 0.99 && luminance('#000000') < 0.01);
});
