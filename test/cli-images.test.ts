// `convscope images` and `convscope simulate`, run in-process through main() with captured
// output, on files written to a temporary folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'fflate';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';
import { readNpy } from '../src/io/npy.js';
import { simulateDemo } from '../src/popgen/demo.js';
import { writeMs } from '../src/popgen/ms-write.js';
import { haplotypeImage } from '../src/popgen/preprocess.js';
import { fixture, haveFixtures } from './fixtures.js';

interface Captured {
  io: CliIO;
  out: () => string;
  err: () => string;
}

function capture(cwd: string, tty = false): Captured {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable & { isTTY?: boolean } =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const stdout = sink((s) => (out += s));
  const stderr = Object.assign(sink((s) => (err += s)), { isTTY: tty });
  return { io: { stdout, stderr, cwd }, out: () => out, err: () => err };
}

async function run(cwd: string, argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  const c = capture(cwd, tty);
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'convscope-images-'));
}

// BaSe's layout: one replicate per file, SLiM's ms output (no command line), <CLASS>_<TIME>_<N>.txt
function writeBaseFiles(dir: string): ReturnType<typeof simulateDemo> {
  const demo = simulateDemo({ nPerClass: 3, seed: 11, sampleSize: 24, theta: 20, rho: 10 });
  mkdirSync(join(dir, 'sims'));
  let k = 0;
  for (const rep of demo.replicates) {
    const token = rep.model === 'neutral' ? 'NE' : rep.model === 'sweep' ? 'IS' : 'OD';
    const name = rep.model === 'neutral' ? `NE_${++k}.txt` : `${token}_20_${++k}.txt`;
    const text = writeMs([rep]).split('\n').slice(2).join('\n'); // drop command and seed lines
    writeFileSync(join(dir, 'sims', name), text);
  }
  return demo;
}

test('images: BaSe-style files -> x.npy (N, rows, cols, 1) float32 and y.npy int32, with a summary', async () => {
  const dir = tempDir();
  try {
    const demo = writeBaseFiles(dir);
    const argv = ['images', 'sims', '--label-from-name', 'NE=0,IS=1,OD=1,FD=1', '--size', '32x48', '--sort', 'freq', '--group', 'separate', '--length', '50000', '--neutral-length', '100000', '-o', 'x.npy', 'y.npy', '--manifest', 'm.tsv'];
    const r = await run(dir, argv);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '', 'stderr is not a terminal: no progress bar');
    assert.match(r.out, /NE\s+0\s+3\s+3\s+0/);
    assert.match(r.out, /total\s+6\s+6\s+0/);
    assert.match(r.out, /per label: 0: 3, 1: 3/);
    const x = readNpy(readFileSync(join(dir, 'x.npy')));
    const y = readNpy(readFileSync(join(dir, 'y.npy')));
    assert.equal(x.dtype, 'float32');
    assert.deepEqual(x.shape, [6, 32, 48, 1]);
    assert.equal(y.dtype, 'int32');
    // files are read in name order: IS_.., NE_1.., NE_2.., NE_3.., OD_..
    const manifest = readFileSync(join(dir, 'm.tsv'), 'utf8').trim().split('\n').slice(1);
    const names = manifest.map((l) => l.split('\t')[0]!.split('/').pop()!);
    assert.deepEqual(Array.from(y.data as Int32Array), names.map((nm) => (nm.startsWith('NE') ? 0 : 1)));
    // each image equals the library's preprocessing of that replicate
    names.forEach((nm, i) => {
      const rep = demo.replicates[Number(/_(\d+)\.txt$/.exec(nm)![1]) - 1]!;
      const neutral = nm.startsWith('NE');
      const want = haplotypeImage(rep, { regionLength: neutral ? 100_000 : 50_000, recentre: neutral ? { windowLength: 50_000 } : null, rows: 32, cols: 48 });
      assert.deepEqual((x.data as Float32Array).subarray(i * 32 * 48, (i + 1) * 32 * 48), want.image, nm);
    });
    // existing outputs are not overwritten unasked, and are left as they were
    const before = statSync(join(dir, 'x.npy')).mtimeMs;
    const again = await run(dir, argv);
    assert.equal(again.code, 2);
    assert.match(again.err, /FILE_EXISTS.*x\.npy.*--overwrite/s);
    assert.equal(statSync(join(dir, 'x.npy')).mtimeMs, before);
    assert.equal((await run(dir, [...argv, '--overwrite'])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate -> ms files (gzip) -> images: the demo data end to end', async () => {
  const dir = tempDir();
  try {
    const sim = await run(dir, ['simulate', '-n', '4', '--seed', '3', '--sample-size', '16', '--theta', '10', '--rho', '5', '--out-dir', 'sims', '--gzip']);
    assert.equal(sim.code, 0, sim.err);
    assert.match(sim.out, /simulated 8 replicates in [\d.]+ s \([\d.]+ replicates\/s\)/);
    const params = readFileSync(join(dir, 'sims', 'params.tsv'), 'utf8').trim().split('\n');
    assert.equal(params.length, 9);
    const img = await run(dir, ['images', 'sims', '--label-from-name', 'NE=0,IS=1,OD=1', '--size', '16x16', '-o', 'x.npy', 'y.npy', '--json']);
    assert.equal(img.code, 0, img.err);
    const summary = JSON.parse(img.out) as { images: number; shape: number[]; classes: { class: string; images: number }[] };
    assert.equal(summary.images, 8);
    assert.deepEqual(summary.shape, [8, 16, 16, 1]);
    const y = readNpy(readFileSync(join(dir, 'y.npy')));
    assert.equal(Array.from(y.data as Int32Array).filter((v) => v === 0).length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images: malformed, unlabelled and target-less inputs fail with a clear message and exit code', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'NE_1.txt'), '//\nsegsites: 2\npositions: 0.1 0.5\n01\n1x\n');
    const bad = await run(dir, ['images', 'NE_1.txt', '--images-out', 'x.npy', '--group', 'together']);
    assert.equal(bad.code, 3);
    assert.match(bad.err, /FileFormatError \[MS_PARSE\]: .*NE_1\.txt:5: haplotype row 2, column 2/);
    writeFileSync(join(dir, 'XX_1.txt'), '//\nsegsites: 1\npositions: 0.5\n0\n1\n');
    const unknown = await run(dir, ['images', 'XX_1.txt', '--label-from-name', 'NE=0', '-o', 'x.npy', 'y.npy']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /LABEL_MISMATCH.*'XX'.*Known classes: NE/s);
    const noLabels = await run(dir, ['images', 'XX_1.txt', '-o', 'x.npy', 'y.npy']);
    assert.equal(noLabels.code, 2);
    assert.match(noLabels.err, /needs --label-from-name/);
    // a site at 0.3 only: no target at the centre
    writeFileSync(join(dir, 'IS_1.txt'), '//\nsegsites: 1\npositions: 0.3\n0\n1\n');
    const noTarget = await run(dir, ['images', 'IS_1.txt', '--images-out', 'x.npy']);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.err, /POPGEN_NO_TARGET.*IS_1\.txt, replicate 1 \(line 1\)/);
    const missing = await run(dir, ['images', 'nothing.ms', '--images-out', 'x.npy']);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /FILE_NOT_FOUND/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images: real discoal files (gzip), several replicates in one file, skipping target-less ones', { skip: !haveFixtures }, async () => {
  const dir = tempDir();
  try {
    // The discoal sweep fixed its allele (-x 0.5, complete sweep), so no site sits at the centre.
    const r = await run(dir, ['images', fixture('popgen', 'discoal_neutral_1.ms.gz'), fixture('popgen', 'discoal_sweep_13.ms.gz'), '--group', 'together', '--sort', 'similarity', '--images-out', 'x.npy']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readNpy(readFileSync(join(dir, 'x.npy'))).shape, [2, 128, 128, 1]);
    // three replicates in one gzip file with a command line naming the region length
    const demo = simulateDemo({ nPerClass: 3, seed: 1, sampleSize: 12, theta: 10, rho: 5 });
    const sel = demo.replicates.filter((x) => x.label === 1);
    writeFileSync(join(dir, 'IS_all.ms.gz'), gzipSync(new TextEncoder().encode(writeMs(sel, { command: 'slim 12 3 -r 5 50000', seeds: '1' }))));
    const multi = await run(dir, ['images', 'IS_all.ms.gz', '--label-from-name', 'IS=1', '-o', 'a.npy', 'b.npy', '--size', '8x8']);
    assert.equal(multi.code, 0, multi.err);
    assert.deepEqual(readNpy(readFileSync(join(dir, 'a.npy'))).shape, [3, 8, 8, 1]);
    // with the real sweep (no site at the centre) skipped rather than failing
    const skip = await run(dir, ['images', 'IS_all.ms.gz', fixture('popgen', 'discoal_sweep_13.ms.gz'), '--on-missing-target', 'skip', '--images-out', 'c.npy', '--size', '8x8']);
    assert.equal(skip.code, 0, skip.err);
    assert.match(skip.out, /discoal\s+-\s+1\s+0\s+1/);
    assert.match(skip.out, /total\s+2\s+3\s+1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
