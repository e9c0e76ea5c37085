import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodePng, pngDataUri } from '../src/render/raster.js';
import { assertSnapshot, normalizeSnapshot, snapshotRoot, svgRasters, svgTexts } from './snapshot.js';

// Uses its own folder, removed afterwards, so it never touches real snapshots.
const dir = `selftest-${process.pid}`;
const folder = join(snapshotRoot, dir);
after(() => rmSync(folder, { recursive: true, force: true }));

test('normalizeSnapshot rounds decimals to 2 places and hashes PNG pixels, not bytes', () => {
  assert.equal(normalizeSnapshot('x="1.23456" y="-0.001" z="12"\r\n'), 'x="1.23" y="0.00" z="12.00"\n');
  assert.equal(normalizeSnapshot('M10 20.004h-5'), normalizeSnapshot('M10.001 20h-5.00'));
  const img = { width: 1, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255]) };
  const a = pngDataUri(encodePng(img));
  const b = pngDataUri(encodePng(img, { text: { note: 'same pixels, other bytes' } }));
  assert.notEqual(a, b);
  assert.equal(normalizeSnapshot(a), normalizeSnapshot(b));
  assert.notEqual(normalizeSnapshot(a), normalizeSnapshot(pngDataUri(encodePng({ ...img, data: new Uint8ClampedArray([1, 2, 4, 255]) }))));
});

test('missing snapshot is written; equal passes; different writes -changed and fails', () => {
  const file = join(folder, 'case.svg');
  const changed = join(folder, 'case-changed.svg');
  assertSnapshot('case', '<svg width="10.001"/>', { dir });
  assert.equal(readFileSync(file, 'utf8'), '<svg width="10.001"/>');
  assertSnapshot('case', '<svg width="10.004"/>', { dir }); // equal after rounding
  assert.throws(() => assertSnapshot('case', '<svg width="11"/>', { dir }), /differs at line 1/);
  assert.equal(readFileSync(changed, 'utf8'), '<svg width="11"/>');
  assertSnapshot('case', '<svg width="10"/>', { dir });
  assert.ok(!existsSync(changed), 'a passing run removes the stale -changed file');
});

test('svgTexts and svgRasters read figures back', () => {
  const uri = pngDataUri(encodePng({ width: 2, height: 1, data: new Uint8ClampedArray([0, 0, 0, 255, 9, 9, 9, 255]) }));
  const svg = `<svg><text x="1">a &amp; b</text><image x="3" y="4" width="20" height="10" xlink:href="${uri}"/></svg>`;
  assert.deepEqual(svgTexts(svg), ['a & b']);
  const [r] = svgRasters(svg);
  assert.equal(r?.width, 20);
  assert.deepEqual(r?.pixel(1, 0), [9, 9, 9, 255]);
});
