import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { ArgumentError } from '../errors.js';
import { renderHeatmap } from '../render/heatmap.js';
import { encodePng, pngDataUri } from '../render/raster.js';
import { svgDocument } from '../render/svg.js';
import { DEJAVU_DIR, fontOptions, prepareForResvg, svgToPng } from './png.js';

const px = (png: ReturnType<typeof decode>, x: number, y: number): number[] => {
  const o = (y * png.width + x) * png.channels;
  return Array.from(png.data.slice(o, o + png.channels));
};

test('heat map to PNG at scale 2: size doubles, the embedded image survives, text is drawn', () => {
  const svg = renderHeatmap({ values: [0, 1, 2, 3], height: 2, width: 2, colormap: 'gray', size: 100, title: 'Input image' });
  const w = Number(/width="(\d+)"/.exec(svg)?.[1]);
  const h = Number(/height="(\d+)"/.exec(svg)?.[1]);
  const png = decode(svgToPng(svg));
  assert.equal(png.width, 2 * w);
  assert.equal(png.height, 2 * h);
  const m = /<image x="([\d.]+)" y="([\d.]+)"/.exec(svg);
  const x0 = Number(m?.[1]);
  const y0 = Number(m?.[2]);
  // Pixel centres well inside each quarter of the 100 px image (2 PNG px per SVG px).
  assert.deepEqual(px(png, Math.round(2 * (x0 + 25)), Math.round(2 * (y0 + 25))).slice(0, 3), [0, 0, 0]);
  assert.deepEqual(px(png, Math.round(2 * (x0 + 75)), Math.round(2 * (y0 + 75))).slice(0, 3), [255, 255, 255]);
  assert.deepEqual(px(png, Math.round(2 * (x0 + 75)), Math.round(2 * (y0 + 25))).slice(0, 3), [85, 85, 85]);
  // The title band above the image has dark (text) pixels: a font was found and used.
  let dark = 0;
  for (let y = 0; y < Math.floor(2 * y0) - 4; y++) for (let x = 0; x < png.width; x++) if ((px(png, x, y)[0] as number) < 100) dark++;
  assert.ok(dark > 50, `title pixels found: ${dark}`);
});

test('pixelated images stay crisp in resvg (style mapped to optimizeSpeed)', () => {
  const img = encodePng({ width: 2, height: 1, data: new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 255]) });
  const body = `<image x="0" y="0" width="100" height="50" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" xlink:href="${pngDataUri(img)}"/>`;
  const svg = svgDocument({ width: 100, height: 50, body });
  assert.ok(prepareForResvg(svg).includes('style="image-rendering:optimizeSpeed"'));
  const png = decode(svgToPng(svg, { scale: 1 }));
  assert.equal(png.width, 100);
  assert.deepEqual(px(png, 49, 25).slice(0, 3), [255, 0, 0], 'left of the edge is pure red');
  assert.deepEqual(px(png, 50, 25).slice(0, 3), [0, 0, 255], 'right of the edge is pure blue');
});

test('fonts: DejaVu only when installed, else system fonts', () => {
  const f = fontOptions();
  if (existsSync(DEJAVU_DIR)) assert.deepEqual({ load: f.loadSystemFonts, dirs: f.fontDirs }, { load: false, dirs: [DEJAVU_DIR] });
  else assert.equal(f.loadSystemFonts, true);
  assert.deepEqual(fontOptions(['/x']).fontDirs, ['/x']);
});

test('bad scale and malformed SVG are ArgumentErrors', () => {
  const svg = svgDocument({ width: 10, height: 10, body: '' });
  assert.throws(() => svgToPng(svg, { scale: 0 }), (e: unknown) => e instanceof ArgumentError && /scale/.test(e.message));
  assert.throws(() => svgToPng('<svg'), (e: unknown) => e instanceof ArgumentError && /Cannot render/.test(e.message));
});
