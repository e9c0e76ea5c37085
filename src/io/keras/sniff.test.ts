import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLeadingBytes, sniffKeras, unrecognisedError } from './sniff.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

test('recognises HDF5 at offset 0 and after a 512/1024-byte user block', () => {
  assert.equal(sniffKeras(bytes(...HDF5, 0, 0)), 'hdf5');
  for (const at of [512, 1024, 4096]) {
    const b = new Uint8Array(at + 16);
    b.set(HDF5, at);
    assert.equal(sniffKeras(b), 'hdf5', `offset ${at}`);
  }
  const odd = new Uint8Array(800);
  odd.set(HDF5, 700); // not a power-of-two offset: not a superblock
  assert.equal(sniffKeras(odd), 'unknown');
});

test('recognises zip, JSON objects and JSON strings (after BOM and whitespace)', () => {
  assert.equal(sniffKeras(bytes(0x50, 0x4b, 3, 4, 0)), 'zip');
  assert.equal(sniffKeras(bytes(0x50, 0x4b, 5, 6)), 'zip');
  assert.equal(sniffKeras(text('{"class_name": "Sequential"}')), 'json');
  assert.equal(sniffKeras(text('"{\\"class_name\\": 1}"')), 'json');
  assert.equal(sniffKeras(text('\uFEFF \n\t{}')), 'json');
  assert.equal(sniffKeras(text('[1, 2]')), 'unknown');
  assert.equal(sniffKeras(new Uint8Array(0)), 'empty');
  assert.equal(sniffKeras(bytes(1, 2, 3)), 'unknown');
});

test('the unrecognised-file error names the file, the first bytes and what is accepted', () => {
  const e = unrecognisedError('weights.bin', bytes(0xde, 0xad, 0xbe, 0xef, 0x41, 0x42));
  assert.equal(e.code, 'FILE_UNRECOGNISED');
  assert.match(e.message, /'weights\.bin'/);
  assert.match(e.message, /de ad be ef 41 42 \("\.\.\.\.AB"\)/);
  assert.match(e.message, /HDF5.*\.keras.*TensorFlow\.js/s);
  assert.equal(unrecognisedError('e.h5', new Uint8Array(0)).code, 'FILE_TRUNCATED');
  assert.match(unrecognisedError('m.h5', text('version https://git-lfs.github.com/spec/v1\n')).message, /Git LFS pointer/);
  assert.match(unrecognisedError('m.h5', text('<!DOCTYPE html><html>')).message, /web page/);
  assert.match(unrecognisedError('m.h5', bytes(0x1f, 0x8b, 8, 0)).message, /gzip/);
  assert.match(unrecognisedError('m.pkl', bytes(0x80, 4, 0x95)).message, /pickle/);
  assert.equal(describeLeadingBytes(new Uint8Array(0)), '(no bytes)');
});
