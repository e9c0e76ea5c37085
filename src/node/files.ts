// Node-only file helpers: read-only opening with a size limit, and atomic writes that never
// overwrite a user's file unless asked.

import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
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

/**
 * Writes `data` to `path` atomically: to a temporary file in the same folder, then renamed.
 * Refuses to replace an existing file unless `overwrite` is set.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (options.overwrite !== true) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new ArgumentError('FILE_EXISTS', `Output '${path}' already exists; convscope does not overwrite files unasked.`, {
        hint: 'Choose another name or pass --overwrite.',
        details: { file: path },
      });
    }
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
