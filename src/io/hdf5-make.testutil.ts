// Test helper (not part of the library): builds small HDF5 files in memory with h5wasm, to test
// the readers on layouts and damage the shared fixtures do not cover.

import h5wasm from 'h5wasm';

/** A group: attributes, datasets and subgroups (names may contain backslashes, like Windows Keras). */
export interface H5Spec {
  readonly attrs?: Readonly<Record<string, string | readonly string[] | Float64Array | Int32Array>>;
  readonly datasets?: Readonly<Record<string, { readonly data: Float32Array | Float64Array | Int32Array; readonly shape: readonly number[] }>>;
  readonly groups?: Readonly<Record<string, H5Spec>>;
}

let counter = 0;

/**
 * Writes `spec` as an HDF5 file and returns its bytes. `earliest` writes the oldest format
 * (version 0 superblock, object headers without checksums), which tests can patch byte-wise.
 */
export async function makeHdf5(spec: H5Spec, options: { earliest?: boolean } = {}): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const path = `/make-hdf5-${++counter}.h5`;
  const file = new h5wasm.File(path, 'w', options.earliest === true ? { libver: ['earliest', 'latest'] } : {});
  const fill = (g: InstanceType<typeof h5wasm.Group>, s: H5Spec): void => {
    for (const [name, value] of Object.entries(s.attrs ?? {})) {
      g.create_attribute(name, typeof value === 'string' ? value : value instanceof Float64Array || value instanceof Int32Array ? value : [...value]);
    }
    for (const [name, d] of Object.entries(s.datasets ?? {})) g.create_dataset({ name, data: d.data, shape: [...d.shape] });
    for (const [name, sub] of Object.entries(s.groups ?? {})) fill(g.create_group(name), sub);
  };
  try {
    fill(file, spec);
  } finally {
    file.close();
  }
  const bytes = module.FS.readFile(path);
  module.FS.unlink(path);
  return bytes;
}

/** A float32 dataset of the given shape filled with 0, 1, 2, ... (times `scale`). */
export function ramp(shape: readonly number[], scale = 1): { data: Float32Array; shape: readonly number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => i * scale), shape };
}
