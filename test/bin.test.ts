// bin/convscope.js as users run it: from the bundle (dist/cli.mjs and its chunks, built by
// `npm ci`) when it is fresh, else from the sources. Checks what the bundle alone can break:
// every command's chunk loads, the HDF5 library started early by bin/convscope.js is the one the
// command uses, and the outputs match the in-process CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { runCli } from './cli-harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'convscope.js');
const run = (args: string[], cwd = root) => promisify(execFile)(process.execPath, [bin, ...args], { cwd, maxBuffer: 1 << 24 });
const model = join(root, 'demo', 'model.h5');
const xDemo = join(root, 'demo', 'x.npy');
const skip = existsSync(model) && existsSync(xDemo) ? false : 'the demo is not installed';

/** Whether bin/convscope.js will run the bundle (as it decides: every input older than dist/cli.mjs). */
function bundleFresh(): boolean {
  try {
    const built = statSync(join(root, 'dist', 'cli.mjs')).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(join(root, 'dist', 'cli.json'), 'utf8')) as { inputs: string[] };
    return inputs.every((p) => statSync(join(root, p)).mtimeMs < built);
  } catch {
    return false;
  }
}

test('bin/convscope.js: help loads every command, --version prints the version', async (t) => {
  t.diagnostic(`running ${bundleFresh() ? 'the bundle dist/cli.mjs' : 'the TypeScript sources (no fresh bundle)'}`);
  const help = await run(['help']);
  const inProcess = await runCli(['help']);
  assert.equal(help.stdout, inProcess.stdout);
  assert.match(help.stdout, /\n {2}predict {8}/);
  const version = await run(['--version']);
  assert.match(version.stdout, /^convscope \d+\.\d+\.\d+\n$/);
});

test('bin/convscope.js predict on the demo .h5 gives the in-process outputs', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'convscope-bin-'));
  try {
    const all = readNpy(readFileSync(xDemo));
    const per = all.shape.slice(1).reduce((a, b) => a * b, 1);
    const x = { dtype: 'float32' as const, shape: [5, ...all.shape.slice(1)], data: Float32Array.from((all.data as Float32Array).subarray(0, 5 * per)) };
    writeFileSync(join(dir, 'x.npy'), writeNpy(x));
    const viaBin = await run(['predict', model, 'x.npy', '-o', 'p.npy'], dir);
    assert.match(viaBin.stderr, /wrote p\.npy \(5 x 1, float32\) with onnxruntime-node/);
    const inProcess = await runCli(['predict', model, 'x.npy', '--json'], dir);
    const want = (JSON.parse(inProcess.stdout) as { outputs: number[][] }).outputs.flat();
    const got = readNpy(readFileSync(join(dir, 'p.npy')));
    assert.deepEqual(got.shape, [5, 1]);
    // Same engine, same inputs, same batch: the same float32 values.
    assert.deepEqual(Array.from(got.data as Float32Array), want.map((v) => Math.fround(v)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
