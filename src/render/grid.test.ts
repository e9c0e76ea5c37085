import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../errors.js';
import { assertSnapshot, svgRasters, svgTexts } from '../../test/snapshot.js';
import { renderImageGrid } from './grid.js';

// Eight deterministic 3x3 "kernels" with signed weights.
const kernels = Array.from({ length: 8 }, (_, k) => ({
  values: Float32Array.from({ length: 9 }, (_, i) => Math.sin((k + 1) * (i + 1)) * (k + 1) * 0.1),
  height: 3,
  width: 3,
}));

test('kernel grid: numbered 1-based panels, 8 columns, per-panel caption; snapshot', () => {
  const svg = renderImageGrid({ panels: kernels, colormap: 'RdBu_r', title: 'Conv layer 1 (conv2d_1): 8 kernels 3x3' });
  const texts = svgTexts(svg);
  for (let k = 1; k <= 8; k++) assert.ok(texts.includes(String(k)), `panel label ${k}`);
  assert.ok(!texts.includes('0'), 'labels start at 1, as the original');
  assert.ok(texts.some((t) => /scaled on its own/.test(t)), 'caption names the per-panel scale');
  assert.equal((svg.match(/class="panel"/g) ?? []).length, 8);
  assertSnapshot('grid-kernels', svg);
});

test('rows wrap at `columns`; custom labels replace numbers', () => {
  const panels = Array.from({ length: 10 }, (_, i) => ({ values: [i, i + 1], height: 1, width: 2, label: `ch ${i}` }));
  const svg = renderImageGrid({ panels, columns: 4 });
  const ys = [...svg.matchAll(/<image x="[^"]+" y="([^"]+)"/g)].map((m) => Number(m[1]));
  assert.equal(new Set(ys).size, 3, '10 panels in 4 columns make 3 rows');
  assert.ok(svgTexts(svg).includes('ch 9'));
});

test('per-panel scale stretches each panel; shared scale keeps relative strength', () => {
  const panels = [
    { values: [0, 1], height: 1, width: 2 },
    { values: [0, 10], height: 1, width: 2 },
  ];
  const own = svgRasters(renderImageGrid({ panels, colormap: 'gray' }));
  const right = (r: (typeof own)[number]): number[] => r.pixel(r.png.width - 1, 0);
  assert.deepEqual(right(own[0] as (typeof own)[number]), [255, 255, 255, 255]);
  assert.deepEqual(right(own[1] as (typeof own)[number]), [255, 255, 255, 255]);
  const svg = renderImageGrid({ panels, colormap: 'gray', scale: 'shared', colorbar: { label: 'Weight' } });
  const shared = svgRasters(svg);
  assert.deepEqual(right(shared[0] as (typeof shared)[number]), [25, 25, 25, 255], 'value 1 of 0..10: floor(0.1 * 256) = 25');
  assert.deepEqual(right(shared[1] as (typeof shared)[number]), [255, 255, 255, 255]);
  const texts = svgTexts(svg);
  assert.ok(texts.includes('Colour scale shared by all panels: 0 to 10.'), texts.join(' | '));
  assert.ok(texts.includes('Weight'));
  assert.equal(shared.length, 3, 'two panels + colour bar');
  assertSnapshot('grid-shared-colorbar', svg);
});

test('bad options throw ArgumentError', () => {
  assert.throws(() => renderImageGrid({ panels: kernels, colorbar: { label: 'x' } }), (e: unknown) => e instanceof ArgumentError && /shared scale/.test(e.message));
  assert.throws(() => renderImageGrid({ panels: [] }), (e: unknown) => e instanceof ArgumentError && /no panels/.test(e.message));
  assert.throws(() => renderImageGrid({ panels: kernels, columns: 0 }), (e: unknown) => e instanceof ArgumentError && /columns/.test(e.message));
  assert.throws(
    () => renderImageGrid({ panels: [...kernels, { values: [1, 2, 3], height: 2, width: 2 }] }),
    (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH' && /panel 9/.test(e.message),
  );
  assert.throws(() => renderImageGrid({ panels: kernels, scale: 'shared', min: 1, max: 0 }), (e: unknown) => e instanceof ArgumentError && /min/.test(e.message));
});
