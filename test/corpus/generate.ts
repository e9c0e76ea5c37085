// Damage for the bad-input corpus, applied at test time to the real fixtures in ../shared/fixtures
// (which are never copied into the repository): truncation, byte patches in headers, configs
// and data, rebuilt archives and manifests. `node --import tsx test/corpus/write-generated.ts
// [dir]` writes every generated file to `dir` (default test/corpus/generated/, git-ignored).

import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readZip } from '../../src/io/zip.js';
import { fixture } from '../fixtures.js';
import { buildZip, type RawEntry } from './zip-writer.js';

/** The fixture files the corpus damages, by short name. */
export const SOURCES = {
  functionalH5: ['keras', 'keras2.3-mnist-functional', 'mnist_cnn.h5'],
  batchnormH5: ['keras', 'keras2.1-dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'],
  zooH5: ['keras', 'tfkeras2.2-dl4j-layer-zoo', 'cnn2d_71.h5'],
  lambdaH5: ['keras', 'keras2.0-carnd-p3-lambda', 'model.h5'],
  lambdaJson: ['keras', 'keras1.2-carnd-weights-json-lambda', 'model.json'],
  lambdaWeights: ['keras', 'keras1.2-carnd-weights-json-lambda', 'model.h5'],
  cifarJson: ['keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.json'],
  cifarWeights: ['keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.h5'],
  thWeights: ['keras', 'keras1.2-mnist-th-weights-json', 'mnist_cnn_th_keras_1_weights.h5'],
  kerasZip: ['keras', 'keras3.13-mnist-zip', 'model.keras'],
  tfjsJson: ['keras', 'tfjs-digits', 'model.json'],
  tfjsShard: ['keras', 'tfjs-digits', 'group1-shard1of1.bin'],
  bnInput: ['keras', 'keras2.1-dl4j-cnn-batchnorm', 'keras_input.npy'],
  pickledNpy: ['npy', 'object_dtype_pickled.npy'],
  unicodeNpy: ['npy', 'unicode_labels.npy'],
  discoalGz: ['popgen', 'discoal_sweep_13.ms.gz'],
} as const satisfies Record<string, readonly string[]>;

export type SourceName = keyof typeof SOURCES;

const cache = new Map<SourceName, Uint8Array>();

/** A private copy of a fixture's bytes (read once per process). */
export function source(name: SourceName): Uint8Array {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = new Uint8Array(readFileSync(fixture(...SOURCES[name])));
    cache.set(name, bytes);
  }
  return bytes.slice();
}

/** The first `n` bytes (n < 0: all but the last -n). */
export function truncate(bytes: Uint8Array, n: number): Uint8Array {
  return bytes.slice(0, n < 0 ? bytes.length + n : n);
}

/** Sets bytes at `offset` (a copy). */
export function poke(bytes: Uint8Array, offset: number, values: readonly number[]): Uint8Array {
  const out = bytes.slice();
  values.forEach((v, i) => (out[offset + i] = v));
  return out;
}

/** Offset of the first occurrence of `needle` (ASCII) at or after `from`; throws when absent. */
export function find(bytes: Uint8Array, needle: string, from = 0): number {
  const first = needle.charCodeAt(0);
  outer: for (let i = bytes.indexOf(first, from); i >= 0 && i + needle.length <= bytes.length; i = bytes.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (bytes[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  throw new Error(`corpus generator: '${needle}' not found in the fixture`);
}

/** Replaces the first occurrence of `from` by `to` (same length, so no offsets move). */
export function patchText(bytes: Uint8Array, from: string, to: string, after = 0): Uint8Array {
  if (from.length !== to.length) throw new Error('patchText keeps lengths equal');
  const at = find(bytes, from, after);
  return poke(bytes, at, Array.from(to, (c) => c.charCodeAt(0)));
}

/**
 * Offset of the stored length of the variable-length string attribute `name` (a version-1
 * attribute message in an object header, as h5py writes Keras' root attributes).
 */
export function vlenLengthOffset(bytes: Uint8Array, name: string): number {
  const p = find(bytes, `${name}\0`);
  const h = p - 8;
  const u16 = (at: number): number => bytes[at]! | (bytes[at + 1]! << 8);
  if (bytes[h] !== 1 || u16(h + 2) !== name.length + 1) throw new Error(`corpus generator: no version-1 attribute message '${name}'`);
  const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
  return p + pad8(name.length + 1) + pad8(u16(h + 4)) + pad8(u16(h + 6));
}

/**
 * Shrinks the recorded size of the free-space object of the first global heap collection by 40
 * bytes (8-byte lengths assumed), so the walk over its objects lands on zeros: an object of
 * size 0, on which HDF5 loops forever (the fuzzer's find in cnn2d_71.h5).
 */
export function shrinkGlobalHeapFreeSpace(bytes: Uint8Array): Uint8Array {
  const g = find(bytes, 'GCOL');
  const u64 = (at: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true) + new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4, true) * 2 ** 32;
  const end = g + u64(g + 8);
  for (let p = g + 16; p + 16 <= end; ) {
    const idx = bytes[p]! | (bytes[p + 1]! << 8);
    const size = u64(p + 8);
    if (idx === 0) {
      const out = bytes.slice();
      new DataView(out.buffer).setUint32(p + 8, size - 40, true);
      return out;
    }
    p += 16 + Math.ceil(size / 8) * 8;
  }
  throw new Error('corpus generator: no free-space object in the first global heap collection');
}

/** The entries of a fixture archive, to rebuild it with changes. */
export function zipEntries(bytes: Uint8Array): Map<string, Uint8Array> {
  return readZip(bytes, { fileName: 'fixture' });
}

/** Rebuilds an archive from entries, each optionally overridden. */
export function rezip(entries: ReadonlyMap<string, Uint8Array>, extra: readonly RawEntry[] = [], drop: readonly string[] = []): Uint8Array {
  const list: RawEntry[] = [...entries].filter(([n]) => !drop.includes(n)).map(([name, data]) => ({ name, data }));
  return buildZip([...list, ...extra]);
}

/** A JSON fixture parsed, changed by `edit`, and serialised again. */
export function editJson(bytes: Uint8Array, edit: (doc: Record<string, unknown>) => void): Uint8Array {
  let doc: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof doc === 'string') doc = JSON.parse(doc); // double-encoded architecture JSON
  edit(doc as Record<string, unknown>);
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Offset of the first data byte of HDF5 dataset `name` in a file written with contiguous storage:
 * found by looking for its float32 values, which the caller passes (first few).
 */
export function findFloats(bytes: Uint8Array, first: Float32Array): number {
  const probe = new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
  for (let i = bytes.indexOf(probe[0]!); i >= 0; i = bytes.indexOf(probe[0]!, i + 1)) {
    let ok = true;
    for (let j = 1; j < probe.length && ok; j++) ok = bytes[i + j] === probe[j];
    if (ok) return i;
  }
  throw new Error('corpus generator: weight values not found in the fixture');
}

/** Writes the outputs of `build` (name -> bytes) to `dir`. */
export async function writeAll(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
}
