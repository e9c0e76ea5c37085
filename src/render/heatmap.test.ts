import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../errors.js';
import { assertSnapshot, svgRasters, svgTexts } from '../../test/snapshot.js';
import { renderHeatmap } from './heatmap.js';
import { FONT_FAMILY } from './svg.js';

// Deterministic inputs: a 32x32 "haplotype" pattern and a 4x4 occlusion map with a hot spot.
const base = Float32Array.from({ length: 32 * 32 }, (_, i) => ((i % 32) * 7 + Math.floor(i / 32) * 3) % 5 < 2 ? 1 : 0);
const occ = Float32Array.from({ length: 16 }, (_, i) => (i === 5 ? 0.8 : i === 6 ? 0.4 : i === 15 ? -0.2 : 0));

test('heatmap over an image: title lines, colour bar, axes; snapshot', () => {
  const svg = renderHeatmap({
    values: occ,
    height: 4,
    width: 4,
    title: 'Occlusion heat map\nTrue: Neutral, Predicted: Selection',
    subtitle: 'Drop in p(Selection)',
    colormap: 'jet',
    colorbar: { label: 'Δ p(Selection)' },
    overlayOn: { values: base, height: 32, width: 32 },
    axes: { xLabel: 'SNP (column)', yLabel: 'Haplotype (row)' },
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" xmlns:xlink="http:\/\/www.w3.org\/1999\/xlink" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
  assert.ok(svg.includes(`font-family="${FONT_FAMILY}"`));
  const texts = svgTexts(svg);
  for (const t of ['Occlusion heat map', 'True: Neutral, Predicted: Selection', 'Drop in p(Selection)', 'Δ p(Selection)', 'SNP (column)', 'Haplotype (row)']) {
    assert.ok(texts.includes(t), `missing text '${t}'`);
  }
  assert.ok(texts.includes('0.8') && texts.includes('\u22120.2'), `colour bar ticks: ${texts.join(' | ')}`);
  assert.equal(svgRasters(svg).length, 2, 'map + colour bar');
  assert.equal(renderHeatmap({ values: occ, height: 4, width: 4, overlayOn: { values: base, height: 32, width: 32 } }), renderHeatmap({ values: occ, height: 4, width: 4, overlayOn: { values: base, height: 32, width: 32 } }), 'deterministic');
  assertSnapshot('heatmap-overlay', svg);
});

test('heatmap pixels: gray map is exact, overlay blends with alpha over nearest-resampled blocks', () => {
  const svg = renderHeatmap({ values: [0, 1, 2, 3], height: 2, width: 2, colormap: 'gray', size: 100 });
  const [map] = svgRasters(svg);
  assert.ok(map !== undefined);
  assert.equal(map.width, 100);
  const k = map.png.width / 2; // pre-upscale factor
  assert.deepEqual(map.pixel(0, 0), [0, 0, 0, 255]);
  assert.deepEqual(map.pixel(2 * k - 1, 2 * k - 1), [255, 255, 255, 255]);
  assert.deepEqual(map.pixel(2 * k - 1, 0), [85, 85, 85, 255], 'value 1 of 0..3: floor(256/3) = 85');

  // 2x2 heat (jet) over a 4x4 black image with alpha 0.5: each heat cell covers a 2x2 block.
  const over = renderHeatmap({
    values: [0, 1, 1, 0],
    height: 2,
    width: 2,
    colormap: 'jet',
    overlayOn: { values: new Float32Array(16), height: 4, width: 4, alpha: 0.5 },
  });
  const [img] = svgRasters(over);
  assert.ok(img !== undefined);
  const f = img.png.width / 4;
  // jet(0) = (0, 0, 0.5) -> byte 128; half of it over black = 64. jet(1) = (0.5, 0, 0) -> 64 red.
  assert.deepEqual(img.pixel(0, 0), [0, 0, 64, 255]);
  assert.deepEqual(img.pixel(2 * f, 0), [64, 0, 0, 255]);
  assert.deepEqual(img.pixel(2 * f - 1, 0), [0, 0, 64, 255], 'nearest keeps the block edge sharp');
});

test('RdBu_r defaults to a range symmetric about zero', () => {
  const svg = renderHeatmap({ values: [-0.2, 0.5], height: 1, width: 2, colormap: 'RdBu_r', colorbar: {} });
  const texts = svgTexts(svg);
  assert.ok(texts.includes('\u22120.4') && texts.includes('0.4'), texts.join(' | '));
  const explicit = svgTexts(renderHeatmap({ values: [-0.2, 0.5], height: 1, width: 2, colormap: 'RdBu_r', min: 0, max: 1, colorbar: {} }));
  assert.ok(!explicit.some((t) => t.startsWith('\u2212')), 'explicit min/max wins');
});

test('bad inputs throw ArgumentError naming the problem', () => {
  assert.throws(() => renderHeatmap({ values: new Float32Array(5), height: 2, width: 2 }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH' && /2 x 2 needs 4 values, got 5/.test(e.message));
  assert.throws(() => renderHeatmap({ values: [1, 2], height: 1, width: 2, min: 3, max: 1 }), (e: unknown) => e instanceof ArgumentError && /min \(3\) is above max \(1\)/.test(e.message));
  assert.throws(() => renderHeatmap({ values: [1], height: 1, width: 1, colormap: 'magma' as never }), (e: unknown) => e instanceof ArgumentError && /magma/.test(e.message));
  assert.throws(() => renderHeatmap({ values: [1], height: 1, width: 1, overlayOn: { values: [1, 2], height: 2, width: 2 } }), (e: unknown) => e instanceof ArgumentError && /overlayOn/.test(e.message));
  assert.throws(() => renderHeatmap({ values: [1], height: 1, width: 1, overlayOn: { values: [1], height: 1, width: 1, alpha: 2 } }), (e: unknown) => e instanceof ArgumentError && /alpha/.test(e.message));
});
