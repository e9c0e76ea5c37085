// Safe in-memory ZIP reading (bytes -> entry bytes) for .npz and .keras archives. All names and
// declared sizes are checked from the central directory before anything is inflated; inflation
// is streamed and stops as soon as an entry outgrows its declared size.

import { Inflate } from 'fflate';
import { FileFormatError, LimitError } from '../errors.js';

/** Default limit on the summed uncompressed size of the entries read: 2 GiB. */
export const DEFAULT_MAX_ZIP_TOTAL_BYTES = 2 * 1024 ** 3;

/** Default limit on the number of entries an archive may list: 10,000. */
export const DEFAULT_MAX_ZIP_ENTRIES = 10_000;

/** Options of {@link listZip} and {@link readZip}. */
export interface ReadZipOptions {
  /** File name used in messages and error details. Default: `'archive'`. */
  readonly fileName?: string;
  /**
   * Largest summed declared uncompressed size of the entries read, in bytes. Checked before any
   * entry is inflated. Default: {@link DEFAULT_MAX_ZIP_TOTAL_BYTES} (2 GiB).
   */
  readonly maxTotalBytes?: number;
  /** Largest number of entries the central directory may list. Default: 10,000. */
  readonly maxEntries?: number;
  /**
   * Which entries to inflate (by name); the others are still checked for safe names but not
   * inflated, nor counted against `maxTotalBytes`. Default: every file entry.
   */
  readonly include?: (name: string) => boolean;
}

/** One entry as the central directory declares it. */
export interface ZipEntryInfo {
  /** Entry name as stored (`/`-separated). */
  readonly name: string;
  /** Compression method: 0 (stored) or 8 (deflate). */
  readonly method: number;
  /** Declared compressed size, in bytes. */
  readonly compressedSize: number;
  /** Declared uncompressed size, in bytes. */
  readonly size: number;
  /** Declared CRC-32 of the uncompressed bytes. */
  readonly crc32: number;
  /** Offset of the entry's data (after its local header) in the archive, in bytes. */
  readonly dataOffset: number;
  /** True for directory entries (name ending in `/`), which hold no data. */
  readonly isDirectory: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
/** Compressed bytes pushed to the inflater at a time; deflate expands at most ~1032x, so one push yields at most ~17 MB. */
const INFLATE_CHUNK = 16 * 1024;

/** True when the bytes start like a ZIP archive (a local header, or the record of an empty one). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return false;
  return (bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6);
}

/**
 * Lists the entries of a ZIP archive from its central directory, checking everything that can
 * be checked without inflating: structure, entry count, names (no `..`, no absolute paths,
 * no duplicates), data ranges (inside the file, not overlapping) and supported methods.
 *
 * Throws FileFormatError `ZIP_CORRUPT` for damaged or unsupported archives (multi-disk,
 * encrypted, methods other than stored/deflate), `ZIP_UNSAFE_PATH` for path-traversal names, and
 * LimitError `ZIP_BOMB` when the archive lists more than `maxEntries` entries.
 */
export function listZip(bytes: Uint8Array, options: ReadZipOptions = {}): ZipEntryInfo[] {
  const { fileName = 'archive', maxEntries = DEFAULT_MAX_ZIP_ENTRIES } = options;
  const r = new Reader(bytes, fileName);

  // 1. End of central directory (last record whose comment fits), then its ZIP64 form if any.
  const eocd = findEocd(bytes, fileName);
  if (r.u16(eocd + 4) !== 0 || r.u16(eocd + 6) !== 0) {
    throw corrupt(fileName, 'it is part of a multi-disk (split) archive, which is not supported', 'Join the parts into one archive first.');
  }
  let count = r.u16(eocd + 10);
  let cdSize = r.u32(eocd + 12);
  let cdOffset = r.u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc >= 0 && r.u32(loc) === SIG_EOCD64_LOCATOR) {
      const at = r.u64(loc + 8, 'ZIP64 end-of-directory offset');
      if (at + 56 > bytes.length || r.u32(at) !== SIG_EOCD64) {
        throw corrupt(fileName, `its ZIP64 end-of-directory locator points to offset ${at}, where no ZIP64 record is`);
      }
      count = r.u64(at + 32, 'entry count');
      cdSize = r.u64(at + 40, 'central directory size');
      cdOffset = r.u64(at + 48, 'central directory offset');
    }
  }
  if (cdOffset + cdSize > bytes.length) {
    throw corrupt(fileName, `its central directory (${cdSize} bytes at offset ${cdOffset}) lies beyond the end of the ${bytes.length}-byte file; the file is probably truncated`);
  }
  if (count * 46 > cdSize) {
    throw corrupt(fileName, `it claims ${count} entries, which cannot fit its ${cdSize}-byte central directory`);
  }
  if (count > maxEntries) {
    throw new LimitError('ZIP_BOMB', `${fileName}: the archive lists ${count} entries, over the limit of ${maxEntries}.`, {
      hint: 'Raise the maxEntries option if the archive is trusted.',
      details: { file: fileName, entries: count, limit: maxEntries },
    });
  }

  // 2. Central directory entries.
  const entries: ZipEntryInfo[] = [];
  const names = new Set<string>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || r.u32(p) !== SIG_CENTRAL) {
      throw corrupt(fileName, `central directory entry ${i} of ${count} is missing or damaged (offset ${p})`);
    }
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc = r.u32(p + 16);
    let compressedSize = r.u32(p + 20);
    let size = r.u32(p + 24);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const commentLen = r.u16(p + 32);
    let diskStart = r.u16(p + 34);
    let localOffset = r.u32(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) throw corrupt(fileName, `central directory entry ${i} runs past the directory's end`);
    const name = decodeName(bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);

    // ZIP64 extra field: holds, in this order, whichever of the four fields are saturated.
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff || diskStart === 0xffff) {
      let q = p + 46 + nameLen;
      const qEnd = q + extraLen;
      let found = false;
      while (q + 4 <= qEnd) {
        const id = r.u16(q);
        const len = r.u16(q + 2);
        if (q + 4 + len > qEnd) break;
        if (id === 0x0001) {
          let f = q + 4;
          const take = (label: string): number => {
            if (f + 8 > q + 4 + len) throw corrupt(fileName, `entry '${name}' has a short ZIP64 extra field (no ${label})`);
            const v = r.u64(f, label);
            f += 8;
            return v;
          };
          if (size === 0xffffffff) size = take('uncompressed size');
          if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
          if (localOffset === 0xffffffff) localOffset = take('local header offset');
          if (diskStart === 0xffff) diskStart = f + 4 <= q + 4 + len ? r.u32(f) : diskStart;
          found = true;
          break;
        }
        q += 4 + len;
      }
      if (!found && (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff)) {
        throw corrupt(fileName, `entry '${name}' declares ZIP64 sizes but has no ZIP64 extra field`);
      }
    }

    checkName(name, fileName);
    if (names.has(name)) throw corrupt(fileName, `it lists the entry '${name}' twice, so which one is meant is ambiguous`);
    names.add(name);
    if ((flags & 0x1) !== 0) {
      throw corrupt(fileName, `entry '${name}' is encrypted, which is not supported`, 'Re-create the archive without a password.');
    }
    if (method !== 0 && method !== 8) {
      throw corrupt(fileName, `entry '${name}' uses compression method ${method}; only stored (0) and deflate (8) are supported`, 'Re-create the archive with ordinary (deflate) compression.');
    }
    if (method === 0 && compressedSize !== size) {
      throw corrupt(fileName, `stored entry '${name}' declares ${compressedSize} stored bytes but ${size} uncompressed bytes`);
    }

    // 3. Local header: find where the data starts, and check the data lies inside the file.
    if (localOffset + 30 > bytes.length || r.u32(localOffset) !== SIG_LOCAL) {
      throw corrupt(fileName, `the local header of entry '${name}' (offset ${localOffset}) is missing or damaged`);
    }
    const dataOffset = localOffset + 30 + r.u16(localOffset + 26) + r.u16(localOffset + 28);
    if (dataOffset + compressedSize > bytes.length) {
      throw corrupt(fileName, `entry '${name}' needs ${compressedSize} bytes at offset ${dataOffset}, but the file has only ${bytes.length} bytes; the file is probably truncated`);
    }
    entries.push({ name, method, compressedSize, size, crc32: crc, dataOffset, isDirectory: name.endsWith('/') });
    p = end;
  }

  // 4. Overlapping entries are how "non-recursive" zip bombs multiply their size.
  const byOffset = entries.filter((e) => e.compressedSize > 0).sort((a, b) => a.dataOffset - b.dataOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.dataOffset < prev.dataOffset + prev.compressedSize) {
      throw corrupt(fileName, `the data of entries '${prev.name}' and '${cur.name}' overlap (a sign of a zip bomb)`);
    }
  }
  return entries;
}

/**
 * Reads the file entries of a ZIP archive (stored or deflate) into memory, keyed by name;
 * directory entries are skipped.
 *
 * Steps: (1) {@link listZip} checks structure, names and ranges; (2) the declared sizes of the
 * included entries are summed and refused above `maxTotalBytes` (LimitError `ZIP_BOMB`) before
 * anything is inflated; (3) each entry is inflated in chunks into a buffer of its declared size,
 * stopping with `ZIP_CORRUPT` as soon as it would outgrow it; (4) its size and CRC-32 are checked.
 */
export function readZip(bytes: Uint8Array, options: ReadZipOptions = {}): Map<string, Uint8Array> {
  const { fileName = 'archive', maxTotalBytes = DEFAULT_MAX_ZIP_TOTAL_BYTES, include } = options;
  const entries = listZip(bytes, options).filter((e) => !e.isDirectory && (include === undefined || include(e.name)));

  let total = 0;
  for (const e of entries) total += e.size;
  if (total > maxTotalBytes) {
    const biggest = entries.reduce((a, b) => (b.size > a.size ? b : a));
    throw new LimitError(
      'ZIP_BOMB',
      `${fileName}: the entries would inflate to ${total} bytes, over the limit of ${maxTotalBytes} bytes (largest: '${biggest.name}', ${biggest.size} bytes).`,
      { hint: 'Raise the maxTotalBytes option if the archive is trusted.', details: { file: fileName, totalBytes: total, limit: maxTotalBytes } },
    );
  }

  const out = new Map<string, Uint8Array>();
  for (const e of entries) {
    const raw = bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      data = new Uint8Array(e.size);
      data.set(raw);
    } else {
      data = inflateBounded(raw, e, fileName);
    }
    const crc = crc32(data);
    if (crc !== e.crc32) {
      throw corrupt(fileName, `entry '${e.name}' fails its checksum (CRC-32 ${hex8(crc)}, expected ${hex8(e.crc32)}); the file is damaged`);
    }
    out.set(e.name, data);
  }
  return out;
}

/** Inflates one entry into a buffer of exactly its declared size, refusing any more. */
function inflateBounded(raw: Uint8Array, e: ZipEntryInfo, fileName: string): Uint8Array {
  const data = new Uint8Array(e.size);
  let n = 0;
  let done = false;
  const inflater = new Inflate((chunk, final) => {
    if (n + chunk.length > e.size) {
      throw new FileFormatError('ZIP_CORRUPT', `${fileName}: entry '${e.name}' inflates to more than the ${e.size} bytes its header declares; the file is damaged or built to exhaust memory.`, {
        hint: 'Do not trust this archive.',
        details: { file: fileName, entry: e.name, declaredSize: e.size },
      });
    }
    data.set(chunk, n);
    n += chunk.length;
    if (final) done = true;
  });
  try {
    if (raw.length === 0) inflater.push(raw, true);
    for (let off = 0; off < raw.length; off += INFLATE_CHUNK) {
      const end = Math.min(off + INFLATE_CHUNK, raw.length);
      inflater.push(raw.subarray(off, end), end === raw.length);
    }
  } catch (cause) {
    if (cause instanceof FileFormatError) throw cause;
    throw corrupt(fileName, `entry '${e.name}' does not inflate (${cause instanceof Error ? cause.message : String(cause)})`, undefined, cause);
  }
  if (!done || n !== e.size) {
    throw corrupt(fileName, `entry '${e.name}' inflates to ${n} bytes but its header declares ${e.size}; the file is damaged`);
  }
  return data;
}

// Names: path traversal, absolute paths, drive letters and NUL are refused outright, since a
// caller might one day write entries to disk by name.
function checkName(name: string, fileName: string): void {
  const segments = name.split(/[\\/]/);
  let why: string | undefined;
  if (name.length === 0) why = 'is empty';
  else if (name.includes('\0')) why = 'contains a NUL character';
  else if (name.startsWith('/') || name.startsWith('\\')) why = 'is an absolute path';
  else if (/^[A-Za-z]:/.test(name)) why = 'starts with a drive letter';
  else if (segments.includes('..')) why = "contains a '..' segment that climbs out of the archive";
  if (why !== undefined) {
    throw new FileFormatError('ZIP_UNSAFE_PATH', `${fileName}: entry name ${JSON.stringify(name)} ${why}; convscope refuses archives with such names.`, {
      hint: 'Re-create the archive with plain relative names.',
      details: { file: fileName, entry: name },
    });
  }
}

function findEocd(bytes: Uint8Array, fileName: string): number {
  const r = new Reader(bytes, fileName);
  const stop = Math.max(0, bytes.length - 22 - 0xffff);
  for (let e = bytes.length - 22; e >= stop; e--) {
    if (r.u32(e) === SIG_EOCD && e + 22 + r.u16(e + 20) <= bytes.length) return e;
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw corrupt(
    fileName,
    `it has no ZIP end-of-central-directory record (expected the signature 'PK\\x05\\x06' within the last 64 KiB; the file starts with bytes ${head || '(none)'}), so it is not a ZIP archive or it is truncated`,
  );
}

// CP437, the encoding of names without the UTF-8 flag (bytes 0x80-0xFF).
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(raw);
  let s = '';
  for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

let crcTables: Int32Array | undefined;

/** CRC-32 (IEEE 802.3, as ZIP uses) of the bytes, as an unsigned 32-bit integer (slicing-by-8). */
export function crc32(data: Uint8Array): number {
  if (crcTables === undefined) {
    crcTables = new Int32Array(8 * 256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[i] = c;
    }
    for (let i = 256; i < 8 * 256; i++) {
      const prev = crcTables[i - 256]!;
      crcTables[i] = (prev >>> 8) ^ crcTables[prev & 0xff]!;
    }
  }
  const t = crcTables;
  const n = data.length;
  let c = -1;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function corrupt(fileName: string, what: string, hint?: string, cause?: unknown): FileFormatError {
  return new FileFormatError('ZIP_CORRUPT', `${fileName}: not a readable ZIP archive: ${what}.`, {
    hint: hint ?? 'The file may be damaged or incompletely downloaded; re-create or re-download it.',
    details: { file: fileName },
    cause,
  });
}

/** Bounds-checked little-endian reads; reading past the end is a corrupt archive. */
class Reader {
  constructor(
    private readonly b: Uint8Array,
    private readonly fileName: string,
  ) {}
  private need(at: number, n: number): void {
    if (at < 0 || at + n > this.b.length) {
      throw corrupt(this.fileName, `a record at offset ${at} runs past the end of the ${this.b.length}-byte file; the file is probably truncated`);
    }
  }
  u16(at: number): number {
    this.need(at, 2);
    return this.b[at]! | (this.b[at + 1]! << 8);
  }
  u32(at: number): number {
    this.need(at, 4);
    return (this.b[at]! | (this.b[at + 1]! << 8) | (this.b[at + 2]! << 16) | (this.b[at + 3]! << 24)) >>> 0;
  }
  u64(at: number, label: string): number {
    const lo = this.u32(at);
    const hi = this.u32(at + 4);
    const v = hi * 2 ** 32 + lo;
    if (!Number.isSafeInteger(v)) throw corrupt(this.fileName, `its ${label} (${v}) is impossibly large`);
    return v;
  }
}
