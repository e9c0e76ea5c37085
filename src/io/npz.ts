// NumPy .npz archives (np.savez / np.savez_compressed): a ZIP of .npy files -> arrays by name.
// The ZIP safety checks live in zip.ts; each entry is then read by npy.ts.

import { FileFormatError } from '../errors.js';
import { readNpyOwned, type NpyArray } from './npy.js';
import { readZip } from './zip.js';

/** Options of {@link readNpz}. */
export interface ReadNpzOptions {
  /** File name used in messages and error details. Default: `'arrays.npz'`. */
  readonly fileName?: string;
  /** Largest summed declared uncompressed size of the entries, in bytes, checked before inflating. Default: 2 GiB. */
  readonly maxTotalBytes?: number;
  /** Largest number of entries the archive may list. Default: 10,000. */
  readonly maxEntries?: number;
  /** Largest number of elements of any one array, checked before allocating. Default: 2^31. */
  readonly maxElements?: number;
}

/**
 * Reads an .npz archive (stored or deflated) into a Map from array name (the entry name without
 * its `.npy` suffix, as `np.load(...).files` lists them) to array, in archive order.
 *
 * Every entry must be a .npy file; directory entries and macOS `__MACOSX/` metadata are skipped.
 * Throws what readZip throws (`ZIP_CORRUPT`, `ZIP_UNSAFE_PATH`, LimitError `ZIP_BOMB`), what
 * readNpy throws for a bad entry (its message names `archive:entry`), and FileFormatError
 * `NPZ_BAD_ENTRY` for an entry that is not a .npy file.
 */
export function readNpz(bytes: Uint8Array, options: ReadNpzOptions = {}): Map<string, NpyArray> {
  const { fileName = 'arrays.npz', maxElements } = options;
  const entries = readZip(bytes, {
    fileName,
    ...(options.maxTotalBytes === undefined ? {} : { maxTotalBytes: options.maxTotalBytes }),
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    include: (name) => !name.startsWith('__MACOSX/'),
  });
  const out = new Map<string, NpyArray>();
  for (const [name, data] of entries) {
    if (!name.endsWith('.npy')) {
      throw new FileFormatError('NPZ_BAD_ENTRY', `${fileName}: entry '${name}' is not a .npy file, so this is not an .npz archive of arrays.`, {
        hint: 'An .npz holds only .npy entries (as np.savez writes); remove other files from the archive.',
        details: { file: fileName, entry: name },
      });
    }
    const key = name.slice(0, -'.npy'.length);
    const array = readNpyOwned(data, { fileName: `${fileName}:${name}`, ...(maxElements === undefined ? {} : { maxElements }) });
    out.set(key, array);
  }
  return out;
}
