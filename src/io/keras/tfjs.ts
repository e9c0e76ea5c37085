// TensorFlow.js Layers models -> KerasArtifacts: `model.json` (a Keras config in
// `modelTopology`, a `weightsManifest`) plus the binary weight shards it names, which the caller
// passes in. Dequantizes uint8/uint16/float16 weights; everything ends as float32.

import { FileFormatError, UnsupportedError, throwIfAborted } from '../../errors.js';
import { halfToFloat } from '../hdf5.js';
import type { KerasArtifacts, NamedWeight } from './artifacts.js';
import { asModelConfig, checkElements, decodeText, isRecord, layerEntries, parseJson, pushWeight, resolveOptions, type ReadKerasOptions } from './common.js';

/** A file handed to the reader: its name (as model.json names it, or a path ending so) and bytes. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** True when a parsed JSON document is a TensorFlow.js model.json (not a bare Keras config). */
export function isTfjsModelJson(doc: unknown): doc is Record<string, unknown> {
  return isRecord(doc) && ('weightsManifest' in doc || ('modelTopology' in doc && !('class_name' in doc)));
}

/**
 * The shard paths a TensorFlow.js model.json needs, in manifest order without repeats, exactly
 * as written there (relative to model.json). [] for JSON that is not a TensorFlow.js model.
 * Throws FileFormatError `KERAS_BAD_CONFIG` for a malformed manifest.
 */
export function tfjsShardPaths(modelJson: Uint8Array | string | Record<string, unknown>, fileName: string): string[] {
  let doc: unknown = modelJson;
  if (typeof modelJson === 'string' || modelJson instanceof Uint8Array) {
    const text = typeof modelJson === 'string' ? modelJson : decodeText(modelJson);
    doc = parseJson(text, fileName, 'model.json');
  }
  if (!isTfjsModelJson(doc)) return [];
  const out: string[] = [];
  for (const group of manifestGroups(doc, fileName)) for (const p of group.paths) if (!out.includes(p)) out.push(p);
  return out;
}

interface ManifestWeight {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
  readonly quantization: { readonly dtype: string; readonly scale: number | null; readonly min: number | null } | null;
}
interface ManifestGroup {
  readonly paths: string[];
  readonly weights: ManifestWeight[];
}

function badManifest(fileName: string, what: string): FileFormatError {
  return new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}': the weightsManifest ${what}.`, {
    hint: 'Re-convert the model with tensorflowjs_converter.',
    details: { file: fileName },
  });
}

function manifestGroups(doc: Record<string, unknown>, fileName: string): ManifestGroup[] {
  const manifest = doc['weightsManifest'];
  if (manifest === undefined) return [];
  if (!Array.isArray(manifest)) throw badManifest(fileName, 'is not a list');
  return manifest.map((g: unknown, gi) => {
    if (!isRecord(g) || !Array.isArray(g['paths']) || !Array.isArray(g['weights'])) throw badManifest(fileName, `entry ${gi} lacks a 'paths' or 'weights' list`);
    const paths = g['paths'].map((p: unknown) => {
      if (typeof p !== 'string' || p.length === 0) throw badManifest(fileName, `entry ${gi} has a shard path that is not a non-empty string`);
      return p;
    });
    const weights = g['weights'].map((w: unknown, wi): ManifestWeight => {
      if (!isRecord(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape']) || typeof w['dtype'] !== 'string') {
        throw badManifest(fileName, `entry ${gi}, weight ${wi} lacks a name, shape or dtype`);
      }
      const shape = w['shape'].map((d: unknown) => {
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw badManifest(fileName, `weight '${String(w['name'])}' has a bad shape ${JSON.stringify(w['shape'])}`);
        return d;
      });
      let quantization: ManifestWeight['quantization'] = null;
      const q = w['quantization'];
      if (isRecord(q)) {
        if (typeof q['dtype'] !== 'string') throw badManifest(fileName, `weight '${w['name']}' has a quantization without a dtype`);
        quantization = {
          dtype: q['dtype'],
          scale: typeof q['scale'] === 'number' ? q['scale'] : null,
          min: typeof q['min'] === 'number' ? q['min'] : null,
        };
      }
      return { name: w['name'], shape, dtype: w['dtype'], quantization };
    });
    return { paths, weights };
  });
}

/** Manifest paths and file names compared as `/`-separated, URL-decoded, without `./`. */
function normPath(p: string): string {
  let s = p.replace(/\\/g, '/');
  try {
    s = decodeURIComponent(s);
  } catch {
    // keep as written
  }
  return s.replace(/^(\.\/)+/, '');
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The file a manifest path names: same path, a path ending with it, or (if unique) the same base name. */
function findShard(path: string, files: readonly NamedBytes[]): NamedBytes | undefined {
  const want = normPath(path);
  const norm = files.map((f) => ({ f, n: normPath(f.name) }));
  const exact = norm.find(({ n }) => n === want);
  if (exact !== undefined) return exact.f;
  const suffix = norm.filter(({ n }) => n.endsWith(`/${want}`));
  if (suffix.length === 1) return suffix[0]!.f;
  const base = norm.filter(({ n }) => baseName(n) === baseName(want));
  return base.length === 1 ? base[0]!.f : undefined;
}

/** True when a file of this name is one of the shard `paths` (by path, path ending, or base name). */
export function isListedShard(fileName: string, paths: readonly string[]): boolean {
  const n = normPath(fileName);
  return paths.some((p) => {
    const want = normPath(p);
    return n === want || n.endsWith(`/${want}`) || baseName(n) === baseName(want);
  });
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Reads a TensorFlow.js Layers model. Steps:
 *   1. `format`: a 'graph-model' is refused (UnsupportedError `MODEL_UNSUPPORTED`);
 *   2. `modelTopology`: the Keras config, unwrapped from `model_config` when wrapped;
 *   3. for each manifest group: its shards (found among `shards` by path) concatenated in
 *      order, then each weight read in order, dequantized, as float32.
 *
 * Errors: FileFormatError `KERAS_MISSING_FILE` naming a shard not given, `FILE_TRUNCATED` when
 * the shards hold fewer bytes than the manifest needs, `KERAS_BAD_CONFIG` for a malformed
 * model.json; LimitError `LIMIT_EXCEEDED` for a weight over `maxTensorElements`.
 */
export function readTfjs(doc: Record<string, unknown>, fileName: string, shards: readonly NamedBytes[], options: ReadKerasOptions = {}): KerasArtifacts {
  const opts = resolveOptions(options);

  // 1. Layers models only.
  if (doc['format'] === 'graph-model') {
    throw new UnsupportedError('MODEL_UNSUPPORTED', `'${fileName}' is a TensorFlow.js graph model (converted from a SavedModel), which has no Keras architecture.`, {
      hint: 'Convert the Keras model itself (tensorflowjs_converter --input_format keras) or pass its .h5/.keras file.',
      details: { file: fileName },
    });
  }

  // 2. Architecture.
  const topology = doc['modelTopology'];
  if (!isRecord(topology)) {
    throw new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}' has no 'modelTopology' object, so the architecture is missing.`, {
      hint: 'Pass a model.json written by tensorflowjs_converter from a Keras model.',
      details: { file: fileName },
    });
  }
  let configValue: unknown = topology['model_config'] ?? topology;
  if (typeof configValue === 'string') configValue = parseJson(configValue, fileName, "'model_config'");
  const modelConfig = asModelConfig(configValue, fileName, 'modelTopology');
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const generated = /keras v?(\d[^\s]*)/i.exec(str(doc['generatedBy']) ?? '');
  const kerasVersion = str(topology['keras_version']) ?? str(modelConfig['keras_version']) ?? (generated !== null ? generated[1]! : null);
  const backend = str(topology['backend']) ?? str(modelConfig['backend']);

  // 3. Weights, group by group.
  const layerNames = new Set((layerEntries(modelConfig) ?? []).map((e) => e.name));
  const weights = new Map<string, NamedWeight[]>();
  for (const group of manifestGroups(doc, fileName)) {
    throwIfAborted(opts.signal);
    const parts = group.paths.map((p) => {
      const file = findShard(p, shards);
      if (file === undefined) {
        throw new FileFormatError('KERAS_MISSING_FILE', `'${fileName}' needs the weight shard '${p}', which was not given.`, {
          hint: 'Pass every shard listed in model.json (they sit next to it).',
          details: { file: fileName, shard: p },
        });
      }
      return { path: p, bytes: file.bytes };
    });
    const total = parts.reduce((n, s) => n + s.bytes.length, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const s of parts) {
      buffer.set(s.bytes, at);
      at += s.bytes.length;
    }

    let offset = 0;
    for (const w of group.weights) {
      const count = checkElements(w.shape, opts.maxTensorElements, fileName, w.name);
      const storedAs = w.quantization?.dtype ?? w.dtype;
      const size = ELEMENT_BYTES[storedAs];
      if (size === undefined || (w.dtype !== 'float32' && w.dtype !== 'int32' && w.dtype !== 'bool')) {
        throw new UnsupportedError('MODEL_UNSUPPORTED', `'${fileName}': weight '${w.name}' is stored as ${storedAs}${w.quantization !== null ? ` (quantized ${w.dtype})` : ''}; convscope reads float32, int32, bool and uint8/uint16/float16 quantization.`, {
          details: { file: fileName, weight: w.name, dtype: w.dtype },
        });
      }
      const nbytes = count * size;
      if (offset + nbytes > total) {
        const sizes = parts.map((s) => `'${s.path}' ${s.bytes.length} bytes`).join(', ');
        const last = parts[parts.length - 1]!.path;
        throw new FileFormatError('FILE_TRUNCATED', `'${fileName}': weight '${w.name}' needs bytes ${offset}-${offset + nbytes} of its shards, but they hold only ${total} (${sizes}); shard '${last}' is probably truncated.`, {
          hint: 'Re-download the shards (or re-convert the model).',
          details: { file: fileName, weight: w.name, shard: last, needed: offset + nbytes, available: total },
        });
      }
      const data = decodeWeight(buffer.subarray(offset, offset + nbytes), count, w, fileName);
      offset += nbytes;
      pushWeight(weights, layerOf(w.name, layerNames), { name: w.name, tensor: { shape: [...w.shape], data } });
    }
  }
  return { format: 'tfjs-layers', kerasVersion, backend, modelConfig, weights, fileName };
}

/** Raw little-endian bytes -> float32, dequantizing (q * scale + min; int32 results rounded). */
function decodeWeight(raw: Uint8Array, count: number, w: ManifestWeight, fileName: string): Float32Array {
  const copy = raw.slice(); // aligned copy: shards put weights at any offset
  const q = w.quantization;
  if (q === null) {
    if (w.dtype === 'float32') return new Float32Array(copy.buffer, 0, count);
    if (w.dtype === 'int32') return Float32Array.from(new Int32Array(copy.buffer, 0, count));
    return Float32Array.from(copy); // bool
  }
  const out = new Float32Array(count);
  if (q.dtype === 'float16') {
    const h = new Uint16Array(copy.buffer, 0, count);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(h[i]!);
    return out;
  }
  if (q.scale === null || q.min === null) {
    throw new FileFormatError('KERAS_BAD_CONFIG', `'${fileName}': weight '${w.name}' is quantized to ${q.dtype} without both 'scale' and 'min'.`, {
      hint: 'Re-convert the model with tensorflowjs_converter.',
      details: { file: fileName, weight: w.name },
    });
  }
  const values = q.dtype === 'uint8' ? copy : new Uint16Array(copy.buffer, 0, count);
  for (let i = 0; i < count; i++) {
    const v = values[i]! * q.scale + q.min;
    out[i] = w.dtype === 'int32' ? Math.round(v) : v;
  }
  return out;
}

/** The layer a weight belongs to: the longest `/`-prefix of its name that names a layer. */
function layerOf(weightName: string, layerNames: ReadonlySet<string>): string {
  const parts = weightName.split('/');
  for (let k = parts.length - 1; k >= 1; k--) {
    const prefix = parts.slice(0, k).join('/');
    if (layerNames.has(prefix)) return prefix;
  }
  return parts[0]!;
}
