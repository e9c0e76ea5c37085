// Writes HDF5 files from plain data, laid out as h5py writes them by default (version 0
// superblock, version 1 object headers, contiguous little-endian datasets), through h5wasm's
// in-memory file system: a tree of groups in, the file's bytes out. Isomorphic (no fs).
//
// h5wasm writes fixed-length strings NULL-terminated; numpy 'S' arrays (what h5py writes for a
// list of bytes) are NULL-padded. The padding is a field of the string datatype stored inside
// each attribute message, so after writing we set it in place (patchStringPadding), checking
// the full message header first, and verify the result by reading the file back.

import { ConvscopeError } from '../errors.js';
import { loadH5wasm, type H5Module, type H5wasmApi } from './hdf5.js';

/** An attribute to write. */
export type Hdf5WriteAttribute =
  /** A scalar variable-length ASCII string (what h5py writes for a Python `bytes`/`str` scalar). */
  | { readonly name: string; readonly kind: 'string'; readonly value: string }
  /**
   * A 1-D array of fixed-length byte strings, NULL-padded (numpy 'S' dtype), each `itemSize`
   * bytes (default: the longest string's length).
   */
  | { readonly name: string; readonly kind: 'strings'; readonly values: readonly string[]; readonly itemSize?: number }
  /** A 1-D float64 array (numpy's default; `np.array([])` for an empty list). */
  | { readonly name: string; readonly kind: 'float64'; readonly values: Float64Array };

/** A float32 dataset (row-major). */
export interface Hdf5WriteDataset {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A group: its attributes, datasets and subgroups, written in this order. */
export interface Hdf5WriteGroup {
  readonly attributes?: readonly Hdf5WriteAttribute[];
  readonly datasets?: readonly Hdf5WriteDataset[];
  readonly groups?: readonly { readonly name: string; readonly group: Hdf5WriteGroup }[];
}

type H5Group = InstanceType<H5wasmApi['Group']>;

let counter = 0;

function writeFailure(what: string, cause: unknown): ConvscopeError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new ConvscopeError('ENGINE_FAILURE', `Writing the HDF5 file failed at ${what}: ${msg}.`, { cause });
}

const encoder = new TextEncoder();

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/**
 * Sets the padding of every fixed-length string attribute named `name` whose strings are `size`
 * bytes from NULL-terminated to NULL-padded. Matches the whole version-1 attribute message head
 * (version 1, name size, datatype size 8, the name, the string datatype of that size) so that no
 * other bytes can be hit. Returns how many attributes were patched.
 */
function patchStringPadding(bytes: Uint8Array, name: string, size: number): number {
  const nameBytes = encoder.encode(name);
  const nameSize = nameBytes.length + 1;
  const namePadded = Math.ceil(nameSize / 8) * 8;
  let patched = 0;
  for (let at = bytes.indexOf(nameBytes[0]!, 8); at >= 8 && at + namePadded + 8 <= bytes.length; at = bytes.indexOf(nameBytes[0]!, at + 1)) {
    const h = at - 8;
    if (bytes[h] !== 1 || bytes[h + 1] !== 0 || bytes[h + 2] !== (nameSize & 0xff) || bytes[h + 3] !== nameSize >> 8) continue;
    if (bytes[h + 4] !== 8 || bytes[h + 5] !== 0) continue;
    let same = true;
    for (let i = 0; i < nameBytes.length && same; i++) same = bytes[at + i] === nameBytes[i];
    for (let i = nameBytes.length; i < namePadded && same; i++) same = bytes[at + i] === 0;
    if (!same) continue;
    const dt = at + namePadded;
    const dtSize = bytes[dt + 4]! | (bytes[dt + 5]! << 8) | (bytes[dt + 6]! << 16) | (bytes[dt + 7]! << 24);
    // class 3 (string) version 1; padding 0 (NULLTERM), charset 0 (ASCII); our size.
    if (bytes[dt] !== 0x13 || bytes[dt + 1] !== 0 || bytes[dt + 2] !== 0 || bytes[dt + 3] !== 0 || dtSize !== size) continue;
    bytes[dt + 1] = 0x01;
    patched++;
  }
  return patched;
}

/**
 * Writes a tree of groups as an HDF5 file and returns its bytes. Names and string attributes
 * must be ASCII (Keras' are). Throws ConvscopeError ENGINE_FAILURE when HDF5 refuses something.
 *
 * Steps: (1) create the file (oldest format, as h5py); (2) write groups depth-first: attributes,
 * datasets, subgroups; (3) close, read the bytes, unlink; (4) set NULL padding on fixed-length
 * string attributes; (5) reopen and check every such attribute reads back NULL-padded.
 */
export async function writeHdf5(root: Hdf5WriteGroup): Promise<Uint8Array> {
  const { api, module } = await loadH5wasm();
  const path = `/convscope-write-${++counter}.h5`;
  const fixed = new Map<string, Set<number>>();
  // 1. Create.
  let file: InstanceType<H5wasmApi['File']>;
  try {
    file = new api.File(path, 'w', { libver: ['earliest', 'latest'] });
  } catch (cause) {
    throw writeFailure('creating the file', cause);
  }
  // 2. Write.
  const fill = (g: H5Group, spec: Hdf5WriteGroup, where: string): void => {
    for (const a of spec.attributes ?? []) {
      const at = `attribute '${a.name}' of '${where}'`;
      try {
        if (a.kind === 'string') {
          if (!isAscii(a.value)) throw new Error('the text is not ASCII');
          g.create_attribute(a.name, a.value, null, 'A');
        } else if (a.kind === 'strings') {
          if (a.values.some((v) => !isAscii(v))) throw new Error('a string is not ASCII');
          const size = a.itemSize ?? a.values.reduce((m, v) => Math.max(m, v.length), 1);
          if (a.values.some((v) => v.length > size)) throw new Error(`a string is longer than the item size ${size}`);
          g.create_attribute(a.name, [...a.values], [a.values.length], `A${size}`);
          if (!fixed.has(a.name)) fixed.set(a.name, new Set());
          fixed.get(a.name)!.add(size);
        } else {
          g.create_attribute(a.name, a.values, [a.values.length], '<d');
        }
      } catch (cause) {
        throw writeFailure(at, cause);
      }
    }
    for (const d of spec.datasets ?? []) {
      try {
        g.create_dataset({ name: d.name, data: d.data, shape: [...d.shape], dtype: '<f' });
      } catch (cause) {
        throw writeFailure(`dataset '${where}/${d.name}'`, cause);
      }
    }
    for (const sub of spec.groups ?? []) {
      let child: H5Group;
      try {
        child = g.create_group(sub.name);
      } catch (cause) {
        throw writeFailure(`group '${where}/${sub.name}'`, cause);
      }
      fill(child, sub.group, `${where === '/' ? '' : where}/${sub.name}`);
    }
  };
  let bytes: Uint8Array;
  try {
    try {
      fill(file, root, '/');
    } finally {
      file.close();
    }
    // 3. Bytes.
    bytes = new Uint8Array(module.FS.readFile(path));
  } finally {
    try {
      module.FS.unlink(path);
    } catch {
      // not created
    }
  }
  // 4. NULL padding, as numpy 'S' arrays have.
  for (const [name, sizes] of fixed) for (const size of sizes) patchStringPadding(bytes, name, size);
  // 5. Check.
  if (fixed.size > 0) verifyPadding(api, module, bytes, [...fixed.keys()]);
  return bytes;
}

function verifyPadding(api: H5wasmApi, module: H5Module, bytes: Uint8Array, names: readonly string[]): void {
  const path = `/convscope-verify-${++counter}.h5`;
  module.FS.writeFile(path, bytes);
  const f = new api.File(path, 'r');
  const bad: string[] = [];
  try {
    const visit = (g: H5Group, where: string): void => {
      for (const [name, attr] of Object.entries(g.attrs)) {
        if (names.includes(name) && attr.metadata.type === 3 && !attr.metadata.vlen && attr.metadata.strpad !== 1) bad.push(`${where}@${name}`);
      }
      for (const k of g.keys()) {
        const child = g.get(k);
        if (child instanceof api.Group) visit(child, `${where === '/' ? '' : where}/${k}`);
      }
    };
    visit(f, '/');
  } finally {
    f.close();
    module.FS.unlink(path);
  }
  if (bad.length > 0) {
    throw new ConvscopeError('ENGINE_FAILURE', `Writing the HDF5 file: could not set NULL padding on ${bad.length} string attribute(s) (${bad.slice(0, 3).join(', ')}).`, {
      hint: 'Please report this; the h5wasm version may write attributes differently.',
    });
  }
}
