// What convscope reads from an HDF5 file's bytes itself, before h5wasm sees them: the signature
// and the size the superblock records, and the damage checks that keep HDF5 from looping forever
// or allocating gigabytes on a damaged file (found by fuzzing). Pure functions of the bytes.

import { nativeByteSearch } from '../bytes.js';

/** The HDF5 file signature, `\x89HDF\r\n\x1a\n`. */
export const HDF5_SIGNATURE: readonly number[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Offset of the HDF5 superblock: 0, or 512, 1024, 2048... when the file has a user block.
 * Returns -1 when the bytes carry no HDF5 signature at any of those offsets.
 */
export function hdf5SignatureOffset(bytes: Uint8Array): number {
  for (let at = 0; at + HDF5_SIGNATURE.length <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b)) return at;
  }
  return -1;
}

/**
 * End-of-file address the superblock records (in bytes), or `null` when it cannot be read from
 * the superblock (unknown version, undefined address, a user block before the superblock).
 * `Infinity` when the bytes end before that address could even be read: such a file is
 * certainly truncated.
 */
export function hdf5StoredEof(bytes: Uint8Array, superblockAt: number): number | null {
  const at = superblockAt;
  if (at + 11 > bytes.length) return Infinity;
  const version = bytes[at + 8]!;
  let sizeOfOffsets: number;
  let baseAt: number;
  let eofAt: number;
  if (version === 0 || version === 1) {
    if (at + 14 > bytes.length) return Infinity;
    sizeOfOffsets = bytes[at + 13]!;
    baseAt = at + (version === 0 ? 24 : 28);
    eofAt = baseAt + 2 * sizeOfOffsets;
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = bytes[at + 9]!;
    baseAt = at + 12;
    eofAt = baseAt + 2 * sizeOfOffsets;
  } else {
    return null;
  }
  if (sizeOfOffsets !== 2 && sizeOfOffsets !== 4 && sizeOfOffsets !== 8) return null;
  if (eofAt + sizeOfOffsets > bytes.length) return Infinity;
  const base = readAddress(bytes, baseAt, sizeOfOffsets);
  const eof = readAddress(bytes, eofAt, sizeOfOffsets);
  // With a user block, whether the end address counts from the base is murky: leave it to HDF5.
  if (base !== 0 || at !== 0 || eof === null) return null;
  return eof;
}

function readAddress(bytes: Uint8Array, at: number, size: number): number | null {
  let v = 0;
  let allOnes = true;
  for (let i = size - 1; i >= 0; i--) {
    const b = bytes[at + i]!;
    if (b !== 0xff) allOnes = false;
    v = v * 256 + b;
  }
  return allOnes || !Number.isSafeInteger(v) ? null : v;
}

/**
 * Every position where each needle occurs in `bytes` (overlapping occurrences included), by
 * Horspool's algorithm: the portable search (browsers); Node uses its native one (indexOfAll).
 */
export function findAllBytes(bytes: Uint8Array, needles: readonly Uint8Array[]): number[][] {
  return needles.map((n) => horspool(bytes, n));
}

function horspool(bytes: Uint8Array, needle: Uint8Array): number[] {
  const m = needle.length;
  if (m === 0) throw new RangeError('findAllBytes: empty needle');
  const shift = new Int32Array(256).fill(m);
  for (let j = 0; j < m - 1; j++) shift[needle[j]!] = m - 1 - j;
  const last = needle[m - 1]!;
  const found: number[] = [];
  for (let i = m - 1; i < bytes.length; i += shift[bytes[i]!]!) {
    if (bytes[i] !== last) continue;
    const start = i - m + 1;
    let j = 0;
    while (j < m - 1 && bytes[start + j] === needle[j]) j++;
    if (j === m - 1) found.push(start);
  }
  return found;
}

/**
 * Every position of one needle in `bytes` (overlapping occurrences included). In Node, the
 * platform's native search (Buffer#indexOf, several GB/s: 4 ms over a 17 MB model file against
 * 20-40 ms for the first, unoptimised run of a JavaScript loop); elsewhere findAllBytes.
 */
export function indexOfAll(bytes: Uint8Array, needle: Uint8Array): number[] {
  const view = needle.length === 0 ? null : nativeByteSearch(bytes);
  if (view === null) return findAllBytes(bytes, [needle])[0]!;
  const out: number[] = [];
  for (let i = view.indexOf(needle, 0); i >= 0; i = view.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** 'GCOL' and version 1: the start of a global heap collection. */
const GCOL = Uint8Array.from([0x47, 0x43, 0x4f, 0x4c, 1]);

/** An attribute name as it sits in an attribute message: its bytes and a NUL. */
function nameNeedle(name: string): Uint8Array {
  return Uint8Array.from([...Array.from(name, (c) => c.charCodeAt(0) & 0xff), 0]);
}

/**
 * Finds a global heap collection (`GCOL`, where HDF5 keeps variable-length strings) whose
 * objects HDF5 could not walk past: HDF5 steps from object to object by each one's recorded size,
 * and the free-space object (index 0) of size 0 makes it step in place forever (found by fuzzing:
 * one damaged byte of `cnn2d_71.h5`). Mirrors H5HG__cache_heap_deserialize; only collections that
 * look real (version 1, at least HDF5's 4096-byte minimum, inside the file) are walked.
 */
export function globalHeapLoop(bytes: Uint8Array, superblockAt: number): { collection: number; object: number } | null {
  const version = bytes[superblockAt + 8];
  const lengthSize = version === 0 || version === 1 ? bytes[superblockAt + 14] : bytes[superblockAt + 10];
  if (lengthSize !== 4 && lengthSize !== 8) return null;
  const len = (at: number): number => {
    let v = 0;
    for (let i = lengthSize - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
    return v;
  };
  const header = Math.ceil((8 + lengthSize) / 8) * 8; // H5HG_SIZEOF_HDR
  const objectHeader = 8 + lengthSize; // H5HG_SIZEOF_OBJHDR
  for (const g of indexOfAll(bytes, GCOL)) {
    if (g + header > bytes.length) break;
    const size = len(g + 8);
    if (size < 4096 || g + size > bytes.length) continue;
    const end = g + size;
    for (let p = g + header; p < end; ) {
      if (p + objectHeader > end) break; // a tail too small for an object header: free space
      const idx = bytes[p]! | (bytes[p + 1]! << 8);
      const objSize = len(p + 8);
      const need = idx > 0 ? objectHeader + Math.ceil(objSize / 8) * 8 : objSize;
      if (need === 0) return { collection: g, object: p };
      p += need;
    }
  }
  return null;
}

/**
 * The lengths stored for the variable-length strings of every attribute message named `name`
 * that sits, compact, in an object header (message versions 1-3, scalar or 1-D, 8-byte offsets):
 * what HDF5 will allocate when it reads them; and the element size each message's datatype
 * records (16 on disk: length, heap address, index). Found by scanning the bytes for the name;
 * anything that does not parse as such a message is skipped, so the lists may be empty.
 */
export function storedVlenLengths(bytes: Uint8Array, name: string): { lengths: number[]; elementSizes: number[] } {
  const needle = nameNeedle(name);
  const positions = indexOfAll(bytes, needle);
  const u16 = (at: number): number => bytes[at]! | (bytes[at + 1]! << 8);
  const u32 = (at: number): number => (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
  const out: number[] = [];
  const sizes: number[] = [];
  for (const p of positions) {
    for (const version of [1, 2, 3]) {
      const h = p - (version === 1 ? 8 : version === 2 ? 6 : 7);
      if (h < 0 || bytes[h] !== version || u16(h + 2) !== needle.length) continue;
      const dtSize = u16(h + 4);
      const dsSize = u16(h + 6);
      const dt = version === 1 ? p + pad8(needle.length) : p + needle.length;
      const ds = version === 1 ? dt + pad8(dtSize) : dt + dtSize;
      const data = version === 1 ? ds + pad8(dsSize) : ds + dsSize;
      if (data > bytes.length || (bytes[dt]! & 0x0f) !== 9 || (bytes[dt + 1]! & 0x0f) !== 1) continue; // not a variable-length string
      sizes.push(u32(dt + 4));
      const dsVersion = bytes[ds];
      const rank = bytes[ds + 1]!;
      if ((dsVersion !== 1 && dsVersion !== 2) || rank > 1) continue;
      const dimAt = dsVersion === 1 ? ds + 8 : ds + 4;
      const count = rank === 0 ? 1 : u32(dimAt) + u32(dimAt + 4) * 2 ** 32;
      for (let i = 0; i < Math.min(count, 4096) && data + 16 * i + 4 <= bytes.length; i++) out.push(u32(data + 16 * i));
      break;
    }
  }
  return { lengths: out, elementSizes: sizes };
}
