// Writes a full-model Keras 2 HDF5 file (`model.save("model.h5")`), laid out as Keras 2.3
// writes it (keras/engine/saving.py): root attributes keras_version, backend, model_config,
// training_config (variable-length strings); group model_weights with layer_names (fixed-length
// NULL-padded byte strings), backend and keras_version; one group per layer with weight_names
// (an empty float64 array for layers without weights) and one dataset per weight at the path of
// its name (`conv2d_1/kernel:0` -> model_weights/conv2d_1/conv2d_1/kernel:0). Bytes out.

import { ArgumentError } from '../../errors.js';
import { writeHdf5, type Hdf5WriteAttribute, type Hdf5WriteGroup } from '../hdf5-write.js';
import type { NamedWeight } from './artifacts.js';

/** HDF5 object headers hold at most this many attribute bytes; Keras splits longer lists (`name0`, `name1`...). */
export const HDF5_OBJECT_HEADER_LIMIT = 64512;

/** What a Keras 2 full-model file holds. */
export interface KerasH5Content {
  /** `{class_name, config}` as Keras serialises the model. */
  readonly modelConfig: Readonly<Record<string, unknown>>;
  /** The compile settings (`training_config`); null writes none (Keras' include_optimizer=False). */
  readonly trainingConfig: Readonly<Record<string, unknown>> | null;
  /** Every layer in model order (weightless ones too), with its weights in Keras order. */
  readonly layers: readonly { readonly name: string; readonly weights: readonly NamedWeight[] }[];
  /** `keras_version` (default '2.3.1'). */
  readonly kerasVersion?: string;
  /** `backend` (default 'tensorflow'). */
  readonly backend?: string;
  /**
   * The JSON text of model_config and training_config; default: Python's json.dumps layout of
   * the objects (see pythonJson).
   */
  readonly stringify?: (value: unknown) => string;
}

/** A number Python writes as a float (`1.0`, `1e-07`), for pythonJson. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Wraps a number so that pythonJson writes it as a Python float. */
export function pyFloat(v: number): PyFloat {
  return new PyFloat(v);
}

/** Python's repr of a float: shortest round-trip digits; scientific below 1e-4 or from 1e16 (`1e-07`). */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const sign = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * JSON as Python's json.dumps writes it by default: ', ' and ': ' separators, non-ASCII
 * escaped, PyFloat values as Python floats (other numbers as integers if whole). Keys keep
 * their insertion order.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pythonFloat(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v)).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  throw new ArgumentError('BAD_ARGUMENT', `pythonJson: cannot serialise a ${typeof value}.`);
}

/**
 * A list attribute the way Keras' save_attributes_to_hdf5_group stores it: one attribute when
 * it fits an object header, else split into `name0`, `name1`... chunks (numpy.array_split), all
 * with the itemsize of the longest string.
 */
export function listAttributes(name: string, values: readonly string[]): Hdf5WriteAttribute[] {
  if (values.length === 0) return [{ name, kind: 'float64', values: new Float64Array(0) }];
  const tooLong = values.find((v) => v.length > HDF5_OBJECT_HEADER_LIMIT);
  if (tooLong !== undefined) {
    throw new ArgumentError('BAD_ARGUMENT', `The name '${tooLong.slice(0, 40)}...' is longer than ${HDF5_OBJECT_HEADER_LIMIT} bytes; HDF5 cannot store it in an attribute.`);
  }
  const item = values.reduce((m, v) => Math.max(m, v.length), 1);
  let chunks = 1;
  const split = (k: number): string[][] => {
    const out: string[][] = [];
    const base = Math.floor(values.length / k);
    let start = 0;
    for (let i = 0; i < k; i++) {
      const size = base + (i < values.length % k ? 1 : 0);
      out.push(values.slice(start, start + size));
      start += size;
    }
    return out;
  };
  let parts = split(1);
  while (parts.some((p) => p.length * item > HDF5_OBJECT_HEADER_LIMIT)) parts = split(++chunks);
  if (chunks === 1) return [{ name, kind: 'strings', values: [...values] }];
  // Every chunk keeps the itemsize of the whole list (numpy splits one 'S<item>' array).
  return parts.map((p, i): Hdf5WriteAttribute => ({ name: `${name}${i}`, kind: 'strings', values: p, itemSize: item }));
}

/**
 * Writes a Keras 2 full-model HDF5 file and returns its bytes. Checks that layer names are
 * unique and that weight names are unique within a layer (ArgumentError BAD_ARGUMENT).
 */
export async function writeKerasH5(content: KerasH5Content): Promise<Uint8Array> {
  const { modelConfig, trainingConfig, layers, kerasVersion = '2.3.1', backend = 'tensorflow', stringify = pythonJson } = content;
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new ArgumentError('BAD_ARGUMENT', `writeKerasH5: two layers are named '${l.name}'.`);
    seen.add(l.name);
    const names = new Set<string>();
    for (const w of l.weights) {
      if (names.has(w.name)) throw new ArgumentError('BAD_ARGUMENT', `writeKerasH5: layer '${l.name}' has two weights named '${w.name}'.`);
      names.add(w.name);
    }
  }
  const rootAttributes: Hdf5WriteAttribute[] = [
    { name: 'keras_version', kind: 'string', value: kerasVersion },
    { name: 'backend', kind: 'string', value: backend },
    { name: 'model_config', kind: 'string', value: stringify(modelConfig) },
  ];
  if (trainingConfig !== null) rootAttributes.push({ name: 'training_config', kind: 'string', value: stringify(trainingConfig) });
  const layerGroups = layers.map((l) => ({ name: l.name, group: layerGroup(l.weights) }));
  const modelWeights: Hdf5WriteGroup = {
    attributes: [
      ...listAttributes('layer_names', layers.map((l) => l.name)),
      { name: 'backend', kind: 'string', value: backend },
      { name: 'keras_version', kind: 'string', value: kerasVersion },
    ],
    groups: layerGroups,
  };
  return writeHdf5({ attributes: rootAttributes, groups: [{ name: 'model_weights', group: modelWeights }] });
}

/** One layer's group: weight_names, then each weight at the path its name gives (`a/b:0` -> group a, dataset b:0). */
function layerGroup(weights: readonly NamedWeight[]): Hdf5WriteGroup {
  interface Tree { datasets: { name: string; shape: number[]; data: Float32Array }[]; groups: Map<string, Tree> }
  const root: Tree = { datasets: [], groups: new Map() };
  for (const w of weights) {
    const parts = w.name.split('/');
    let t = root;
    for (const p of parts.slice(0, -1)) {
      let next = t.groups.get(p);
      if (next === undefined) t.groups.set(p, (next = { datasets: [], groups: new Map() }));
      t = next;
    }
    t.datasets.push({ name: parts[parts.length - 1]!, shape: [...w.tensor.shape], data: w.tensor.data });
  }
  const toGroup = (t: Tree, attrs: Hdf5WriteAttribute[]): Hdf5WriteGroup => ({
    attributes: attrs,
    datasets: t.datasets,
    groups: [...t.groups].map(([name, sub]) => ({ name, group: toGroup(sub, []) })),
  });
  return toGroup(root, listAttributes('weight_names', weights.map((w) => w.name)));
}
