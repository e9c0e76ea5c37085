// A ZIP writer for the bad-input corpus: every header field can be set by hand (declared sizes,
// CRC, flags, names, data offsets), so archives can lie the way hostile ones do. Test-only.

import { deflateSync } from 'fflate';
import { crc32 } from '../../src/io/zip.js';

/** One entry; unset fields take the honest value. */
export interface RawEntry {
  readonly name: string;
  /** Uncompressed content (deflated unless `method` is 0). */
  readonly data: Uint8Array;
  /** 0 stored, 8 deflate (default 8). */
  readonly method?: number;
  /** General-purpose flags (bit 0: encrypted). Default 0x800 (UTF-8 names). */
  readonly flags?: number;
  /** Declared uncompressed size (default: the real one). */
  readonly size?: number;
  /** Declared CRC-32 (default: the real one). */
  readonly crc?: number;
  /** Point this entry's central record at another entry's local header (by index). */
  readonly shareDataWith?: number;
}

/** Builds a ZIP archive from raw entries. */
export function buildZip(entries: readonly RawEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = 0;
  const prepared = entries.map((e) => {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateSync(e.data) : e.data;
    return { e, method, body, name: enc.encode(e.name), crc: e.crc ?? crc32(e.data), size: e.size ?? e.data.length };
  });
  for (const p of prepared) {
    if (p.e.shareDataWith !== undefined) {
      offsets.push(offsets[p.e.shareDataWith]!);
      continue;
    }
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(4, 20, true);
    h.setUint16(6, p.e.flags ?? 0x800, true);
    h.setUint16(8, p.method, true);
    h.setUint32(14, p.crc, true);
    h.setUint32(18, p.body.length, true);
    h.setUint32(22, p.size >>> 0, true);
    h.setUint16(26, p.name.length, true);
    offsets.push(offset);
    const local = concat([new Uint8Array(h.buffer), p.name, p.body]);
    locals.push(local);
    offset += local.length;
  }
  prepared.forEach((p, i) => {
    const src = p.e.shareDataWith !== undefined ? prepared[p.e.shareDataWith]! : p;
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, p.e.flags ?? 0x800, true);
    c.setUint16(10, src.method, true);
    c.setUint32(16, src.crc, true);
    c.setUint32(20, src.body.length, true);
    c.setUint32(24, p.size >>> 0, true);
    c.setUint16(28, p.name.length, true);
    c.setUint32(42, offsets[i]!, true);
    central.push(concat([new Uint8Array(c.buffer), p.name]));
  });
  const cd = concat(central);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cd.length, true);
  end.setUint32(16, offset, true);
  return concat([...locals, cd, new Uint8Array(end.buffer)]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
