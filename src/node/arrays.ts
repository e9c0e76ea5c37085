// Node-only: read a NumPy array from a path as float32 (with checks), write one atomically.

import { readNpyOwned, toFloat32, writeNpy } from '../io/npy.js';
import { firstNonFinite, type Tensor } from '../tensor.js';
import { readFileLimited, writeFileAtomic, DEFAULT_MAX_FILE_BYTES } from './files.js';

/** Reads an `.npy` file as a float32 tensor. */
export async function readTensorFile(path: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<Tensor> {
  // The bytes were just read for this call alone: the array may be a view on them (no copy).
  const arr = readNpyOwned(await readFileLimited(path, maxFileBytes), { fileName: path });
  return { shape: arr.shape, data: toFloat32(arr) };
}

/** Writes a float32 tensor as `.npy`, atomically; refuses to overwrite unless asked. */
export async function writeTensorFile(path: string, t: Tensor, overwrite = false): Promise<void> {
  await writeFileAtomic(path, writeNpy({ dtype: 'float32', shape: [...t.shape], data: t.data }), { overwrite });
}

/** Indices of samples holding NaN or infinite values (at most `limit`). */
export function nonFiniteSamples(t: Tensor, limit = 20): number[] {
  const n = t.shape[0] ?? 0;
  const per = n === 0 ? 0 : t.data.length / n;
  const bad: number[] = [];
  // One fast scan clears the common case (all finite); then sample by sample from each hit.
  for (let from = 0; per > 0 && from < n && bad.length < limit; ) {
    const at = firstNonFinite(t.data.subarray(from * per));
    if (at < 0) break;
    const sample = from + Math.floor(at / per);
    bad.push(sample);
    from = sample + 1;
  }
  return bad;
}
