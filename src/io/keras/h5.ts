// Keras HDF5 files -> KerasArtifacts: full models (Keras 1, Keras 2, tf.keras, Keras 3 legacy
// .h5) and weights-only files read with an architecture JSON. Reads through io/hdf5.ts only;
// never checks the weights against the architecture (the translator does).

import { FileFormatError, throwIfAborted } from '../../errors.js';
import { withHdf5, type Hdf5File } from '../hdf5.js';
import type { KerasArtifacts, KerasFormat, NamedWeight } from './artifacts.js';
import { asModelConfig, decodeText, isRecord, parseJson, pushWeight, resolveOptions, type ModelConfig, type ReadKerasOptions } from './common.js';
import { readWeightsStore, weightsStoreContainer } from './keras-zip.js';

/** An architecture read from a separate JSON file (`model.to_json()`). */
export interface ArchitectureJson {
  readonly config: ModelConfig;
  readonly fileName: string;
  /** `keras_version` recorded in the JSON, or null. */
  readonly kerasVersion: string | null;
  /** `backend` recorded in the JSON, or null. */
  readonly backend: string | null;
}

/** Options of {@link readKerasH5}. */
export interface ReadKerasH5Options extends ReadKerasOptions {
  /** The architecture, for weights-only files (or to override the file's own `model_config`). */
  readonly architecture?: ArchitectureJson;
}

const MISSING_ARCH_HINT = 'If it holds only weights, pass the architecture JSON too: convscope summary model.json --weights weights.h5';

/** Parses an architecture JSON file (double-encoded JSON is unwrapped). */
export function readArchitectureJson(bytes: Uint8Array | string, fileName: string): ArchitectureJson {
  const text = typeof bytes === 'string' ? bytes : decodeText(bytes);
  const config = asModelConfig(parseJson(text, fileName, 'architecture JSON'), fileName, 'architecture JSON');
  return {
    config,
    fileName,
    kerasVersion: typeof config['keras_version'] === 'string' ? config['keras_version'] : null,
    backend: typeof config['backend'] === 'string' ? config['backend'] : null,
  };
}

/**
 * Reads a Keras HDF5 file. Steps:
 *   1. root attributes `model_config`, `keras_version`, `backend`;
 *   2. where the weights are: `model_weights/` (full model) or the root (weights-only), each
 *      with `layer_names`; or a Keras 3 weights store (`layers/...`, from `save_weights`);
 *   3. the architecture: `options.architecture` when given, else `model_config`;
 *   4. every dataset listed in each layer's `weight_names`, converted to float32.
 *
 * Errors (FileFormatError): `HDF5_NOT_KERAS` for HDF5 that holds no Keras model or weights,
 * `KERAS_MISSING_FILE` for weights without an architecture, `KERAS_MISSING_WEIGHTS` for a
 * layer group or dataset that `layer_names` / `weight_names` lists but the file lacks,
 * `KERAS_BAD_CONFIG` for an unparsable `model_config`, `HDF5_CORRUPT` / `FILE_TRUNCATED` for
 * damaged files.
 */
export async function readKerasH5(bytes: Uint8Array, fileName: string, options: ReadKerasH5Options = {}): Promise<KerasArtifacts> {
  const opts = resolveOptions(options);
  const { architecture } = options;
  return withHdf5(bytes, fileName, (f) => {
    // 1. Root attributes.
    const modelConfigText = attrString(f, '/', 'model_config');
    const rootVersion = attrString(f, '/', 'keras_version');
    const rootBackend = attrString(f, '/', 'backend');

    // 2. Where the weights are.
    let weightsRoot: string | null = null;
    if (f.kind('/model_weights') === 'group' && hasAttr(f, '/model_weights', 'layer_names')) weightsRoot = '/model_weights';
    else if (hasAttr(f, '/', 'layer_names')) weightsRoot = '/';
    const store = weightsRoot === null ? weightsStoreContainer(f, '/') : null;
    if (modelConfigText === null && weightsRoot === null && store === null) {
      throw new FileFormatError(
        'HDF5_NOT_KERAS',
        `'${fileName}' is an HDF5 file but not a Keras model: it has no 'model_config' attribute or 'layer_names'.`,
        { hint: MISSING_ARCH_HINT, details: { file: fileName, rootKeys: f.keys('/').slice(0, 20) } },
      );
    }

    // 3. Architecture.
    let modelConfig: ModelConfig;
    if (architecture !== undefined) {
      modelConfig = architecture.config;
    } else if (modelConfigText !== null) {
      modelConfig = asModelConfig(parseJson(modelConfigText, fileName, "'model_config' attribute"), fileName, "'model_config' attribute");
    } else {
      throw new FileFormatError('KERAS_MISSING_FILE', `'${fileName}' holds only weights (it has 'layer_names' but no 'model_config'), so the architecture is missing.`, {
        hint: 'Pass the architecture JSON too: convscope summary model.json --weights weights.h5',
        details: { file: fileName },
      });
    }

    // 4. Weights.
    let weights: Map<string, NamedWeight[]>;
    if (weightsRoot !== null) {
      weights = readLayerGroups(f, weightsRoot, opts.maxTensorElements, opts.signal);
    } else if (store !== null) {
      weights = readWeightsStore(f, modelConfig, fileName, opts, !isTfKeras2(architecture?.kerasVersion ?? rootVersion));
    } else {
      throw new FileFormatError('KERAS_MISSING_WEIGHTS', `'${fileName}' has a model config but no weights: no 'model_weights' group with 'layer_names'.`, {
        hint: 'Re-save the model with model.save(...), which stores the weights too.',
        details: { file: fileName },
      });
    }

    const mwVersion = weightsRoot === '/model_weights' ? attrString(f, '/model_weights', 'keras_version') : null;
    const mwBackend = weightsRoot === '/model_weights' ? attrString(f, '/model_weights', 'backend') : null;
    const configVersion = typeof modelConfig['keras_version'] === 'string' ? modelConfig['keras_version'] : null;
    const configBackend = typeof modelConfig['backend'] === 'string' ? modelConfig['backend'] : null;
    const kerasVersion = (architecture !== undefined ? architecture.kerasVersion : null) ?? rootVersion ?? mwVersion ?? configVersion;
    const backend = (architecture !== undefined ? architecture.backend : null) ?? rootBackend ?? mwBackend ?? configBackend;
    const format: KerasFormat =
      architecture !== undefined ? 'weights-h5+json' : fullModelFormat(kerasVersion, modelConfigText ?? '');
    const fileNames = architecture !== undefined ? `${architecture.fileName} + ${fileName}` : fileName;
    return { format, kerasVersion, backend, modelConfig, weights, fileName: fileNames };
  });
}

/**
 * Which Keras wrote a full-model HDF5 file: 'keras1-h5' for 1.x, 'keras3-h5' for 3.x,
 * 'tfkeras-h5' for versions ending in `-tf` and for 2.4+ (the `keras` package has been tf.keras
 * since 2.4), else 'keras2-h5'. Files without a version are Keras 1 when the config uses Keras 1
 * argument names.
 */
export function fullModelFormat(kerasVersion: string | null, configText: string): KerasFormat {
  if (kerasVersion === null) {
    return /"(nb_filter|border_mode|dim_ordering|subsample|init|W_regularizer)"/.test(configText) ? 'keras1-h5' : 'keras2-h5';
  }
  const v = versionOf(kerasVersion);
  if (v.major === 1) return 'keras1-h5';
  if (v.major >= 3) return 'keras3-h5';
  if (/-tf$/.test(kerasVersion.trim()) || (v.major === 2 && v.minor >= 4)) return 'tfkeras-h5';
  return 'keras2-h5';
}

/** True for a recorded 2.x version (tf.keras); unknown versions count as Keras 3. */
function isTfKeras2(version: string | null): boolean {
  return version !== null && versionOf(version).major === 2;
}

/** Major and minor version numbers (NaN-free: unparsable parts are 0). */
export function versionOf(version: string | null | undefined): { major: number; minor: number } {
  const m = /^\s*v?(\d+)(?:\.(\d+))?/.exec(version ?? '');
  return m === null ? { major: 0, minor: 0 } : { major: Number(m[1]), minor: Number(m[2] ?? 0) };
}

/** The legacy layout: `layer_names` on the root, one group per layer with `weight_names`. */
function readLayerGroups(f: Hdf5File, root: string, maxElements: number, signal: AbortSignal | undefined): Map<string, NamedWeight[]> {
  const weights = new Map<string, NamedWeight[]>();
  const layerNames = attrStrings(f, root, 'layer_names') ?? [];
  const base = root === '/' ? '' : root;
  const groups = [...layerNames];
  // tf.keras 2.13+ and Keras 3 add the model's own variables in a group outside layer_names.
  if (!groups.includes('top_level_model_weights') && f.kind(`${base}/top_level_model_weights`) === 'group') groups.push('top_level_model_weights');
  for (const layer of groups) {
    throwIfAborted(signal);
    const gpath = `${base}/${layer}`;
    if (f.kind(gpath) !== 'group') {
      throw new FileFormatError('KERAS_MISSING_WEIGHTS', `'${f.fileName}' lists layer '${layer}' in 'layer_names' but has no group '${gpath}' for its weights.`, {
        hint: 'The file is damaged or was edited; re-save the model with Keras.',
        details: { file: f.fileName, layer },
      });
    }
    const names = attrStrings(f, gpath, 'weight_names') ?? [];
    for (const name of names) {
      const dpath = `${gpath}/${name}`;
      if (f.kind(dpath) !== 'dataset') {
        throw new FileFormatError('KERAS_MISSING_WEIGHTS', `'${f.fileName}': layer '${layer}' lists weight '${name}' in 'weight_names' but the file has no dataset '${dpath}'.`, {
          hint: 'The file is damaged or was edited; re-save the model with Keras.',
          details: { file: f.fileName, layer, weight: name },
        });
      }
      const t = f.readFloat32(dpath, maxElements);
      pushWeight(weights, layer, { name, tensor: { shape: [...t.shape], data: t.data } });
    }
  }
  return weights;
}

function hasAttr(f: Hdf5File, path: string, name: string): boolean {
  const names = f.attrNames(path);
  return names.includes(name) || names.includes(`${name}0`);
}

/**
 * A text attribute. Keras stores JSON and versions as scalar strings; a one-element array or
 * bytes are accepted too.
 */
function attrString(f: Hdf5File, path: string, name: string): string | null {
  const v = f.attr(path, name);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return null;
}

/**
 * A list-of-names attribute (`layer_names`, `weight_names`). Keras splits lists too big for an
 * HDF5 object header into `name0`, `name1`, ... (save_attributes_to_hdf5_group); these are
 * joined. An empty list is stored as an empty float array.
 */
function attrStrings(f: Hdf5File, path: string, name: string): string[] | null {
  const one = (v: ReturnType<Hdf5File['attr']>): string[] => {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return v.length > 0 ? [v] : [];
    if (typeof v === 'number') return [];
    return (v as readonly (string | number)[]).filter((x): x is string => typeof x === 'string');
  };
  const names = f.attrNames(path);
  if (names.includes(name)) return one(f.attr(path, name));
  if (!names.includes(`${name}0`)) return null;
  const out: string[] = [];
  for (let i = 0; names.includes(`${name}${i}`); i++) out.push(...one(f.attr(path, `${name}${i}`)));
  return out;
}

/** True when a parsed JSON document is an architecture (not a TensorFlow.js model.json). */
export function isArchitectureDoc(doc: unknown): boolean {
  return isRecord(doc) && typeof doc['class_name'] === 'string' && 'config' in doc;
}
