import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { FileFormatError } from '../errors.js';
import { encodePng } from './raster.js';
import {
  crc32,
  embedPngProvenance,
  embedSvgProvenance,
  readPngProvenance,
  readPngText,
  readSvgProvenance,
  stableJson,
} from './provenance.js';
import { svgDocument } from './svg.js';

// Shaped like methods/provenance.ts's record; the render layer accepts any JSON object.
const prov = {
  tool: 'convscope',
  version: '0.1.0',
  method: 'occlusion',
  model: { file: 'modèle <v2> & "final".h5', sha256: 'a'.repeat(64), format: 'keras2-h5' },
  data: { file: 'x.npy', sha256: 'b'.repeat(64) },
  labels: null,
  options: { patch: 8, stride: 8, fill: 0.5, target: 'Selection', classes: ['Neutral', 'Selection'] },
  seed: 42,
  engine: 'ref',
};

test('stableJson sorts keys at every depth and escapes non-ASCII', () => {
  assert.equal(stableJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 'é' } }), '{"a":{"c":"\\u00e9","d":[1,{"y":1,"z":0}]},"b":1}');
  assert.deepEqual(JSON.parse(stableJson({ s: 'π ≈ 3.14 😀' })), { s: 'π ≈ 3.14 😀' });
  assert.ok(/^[\x20-\x7e]*$/.test(stableJson(prov)), 'ASCII only');
});

test('SVG: provenance goes into <metadata> and reads back identical; re-embedding replaces it', () => {
  const svg = svgDocument({ width: 10, height: 10, body: '<rect width="1" height="1"/>' });
  const withProv = embedSvgProvenance(svg, prov);
  assert.match(withProv, /<svg [^>]*>\n<metadata id="convscope-provenance" data-format="application\/json">/);
  assert.ok(!withProv.includes('<v2>'), 'markup characters are escaped');
  assert.deepEqual(readSvgProvenance(withProv), prov);
  const again = embedSvgProvenance(withProv, { ...prov, seed: 7 });
  assert.equal(again.match(/<metadata/g)?.length, 1);
  assert.equal(readSvgProvenance<typeof prov>(again)?.seed, 7);
  assert.equal(readSvgProvenance(svg), undefined);
});

test('CRC-32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('PNG: provenance tEXt chunk passes a CRC-checking decoder and reads back identical', () => {
  const png = encodePng({ width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]) });
  const tagged = embedPngProvenance(png, prov);
  const decoded = decode(tagged, { checkCrc: true });
  assert.deepEqual(Array.from(decoded.data), [1, 2, 3, 255, 4, 5, 6, 255], 'pixels untouched');
  assert.deepEqual(JSON.parse(decoded.text['convscope'] as string), prov, 'fast-png sees the same text');
  assert.deepEqual(readPngProvenance(tagged), prov);
  // Chunk order: signature, IHDR, then our tEXt.
  assert.equal(new TextDecoder('latin1').decode(tagged.subarray(37, 41)), 'tEXt');
  // Re-embedding replaces the chunk rather than adding a second one.
  const twice = embedPngProvenance(tagged, { ...prov, seed: 1 });
  const count = (bytes: Uint8Array): number => new TextDecoder('latin1').decode(bytes).split('tEXtconvscope').length - 1;
  assert.equal(count(twice), 1);
  assert.equal(twice.length, tagged.length - 1, "seed 42 -> 1 is one character shorter");
  assert.equal(readPngProvenance<typeof prov>(twice)?.seed, 1);
  assert.equal(readPngProvenance(png), undefined);
  assert.deepEqual(readPngText(png), {});
});

test('PNG helpers reject bytes that are not a PNG, or are cut short', () => {
  assert.throws(() => readPngText(new Uint8Array([1, 2, 3])), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_UNRECOGNISED');
  const png = encodePng({ width: 1, height: 1, data: new Uint8ClampedArray(4) });
  assert.throws(() => readPngText(png.subarray(0, 20)), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_TRUNCATED');
});
