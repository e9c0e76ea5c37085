import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, FileFormatError } from '../errors.js';
import { checkOutputFolder, preflightWrites, writeFileAtomic } from './files.js';

const isNotWritable = (re: RegExp) => (e: unknown): boolean => e instanceof FileFormatError && e.code === 'OUTPUT_NOT_WRITABLE' && re.test(e.message);

test('writeFileAtomic writes, refuses to overwrite unasked, and replaces with overwrite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-files-'));
  try {
    const path = join(dir, 'a.txt');
    await writeFileAtomic(path, 'one');
    assert.equal(await readFile(path, 'utf8'), 'one');
    await assert.rejects(writeFileAtomic(path, 'two'), (e: unknown) => e instanceof ArgumentError && e.code === 'FILE_EXISTS');
    await writeFileAtomic(path, 'two', { overwrite: true });
    assert.equal(await readFile(path, 'utf8'), 'two');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an output whose folder is missing, or is a file, is a typed error naming the folder (before and at writing)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-files-'));
  try {
    const missing = join(dir, 'no-such-folder', 'out.npy');
    await assert.rejects(checkOutputFolder(missing), isNotWritable(/no-such-folder' does not exist.*mkdir -p/));
    await assert.rejects(writeFileAtomic(missing, 'x'), isNotWritable(/no-such-folder' does not exist/));
    const file = join(dir, 'plain');
    await writeFile(file, '');
    await assert.rejects(checkOutputFolder(join(file, 'out.npy')), isNotWritable(/is not a folder/));
    await assert.rejects(writeFileAtomic(join(file, 'out.npy'), 'x'), isNotWritable(/plain/));
    await checkOutputFolder(join(dir, 'fine.npy'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('preflightWrites: folders first, then existing files unless overwrite; null entries skipped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-files-'));
  try {
    const there = join(dir, 'there.npy');
    await writeFile(there, '');
    await assert.rejects(preflightWrites([null, there], false), (e: unknown) => e instanceof ArgumentError && e.code === 'FILE_EXISTS');
    await preflightWrites([null, there, join(dir, 'new.npy')], true);
    await assert.rejects(preflightWrites([there, join(dir, 'x', 'y.npy')], true), isNotWritable(/'x' does not exist|x' does not exist/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
