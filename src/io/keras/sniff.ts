// Recognise a model file by its first bytes (never by its name): HDF5, ZIP, JSON text, or
// something else, in which case the error says what the bytes look like and what is accepted.

import { FileFormatError } from '../../errors.js';
import { hdf5SignatureOffset } from '../hdf5-bytes.js';

/** What a file's bytes look like. */
export type SniffedKind = 'hdf5' | 'zip' | 'json' | 'empty' | 'unknown';

/** The formats convscope accepts, for messages. */
export const ACCEPTED_FORMATS =
  'convscope reads Keras HDF5 files (.h5/.hdf5: a full model, or weights with the architecture JSON), .keras archives, ' +
  'architecture JSON (model.to_json()), and TensorFlow.js model.json files with their weight shards.';

/**
 * Classifies bytes: `hdf5` (signature `\x89HDF\r\n\x1a\n` at offset 0, 512, 1024, 2048...),
 * `zip` (`PK\x03\x04`, or `PK\x05\x06` for an empty archive), `json` (after an optional UTF-8 BOM
 * and whitespace, `{` or a JSON string `"`), `empty`, else `unknown`.
 */
export function sniffKeras(bytes: Uint8Array): SniffedKind {
  if (bytes.length === 0) return 'empty';
  if (hdf5SignatureOffset(bytes) >= 0) return 'hdf5';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))) {
    return 'zip';
  }
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x7b || bytes[i] === 0x22) return 'json';
  return 'unknown';
}

/** The first bytes as hex and as text, e.g. `7f 45 4c 46 ... (".ELF...")`. */
export function describeLeadingBytes(bytes: Uint8Array, n = 8): string {
  const head = bytes.subarray(0, n);
  if (head.length === 0) return '(no bytes)';
  const hex = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hex} ("${text}")`;
}

/** Well-known formats that are not models we read, with what to do about them. */
function otherFormatHint(bytes: Uint8Array): string | undefined {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 64));
  if (text.startsWith('version https://git-lfs')) {
    return 'It is a Git LFS pointer, not the file itself: fetch the real file with `git lfs pull` (or download it from the web page).';
  }
  if (/^\s*<(!doctype|html|\?xml)/i.test(text)) return 'It is an HTML/XML page: the download probably returned a web page instead of the file.';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'It is gzip-compressed: decompress it first.';
  if (bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55 && bytes[3] === 0x4d) return 'It is a NumPy .npy array (data, not a model).';
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) return 'It is a Python pickle, which convscope never loads (it can run code).';
  if (bytes[0] === 0x0e && bytes[1] === 0x03 && bytes[2] === 0x13 && bytes[3] === 0x01) return 'It is an HDF4 file; re-save the model with Keras as .h5 or .keras.';
  if (/^\s*\[/.test(text)) return 'It is a JSON list, not a model config: the architecture JSON is an object.';
  return undefined;
}

/**
 * The error for bytes no reader accepts: FileFormatError `FILE_UNRECOGNISED` naming the file,
 * its first bytes and the accepted formats (`FILE_TRUNCATED` for an empty file).
 */
export function unrecognisedError(fileName: string, bytes: Uint8Array): FileFormatError {
  if (bytes.length === 0) {
    return new FileFormatError('FILE_TRUNCATED', `'${fileName}' is empty (0 bytes).`, {
      hint: 'The file may be truncated; re-download or re-save it.',
      details: { file: fileName, size: 0 },
    });
  }
  const other = otherFormatHint(bytes);
  return new FileFormatError('FILE_UNRECOGNISED', `'${fileName}' is not a model file convscope recognises: it starts with ${describeLeadingBytes(bytes)}.${other !== undefined ? ` ${other}` : ''}`, {
    hint: ACCEPTED_FORMATS,
    details: { file: fileName, leadingBytes: Array.from(bytes.subarray(0, 8)) },
  });
}
