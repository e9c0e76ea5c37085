// Provenance of a figure (any JSON record, normally methods/provenance.ts's) embedded in the
// figure: SVG <metadata>, and a PNG tEXt chunk inserted with its CRC-32 (figure PNGs come from
// resvg, so fast-png's own tEXt writing does not apply). Pure bytes and strings.

import { ArgumentError, FileFormatError } from '../errors.js';

/** A provenance record as read back from a figure: the JSON object that was embedded. */
export type ProvenanceRecord = Record<string, unknown>;

/** The project's provenance record (methods/provenance.ts), re-exported for figure options. Type only. */
export type { Provenance } from '../methods/provenance.js';

/** PNG tEXt keyword and SVG metadata id under which provenance is stored. */
export const PROVENANCE_KEY = 'convscope';

/**
 * JSON with object keys sorted (stable across runs and engines) and every non-ASCII character
 * escaped as \uXXXX, so the text is valid Latin-1 for a PNG tEXt chunk and parses back to the
 * same value.
 */
export function stableJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  const json = JSON.stringify(sorted(value));
  if (json === undefined) throw new ArgumentError('BAD_ARGUMENT', 'Provenance must be a JSON object.');
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------------
// SVG

const SVG_METADATA = /<metadata id="convscope-provenance"[^>]*>([\s\S]*?)<\/metadata>/;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unescapeText(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Puts provenance into an SVG document as `<metadata id="convscope-provenance">` holding JSON,
 * right after the root element's start tag; an existing convscope record is replaced.
 */
export function embedSvgProvenance(svg: string, provenance: object): string {
  const element = `<metadata id="convscope-provenance" data-format="application/json">${escapeText(stableJson(provenance))}</metadata>`;
  if (SVG_METADATA.test(svg)) return svg.replace(SVG_METADATA, () => element);
  const open = /<svg\b[^>]*>/.exec(svg);
  if (open === null) {
    throw new ArgumentError('BAD_ARGUMENT', 'Cannot embed provenance: the text has no <svg> element.', {
      hint: 'Pass an SVG document made by a render* function.',
    });
  }
  const at = open.index + open[0].length;
  return `${svg.slice(0, at)}\n${element}${svg.slice(at)}`;
}

/**
 * Reads provenance back from an SVG document; undefined when it has none. `T` names the record
 * type the caller expects (not checked).
 */
export function readSvgProvenance<T extends object = ProvenanceRecord>(svg: string): T | undefined {
  const m = SVG_METADATA.exec(svg);
  if (m === null) return undefined;
  try {
    return JSON.parse(unescapeText(m[1] as string)) as T;
  } catch (cause) {
    throw new FileFormatError('FILE_CORRUPT', 'The SVG has a convscope provenance record that is not valid JSON.', { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// PNG

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as PNG chunks use) of bytes. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (crcTable[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface Chunk {
  readonly type: string;
  readonly start: number; // offset of the length field
  readonly end: number; // offset after the CRC
  readonly data: Uint8Array;
}

function pngChunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) {
    throw new FileFormatError('FILE_UNRECOGNISED', 'Not a PNG file (bad signature).', { hint: 'Pass the bytes of a .png file.' });
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new FileFormatError('FILE_TRUNCATED', `PNG chunk at byte ${at} is cut short.`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > png.length) throw new FileFormatError('FILE_TRUNCATED', `PNG chunk '${type}' at byte ${at} runs past the end of the file.`);
    chunks.push({ type, start: at, end, data: png.subarray(at + 8, at + 8 + length) });
    at = end;
    if (type === 'IEND') break;
  }
  return chunks;
}

/** Builds one PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new ArgumentError('BAD_ARGUMENT', 'PNG tEXt chunks hold Latin-1 text only.');
    out[i] = c;
  }
  return out;
}

/**
 * Inserts a tEXt chunk `keyword` = `text` right after IHDR, replacing any tEXt chunk with the
 * same keyword. Keyword: 1-79 Latin-1 characters; text: Latin-1.
 */
export function setPngText(png: Uint8Array, keyword: string, text: string): Uint8Array {
  if (keyword.length < 1 || keyword.length > 79) {
    throw new ArgumentError('BAD_ARGUMENT', `PNG text keyword must have 1 to 79 characters; got '${keyword}'.`);
  }
  const chunks = pngChunks(png);
  const ihdr = chunks[0];
  if (ihdr === undefined || ihdr.type !== 'IHDR') throw new FileFormatError('FILE_CORRUPT', 'PNG does not start with an IHDR chunk.');
  const payload = new Uint8Array([...latin1(keyword), 0, ...latin1(text)]);
  const parts: Uint8Array[] = [png.subarray(0, ihdr.end), pngChunk('tEXt', payload)];
  for (const c of chunks.slice(1)) {
    if (c.type === 'tEXt' && textKeyword(c.data) === keyword) continue;
    parts.push(png.subarray(c.start, c.end));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function textKeyword(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return String.fromCharCode(...data.subarray(0, Math.min(80, nul < 0 ? data.length : nul)));
}

/** All tEXt chunks of a PNG as keyword -> text (Latin-1 decoded). */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of pngChunks(png)) {
    if (c.type !== 'tEXt') continue;
    const nul = c.data.indexOf(0);
    if (nul < 0) continue;
    let text = '';
    for (let i = nul + 1; i < c.data.length; i++) text += String.fromCharCode(c.data[i] as number);
    out[textKeyword(c.data)] = text;
  }
  return out;
}

/** Embeds provenance in PNG bytes as a tEXt chunk with keyword 'convscope' (JSON text). */
export function embedPngProvenance(png: Uint8Array, provenance: object): Uint8Array {
  return setPngText(png, PROVENANCE_KEY, stableJson(provenance));
}

/** Reads provenance back from PNG bytes; undefined when it has none. `T` as in readSvgProvenance. */
export function readPngProvenance<T extends object = ProvenanceRecord>(png: Uint8Array): T | undefined {
  const text = readPngText(png)[PROVENANCE_KEY];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new FileFormatError('FILE_CORRUPT', "The PNG's convscope provenance chunk is not valid JSON.", { cause });
  }
}
