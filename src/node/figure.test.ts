import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decode } from 'fast-png';
import { ArgumentError } from '../errors.js';
import { renderBarChart } from '../render/charts.js';
import { embedSvgProvenance, readPngProvenance, readSvgProvenance } from '../render/provenance.js';
import { figureFormat, writeFigure } from './figure.js';

const dir = mkdtempSync(join(tmpdir(), 'convscope-figure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const svg = renderBarChart({ categories: ['Neutral', 'Selection'], values: [3, 5], title: 'Counts' });
const prov = { tool: 'convscope', version: '0.1.0', method: 'counts', model: { file: 'm.h5', sha256: '0'.repeat(64), format: 'keras2-h5' }, seed: 3 };

test('format follows the extension, case-insensitively; others are refused', () => {
  assert.equal(figureFormat('a/b.PNG'), 'png');
  assert.equal(figureFormat('b.svg'), 'svg');
  assert.throws(() => figureFormat('fig.pdf'), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT' && /\.png or \.svg/.test(e.message));
  assert.throws(() => figureFormat('fig'), ArgumentError);
});

test('SVG: written as is, or with provenance metadata', async () => {
  const plain = join(dir, 'plain.svg');
  assert.equal(await writeFigure(svg, plain), 'svg');
  assert.equal(readFileSync(plain, 'utf8'), svg);
  const tagged = join(dir, 'tagged.svg');
  await writeFigure(svg, tagged, { provenance: prov });
  assert.deepEqual(readSvgProvenance(readFileSync(tagged, 'utf8')), prov);
});

test('PNG: rendered at scale 2 by default, provenance in a tEXt chunk (given or carried from the SVG)', async () => {
  const file = join(dir, 'fig.png');
  assert.equal(await writeFigure(svg, file, { provenance: prov }), 'png');
  const bytes = new Uint8Array(readFileSync(file));
  const png = decode(bytes, { checkCrc: true });
  assert.equal(png.width, 2 * Number(/width="(\d+)"/.exec(svg)?.[1]));
  assert.deepEqual(readPngProvenance(bytes), prov);

  const carried = join(dir, 'carried.png');
  await writeFigure(embedSvgProvenance(svg, prov), carried, { scale: 1 });
  const bytes1 = new Uint8Array(readFileSync(carried));
  assert.deepEqual(readPngProvenance(bytes1), prov);
  assert.equal(decode(bytes1).width, Number(/width="(\d+)"/.exec(svg)?.[1]));
});

test('an existing file is kept unless overwrite is set; no temporary files are left', async () => {
  const file = join(dir, 'exists.png');
  await writeFigure(svg, file);
  const before = readFileSync(file);
  await assert.rejects(writeFigure(svg, file, { scale: 1 }), (e: unknown) => e instanceof ArgumentError && e.code === 'FILE_EXISTS');
  assert.deepEqual(readFileSync(file), before);
  await writeFigure(svg, file, { overwrite: true, scale: 1 });
  assert.notDeepEqual(readFileSync(file), before, 'replaced at scale 1');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
