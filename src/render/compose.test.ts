import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFigure, panelOf, wrapText } from './compose.js';
import { svgDocument } from './svg.js';

const panel = (w: number, h: number, label: string): string => svgDocument({ width: w, height: h, body: `<text>${label}</text>`, title: label });

test('panelOf reads the size of a standalone SVG, and refuses anything else', () => {
  assert.deepEqual(
    (({ width, height }) => [width, height])(panelOf(panel(120, 80, 'a'))),
    [120, 80],
  );
  assert.throws(() => panelOf('<g/>'), /not a standalone SVG document/);
});

test('wrapText breaks at spaces within the width', () => {
  const lines = wrapText('one two three four five six seven eight nine ten', 80, 10);
  assert.ok(lines.length > 2);
  assert.equal(lines.join(' '), 'one two three four five six seven eight nine ten');
  assert.deepEqual(wrapText('a\nb', 1000, 10), ['a', 'b']);
});

test('composeFigure nests panels in rows, under one title, with a shared colour bar and caption', () => {
  const svg = composeFigure({
    rows: [[panelOf(panel(100, 50, 'A')), panelOf(panel(100, 80, 'B'))], [panelOf(panel(60, 40, 'C'))]],
    title: 'Title\nsecond line',
    caption: 'A caption.',
    colorbar: { colormap: 'viridis', min: 0, max: 1, label: 'value' },
  });
  const nested = [...svg.matchAll(/<svg x="([\d.]+)" y="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(nested.length, 3);
  assert.equal(nested[0]![1], nested[1]![1]! + 15, 'a shorter panel is centred vertically in its row (80 vs 50)');
  assert.ok(nested[2]![1]! >= nested[1]![1]! + 80, 'second row below the first');
  assert.ok(svg.includes('class="colorbar"') && svg.includes('A caption.') && svg.includes('>second line<'));
  assert.ok(!svg.includes('<title>A</title>'), 'panel titles (tooltips) are dropped');
  assert.throws(() => composeFigure({ rows: [[]] }), /every row needs at least one panel/);
});
