// readKeras: the files of one Keras model (bytes + names) -> KerasArtifacts. Picks the reader
// by the bytes, never by file names: HDF5, `.keras` ZIP, architecture JSON, TensorFlow.js
// model.json (whose shards are raw bytes, matched by the names model.json gives them).

import { ArgumentError, FileFormatError, throwIfAborted } from '../../errors.js';
import type { KerasArtifacts } from './artifacts.js';
import { decodeText, parseJson, resolveOptions, type ReadKerasOptions } from './common.js';
import { isArchitectureDoc, readArchitectureJson, readKerasH5 } from './h5.js';
import { readKerasZip } from './keras-zip.js';
import { sniffKeras, unrecognisedError, ACCEPTED_FORMATS, type SniffedKind } from './sniff.js';
import { isListedShard, isTfjsModelJson, readTfjs, tfjsShardPaths, type NamedBytes } from './tfjs.js';

export type { ReadKerasOptions } from './common.js';
export { DEFAULT_MAX_TENSOR_ELEMENTS } from './common.js';
export { tfjsShardPaths } from './tfjs.js';
export { sniffKeras } from './sniff.js';

/** One file of a model: its name (for messages, and to match TensorFlow.js shards) and bytes. */
export interface KerasInputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

interface Classified {
  readonly file: KerasInputFile;
  readonly kind: SniffedKind;
  /** For JSON: the parsed document. */
  readonly doc?: unknown;
  /** For JSON that does not parse: the error (thrown unless the file turns out to be a shard). */
  readonly error?: unknown;
}

/**
 * Reads the files of one Keras model. Accepted combinations (order does not matter):
 *   - one HDF5 full model (`.h5`, any extension);
 *   - an architecture JSON (`model.to_json()`, possibly double-encoded) + a weights HDF5;
 *   - one `.keras` archive;
 *   - a TensorFlow.js model.json + the shard files it lists (see {@link tfjsShardPaths}).
 *
 * Steps: (1) sniff each file's bytes; (2) parse JSON files and tell TensorFlow.js model.json
 * from architecture JSON; (3) pick the combination and its reader.
 *
 * Errors: FileFormatError `FILE_UNRECOGNISED` (bytes of no accepted format), `FILE_TRUNCATED`
 * (empty or cut files), `KERAS_MISSING_FILE` (architecture without weights or the reverse,
 * missing shards), plus those of the readers; ArgumentError `BAD_ARGUMENT` for no files or files
 * of more than one model.
 */
export async function readKeras(files: readonly KerasInputFile[], options: ReadKerasOptions = {}): Promise<KerasArtifacts> {
  throwIfAborted(resolveOptions(options).signal); // check options before any work
  if (files.length === 0) {
    throw new ArgumentError('BAD_ARGUMENT', 'readKeras needs at least one file.', { hint: ACCEPTED_FORMATS });
  }

  // 1-2. Classify. A JSON-looking file that does not parse may still be a shard (raw float
  // bytes can start with '{'), so its error waits until we know.
  const classified: Classified[] = files.map((file) => {
    const kind = sniffKeras(file.bytes);
    if (kind !== 'json') return { file, kind };
    try {
      return { file, kind, doc: parseJson(decodeText(file.bytes), file.name, '') };
    } catch (error) {
      return { file, kind, error };
    }
  });
  const names = (cs: readonly Classified[]): string => cs.map((c) => `'${c.file.name}'`).join(', ');
  const tooMany = (what: string, cs: readonly Classified[]): ArgumentError =>
    new ArgumentError('BAD_ARGUMENT', `Several ${what} were given (${names(cs)}); pass the files of one model at a time.`, {
      details: { files: cs.map((c) => c.file.name) },
    });

  // 3a. TensorFlow.js: model.json + the shards it lists (matched by name, whatever their bytes).
  const tfjs = classified.filter((c) => c.kind === 'json' && isTfjsModelJson(c.doc));
  if (tfjs.length > 1) throw tooMany('TensorFlow.js model.json files', tfjs);
  if (tfjs.length === 1) {
    const main = tfjs[0]!;
    const doc = main.doc as Record<string, unknown>;
    const wanted = tfjsShardPaths(doc, main.file.name);
    const rest = classified.filter((c) => c !== main);
    const shards = rest.filter((c) => isListedShard(c.file.name, wanted));
    const stray = rest.filter((c) => !shards.includes(c));
    const models = stray.filter((c) => c.kind === 'hdf5' || c.kind === 'zip' || (c.kind === 'json' && c.doc !== undefined));
    if (models.length > 0) throw tooMany('models', [main, ...models]);
    const first = stray[0];
    if (first !== undefined) {
      // A file that is no listed shard was handed over by mistake: say so rather than ignore it.
      throw new ArgumentError('BAD_ARGUMENT', `'${first.file.name}' is not one of the weight shards '${main.file.name}' lists (${wanted.map((p) => `'${p}'`).join(', ') || 'none'}).`, {
        hint: 'Pass model.json with exactly the shard files it names.',
        details: { file: first.file.name, shards: wanted },
      });
    }
    return readTfjs(doc, main.file.name, shards.map((c): NamedBytes => c.file), options);
  }
  const broken = classified.find((c) => c.error !== undefined);
  if (broken !== undefined) throw broken.error;
  const archs = classified.filter((c) => c.kind === 'json');
  const hdf5 = classified.filter((c) => c.kind === 'hdf5');
  const zips = classified.filter((c) => c.kind === 'zip');
  const others = classified.filter((c) => c.kind === 'empty' || c.kind === 'unknown');

  // Everything else must be recognisable by its bytes.
  const odd = others[0];
  if (odd !== undefined) throw unrecognisedError(odd.file.name, odd.file.bytes);

  // 3b. .keras archive.
  if (zips.length > 0) {
    if (zips.length > 1 || hdf5.length > 0) throw tooMany('models', [...zips, ...hdf5]);
    if (archs.length > 0) {
      throw new ArgumentError('BAD_ARGUMENT', `'${zips[0]!.file.name}' holds its own architecture; the JSON file(s) ${names(archs)} are not needed.`, {
        hint: 'Pass the .keras file alone.',
        details: { files: [...zips, ...archs].map((c) => c.file.name) },
      });
    }
    return readKerasZip(zips[0]!.file.bytes, zips[0]!.file.name, options);
  }

  // 3c. HDF5, with or without an architecture JSON.
  if (archs.length > 1) throw tooMany('architecture JSON files', archs);
  const arch = archs[0];
  if (arch !== undefined && !isArchitectureDoc(arch.doc)) {
    // Not a Keras config: let the JSON reader produce its precise error.
    readArchitectureJson(arch.file.bytes, arch.file.name);
  }
  if (hdf5.length > 1) throw tooMany('HDF5 files', hdf5);
  const h5 = hdf5[0];
  if (h5 === undefined) {
    throw new FileFormatError('KERAS_MISSING_FILE', `'${arch!.file.name}' holds only the architecture; the weights are missing.`, {
      hint: 'Pass the weights file too: convscope summary model.json --weights weights.h5',
      details: { file: arch!.file.name },
    });
  }
  return readKerasH5(h5.file.bytes, h5.file.name, {
    ...options,
    ...(arch !== undefined ? { architecture: readArchitectureJson(arch.file.bytes, arch.file.name) } : {}),
  });
}
