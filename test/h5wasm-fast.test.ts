// scripts/h5wasm-fast.mjs (run by the CLI build): the copy of h5wasm with its WebAssembly in a
// file of its own must be the same library. Built into a temporary folder here, then the demo
// model is read through both copies and every attribute and dataset compared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

type H5 = typeof import('h5wasm');

/** Every group, attribute and dataset of `bytes` as plain data, read through `api`. */
async function dump(api: H5, bytes: Uint8Array): Promise<unknown[]> {
  const h5 = api.default;
  const FS = (await h5.ready).FS;
  const path = `/dump-${Math.random().toString(36).slice(2)}.h5`;
  FS.writeFile(path, bytes);
  const f = new h5.File(path, 'r');
  const out: unknown[] = [];
  const walk = (name: string): void => {
    const entity = f.get(name) as InstanceType<H5['Group']> | InstanceType<H5['Dataset']>;
    for (const [k, a] of Object.entries(entity.attrs)) out.push([name, k, String(a.value)]);
    if (entity instanceof h5.Dataset) out.push([name, entity.shape, Array.from(entity.value as Float32Array)]);
    else for (const k of (entity as InstanceType<H5['Group']>).keys()) walk(name === '/' ? `/${k}` : `${name}/${k}`);
  };
  walk('/');
  f.close();
  FS.unlink(path);
  return out;
}

test('the fast-start h5wasm copy reads the demo model exactly as h5wasm does', async () => {
  const { writeFastH5wasm } = (await import(pathToFileURL(join(root, 'scripts', 'h5wasm-fast.mjs')).href)) as { writeFastH5wasm(root: string, out: string): Promise<string | null> };
  const out = mkdtempSync(join(tmpdir(), 'convscope-h5fast-'));
  try {
    const hl = await writeFastH5wasm(root, out);
    assert.ok(hl !== null, 'h5wasm has the expected layout (else the CLI silently keeps the slower copy)');
    const wasm = readFileSync(join(out, 'h5wasm', 'hdf5.wasm'));
    assert.deepEqual([...wasm.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], 'a WebAssembly module');
    assert.ok(!readFileSync(join(out, 'h5wasm', 'hdf5_util.js'), 'latin1').includes('binaryDecode(\''), 'the embedded literal is gone');
    const bytes = new Uint8Array(readFileSync(join(root, 'demo', 'model.h5')));
    const fast = (await import(pathToFileURL(hl).href)) as H5;
    const original = (await import('h5wasm')) as H5;
    const a = await dump(fast, bytes);
    const b = await dump(original, bytes);
    assert.ok(a.length > 10, `the model has content (${a.length} entries)`);
    assert.deepEqual(a, b);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
