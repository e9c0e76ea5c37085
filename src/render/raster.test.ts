import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { ArgumentError } from '../errors.js';
import { base64, encodePng, overlay, pngDataUri, resizeGrid, svgImage, upscaleNearest, type RgbaImage } from './raster.js';

const image = (width: number, height: number, f: (x: number, y: number) => [number, number, number, number]): RgbaImage => {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 4);
  return { width, height, data };
};

test('PNG round trip: fast-png decodes exactly the pixels we encoded, with text chunks', () => {
  const img = image(7, 5, (x, y) => [x * 30, y * 50, (x * y) % 256, x === 0 ? 0 : 255]);
  const png = encodePng(img, { text: { Software: 'convscope' } });
  const back = decode(png);
  assert.equal(back.width, 7);
  assert.equal(back.height, 5);
  assert.equal(back.channels, 4);
  assert.equal(back.depth, 8);
  assert.deepEqual(Array.from(back.data), Array.from(img.data));
  assert.equal(back.text['Software'], 'convscope');
  assert.deepEqual(encodePng(img), encodePng(img), 'deterministic bytes');
});

test('encodePng rejects a pixel buffer of the wrong size', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(15) }), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
});

test('base64 matches Node for every length mod 3', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 100, 10001]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 256);
    assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'), `length ${n}`);
  }
  assert.ok(pngDataUri(new Uint8Array([1, 2])).startsWith('data:image/png;base64,AQI='));
});

test('upscaleNearest repeats each pixel factor x factor times', () => {
  const img = image(2, 2, (x, y) => [x * 100, y * 100, 7, 255]);
  const up = upscaleNearest(img, 3);
  assert.equal(up.width, 6);
  assert.equal(up.height, 6);
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 6; x++) {
      const o = (y * 6 + x) * 4;
      assert.deepEqual(Array.from(up.data.slice(o, o + 4)), [Math.floor(x / 3) * 100, Math.floor(y / 3) * 100, 7, 255], `(${x}, ${y})`);
    }
  }
  assert.equal(upscaleNearest(img, 1), img);
  // A view at an odd byte offset is handled (copied), not misread.
  const buf = new Uint8ClampedArray(1 + 16);
  buf.set(img.data, 1);
  assert.deepEqual(Array.from(upscaleNearest({ width: 2, height: 2, data: buf.subarray(1) }, 2).data), Array.from(upscaleNearest(img, 2).data));
  assert.throws(() => upscaleNearest(img, 1.5), ArgumentError);
});

test('resizeGrid nearest keeps blocks; bilinear blends centres (exact to 1e-6)', () => {
  const grid = Float32Array.from([0, 1, 2, 3]); // 2x2
  const near = resizeGrid(grid, 2, 2, 4, 4, 'nearest');
  assert.deepEqual(Array.from(near), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  const bil = resizeGrid(grid, 2, 2, 4, 4, 'bilinear');
  // Row 0 samples source y = -0.25 (clamped to 0); x samples -0.25, 0.25, 0.75, 1.25 -> 0, 0.25, 0.75, 1.
  const expectRow0 = [0, 0.25, 0.75, 1];
  expectRow0.forEach((v, i) => assert.ok(Math.abs((bil[i] as number) - v) < 1e-6, `bil[${i}] = ${bil[i]}`));
  // Row 1 samples y = 0.25: value = 2 * 0.25 + x part.
  expectRow0.forEach((v, i) => assert.ok(Math.abs((bil[4 + i] as number) - (v + 0.5)) < 1e-6, `bil[${4 + i}] = ${bil[4 + i]}`));
  // 16x16 -> 128x128 nearest gives 8x8 blocks.
  const map = Float32Array.from({ length: 256 }, (_, i) => i);
  const big = resizeGrid(map, 16, 16, 128, 128);
  assert.equal(big[0], 0);
  assert.equal(big[7], 0);
  assert.equal(big[8], 1);
  assert.equal(big[8 * 128], 16);
  assert.throws(() => resizeGrid(grid, 3, 2, 4, 4), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
});

test('overlay: base * (1 - a) + heat * a, transparent heat leaves the base', () => {
  const base = image(2, 1, () => [100, 100, 100, 255]);
  const heat = { width: 2, height: 1, data: new Uint8ClampedArray([200, 0, 0, 255, 200, 0, 0, 0]) };
  const out = overlay(base, heat, 0.4);
  assert.deepEqual(Array.from(out.data), [140, 60, 60, 255, 100, 100, 100, 255]);
  assert.throws(() => overlay(base, image(1, 1, () => [0, 0, 0, 255]), 0.4), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
  assert.throws(() => overlay(base, heat, 1.5), (e: unknown) => e instanceof ArgumentError && /alpha/.test(e.message));
});

test('svgImage: pixelated image element, pre-upscaled to cover the drawn size', () => {
  const img = image(3, 3, (x) => [x * 100, 0, 0, 255]);
  const el = svgImage(img, { x: 1, y: 2, width: 80, height: 80 });
  assert.match(el, /^<image x="1" y="2" width="80" height="80" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" xlink:href="data:image\/png;base64,/);
  const b64 = /base64,([^"]+)"/.exec(el)?.[1] as string;
  const png = decode(Buffer.from(b64, 'base64'));
  assert.equal(png.width, 81, 'ceil(80 / 3) = 27x upscaling');
  const noUp = svgImage(img, { x: 0, y: 0, width: 80, height: 80, preUpscale: false });
  assert.equal(decode(Buffer.from(/base64,([^"]+)"/.exec(noUp)?.[1] as string, 'base64')).width, 3);
});
