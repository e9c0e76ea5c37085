// The README's library example (examples/library.ts) runs on the embedded demo and prints what
// the library computed; its figure is a real PNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = ['model.h5', 'x.npy', 'y.npy'].map((f) => join(root, 'demo', f));
const skip = demo.every(existsSync) ? false : 'the demo is not installed';

test('examples/library.ts: open, pick by class and seed, explain, embed, write a figure', { skip }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'convscope-example-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples', 'library.ts'), ...demo, out], { cwd: root });
    assert.match(stdout, /^keras2-h5, Keras [\d.]+: \d+ layers, \d+ parameters$/m);
    const pick = /^input (\d+): true 1, predicted [01], p = ([\d.]+) \/ ([\d.]+)$/m.exec(stdout);
    assert.ok(pick !== null, stdout);
    assert.ok(Math.abs(Number(pick[2]) + Number(pick[3]) - 1) <= 0.0015, 'two probabilities that sum to 1 (printed to 3 decimals)');
    assert.match(stdout, /^Grad-CAM on \S+ \(\d+x\d+\), score -?[\d.]+; occlusion baseline [\d.]+, largest drop -?[\d.]+; saliency of 4096 pixels$/m);
    assert.match(stdout, /^PCA of \S+ \(200 x \d+\), k-NN accuracy in the map [\d.]+$/m);
    const png = readFileSync(join(out, 'gradcam.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
