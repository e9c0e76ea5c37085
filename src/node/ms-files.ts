// Node-only: find ms-format simulation files under paths and folders, read them (gzip too) with
// the size limit of files.ts, and write replicates as ms files atomically, never overwriting
// unasked. The parsing itself is src/popgen/ms.ts.

import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'fflate';
import { ArgumentError, FileFormatError } from '../errors.js';
import { readMs, scanMs, type MsFile, type MsHeader, type MsReadOptions, type MsReplicate } from '../popgen/ms.js';
import { msChunks, type MsWriteOptions } from '../popgen/ms-write.js';
import type { HaplotypeMatrix } from '../popgen/ms.js';
import { DEFAULT_MAX_FILE_BYTES, readFileLimited, writeFileAtomic } from './files.js';

/** File names taken from folders: ms output as the simulators and BaSe name it, gzip or not. */
export const MS_FILE_PATTERN = /\.(txt|ms|msout|out|sim)(\.gz)?$/i;

/**
 * Expands `inputs` (files or folders, relative to `cwd`) into a sorted list of files: files are
 * taken as given; folders are walked recursively for names matching MS_FILE_PATTERN (hidden
 * entries skipped).
 *
 * @throws FileFormatError `FILE_NOT_FOUND` for a missing input; ArgumentError when nothing is found
 */
export async function collectMsFiles(inputs: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const path = resolve(cwd, input);
    const info = await stat(path).catch((cause: unknown) => {
      throw new FileFormatError('FILE_NOT_FOUND', `Not found: '${input}'.`, { cause, hint: 'Check the path.', details: { file: path } });
    });
    if (info.isDirectory()) {
      const found = await walk(path);
      if (found.length === 0) {
        throw new ArgumentError('BAD_ARGUMENT', `No simulation files in folder '${input}' (looked for names ending in .txt, .ms, .msout, .out, .sim, optionally .gz).`);
      }
      out.push(...found);
    } else {
      out.push(path);
    }
  }
  return [...new Set(out)];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile() && MS_FILE_PATTERN.test(e.name)) out.push(path);
  }
  return out;
}

export interface ReadMsFileOptions extends Omit<MsReadOptions, 'fileName'> {
  /** Largest file read, in bytes (compressed size for gzip). Default 4 GiB. */
  readonly maxFileBytes?: number;
  /** Name for messages. Default: the path. */
  readonly displayName?: string;
}

/** Reads a whole ms-format file (plain or gzip). */
export async function readMsFile(path: string, options: ReadMsFileOptions = {}): Promise<MsFile> {
  const bytes = await readFileLimited(path, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  return readMs(bytes, { ...options, fileName: options.displayName ?? path });
}

/** Streams the replicates of an ms-format file to `onReplicate` (see scanMs). */
export async function scanMsFile(path: string, onReplicate: (rep: MsReplicate, header: MsHeader) => boolean | void, options: ReadMsFileOptions = {}): Promise<MsHeader> {
  const bytes = await readFileLimited(path, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  return scanMs(bytes, onReplicate, { ...options, fileName: options.displayName ?? path });
}

export interface WriteMsFileOptions extends MsWriteOptions {
  /** Compress with gzip. Default: when the path ends in `.gz`. */
  readonly gzip?: boolean;
  /** Replace an existing file. Default false. */
  readonly overwrite?: boolean;
}

/** Writes replicates as an ms-format file, atomically. */
export async function writeMsFile(path: string, replicates: readonly HaplotypeMatrix[], options: WriteMsFileOptions = {}): Promise<void> {
  const text = [...msChunks(replicates, options)].join('');
  const gzip = options.gzip ?? path.toLowerCase().endsWith('.gz');
  const bytes = new TextEncoder().encode(text);
  await writeFileAtomic(path, gzip ? gzipSync(bytes, { level: 6 }) : bytes, { overwrite: options.overwrite === true });
}

