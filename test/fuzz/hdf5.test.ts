// Fuzzing the Keras file readers on real fixtures with random damage: bytes overwritten in the
// HDF5 headers (where HDF5's own structures live) or anywhere, and in .keras archives. Every
// input must open (read + translate) or throw a ConvscopeError, in bounds; afterwards a clean
// file must still open (HDF5 is one shared wasm instance, so damage must not leave it broken).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readKeras } from '../../src/io/keras/read.js';
import { translateKeras } from '../../src/model/translate.js';
import { fixture, haveFixtures } from '../fixtures.js';
import { Outcomes, assertProperty, expectParseOrTypedError, params } from './harness.js';

const skip = !haveFixtures && 'shared fixtures not found';
const H5: [string, string][] = [
  ['keras2.1-dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'],
  ['tfkeras2.2-dl4j-layer-zoo', 'cnn2d_71.h5'],
  ['keras2.3-dl4j-conv1d-cf-dilated', 'conv1d_k3_s1_d2_cf_same_model.h5'],
  ['keras1.2-carnd-functional', 'model.h5'],
];

const damage = fc.record({
  which: fc.nat(),
  /** Most damage goes to the first 8 KiB, where superblock, object headers and attributes are. */
  inHeaders: fc.boolean(),
  writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
});

async function openAll(files: { name: string; bytes: Uint8Array }[]): Promise<number> {
  return translateKeras(await readKeras(files)).nodes.length;
}

test('replay: the damaged files after which HDF5 trapped on every later file (seed 9, inputs 0-32); the next file opens', { skip }, async (t) => {
  // Input 32 ends in a wasm trap ("memory access out of bounds") that depends on what inputs 0-31
  // left in HDF5's memory; before the fix every later file failed the same way. Now the trap
  // is a typed error and the next file gets a fresh HDF5 instance.
  const sources = H5.map(([id, f]) => ({ name: f, bytes: new Uint8Array(readFileSync(fixture('keras', id, f))) }));
  const outcomes = new Outcomes();
  let trapped = false;
  for (const [{ which, inHeaders, writes }] of fc.sample(fc.tuple(damage), { seed: 9, numRuns: 33 })) {
    const src = sources[which % sources.length]!;
    const bytes = src.bytes.slice();
    const region = inHeaders ? Math.min(bytes.length, 8192) : bytes.length;
    for (const [at, v] of writes) bytes[at % region] = v;
    await expectParseOrTypedError(outcomes, () => src.name, async () => {
      try {
        return await openAll([{ name: src.name, bytes }]);
      } catch (err) {
        if (err instanceof Error && err.cause instanceof WebAssembly.RuntimeError) trapped = true;
        throw err;
      }
    });
  }
  for (const s of sources) assert.ok((await openAll([s])) > 0, `${s.name} opens after the trap`);
  t.diagnostic(`trap reproduced: ${trapped} (it depends on HDF5's memory layout; the check above holds either way)`);
});

test('fuzz HDF5 models: overwritten bytes open or throw a ConvscopeError, and HDF5 keeps working', { skip }, async (t) => {
  const sources = H5.map(([id, f]) => ({ name: f, bytes: new Uint8Array(readFileSync(fixture('keras', id, f))) }));
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(damage, async ({ which, inHeaders, writes }) => {
      const src = sources[which % sources.length]!;
      const bytes = src.bytes.slice();
      const region = inHeaders ? Math.min(bytes.length, 8192) : bytes.length;
      for (const [at, v] of writes) bytes[at % region] = v;
      await expectParseOrTypedError(outcomes, () => `${src.name} with ${JSON.stringify(writes.map(([a, v]) => [a % region, v]))}`, () => openAll([{ name: src.name, bytes }]));
    }),
    params(300),
  );
  t.diagnostic(outcomes.summary());
  for (const s of sources) assert.ok((await openAll([s])) > 0, `${s.name} still opens after the damage`);
});

test('fuzz .keras archives: overwritten bytes open or throw a ConvscopeError', { skip }, async (t) => {
  const src = new Uint8Array(readFileSync(fixture('keras', 'tfkeras2.15-mnist-zip-backslash', 'best_model.keras')));
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(damage, fc.boolean(), async ({ writes }, tail) => {
      const bytes = src.slice();
      // The central directory (at the end) or anywhere.
      const base = tail ? Math.max(0, bytes.length - 4096) : 0;
      for (const [at, v] of writes) bytes[base + (at % (bytes.length - base))] = v;
      await expectParseOrTypedError(outcomes, () => `best_model.keras with ${JSON.stringify(writes)} ${tail ? 'in the tail' : ''}`, () => openAll([{ name: 'best_model.keras', bytes }]));
    }),
    params(100),
  );
  t.diagnostic(outcomes.summary());
});
