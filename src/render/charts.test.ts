import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../errors.js';
import { assertSnapshot, svgTexts } from '../../test/snapshot.js';
import { renderBarChart, renderConfusionMatrix, renderLineChart, renderScatter } from './charts.js';
import { colormapHex } from './colormaps.js';

// 30 deterministic points in 3 classes, listed class by class (as a sampler might return them).
const n = 30;
const classes = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 10));
const x = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.7) * 2 + (classes[i] as number) * 3);
const y = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 2.3) + (classes[i] === 1 ? 2 : 0));
const indices = Int32Array.from({ length: n }, (_, i) => 1000 + i * 7);
const names = ['Neutral', 'Selection', 'Overdominance'];

test('scatter: every point keeps its data index and class; legend and axis labels; snapshot', () => {
  const svg = renderScatter({ x, y, classes, classNames: names, indices, title: 'PCA of dense_1', xLabel: 'PC1 (11.8%)', yLabel: 'PC2 (7.3%)' });
  const points = [...svg.matchAll(/<circle [^>]*data-index="(\d+)" data-class="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(points.length, n);
  assert.deepEqual(points.map((p) => p[0]).sort((a, b) => (a as number) - (b as number)), Array.from(indices));
  for (const [idx, c] of points) assert.equal(c, classes[((idx as number) - 1000) / 7], `class of index ${idx}`);
  // Interleaved drawing: classes take turns, so the last class does not cover the others.
  assert.deepEqual(points.slice(0, 6).map((p) => p[1]), [0, 1, 2, 0, 1, 2]);
  const texts = svgTexts(svg);
  for (const t of [...names, 'Class', 'PC1 (11.8%)', 'PC2 (7.3%)', 'PCA of dense_1']) assert.ok(texts.includes(t), `missing '${t}'`);
  assert.ok(svg.includes('fill="#1f77b4"') && svg.includes('fill="#ff7f0e"') && svg.includes('fill="#2ca02c"'), 'tab10 class colours');
  assertSnapshot('scatter', svg);
});

test('scatter: input order on request, default indices, non-finite points skipped', () => {
  const svg = renderScatter({ x: [0, 1, NaN], y: [0, 1, 2], classes: [1, 0, 0], classNames: ['a', 'b'], order: 'input' });
  const idx = [...svg.matchAll(/data-index="(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(idx, [0, 1]);
});

test('scatter: mismatched lengths and unknown classes are errors', () => {
  assert.throws(() => renderScatter({ x: [1, 2], y: [1], classes: [0, 0], classNames: ['a'] }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
  assert.throws(
    () => renderScatter({ x: [1], y: [1], classes: [2], classNames: ['a', 'b'] }),
    (e: unknown) => e instanceof ArgumentError && e.code === 'LABEL_MISMATCH' && /class 2/.test(e.message),
  );
});

test('line chart: two series with legend, a ± band, NaN gaps; snapshot', () => {
  const epochs = Array.from({ length: 10 }, (_, i) => i + 1);
  const loss = epochs.map((e) => 0.7 * Math.exp(-e / 4) + 0.1);
  const val = epochs.map((e, i) => (i === 4 ? NaN : 0.75 * Math.exp(-e / 5) + 0.15));
  const svg = renderLineChart({
    series: [
      { name: 'loss', x: epochs, y: loss, band: epochs.map(() => 0.02) },
      { name: 'val_loss', x: epochs, y: val, dash: '6 3' },
    ],
    title: 'Training curves',
    xLabel: 'Epoch',
    yLabel: 'Loss',
  });
  const texts = svgTexts(svg);
  for (const t of ['loss', 'val_loss', 'Epoch', 'Loss', 'Training curves']) assert.ok(texts.includes(t), `missing '${t}'`);
  assert.equal((svg.match(/class="band"/g) ?? []).length, 1);
  const valPath = /data-series="1" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  assert.equal((valPath.match(/M/g) ?? []).length, 2, 'the NaN at epoch 5 splits the line');
  assert.ok(svg.includes('stroke-dasharray="6 3"'));
  const ticks = texts.filter((t) => /^\d+$/.test(t)).map(Number);
  assert.ok(ticks.every((t) => t >= 1 && t <= 10), `integer epoch ticks within the data: ${ticks.join(',')}`);
  assertSnapshot('line-training', svg);
});

test('line chart: single series has no legend unless asked; band edges are checked', () => {
  const one = renderLineChart({ series: [{ name: 'profile', y: [1, 2, 3], band: { lower: [0, 1, 2], upper: [2, 3, 4] } }] });
  assert.ok(!one.includes('class="legend"'));
  assert.ok(renderLineChart({ series: [{ name: 'p', y: [1, 2] }], legend: true }).includes('class="legend"'));
  assert.throws(() => renderLineChart({ series: [{ name: 'p', y: [1, 2], band: [0.1] }] }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH' && /'p'/.test(e.message));
  assert.throws(() => renderLineChart({ series: [] }), ArgumentError);
  assert.throws(() => renderLineChart({ series: [{ name: 'p', y: [1, 2] }], yMin: 3, yMax: 1 }), ArgumentError);
});

test('bar chart: one bar per class with its count; snapshot', () => {
  const svg = renderBarChart({ categories: ['Neutral', 'Selection'], values: [512, 488], title: 'Class counts' });
  assert.equal((svg.match(/<rect [^>]*data-index=/g) ?? []).length, 2);
  const texts = svgTexts(svg);
  assert.ok(texts.includes('512') && texts.includes('488') && texts.includes('Count'));
  assertSnapshot('bar-counts', svg);
  assert.throws(() => renderBarChart({ categories: ['a'], values: [-1] }), (e: unknown) => e instanceof ArgumentError && /-1/.test(e.message));
  assert.throws(() => renderBarChart({ categories: ['a', 'b'], values: [1] }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
});

test('confusion matrix: counts, row percentages, True/Predicted, colours by row share; snapshots', () => {
  const svg = renderConfusionMatrix({ counts: [[430, 82], [61, 427]], classNames: ['Neutral', 'Selection'], subtitle: 'Accuracy 85.7%' });
  const texts = svgTexts(svg);
  for (const t of ['430', '82', '61', '427', '84.0%', '16.0%', '12.5%', '87.5%', 'True', 'Predicted', 'Neutral', 'Selection', 'Confusion matrix']) {
    assert.ok(texts.includes(t), `missing '${t}'`);
  }
  // Cell (0, 0) is 430 / 512 = 0.84 of its row: Blues at 0.84.
  assert.match(svg, new RegExp(`fill="${colormapHex('Blues', 430 / 512)}" data-true="0" data-predicted="0"`));
  assertSnapshot('confusion-2', svg);

  const long = renderConfusionMatrix({
    counts: [[50, 3, 1], [4, 40, 6], [0, 2, 44]],
    classNames: ['Incomplete Sweep', 'Balancing Selection', 'Negative Freq-Dep. Selection'],
    colorbar: true,
    colorBy: 'count',
  });
  assert.match(long, /transform="rotate\(-30 /, 'long class names are rotated');
  assert.ok(svgTexts(long).includes('Count'), 'colour bar label');
  assertSnapshot('confusion-3', long);

  assert.throws(() => renderConfusionMatrix({ counts: [[1, 2]], classNames: ['a', 'b'] }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
  assert.throws(() => renderConfusionMatrix({ counts: [[1, -2], [0, 1]], classNames: ['a', 'b'] }), ArgumentError);
});

test('charts are deterministic and have no random ids or dates', () => {
  const a = renderLineChart({ series: [{ name: 'p', y: [1, 2, 3] }] });
  const b = renderLineChart({ series: [{ name: 'p', y: [1, 2, 3] }] });
  assert.equal(a, b);
  const c = renderLineChart({ series: [{ name: 'p', y: [1, 2, 4] }] });
  const id = (s: string): string | undefined => /clipPath id="([^"]+)"/.exec(s)?.[1];
  assert.notEqual(id(a), id(c), 'different charts get different clip ids (safe to inline together)');
});
