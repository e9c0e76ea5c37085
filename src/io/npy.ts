// NumPy .npy files (format 1.0, 2.0, 3.0): bytes -> plain typed arrays in C order and native
// byte order, and back. Numeric dtypes only; the header is parsed by hand (never evaluated)
// and pickled object arrays are refused, never loaded.

import { ArgumentError, FileFormatError, LimitError, formatShape } from '../errors.js';

/** The element types convscope reads and writes. */
export type NpyDtype =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

/** The typed array holding an {@link NpyArray}'s values. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * An array read from a .npy file. `data` is always in C (row-major) order and native byte order,
 * whatever the file stored. float16 values are decoded to a Float32Array (dtype stays
 * `'float16'`); bool values are a Uint8Array of 0 and 1.
 */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  /** Whether the file stored the values in Fortran (column-major) order; `data` is C order regardless. */
  readonly fortranOrder: boolean;
  readonly data: NpyData;
}

/** What {@link writeNpy} needs: a dtype, a shape and C-order values of the matching array type. */
export interface NpyWritable {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** C-order values: the typed array of `dtype` (Float32Array for float16, Uint8Array for bool). */
  readonly data: NpyData;
}

/** Options of {@link readNpy}. */
export interface ReadNpyOptions {
  /** File name used in messages and error details. Default: `'array.npy'`. */
  readonly fileName?: string;
  /** Largest number of elements accepted, checked before allocating. Default: 2^31. */
  readonly maxElements?: number;
}

/** Default {@link ReadNpyOptions.maxElements}: 2^31 elements. */
export const DEFAULT_MAX_NPY_ELEMENTS = 2 ** 31;

interface DtypeInfo {
  readonly itemSize: number;
  /** Constructor of the array type that holds the raw file values. */
  readonly raw: new (buffer: ArrayBuffer, byteOffset: number, length: number) => NpyData;
  readonly alloc: (n: number) => NpyData;
  readonly descr: string;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  float16: { itemSize: 2, raw: Uint16Array, alloc: (n) => new Float32Array(n), descr: '<f2' },
  float32: { itemSize: 4, raw: Float32Array, alloc: (n) => new Float32Array(n), descr: '<f4' },
  float64: { itemSize: 8, raw: Float64Array, alloc: (n) => new Float64Array(n), descr: '<f8' },
  int8: { itemSize: 1, raw: Int8Array, alloc: (n) => new Int8Array(n), descr: '|i1' },
  int16: { itemSize: 2, raw: Int16Array, alloc: (n) => new Int16Array(n), descr: '<i2' },
  int32: { itemSize: 4, raw: Int32Array, alloc: (n) => new Int32Array(n), descr: '<i4' },
  int64: { itemSize: 8, raw: BigInt64Array, alloc: (n) => new BigInt64Array(n), descr: '<i8' },
  uint8: { itemSize: 1, raw: Uint8Array, alloc: (n) => new Uint8Array(n), descr: '|u1' },
  uint16: { itemSize: 2, raw: Uint16Array, alloc: (n) => new Uint16Array(n), descr: '<u2' },
  uint32: { itemSize: 4, raw: Uint32Array, alloc: (n) => new Uint32Array(n), descr: '<u4' },
  uint64: { itemSize: 8, raw: BigUint64Array, alloc: (n) => new BigUint64Array(n), descr: '<u8' },
  bool: { itemSize: 1, raw: Uint8Array, alloc: (n) => new Uint8Array(n), descr: '|b1' },
};

/** The typed-array class {@link writeNpy} expects for each dtype. */
const DATA_CLASS: Record<NpyDtype, { name: string; is: (d: NpyData) => boolean }> = {
  float16: { name: 'Float32Array', is: (d) => d instanceof Float32Array },
  float32: { name: 'Float32Array', is: (d) => d instanceof Float32Array },
  float64: { name: 'Float64Array', is: (d) => d instanceof Float64Array },
  int8: { name: 'Int8Array', is: (d) => d instanceof Int8Array },
  int16: { name: 'Int16Array', is: (d) => d instanceof Int16Array },
  int32: { name: 'Int32Array', is: (d) => d instanceof Int32Array },
  int64: { name: 'BigInt64Array', is: (d) => d instanceof BigInt64Array },
  uint8: { name: 'Uint8Array', is: (d) => d instanceof Uint8Array },
  uint16: { name: 'Uint16Array', is: (d) => d instanceof Uint16Array },
  uint32: { name: 'Uint32Array', is: (d) => d instanceof Uint32Array },
  uint64: { name: 'BigUint64Array', is: (d) => d instanceof BigUint64Array },
  bool: { name: 'Uint8Array', is: (d) => d instanceof Uint8Array },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Deepest nesting accepted in a header literal (numpy's own headers nest 2 deep). */
const MAX_LITERAL_DEPTH = 16;

/** True when the bytes start with the .npy magic string `\x93NUMPY`. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Reads a .npy file.
 *
 * Steps: (1) magic and version; (2) the header, a Python dict literal, parsed by hand;
 * (3) dtype, order and shape checked, and the element count checked against `maxElements` and
 * the bytes present, all before allocating; (4) values copied out, byte-swapped if big-endian,
 * decoded if float16, transposed to C order if stored in Fortran order.
 *
 * Throws FileFormatError `NPY_BAD_HEADER`, `NPY_PICKLE` (object arrays), `NPY_UNSUPPORTED_DTYPE`
 * (strings, complex, structured...), `FILE_TRUNCATED`; LimitError `LIMIT_EXCEEDED`.
 * The result never shares memory with `bytes`.
 */
export function readNpy(bytes: Uint8Array, options: ReadNpyOptions = {}): NpyArray {
  return parseNpy(bytes, options, false);
}

/**
 * readNpy for callers that hand over `bytes` (the npz reader): when the values are stored
 * aligned, little-endian and in C order, the result is a view on `bytes` instead of a copy.
 * @internal
 */
export function readNpyOwned(bytes: Uint8Array, options: ReadNpyOptions = {}): NpyArray {
  return parseNpy(bytes, options, true);
}

function parseNpy(bytes: Uint8Array, options: ReadNpyOptions, owned: boolean): NpyArray {
  const { fileName = 'array.npy', maxElements = DEFAULT_MAX_NPY_ELEMENTS } = options;
  if (typeof maxElements !== 'number' || Number.isNaN(maxElements) || maxElements < 0) {
    throw new ArgumentError('BAD_ARGUMENT', `readNpy: maxElements must be a non-negative number of elements, got ${String(maxElements)}.`);
  }

  // 1. Magic and version.
  if (!isNpy(bytes)) {
    const zipHint = bytes[0] === 0x50 && bytes[1] === 0x4b ? ' It looks like a ZIP archive: if it is an .npz file, read it with readNpz.' : '';
    throw badHeader(fileName, `expected the .npy magic string \\x93NUMPY at the start, found ${showBytes(bytes.subarray(0, 8))}.${zipHint}`);
  }
  if (bytes.length < 10) throw truncated(fileName, 'the header length', 10, bytes.length);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw badHeader(fileName, `unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0).`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw truncated(fileName, 'the header length', 8 + lenBytes, bytes.length);
  const headerLen =
    major === 1 ? bytes[8]! | (bytes[9]! << 8) : (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16) | (bytes[11]! << 24)) >>> 0;
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) throw truncated(fileName, `the ${headerLen}-byte header`, dataStart, bytes.length);

  // 2. Header text: latin-1 for 1.0/2.0, UTF-8 for 3.0.
  const headerBytes = bytes.subarray(8 + lenBytes, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch (cause) {
      throw badHeader(fileName, 'the version 3.0 header is not valid UTF-8.', cause);
    }
  } else {
    text = latin1(headerBytes);
  }
  const dict = parseHeaderDict(text, fileName);

  // 3. dtype, order, shape, size.
  const { dtype, littleEndian } = parseDescr(dict.descr, fileName);
  if (dict.fortran_order.kind !== 'bool') {
    throw badHeader(fileName, `'fortran_order' must be True or False, got ${show(dict.fortran_order)}.`);
  }
  const fortranOrder = dict.fortran_order.value;
  const shape = parseShape(dict.shape, fileName);
  const n = elementCount(shape, maxElements, fileName);
  const info = DTYPES[dtype];
  const nBytes = n * info.itemSize;
  if (dataStart + nBytes > bytes.length) {
    throw new FileFormatError(
      'FILE_TRUNCATED',
      `${fileName}: the data is shorter than the shape needs: ${dtype} ${formatShape(shape)} needs ${nBytes} bytes after the header, but only ${bytes.length - dataStart} are present.`,
      {
        hint: 'The file is incomplete (interrupted download or save?); re-create it.',
        details: { file: fileName, dtype, shape, expectedBytes: nBytes, actualBytes: bytes.length - dataStart },
      },
    );
  }

  // 4. Values: own an aligned copy (or view), fix byte order, decode, reorder.
  const swap = info.itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  const absoluteStart = bytes.byteOffset + dataStart;
  let buffer: ArrayBuffer;
  let offset: number;
  if (owned && !swap && absoluteStart % info.itemSize === 0 && bytes.buffer instanceof ArrayBuffer) {
    buffer = bytes.buffer;
    offset = absoluteStart;
  } else {
    const copy = new Uint8Array(nBytes);
    copy.set(bytes.subarray(dataStart, dataStart + nBytes));
    if (swap) swapBytes(copy, info.itemSize);
    buffer = copy.buffer;
    offset = 0;
  }
  let data: NpyData = new info.raw(buffer, offset, n);
  if (dtype === 'float16') {
    data = decodeFloat16(data as Uint16Array);
  } else if (dtype === 'bool') {
    const b = data as Uint8Array; // a private copy, or a view on bytes the caller handed over
    for (let i = 0; i < n; i++) if (b[i]! > 1) b[i] = 1;
  }
  if (fortranOrder && shape.filter((d) => d > 1).length > 1) {
    data = fortranToC(data, shape, info.alloc(n));
  }
  return { dtype, shape, fortranOrder, data };
}

/**
 * Writes an array as a .npy file the way `numpy.save` does: format 1.0 (2.0 when the header
 * exceeds 65535 bytes), little-endian, C order, header padded with spaces (including numpy's
 * spare room for growing the first axis) so the data starts at a multiple of 64 bytes.
 *
 * Throws ArgumentError `BAD_ARGUMENT` (unknown dtype, wrong array type, bad shape) or
 * `SHAPE_MISMATCH` (data length differs from the shape's size).
 */
export function writeNpy(array: NpyWritable): Uint8Array {
  const { dtype, shape, data } = array;
  const info = (DTYPES as Partial<Record<string, DtypeInfo>>)[dtype];
  if (info === undefined) {
    throw new ArgumentError('BAD_ARGUMENT', `writeNpy: unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPES).join(', ')}.`);
  }
  const cls = DATA_CLASS[dtype];
  if (!cls.is(data)) {
    throw new ArgumentError('BAD_ARGUMENT', `writeNpy: dtype '${dtype}' needs its values in a ${cls.name}, got a ${data.constructor.name}.`);
  }
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError('BAD_ARGUMENT', `writeNpy: shape ${JSON.stringify(shape)} must hold non-negative integers.`);
    }
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new ArgumentError('SHAPE_MISMATCH', `writeNpy: shape ${formatShape(shape)} holds ${n} values, but the data has ${data.length}.`, {
      details: { shape: [...shape], length: data.length },
    });
  }

  // Header exactly as numpy 1.23+ writes it (format._write_array_header).
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  let major = 1;
  let lenBytes = 2;
  let total = 8 + lenBytes + header.length + 1;
  let pad = 64 - (total % 64);
  if (header.length + 1 + pad > 0xffff) {
    major = 2;
    lenBytes = 4;
    total = 8 + lenBytes + header.length + 1;
    pad = 64 - (total % 64);
  }
  const headerLen = header.length + pad + 1;
  const dataStart = 8 + lenBytes + headerLen;

  let body: Uint8Array;
  if (dtype === 'float16') {
    body = new Uint8Array(encodeFloat16(data as Float32Array).buffer);
  } else if (dtype === 'bool') {
    body = Uint8Array.from(data as Uint8Array, (v) => (v !== 0 ? 1 : 0));
  } else {
    body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  const out = new Uint8Array(dataStart + body.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  for (let i = 0; i < lenBytes; i++) out[8 + i] = (headerLen >>> (8 * i)) & 0xff;
  for (let i = 0; i < header.length; i++) out[8 + lenBytes + i] = header.charCodeAt(i);
  out.fill(0x20, 8 + lenBytes + header.length, dataStart - 1);
  out[dataStart - 1] = 0x0a;
  out.set(body, dataStart);
  if (!HOST_LITTLE_ENDIAN && info.itemSize > 1) swapBytes(out.subarray(dataStart), info.itemSize);
  return out;
}

/**
 * The values as a Float32Array, from any dtype (int64/uint64 through Number, so beyond 2^24 they
 * round like any float32). A float32 or float16 array's own `data` is returned without a copy.
 */
export function toFloat32(arr: Pick<NpyArray, 'data'>): Float32Array {
  const { data } = arr;
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    return out;
  }
  return Float32Array.from(data);
}

/** Options of {@link toLabels}. */
export interface ToLabelsOptions {
  /** Name of the labels (file or option) used in messages. Default: `'labels'`. */
  readonly name?: string;
}

/**
 * Class labels as an Int32Array of class indices, one per sample.
 *
 * Accepts shape (N,) or (N, 1) arrays of any numeric or bool dtype holding non-negative integers
 * (below 2^31), and (N, k) one-hot arrays (k > 1, every row all 0 but one 1), turned into the
 * index of the 1. Anything else throws ArgumentError `LABEL_MISMATCH` naming the first offending
 * index (in `details.index`).
 */
export function toLabels(arr: Pick<NpyArray, 'shape' | 'data' | 'dtype'>, options: ToLabelsOptions = {}): Int32Array {
  const { name = 'labels' } = options;
  const { shape, data } = arr;
  const value = (i: number): number => Number(data[i]!);
  // float32 values print with 7 significant digits (0.9, not 0.8999999761581421).
  const text = (i: number): string => (data instanceof Float32Array ? String(Number(data[i]!.toPrecision(7))) : String(data[i]));
  const fail = (message: string, index: number | undefined, hint?: string): never => {
    throw new ArgumentError('LABEL_MISMATCH', `${name}: ${message}`, {
      hint: hint ?? 'Labels must be class indices 0, 1, 2... (shape (N,)) or one-hot rows (shape (N, classes)).',
      details: { name, shape: [...shape], dtype: arr.dtype, ...(index === undefined ? {} : { index }) },
    });
  };

  if (shape.length === 0 || shape.length > 2) fail(`expected shape (N,) or (N, classes), got ${formatShape(shape)}.`, undefined);
  const nRows = shape[0]!;
  const k = shape.length === 2 ? shape[1]! : 1;
  const out = new Int32Array(nRows);

  if (k === 1) {
    for (let i = 0; i < nRows; i++) {
      const v = value(i);
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
        fail(`label ${i} is ${text(i)}, not a class index (a non-negative integer below 2^31).`, i);
      }
      out[i] = v;
    }
    return out;
  }
  if (k === 0) fail(`expected at least one class column, got shape ${formatShape(shape)}.`, undefined);
  for (let i = 0; i < nRows; i++) {
    let hot = -1;
    for (let j = 0; j < k; j++) {
      const v = value(i * k + j);
      if (v === 1 && hot === -1) hot = j;
      else if (v !== 0) {
        const row = Array.from({ length: Math.min(k, 10) }, (_, c) => text(i * k + c)).join(', ');
        fail(`row ${i} of the (N, ${k}) labels is not one-hot: [${row}${k > 10 ? ', ...' : ''}].`, i, 'One-hot labels need exactly one 1 per row and 0 elsewhere; pass class indices (shape (N,)) instead for soft or smoothed labels.');
      }
    }
    if (hot === -1) fail(`row ${i} of the (N, ${k}) labels is all zeros, so it names no class.`, i);
    out[i] = hot;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header literal: a Python dict such as {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }

type PyValue =
  | { kind: 'dict'; entries: [PyValue, PyValue][] }
  | { kind: 'tuple' | 'list'; items: PyValue[] }
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number; text: string; isInt: boolean }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' };

interface HeaderDict {
  descr: PyValue;
  fortran_order: PyValue;
  shape: PyValue;
}

function parseHeaderDict(text: string, fileName: string): HeaderDict {
  const parser = new LiteralParser(text, fileName);
  const value = parser.parseDocument();
  if (value.kind !== 'dict') throw badHeader(fileName, `expected the header to be a dict literal, found ${snippet(text, 0)}.`);
  const found: Partial<Record<string, PyValue>> = {};
  const keys: string[] = [];
  for (const [k, v] of value.entries) {
    if (k.kind !== 'str') throw badHeader(fileName, `header keys must be strings, found ${show(k)} in ${snippet(text, 0)}.`);
    if (found[k.value] !== undefined) throw badHeader(fileName, `the header repeats the key '${k.value}'.`);
    found[k.value] = v;
    keys.push(k.value);
  }
  const expected = ['descr', 'fortran_order', 'shape'];
  const missing = expected.filter((k) => found[k] === undefined);
  const extra = keys.filter((k) => !expected.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw badHeader(
      fileName,
      `the header must have exactly the keys 'descr', 'fortran_order', 'shape'${missing.length > 0 ? `; missing ${missing.map((k) => `'${k}'`).join(', ')}` : ''}${extra.length > 0 ? `; unexpected ${extra.map((k) => `'${k}'`).join(', ')}` : ''} (header: ${snippet(text, 0)}).`,
    );
  }
  return { descr: found['descr']!, fortran_order: found['fortran_order']!, shape: found['shape']! };
}

/** Recursive-descent parser for the Python literals numpy headers use. Never evaluates code. */
class LiteralParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly fileName: string,
  ) {}

  parseDocument(): PyValue {
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail('the end of the header');
    return v;
  }

  private fail(expected: string): never {
    throw badHeader(this.fileName, `malformed header literal: expected ${expected} at character ${this.pos}, found ${snippet(this.text, this.pos)}.`);
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r\f\v'.includes(this.text[this.pos]!)) this.pos++;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_LITERAL_DEPTH) this.fail(`at most ${MAX_LITERAL_DEPTH} levels of nesting`);
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(' || c === '[') return this.sequence(depth, c);
    if (c === "'" || c === '"') return this.string();
    if ((c === 'b' || c === 'u' || c === 'B' || c === 'U') && (this.text[this.pos + 1] === "'" || this.text[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    if (c !== undefined && /[-+0-9.]/.test(c)) return this.number();
    for (const [word, v] of [
      ['True', { kind: 'bool', value: true }],
      ['False', { kind: 'bool', value: false }],
      ['None', { kind: 'none' }],
    ] as const) {
      if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_]/.test(this.text[this.pos + word.length] ?? '')) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail('a value (dict, tuple, list, string, number, True, False or None)');
  }

  private dict(depth: number): PyValue {
    this.pos++; // {
    const entries: [PyValue, PyValue][] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'dict', entries };
      }
      const key = this.value(depth + 1);
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("':' after a dict key");
      this.pos++;
      const val = this.value(depth + 1);
      entries.push([key, val]);
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("',' or '}' in a dict");
    }
  }

  private sequence(depth: number, open: '(' | '['): PyValue {
    const close = open === '(' ? ')' : ']';
    this.pos++;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) {
        this.pos++;
        // (x) without a comma is just x in parentheses, not a tuple.
        if (open === '(' && items.length === 1 && !sawComma) return items[0]!;
        return { kind: open === '(' ? 'tuple' : 'list', items };
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.text[this.pos] !== close) this.fail(`',' or '${close}'`);
    }
  }

  private string(): PyValue {
    const quote = this.text[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail(`a closing ${quote}`);
      this.pos++;
      if (c === quote) return { kind: 'str', value: out };
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos];
      this.pos++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`${len} hex digits after \\${e}`);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += len;
      } else out += `\\${e ?? ''}`;
    }
  }

  private number(): PyValue {
    const m = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)[lL]?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (m === null) return this.fail('a number');
    this.pos += m[0].length;
    const text = m[0].replace(/[lL]$/, ''); // Python 2 wrote long integers as 3L
    const isInt = /^[-+]?\d+$/.test(text);
    return { kind: 'num', value: Number(text), text, isInt };
  }
}

function parseDescr(v: PyValue, fileName: string): { dtype: NpyDtype; littleEndian: boolean } {
  if (v.kind === 'list') {
    const fields = v.items
      .map((f) => (f.kind === 'tuple' && f.items[0]?.kind === 'str' ? f.items[0].value : '?'))
      .slice(0, 8)
      .join(', ');
    throw unsupported(fileName, `a structured (record) dtype with fields ${fields}`, show(v));
  }
  if (v.kind !== 'str') throw badHeader(fileName, `'descr' must be a dtype string such as '<f4', got ${show(v)}.`);
  const descr = v.value;
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)(.*)$/.exec(descr);
  if (m === null) throw badHeader(fileName, `'descr' ${JSON.stringify(descr)} is not a dtype string such as '<f4'.`);
  const [, order = '', kind = '', sizeText = '', rest = ''] = m;
  const size = sizeText === '' ? 0 : Number(sizeText);
  const littleEndian = order !== '>';

  if (kind === 'O') {
    throw new FileFormatError(
      'NPY_PICKLE',
      `${fileName}: dtype '${descr}' (object) holds pickled Python objects, which can run code when loaded; convscope never unpickles.`,
      {
        hint: "Re-save as a numeric array, e.g. np.save(path, arr.astype('float32')) (ragged lists must first be padded or split into one array each).",
        details: { file: fileName, descr },
      },
    );
  }
  if (rest === '') {
    const numeric: Partial<Record<string, NpyDtype>> = {
      f2: 'float16', f4: 'float32', f8: 'float64',
      i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
      u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
      b1: 'bool', '?': 'bool', '?1': 'bool',
    };
    const dtype = numeric[kind + sizeText];
    if (dtype !== undefined) return { dtype, littleEndian };
  }
  const what: Record<string, string> = {
    U: `unicode strings${size > 0 ? ` of up to ${size} characters` : ''}`,
    S: `byte strings${size > 0 ? ` of up to ${size} bytes` : ''}`,
    a: `byte strings${size > 0 ? ` of up to ${size} bytes` : ''}`,
    V: 'raw void/structured records',
    c: `complex numbers (complex${size * 8})`,
    M: 'datetime64 values',
    m: 'timedelta64 values',
    f: `float${size * 8} (extended precision)`,
    i: `int${size * 8}`,
    u: `uint${size * 8}`,
  };
  throw unsupported(fileName, what[kind] ?? 'an unknown element type', `'${descr}'`);
}

function parseShape(v: PyValue, fileName: string): number[] {
  if (v.kind !== 'tuple' && v.kind !== 'list') {
    throw badHeader(fileName, `'shape' must be a tuple of non-negative integers, got ${show(v)}.`);
  }
  return v.items.map((d) => {
    if (d.kind !== 'num' || !d.isInt || !Number.isSafeInteger(d.value) || d.value < 0) {
      throw badHeader(fileName, `'shape' must be a tuple of non-negative integers, got ${show(v)} (bad dimension ${show(d)}).`);
    }
    return d.value;
  });
}

function elementCount(shape: readonly number[], maxElements: number, fileName: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > maxElements || n > Number.MAX_SAFE_INTEGER) {
      const total = shape.reduce((a, b) => a * b, 1);
      throw new LimitError(
        'LIMIT_EXCEEDED',
        `${fileName}: shape ${formatShape(shape)} holds ${total > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : total} elements, over the limit of ${maxElements}.`,
        { hint: 'Raise the maxElements option if the file is trusted and memory allows.', details: { file: fileName, shape: [...shape], limit: maxElements } },
      );
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Values

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/** Rewrites values stored in Fortran order (first axis fastest) into C order (last axis fastest). */
function fortranToC(src: NpyData, shape: readonly number[], dst: NpyData): NpyData {
  const nd = shape.length;
  const cStride = new Array<number>(nd);
  let s = 1;
  for (let a = nd - 1; a >= 0; a--) {
    cStride[a] = s;
    s *= shape[a]!;
  }
  const idx = new Array<number>(nd).fill(0);
  const from = src as unknown as { [i: number]: number | bigint };
  const to = dst as unknown as { [i: number]: number | bigint };
  let d = 0;
  for (let i = 0; i < src.length; i++) {
    to[d] = from[i]!;
    // Advance the Fortran-order counter: axis 0 fastest.
    for (let a = 0; a < nd; a++) {
      idx[a]!++;
      d += cStride[a]!;
      if (idx[a]! < shape[a]!) break;
      d -= cStride[a]! * shape[a]!;
      idx[a] = 0;
    }
  }
  return dst;
}

/** IEEE 754 half-precision bit patterns -> float32 values. */
export function decodeFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = (h & 0x8000) !== 0 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) out[i] = sign * f * 2 ** -24;
    else if (e === 31) out[i] = f === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1024 + f) * 2 ** (e - 25);
  }
  return out;
}

/** float32 values -> IEEE 754 half-precision bit patterns, rounding to nearest even (as numpy). */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exp - 112; // rebias 127 -> 15
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && (half & 1) !== 0)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++; // a carry rounds up to Inf correctly
      out[i] = sign | half;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function showBytes(b: Uint8Array): string {
  if (b.length === 0) return 'an empty file';
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `bytes ${hex} (${JSON.stringify(latin1(b))})`;
}

function snippet(text: string, at: number): string {
  const s = text.slice(at, at + 60);
  return s.length === 0 ? 'the end of the header' : JSON.stringify(s + (text.length > at + 60 ? '...' : ''));
}

function show(v: PyValue): string {
  switch (v.kind) {
    case 'dict':
      return '{...}';
    case 'tuple':
      return `(${v.items.map(show).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list':
      return `[${v.items.map(show).join(', ')}]`;
    case 'str':
      return `'${v.value}'`;
    case 'num':
      return v.text;
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
  }
}

function badHeader(fileName: string, what: string, cause?: unknown): FileFormatError {
  return new FileFormatError('NPY_BAD_HEADER', `${fileName}: not a valid .npy file: ${what}`, {
    hint: 'The file may be damaged, or not written by numpy.save; re-save it with np.save.',
    details: { file: fileName },
    cause,
  });
}

function truncated(fileName: string, what: string, expected: number, actual: number): FileFormatError {
  return new FileFormatError('FILE_TRUNCATED', `${fileName}: the file ends before ${what}: expected at least ${expected} bytes, found ${actual}.`, {
    hint: 'The file is incomplete (interrupted download or save?); re-create it.',
    details: { file: fileName, expectedBytes: expected, actualBytes: actual },
  });
}

function unsupported(fileName: string, what: string, descr: string): FileFormatError {
  return new FileFormatError('NPY_UNSUPPORTED_DTYPE', `${fileName}: dtype ${descr} (${what}) is not supported: convscope reads numeric arrays only (float16/32/64, int8-64, uint8-64, bool).`, {
    hint: "Convert to a numeric array before saving, e.g. np.save(path, arr.astype('float32')); for string labels, save class indices: np.unique(labels, return_inverse=True)[1].",
    details: { file: fileName, descr },
  });
}
