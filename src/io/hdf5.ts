// A thin, fail-safe adapter over h5wasm: HDF5 bytes -> attributes, group keys and numeric
// datasets. The bytes go into h5wasm's in-memory file system (no NODEFS, so it runs in Node and
// the browser alike); every HDF5 failure becomes a FileFormatError naming the file.

import { ConvscopeError, FileFormatError, LimitError, UnsupportedError, formatShape } from '../errors.js';
import { globalHeapLoop, hdf5SignatureOffset, hdf5StoredEof, storedVlenLengths } from './hdf5-bytes.js';

/** Element types of numeric datasets, after HDF5 has converted them to little-endian. */
export type Hdf5NumericDtype =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64';

/** A dataset's element type: numeric, or a short description of anything else (`string`, `compound`...). */
export type Hdf5Dtype = Hdf5NumericDtype | 'string' | 'other';

/** An attribute value, decoded: strings lose trailing NULs; numbers come as plain numbers. */
export type Hdf5AttrValue = string | number | readonly string[] | readonly number[] | null;

/** A dataset read as float32 (whatever its stored numeric type). */
export interface Hdf5Float32 {
  readonly shape: readonly number[];
  /** The stored element type, before conversion. */
  readonly dtype: Hdf5NumericDtype;
  readonly data: Float32Array;
}

/** What kind of object a path names. */
export type Hdf5Kind = 'group' | 'dataset' | 'missing' | 'other';

/**
 * An open HDF5 file. Paths are absolute (`/model_weights/conv2d_1`) or relative to the root.
 * Every method throws FileFormatError `HDF5_CORRUPT` / `FILE_TRUNCATED` when HDF5 cannot read
 * what was asked. Call `close()` when done (or use {@link withHdf5}).
 */
export interface Hdf5File {
  /** The name given to {@link openHdf5}, for messages. */
  readonly fileName: string;
  /** What `path` names (`missing` when nothing). */
  kind(path: string): Hdf5Kind;
  /** Names of the members of the group at `path`, in HDF5's (alphabetical) order. */
  keys(path: string): string[];
  /** Names of the attributes of the object at `path`. */
  attrNames(path: string): string[];
  /** One attribute, decoded; `undefined` when the object has no such attribute. */
  attr(path: string, name: string): Hdf5AttrValue | undefined;
  /** Shape and element type of a dataset, without reading its data. */
  datasetInfo(path: string): { readonly shape: readonly number[]; readonly dtype: Hdf5Dtype };
  /**
   * Reads a numeric dataset as float32 (float16, float64 and integers converted). Refuses
   * (LimitError `LIMIT_EXCEEDED`) datasets of more than `maxElements` elements before reading.
   */
  readFloat32(path: string, maxElements: number): Hdf5Float32;
  /** Closes the file and frees its bytes. Safe to call twice. */
  close(): void;
}

/** h5wasm's module namespace, and its instantiated WebAssembly module. */
export type H5wasmApi = typeof import('h5wasm');
export type H5Module = Awaited<H5wasmApi['ready']>;

let loading: Promise<{ api: H5wasmApi; module: H5Module }> | undefined;
let fileCounter = 0;
/**
 * Set when the wasm instance trapped (e.g. "memory access out of bounds") or aborted inside
 * HDF5: its stack and HDF5's state are then unreliable, and every later call failed the same way
 * (found by fuzzing). The next file gets a fresh instance.
 */
let poisoned = false;
let instances = 0;

/** Loads h5wasm once (lazily: a 4 MB wasm module that only HDF5 files need); anew after a trap. */
export function loadH5wasm(): Promise<{ api: H5wasmApi; module: H5Module }> {
  if (poisoned) {
    poisoned = false;
    loading = freshInstance();
  }
  loading ??= import('h5wasm').then(async (api) => ({ api, module: await api.default.ready }));
  return loading;
}

/**
 * Starts loading the HDF5 library without waiting for it, so that its WebAssembly compiles (on
 * V8's background threads) while the caller reads files or loads other libraries. Errors are
 * left for the first real use to report.
 */
export function preloadHdf5(): void {
  loadH5wasm().catch(() => undefined);
}

/**
 * A second, independent h5wasm instance: its module evaluated again under another URL (ES
 * modules are cached by URL), which instantiates the wasm afresh. Where the platform cannot
 * resolve the module's URL (some bundles), HDF5 stays unavailable until a restart.
 */
async function freshInstance(): Promise<{ api: H5wasmApi; module: H5Module }> {
  const resolveUrl = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  try {
    if (typeof resolveUrl !== 'function') throw new Error('import.meta.resolve is not available');
    const api = (await import(/* @vite-ignore */ `${resolveUrl('h5wasm')}?instance=${++instances}`)) as H5wasmApi;
    return { api, module: await api.default.ready };
  } catch (cause) {
    poisoned = true;
    throw new FileFormatError('HDF5_CORRUPT', 'The HDF5 library stopped after an earlier damaged file and could not be restarted in this process.', {
      hint: 'Restart convscope (or reload the page) and leave out the damaged file.',
      cause,
    });
  }
}

/** The emscripten stream behind a file descriptor (only the part we touch). */
interface TtyStream {
  tty?: unknown;
}

/**
 * Runs `fn` with HDF5's stderr diagnostics captured instead of printed, and returns them with
 * the result. All h5wasm calls are synchronous, so nothing else can run while fd 2 is swapped.
 */
function captureStderr<T>(module: H5Module, fn: () => T): { value?: T; error?: unknown; diagnostics: string } {
  const chars: number[] = [];
  let stream: TtyStream | undefined;
  let saved: unknown;
  try {
    stream = (module.FS as unknown as { getStream(fd: number): TtyStream | null }).getStream(2) ?? undefined;
    if (stream !== undefined) {
      saved = stream.tty;
      stream.tty = {
        input: [],
        output: [],
        ops: {
          put_char(_tty: unknown, value: number | null): void {
            if (value !== null && chars.length < 65536) chars.push(value);
          },
          fsync(): void {},
        },
      };
    }
  } catch {
    stream = undefined; // an emscripten without this internal: diagnostics go to the console
  }
  try {
    return { value: fn(), diagnostics: '' };
  } catch (error) {
    return { error, diagnostics: new TextDecoder().decode(new Uint8Array(chars)) };
  } finally {
    if (stream !== undefined) stream.tty = saved;
  }
}

/** The most specific line of an HDF5 error stack: the description of its deepest frame. */
function lastHdf5Reason(diagnostics: string): string | undefined {
  let reason: string | undefined;
  for (const line of diagnostics.split('\n')) {
    const m = /\bin [A-Za-z0-9_]+\(\): (.+)$/.exec(line.trim());
    if (m !== null) reason = m[1];
  }
  return reason;
}

const DAMAGED_HINT = 'The file may be truncated or damaged; re-download or re-save it.';

/** HDF5 type classes of attributes read: integer, float, string, opaque bytes, enum (bools). */
const READABLE_ATTR_CLASSES: ReadonlySet<number> = new Set([0, 1, 3, 5, 8]);
/** Largest attribute read, in bytes of its fixed-size part (variable-length strings count 4 each). */
const MAX_ATTR_BYTES = 64 * 1024 ** 2;
/** Names of HDF5 type classes, for messages. */
const ATTR_CLASS_NAMES: Readonly<Record<number, string>> = {
  0: 'integer', 1: 'float', 2: 'time', 3: 'string', 4: 'bitfield', 5: 'opaque',
  6: 'compound', 7: 'reference', 8: 'enum', 9: 'variable-length sequence', 10: 'array',
};

/**
 * Opens HDF5 bytes read-only. The bytes are written to h5wasm's in-memory file system under a
 * unique name (not copied: the file system keeps a view of them; HDF5 never writes to a file
 * opened read-only) and unlinked on `close()`.
 *
 * Throws FileFormatError `FILE_TRUNCATED` when the bytes end before the end the superblock
 * records, `HDF5_CORRUPT` when HDF5 cannot open them, `FILE_UNRECOGNISED` when they carry no
 * HDF5 signature.
 */
export async function openHdf5(bytes: Uint8Array, fileName: string): Promise<Hdf5File> {
  // 1. Cheap checks on the bytes themselves: signature, then the recorded end of file.
  const sbAt = hdf5SignatureOffset(bytes);
  if (sbAt < 0) {
    throw new FileFormatError('FILE_UNRECOGNISED', `'${fileName}' is not an HDF5 file: it has no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n).`, {
      details: { file: fileName },
    });
  }
  const storedEof = hdf5StoredEof(bytes, sbAt);
  if (storedEof !== null && storedEof > bytes.length) {
    const what = Number.isFinite(storedEof)
      ? `its HDF5 superblock records a size of ${storedEof} bytes but it has only ${bytes.length}`
      : `it ends (at ${bytes.length} bytes) inside its HDF5 superblock`;
    throw new FileFormatError('FILE_TRUNCATED', `'${fileName}' is truncated: ${what}.`, {
      hint: DAMAGED_HINT,
      details: { file: fileName, size: bytes.length, expectedSize: Number.isFinite(storedEof) ? storedEof : null },
    });
  }

  // The global heap collections, before HDF5 may walk them. (Attribute names are looked for
  // only when a variable-length attribute is read, below: many Keras files have none.)
  const loop = globalHeapLoop(bytes, sbAt);
  if (loop !== null) {
    throw new FileFormatError('HDF5_CORRUPT', `'${fileName}' is damaged: in the global heap collection at byte ${loop.collection}, the object at byte ${loop.object} records a size of 0, which would send HDF5 into an endless loop.`, {
      hint: DAMAGED_HINT,
      details: { file: fileName, collection: loop.collection, object: loop.object },
    });
  }

  // 2. Into the in-memory file system, then open.
  const { api, module } = await loadH5wasm();
  const FS = module.FS;
  const safe = fileName.replace(/[^A-Za-z0-9._-]/g, '_').slice(-60);
  const path = `/convscope-${++fileCounter}-${safe}`;
  try {
    (FS.writeFile as (p: string, d: Uint8Array, o: { canOwn: boolean }) => void)(path, bytes, { canOwn: true });
  } catch (cause) {
    throw new FileFormatError('HDF5_CORRUPT', `Cannot load '${fileName}' into the HDF5 reader: ${messageOf(cause)}.`, { cause, details: { file: fileName } });
  }
  const unlink = (): void => {
    try {
      FS.unlink(path);
    } catch {
      // already gone
    }
  };

  const fail = (what: string, error: unknown, diagnostics: string): never => {
    if (error instanceof ConvscopeError) throw error;
    const msg = messageOf(error);
    if (error instanceof WebAssembly.RuntimeError || /Aborted\(/.test(msg)) poisoned = true;
    const reason = lastHdf5Reason(diagnostics);
    const truncated = /truncat/i.test(diagnostics) || /truncat/i.test(msg);
    throw new FileFormatError(
      truncated ? 'FILE_TRUNCATED' : 'HDF5_CORRUPT',
      `${what === '' ? `Cannot open '${fileName}'` : `Cannot read ${what} of '${fileName}'`}: ${reason !== undefined ? `HDF5 reports "${reason}"` : msg}.`,
      { hint: DAMAGED_HINT, cause: error, details: { file: fileName, object: what === '' ? '/' : what, hdf5: reason ?? msg } },
    );
  };
  const guard = <T>(what: string, fn: () => T): T => {
    const r = captureStderr(module, fn);
    if ('error' in r) return fail(what, r.error, r.diagnostics);
    return r.value as T;
  };

  let file: InstanceType<H5wasmApi['File']>;
  try {
    file = guard('', () => {
      const f = new api.File(path, 'r');
      if (typeof f.file_id !== 'bigint' || f.file_id < 0n) throw new Error('HDF5 could not open the file');
      return f;
    });
  } catch (err) {
    unlink(); // an unsuccessful open leaves nothing to close
    throw err;
  }
  const fileId = file.file_id;
  let closed = false;
  /** Stored lengths of variable-length string attributes, by attribute name (see storedVlenLengths). */
  const vlenLengths = new Map<string, ReturnType<typeof storedVlenLengths>>();
  const norm = (p: string): string => (p.startsWith('/') ? p : `/${p}`);
  const checkOpen = (): void => {
    if (closed) throw new FileFormatError('HDF5_CORRUPT', `'${fileName}' was already closed.`, { details: { file: fileName } });
  };

  const kind = (p: string): Hdf5Kind => {
    checkOpen();
    const full = norm(p);
    if (full === '/') return 'group';
    return guard(`'${full}'`, () => {
      const t = module.get_type(fileId, full);
      if (t === module.H5G_GROUP) return 'group';
      if (t === module.H5G_DATASET) return 'dataset';
      return t < 0 ? 'missing' : 'other';
    });
  };

  const numericDtype = (meta: { type: number; size: number; signed: boolean }): Hdf5Dtype => {
    if (meta.type === module.H5T_class_t.H5T_FLOAT.value) {
      if (meta.size === 2) return 'float16';
      if (meta.size === 4) return 'float32';
      if (meta.size === 8) return 'float64';
      return 'other';
    }
    if (meta.type === module.H5T_class_t.H5T_INTEGER.value) {
      const bits = meta.size * 8;
      if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) return 'other';
      return `${meta.signed ? 'int' : 'uint'}${bits}` as Hdf5NumericDtype;
    }
    if (meta.type === module.H5T_class_t.H5T_STRING.value) return 'string';
    return 'other';
  };

  const handle: Hdf5File = {
    fileName,
    kind,
    keys(p) {
      checkOpen();
      const full = norm(p);
      return guard(`group '${full}'`, () => module.get_names(fileId, full, false));
    },
    attrNames(p) {
      checkOpen();
      const full = norm(p);
      return guard(`the attributes of '${full}'`, () => module.get_attribute_names(fileId, full));
    },
    attr(p, name) {
      checkOpen();
      const full = norm(p);
      return guard(`attribute '${name}' of '${full}'`, () => {
        if (!module.get_attribute_names(fileId, full).includes(name)) return undefined;
        // Only fixed-layout classes are read. A damaged header can turn a string into a
        // variable-length sequence whose length HDF5 then takes from uninitialised memory, and
        // reading it can loop for minutes (found by fuzzing): refuse such types unread.
        const meta = module.get_attribute_metadata(fileId, full, name);
        if (!READABLE_ATTR_CLASSES.has(meta.type)) {
          throw new FileFormatError('HDF5_CORRUPT', `Attribute '${name}' of '${full}' in '${fileName}' has HDF5 type class ${meta.type} (${ATTR_CLASS_NAMES[meta.type] ?? 'unknown'}); Keras stores strings and numbers only, so the file is damaged or not a Keras file.`, {
            hint: DAMAGED_HINT,
            details: { file: fileName, object: full, attribute: name, typeClass: meta.type },
          });
        }
        const claimed = (meta.total_size ?? 1) * meta.size;
        if (!(claimed <= MAX_ATTR_BYTES)) {
          throw new FileFormatError('HDF5_CORRUPT', `Attribute '${name}' of '${full}' in '${fileName}' claims ${claimed} bytes (over ${MAX_ATTR_BYTES}); Keras attributes are far smaller, so the file is damaged.`, {
            hint: DAMAGED_HINT,
            details: { file: fileName, object: full, attribute: name, bytes: claimed },
          });
        }
        // HDF5 allocates a variable-length string by the length stored beside it, before reading
        // it: one damaged byte there made it allocate 2 GB (found by fuzzing). No string in the
        // file can be longer than the file, so check the stored lengths first.
        if (meta.vlen === true) {
          let stored = vlenLengths.get(name);
          if (stored === undefined) {
            stored = storedVlenLengths(bytes, name);
            vlenLengths.set(name, stored);
          }
          const odd = stored.elementSizes.find((n) => n !== 10 && n !== 12 && n !== 16);
          if (odd !== undefined) {
            throw new FileFormatError('HDF5_CORRUPT', `Attribute '${name}' in '${fileName}' records its variable-length strings with an element size of ${odd} bytes (HDF5 writes 16), so the file is damaged.`, {
              hint: DAMAGED_HINT,
              details: { file: fileName, object: full, attribute: name, elementSize: odd },
            });
          }
          const longest = Math.max(0, ...stored.lengths);
          if (longest > bytes.length) {
            throw new FileFormatError('HDF5_CORRUPT', `Attribute '${name}' in '${fileName}' records a variable-length string of ${longest} bytes, longer than the whole ${bytes.length}-byte file, so the file is damaged.`, {
              hint: DAMAGED_HINT,
              details: { file: fileName, object: full, attribute: name, storedLength: longest },
            });
          }
        }
        const attr = new api.Attribute(fileId, full, name);
        return decodeAttr(attr.value, attr.metadata.type === module.H5T_class_t.H5T_STRING.value);
      });
    },
    datasetInfo(p) {
      checkOpen();
      const full = norm(p);
      return guard(`dataset '${full}'`, () => {
        const meta = module.get_dataset_metadata(fileId, full);
        return { shape: meta.shape ?? [], dtype: numericDtype(meta) };
      });
    },
    readFloat32(p, maxElements) {
      checkOpen();
      const full = norm(p);
      return guard(`dataset '${full}'`, () => {
        const meta = module.get_dataset_metadata(fileId, full);
        const shape = meta.shape ?? [];
        const dtype = numericDtype(meta);
        if (dtype === 'string' || dtype === 'other') {
          throw new UnsupportedError('MODEL_UNSUPPORTED', `Dataset '${full}' of '${fileName}' is not numeric (${dtype}); weights must be numbers.`, {
            details: { file: fileName, dataset: full },
          });
        }
        let count = 1;
        for (const d of shape) count *= d;
        if (count > maxElements) {
          throw new LimitError('LIMIT_EXCEEDED', `Dataset '${full}' of '${fileName}' has shape ${formatShape(shape)} = ${count} elements, over the limit of ${maxElements}.`, {
            hint: 'Raise the maxTensorElements option (CLI: --max-tensor-elements <n>) if the file is trusted.',
            details: { file: fileName, dataset: full, shape, limit: maxElements },
          });
        }
        const nbytes = meta.size * count;
        const raw = new Uint8Array(nbytes);
        if (nbytes > 0) {
          const ptr = module._malloc(nbytes);
          if (ptr === 0) throw new Error(`cannot allocate ${nbytes} bytes`);
          try {
            const status = module.get_dataset_data(fileId, full, null, null, null, BigInt(ptr));
            if (status < 0) throw new Error(`reading the data failed (status ${status})`);
            raw.set(module.HEAPU8.subarray(ptr, ptr + nbytes));
          } finally {
            module._free(ptr);
          }
        }
        return { shape, dtype, data: toFloat32(raw, dtype) };
      });
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        captureStderr(module, () => file.close());
      } finally {
        unlink();
      }
    },
  };
  return handle;
}

/** Opens HDF5 bytes, runs `fn`, and closes the file whatever happens. */
export async function withHdf5<T>(bytes: Uint8Array, fileName: string, fn: (file: Hdf5File) => T | Promise<T>): Promise<T> {
  const file = await openHdf5(bytes, fileName);
  try {
    return await fn(file);
  } finally {
    file.close();
  }
}

/** Converts little-endian raw element bytes to float32. */
function toFloat32(raw: Uint8Array, dtype: Hdf5NumericDtype): Float32Array {
  const buf = raw.buffer as ArrayBuffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, raw.byteOffset, raw.byteLength / 4);
    case 'float64':
      return Float32Array.from(new Float64Array(buf, raw.byteOffset, raw.byteLength / 8));
    case 'float16': {
      const h = new Uint16Array(buf, raw.byteOffset, raw.byteLength / 2);
      const out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = halfToFloat(h[i]!);
      return out;
    }
    case 'int8':
      return Float32Array.from(new Int8Array(buf, raw.byteOffset, raw.byteLength));
    case 'uint8':
      return Float32Array.from(raw);
    case 'int16':
      return Float32Array.from(new Int16Array(buf, raw.byteOffset, raw.byteLength / 2));
    case 'uint16':
      return Float32Array.from(new Uint16Array(buf, raw.byteOffset, raw.byteLength / 2));
    case 'int32':
      return Float32Array.from(new Int32Array(buf, raw.byteOffset, raw.byteLength / 4));
    case 'uint32':
      return Float32Array.from(new Uint32Array(buf, raw.byteOffset, raw.byteLength / 4));
    case 'int64':
      return Float32Array.from(new BigInt64Array(buf, raw.byteOffset, raw.byteLength / 8), Number);
    case 'uint64':
      return Float32Array.from(new BigUint64Array(buf, raw.byteOffset, raw.byteLength / 8), Number);
  }
}

/** IEEE 754 half precision -> number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Strings lose trailing NULs and padding; byte arrays become text; numbers become plain numbers. */
function decodeAttr(value: unknown, isString: boolean): Hdf5AttrValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return stripNul(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !isString) {
    // opaque or bytes attributes written from numpy: text when they decode as such
    return stripNul(new TextDecoder().decode(value));
  }
  if (ArrayBuffer.isView(value)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value.map((v: string) => stripNul(v));
    if (value.every((v) => typeof v === 'number' || typeof v === 'bigint')) return value.map((v: number | bigint) => Number(v));
    return value.map((v: unknown) => (typeof v === 'string' ? stripNul(v) : String(v)));
  }
  return String(value);
}

function stripNul(s: string): string {
  return s.replace(/\0+$/, '');
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
