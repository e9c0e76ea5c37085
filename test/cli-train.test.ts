// `convscope train`, run in-process through main() on tiny arrays in a temporary folder: the
// model, history and figure it writes, and its refusals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../src/io/npy.js';
import { openModel } from '../src/model/open.js';
import { createRng } from '../src/random.js';
import { runCli } from './cli-harness.js';

/** n images 8x8 per class (class 1: brighter top half) and labels, as .npy files in a new folder. */
function tinyData(n: number, classes = 2): string {
  const dir = mkdtempSync(join(tmpdir(), 'convscope-train-'));
  const rng = createRng(1);
  const total = classes * n;
  const x = new Float32Array(total * 64);
  const y = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    y[i] = i % classes;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.5 * rng.next() + (p < 32 ? 0.2 * y[i]! : 0);
  }
  writeFileSync(join(dir, 'x.npy'), writeNpy({ dtype: 'float32', shape: [total, 8, 8, 1], data: x }));
  writeFileSync(join(dir, 'y.npy'), writeNpy({ dtype: 'int32', shape: [total], data: y }));
  return dir;
}

test('convscope train: a custom CNN on two threads; model, history and figure written; the model opens', async () => {
  const dir = tinyData(16);
  try {
    const r = await runCli(['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--preset', 'custom', '--conv', '4', '--dense', '8',
      '--epochs', '2', '--batch-size', '8', '--threads', '2', '--seed', '3', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { history: { loss: number[]; val_accuracy: number[]; epochs: number }; validation: { samples: number; confusion: number[][] }; options: { shards: number } };
    assert.equal(summary.history.epochs, 2);
    assert.equal(summary.history.loss.length, 2);
    assert.equal(summary.validation.samples, 6); // round(0.2 * 16) per class
    assert.equal(summary.options.shards, 2);
    assert.equal(summary.validation.confusion.flat().reduce((a, b) => a + b, 0), 6);
    for (const f of ['m.h5', 'm.history.json', 'm.history.png']) assert.ok(existsSync(join(dir, f)), f);
    const saved = JSON.parse(readFileSync(join(dir, 'm.history.json'), 'utf8')) as { history: { val_loss: number[] } };
    assert.equal(saved.history.val_loss.length, 2);
    const model = await openModel([{ name: 'm.h5', bytes: new Uint8Array(readFileSync(join(dir, 'm.h5'))) }]);
    assert.deepEqual(model.inputShape, [null, 8, 8, 1]);
    assert.equal(model.head.kind, 'sigmoid');
    await model.dispose();
    // Keras-like epoch lines on stderr without --json; existing files are refused unless --overwrite.
    const again = await runCli(['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--preset', 'custom', '--conv', '4', '--epochs', '1', '--threads', '1'], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /FILE_EXISTS/);
    const text = await runCli(['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--preset', 'custom', '--conv', '4', '--epochs', '1', '--threads', '1', '--overwrite'], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /Epoch 1\/1 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}/);
    assert.match(text.stdout, /validation \(6 images\): loss \d\.\d{4}, accuracy \d\.\d{3}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('convscope train: three classes train a softmax head; the BaSe preset refuses them', async () => {
  const dir = tinyData(8, 3);
  try {
    const ok = await runCli(['train', 'x.npy', 'y.npy', '-o', 'm3.h5', '--preset', 'custom', '--conv', '4', '--dense', '', '--epochs', '1', '--threads', '1', '--json'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    const model = await openModel([{ name: 'm3.h5', bytes: new Uint8Array(readFileSync(join(dir, 'm3.h5'))) }]);
    assert.equal(model.head.kind, 'softmax');
    assert.deepEqual(model.outputShape, [null, 3]);
    await model.dispose();
    const base = await runCli(['train', 'x.npy', 'y.npy', '-o', 'b.h5'], dir);
    assert.equal(base.code, 2);
    assert.match(base.stderr, /BAD_ARGUMENT.*3 classes.*--preset custom/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('convscope train: usage errors name the flag', async () => {
  const dir = tinyData(4);
  try {
    const cases: [string[], RegExp][] = [
      [['train', 'x.npy'], /needs images and labels/],
      [['train', 'x.npy', 'y.npy'], /needs -o/],
      [['train', 'x.npy', 'y.npy', '-o', 'm.keras'], /name it \.h5/],
      [['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--preset', 'resnet'], /Unknown training preset 'resnet'/],
      [['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--conv', '8'], /add --preset custom/],
      [['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--threads', '0'], /--threads must be/],
      [['train', 'x.npy', 'y.npy', '-o', 'm.h5', '--init', 'zeros'], /--init must be/],
    ];
    for (const [argv, re] of cases) {
      const r = await runCli(argv, dir);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, re, argv.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
