// Node-only file helpers: read-only opening with a size limit, and atomic writes that never
// overwrite a user's file unless asked.

import { access, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ArgumentError, FileFormatError, LimitError } from '../errors.js';

/** Default largest file convscope reads: 4 GiB. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3;

/** Reads a whole file read-only, refusing files over `maxBytes` before reading them. */
export async function readFileLimited(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileFormatError('FILE_NOT_FOUND', `File not found: '${path}'.`, { cause, hint: 'Check the path.' });
    if (code === 'EISDIR') throw new FileFormatError('FILE_UNRECOGNISED', `'${path}' is a folder, not a file.`, { cause });
    throw new FileFormatError('FILE_NOT_FOUND', `Cannot open '${path}' for reading (${code ?? String(cause)}).`, { cause });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new FileFormatError('FILE_UNRECOGNISED', `'${path}' is a folder, not a file.`);
    if (info.size > maxBytes) {
      throw new LimitError('LIMIT_EXCEEDED', `'${path}' is ${info.size} bytes, over the limit of ${maxBytes} bytes.`, {
        hint: 'Raise the limit with --max-file-bytes (or the maxFileBytes option) if the file is trusted.',
        details: { file: path, size: info.size, limit: maxBytes },
      });
    }
    const buf = new Uint8Array(info.size);
    let off = 0;
    while (off < info.size) {
      const { bytesRead } = await handle.read(buf, off, info.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === info.size ? buf : buf.subarray(0, off);
  } finally {
    await handle.close();
  }
}

export interface WriteOptions {
  /** Replace an existing file (default false: an existing file is an error). */
  readonly overwrite?: boolean;
}

/** OUTPUT_NOT_WRITABLE for `path`, saying why; `mkdir` names a missing folder to create. */
function notWritable(path: string, why: string, options: { mkdir?: string; cause?: unknown; details: Record<string, unknown> }): FileFormatError {
  return new FileFormatError('OUTPUT_NOT_WRITABLE', `Cannot write '${path}': ${why}.`, {
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
    hint: options.mkdir !== undefined ? `Create it first (mkdir -p '${options.mkdir}') or choose another output path.` : 'Choose another output path.',
    details: { file: path, ...options.details },
  });
}

/**
 * Refuses an output path whose folder does not exist or is not a writable folder, with a typed
 * error naming it (OUTPUT_NOT_WRITABLE): what commands check before any work, so that a long run
 * does not end in an error at its last step.
 */
export async function checkOutputFolder(path: string): Promise<void> {
  const folder = dirname(path);
  const info = await stat(folder).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw notWritable(path, `the folder '${folder}' ${info === null ? 'does not exist' : 'is not a folder'}`, { mkdir: folder, details: { folder } });
  }
  try {
    await access(folder, constants.W_OK);
  } catch (cause) {
    throw notWritable(path, `the folder '${folder}' is not writable`, { cause, details: { folder } });
  }
}

/** An output path, or the path with how messages name it (e.g. `'out.png' (-o)`: as given, with its flag). */
export type OutputPath = string | { readonly path: string; readonly shown: string };

const pathOf = (p: OutputPath): string => (typeof p === 'string' ? p : p.path);

/**
 * Checks outputs before any work: each one's folder exists and is writable, and (unless
 * `overwrite`) the file does not exist yet (FILE_EXISTS). Null entries are skipped.
 */
export async function preflightWrites(paths: readonly (OutputPath | null)[], overwrite: boolean): Promise<void> {
  for (const p of paths) {
    if (p === null) continue;
    await checkOutputFolder(pathOf(p));
    if (!overwrite) await refuseExisting([p]);
  }
}

/** Fails before any work when one of `paths` exists (writeFileAtomic checks again when writing). */
export async function refuseExisting(paths: readonly (OutputPath | null)[]): Promise<void> {
  for (const p of paths) {
    if (p === null) continue;
    const path = pathOf(p);
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new ArgumentError('FILE_EXISTS', `Output ${typeof p === 'string' ? `'${p}'` : p.shown} already exists; convscope does not overwrite files unasked.`, {
        hint: 'Choose another name or pass --overwrite.',
        details: { file: path },
      });
    }
  }
}

/**
 * Writes `data` to `path` atomically: to a temporary file in the same folder, then renamed.
 * Refuses to replace an existing file unless `overwrite` is set.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (options.overwrite !== true) await refuseExisting([path]);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR' || code === 'ENOSPC') {
      const missing = (code === 'ENOENT' || code === 'ENOTDIR') && !(await stat(dirname(path)).then((i) => i.isDirectory(), () => false));
      const why = missing ? `its folder '${dirname(path)}' does not exist` : code === 'EISDIR' ? 'it is a folder' : code === 'ENOSPC' ? 'the disk is full' : `files cannot be created in '${dirname(path)}'`;
      throw notWritable(path, why, { cause: err, ...(missing ? { mkdir: dirname(path) } : {}), details: { errno: code } });
    }
    throw err;
  }
}
