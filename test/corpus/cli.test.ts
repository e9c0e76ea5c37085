// Corpus inputs through the CLI: the right exit code (2 bad arguments, 3 bad files, 4 unsupported,
// 5 limits), a one-line typed error on stderr without a stack trace, and no file written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli-harness.js';
import { haveFixtures } from '../fixtures.js';
import { HANDMADE_DIR } from './handmade.js';
import { source, truncate } from './generate.js';

interface CliCase {
  readonly args: string[];
  readonly exit: number;
  /** Must appear on stderr. */
  readonly stderr: RegExp;
}

const CASES: readonly CliCase[] = [
  { args: ['summary', 'truncated.h5'], exit: 3, stderr: /^FileFormatError \[FILE_TRUNCATED\]: '.*truncated\.h5' is truncated/ },
  { args: ['summary', 'empty.h5'], exit: 3, stderr: /^FileFormatError \[FILE_TRUNCATED\]: '.*empty\.h5' is empty \(0 bytes\)/ },
  { args: ['summary', 'missing.h5'], exit: 3, stderr: /^FileFormatError \[FILE_NOT_FOUND\]: File not found/ },
  { args: ['summary', 'keras-zip-traversal.keras'], exit: 3, stderr: /^FileFormatError \[ZIP_UNSAFE_PATH\]/ },
  { args: ['summary', 'git-lfs-pointer.h5'], exit: 3, stderr: /Git LFS pointer/ },
  { args: ['summary', 'lambda.h5'], exit: 4, stderr: /^UnsupportedError \[KERAS_LAMBDA\]: .*--start-after lambda_1/ },
  { args: ['summary', 'json-unknown-layer.json', '--weights', 'cifar.h5'], exit: 4, stderr: /^UnsupportedError \[KERAS_UNSUPPORTED_LAYER\]: .*QuantumConv2D/ },
  { args: ['summary', 'keras-zip-bomb-declared.keras'], exit: 5, stderr: /^LimitError \[ZIP_BOMB\]/ },
  { args: ['summary', 'model.h5', '--max-layers', '3'], exit: 5, stderr: /^LimitError \[LIMIT_EXCEEDED\]: .*more than the limit of 3\..*--max-layers/ },
  { args: ['summary', 'model.h5', '--max-params', '1000'], exit: 5, stderr: /^LimitError \[LIMIT_EXCEEDED\]: .*--max-params/ },
  { args: ['summary', 'model.h5', '--max-tensor-elements', '1000'], exit: 5, stderr: /^LimitError \[LIMIT_EXCEEDED\]: .*--max-tensor-elements/ },
  { args: ['summary', 'model.h5', '--max-file-bytes', '1000'], exit: 5, stderr: /^LimitError \[LIMIT_EXCEEDED\]: .*over the limit of 1000 bytes\. Raise the limit with --max-file-bytes/ },
  { args: ['summary', 'model.h5', '--max-layers', 'many'], exit: 2, stderr: /^ArgumentError \[BAD_ARGUMENT\]: --max-layers must be an integer, got 'many'/ },
  { args: ['summary', 'model.h5', '--max-layers', '0'], exit: 2, stderr: /^ArgumentError \[BAD_ARGUMENT\]: --max-layers must be a positive integer, got 0/ },
  { args: ['summary', 'model.h5', '--engine', 'gpu'], exit: 2, stderr: /^ArgumentError \[BAD_ARGUMENT\]: --engine must be auto, onnx or reference/ },
  { args: ['summary', 'model.h5', '--no-such-flag'], exit: 2, stderr: /^ArgumentError \[BAD_ARGUMENT\]: Unknown option '--no-such-flag'/ },
  { args: ['predict', 'bn.h5', 'npy-object-hostile-pickle.npy', '-o', 'out.npy', '--engine', 'reference'], exit: 3, stderr: /^FileFormatError \[NPY_PICKLE\]/ },
  { args: ['predict', 'bn.h5', 'npy-dims-near-2-53.npy', '-o', 'out.npy', '--engine', 'reference'], exit: 5, stderr: /^LimitError \[LIMIT_EXCEEDED\]: .*more than 2\^53 elements/ },
  { args: ['predict', 'bn.h5', 'npy-header-python-code.npy', '-o', 'out.npy', '--engine', 'reference'], exit: 3, stderr: /^FileFormatError \[NPY_BAD_HEADER\]/ },
];

test('corpus inputs through the CLI: exit codes, one-line errors, no stack traces, nothing written', { skip: !haveFixtures && 'shared fixtures not found' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-corpus-cli-'));
  try {
    const put = (name: string, bytes: Uint8Array): Promise<void> => writeFile(join(dir, name), bytes);
    const hm = (name: string): Promise<void> => put(name, readFileSync(join(HANDMADE_DIR, name)));
    await put('model.h5', source('functionalH5'));
    await put('bn.h5', source('batchnormH5'));
    await put('truncated.h5', truncate(source('functionalH5'), 100_000));
    await put('lambda.h5', source('lambdaH5'));
    await put('cifar.h5', source('cifarWeights'));
    for (const name of ['empty.h5', 'keras-zip-traversal.keras', 'git-lfs-pointer.h5', 'json-unknown-layer.json', 'keras-zip-bomb-declared.keras', 'npy-object-hostile-pickle.npy', 'npy-dims-near-2-53.npy', 'npy-header-python-code.npy']) await hm(name);
    const before = (await readdir(dir)).sort();

    for (const c of CASES) {
      const r = await runCli(c.args, dir);
      t.diagnostic(`convscope ${c.args.join(' ')}  ->  exit ${r.code}  ${r.stderr.split('\n')[0]!.slice(0, 100)}`);
      assert.equal(r.code, c.exit, `${c.args.join(' ')}: exit ${r.code}, stderr: ${r.stderr}`);
      assert.match(r.stderr, c.stderr, c.args.join(' '));
      assert.doesNotMatch(r.stderr, /^ {4}at /m, `no stack trace for ${c.args.join(' ')}`);
      assert.doesNotMatch(r.stderr, /InternalError/, c.args.join(' '));
      assert.equal(r.stdout, '', `nothing on stdout for ${c.args.join(' ')}`);
    }
    assert.deepEqual((await readdir(dir)).sort(), before, 'no file was written by a failing command');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
