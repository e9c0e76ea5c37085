// `.keras` archives (Keras 3, tf.keras 2.13-2.15) -> KerasArtifacts, and the "weights store"
// layout they share with Keras 3 `.weights.h5` files: variables saved per object path
// (`layers/conv2d_1/vars/0`), mapped back to layer names through the config's layer list.

import { FileFormatError, UnsupportedError, throwIfAborted } from '../../errors.js';
import { withHdf5, type Hdf5File } from '../hdf5.js';
import { listZip, readZip } from '../zip.js';
import type { KerasArtifacts, KerasFormat, NamedWeight } from './artifacts.js';
import {
  MODEL_CLASSES,
  asModelConfig,
  decodeText,
  inferVarNames,
  isRecord,
  layerEntries,
  parseJson,
  pushWeight,
  resolveOptions,
  type LayerEntry,
  type ModelConfig,
  type ReadKerasOptions,
  type ResolvedOptions,
} from './common.js';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

/**
 * Reads a `.keras` archive: `config.json` (architecture), `metadata.json` (`keras_version`) and
 * `model.weights.h5` (weights store). The format is 'keras3-zip' for Keras 3.x, 'tfkeras-zip'
 * for 2.x. Weights come keyed by layer name, each named `<layer>/<variable>` with the variable
 * named by the layer class (`kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`...).
 *
 * Throws FileFormatError `FILE_UNRECOGNISED` for a ZIP that is not a Keras archive,
 * `KERAS_MISSING_WEIGHTS` when the weights are absent, `KERAS_BAD_CONFIG` for bad JSON,
 * `KERAS_WEIGHTS_MISMATCH` when a stored weight group matches no layer, and the zip reader's
 * `ZIP_*` errors for damaged archives.
 */
export async function readKerasZip(bytes: Uint8Array, fileName: string, options: ReadKerasOptions = {}): Promise<KerasArtifacts> {
  const opts = resolveOptions(options);
  const zipOptions = {
    fileName,
    ...(opts.maxZipBytes !== undefined ? { maxTotalBytes: opts.maxZipBytes } : {}),
    ...(opts.maxZipEntries !== undefined ? { maxEntries: opts.maxZipEntries } : {}),
  };

  // 1. What the archive holds, before inflating anything.
  const names = listZip(bytes, zipOptions).map((e) => e.name);
  if (!names.includes(CONFIG)) throw notKerasZip(fileName, names);
  const entries = readZip(bytes, { ...zipOptions, include: (n) => n === CONFIG || n === METADATA || n === WEIGHTS });

  // 2. Config and metadata.
  const modelConfig = asModelConfig(parseJson(decodeText(entries.get(CONFIG)!), `${fileName} (${CONFIG})`, 'model config'), `${fileName} (${CONFIG})`, 'model config');
  let kerasVersion: string | null = null;
  const metaBytes = entries.get(METADATA);
  if (metaBytes !== undefined) {
    const meta = parseJson(decodeText(metaBytes), `${fileName} (${METADATA})`, 'metadata');
    if (isRecord(meta) && typeof meta['keras_version'] === 'string') kerasVersion = meta['keras_version'];
  }
  const major = /^\s*(\d+)/.exec(kerasVersion ?? '');
  const format: KerasFormat = major !== null && Number(major[1]) < 3 ? 'tfkeras-zip' : 'keras3-zip';

  // 3. Weights.
  const weightsBytes = entries.get(WEIGHTS);
  if (weightsBytes === undefined) {
    const other = names.filter((n) => /weights/i.test(n));
    throw new FileFormatError('KERAS_MISSING_WEIGHTS', `'${fileName}' is a .keras archive without '${WEIGHTS}'${other.length > 0 ? ` (it has ${other.map((n) => `'${n}'`).join(', ')}, which convscope does not read)` : ''}.`, {
      hint: 'Re-save the model with model.save("model.keras") or as .h5.',
      details: { file: fileName, entries: names.slice(0, 20) },
    });
  }
  const weightsName = `${fileName} (${WEIGHTS})`;
  const weights = await withHdf5(weightsBytes, weightsName, (f) => readWeightsStore(f, modelConfig, weightsName, opts, format === 'keras3-zip'));
  return { format, kerasVersion, backend: null, modelConfig, weights, fileName };
}

function notKerasZip(fileName: string, names: readonly string[]): FileFormatError {
  const shown = names.slice(0, 6).map((n) => `'${n}'`).join(', ') + (names.length > 6 ? `, ... (${names.length} entries)` : '');
  let guess = '';
  if (names.some((n) => /(^|\/)data\.pkl$/.test(n))) guess = ' It looks like a PyTorch checkpoint, which convscope does not read.';
  else if (names.length > 0 && names.every((n) => n.endsWith('.npy'))) guess = ' It looks like a NumPy .npz archive (data, not a model).';
  else if (names.some((n) => /saved_model\.pb$/.test(n))) guess = ' It looks like a zipped TensorFlow SavedModel, which convscope does not read.';
  return new FileFormatError('FILE_UNRECOGNISED', `'${fileName}' is a ZIP archive but not a .keras model: it has no '${CONFIG}' (it holds ${shown || 'nothing'}).${guess}`, {
    hint: 'convscope reads .keras archives (model.save("model.keras")), .h5 files, and TensorFlow.js model.json with its shards.',
    details: { file: fileName, entries: names.slice(0, 20) },
  });
}

/** A node of the weights file's tree, with Windows backslash names split into components. */
interface StoreNode {
  /** Real HDF5 path, or null for a component that only exists inside a backslash name. */
  readonly path: string | null;
  readonly kind: 'group' | 'dataset';
  readonly children: Map<string, StoreNode>;
}

/** Most objects walked in a weights file; far above any CNN, low enough to stop a hostile file. */
const MAX_STORE_OBJECTS = 1_000_000;

function buildTree(f: Hdf5File, path: string): StoreNode {
  const root: StoreNode = { path, kind: 'group', children: new Map() };
  let count = 0;
  const walk = (node: StoreNode, at: string, depth: number): void => {
    if (depth > 64) return;
    for (const key of f.keys(at)) {
      if (++count > MAX_STORE_OBJECTS) {
        throw new FileFormatError('HDF5_CORRUPT', `'${f.fileName}' holds more than ${MAX_STORE_OBJECTS} objects; it is not a Keras weights file.`, { details: { file: f.fileName } });
      }
      const full = at === '/' ? `/${key}` : `${at}/${key}`;
      const kind = f.kind(full);
      if (kind !== 'group' && kind !== 'dataset') continue;
      // `layers\conv2d` (saved on Windows) is the path layers/conv2d.
      const parts = key.split('\\').filter((p) => p.length > 0);
      let parent = node;
      for (let i = 0; i < parts.length - 1; i++) {
        let next = parent.children.get(parts[i]!);
        if (next === undefined) {
          next = { path: null, kind: 'group', children: new Map() };
          parent.children.set(parts[i]!, next);
        }
        parent = next;
      }
      const last = parts[parts.length - 1] ?? key;
      const existing = parent.children.get(last);
      const child: StoreNode = existing !== undefined && existing.path === null ? { path: full, kind, children: existing.children } : { path: full, kind, children: new Map() };
      parent.children.set(last, child);
      if (kind === 'group') walk(child, full, depth + 1);
    }
  };
  walk(root, path, 0);
  return root;
}

/** Names of the containers that hold a model's layers, in the order Keras versions used them. */
const CONTAINERS = ['layers', '_layer_checkpoint_dependencies'] as const;

/**
 * The name of the layer container under `path` of a Keras 3 style weights file (`layers` or
 * `_layer_checkpoint_dependencies`, possibly inside backslash names), or null when there is none.
 */
export function weightsStoreContainer(f: Hdf5File, path: string): string | null {
  const keys = f.keys(path);
  for (const c of CONTAINERS) {
    if (keys.includes(c) || keys.some((k) => k.startsWith(`${c}\\`))) return c;
  }
  return null;
}

/**
 * Reads the weights of a Keras 3 style weights store and maps them to layer names. Keras saves
 * `model.layers` in order (Sequential without its InputLayer), each under the snake_case name of
 * its class plus a counter (`conv2d`, `conv2d_1`...), with variables `vars/0, vars/1...`; a
 * nested model's layers are under its own `layers/` group. `keras3` picks Keras 3's snake_case
 * rule over tf.keras's (they differ only for class names with digits after a capitalised word).
 */
export function readWeightsStore(
  f: Hdf5File,
  model: ModelConfig,
  fileName: string,
  opts: ResolvedOptions,
  keras3: boolean,
): Map<string, NamedWeight[]> {
  const tree = buildTree(f, '/');
  const weights = new Map<string, NamedWeight[]>();
  const collected = readModelNode(f, tree, model, fileName, opts, keras3, '');
  for (const [layer, list] of collected) for (const w of list) pushWeight(weights, layer, w);
  return weights;
}

/** Reads one model's layers from its node; returns weights by (top-level) layer name. */
function readModelNode(
  f: Hdf5File,
  node: StoreNode,
  model: ModelConfig,
  fileName: string,
  opts: ResolvedOptions,
  keras3: boolean,
  where: string,
): Map<string, NamedWeight[]> {
  const entries = layerEntries(model);
  if (entries === null) {
    throw new UnsupportedError('MODEL_UNSUPPORTED', `'${fileName}': the model${where} ('${model.class_name}') has no layer list in its config (a subclassed model?), so its weights cannot be matched to layers.`, {
      hint: 'Rebuild it as a Sequential or Functional model and save it again.',
      details: { file: fileName, className: model.class_name },
    });
  }
  const layers = model.class_name === 'Sequential' && entries[0]?.className === 'InputLayer' ? entries.slice(1) : entries;
  const containerName = CONTAINERS.find((c) => node.children.has(c));
  const container = containerName !== undefined ? node.children.get(containerName)! : null;
  const out = new Map<string, NamedWeight[]>();
  const used = new Map<string, number>();
  const consumed = new Set<string>();

  for (const entry of layers) {
    throwIfAborted(opts.signal);
    const base = snakeCase(entry.className, keras3);
    const n = used.get(base);
    const key = n === undefined ? base : `${base}_${n + 1}`;
    used.set(base, n === undefined ? 0 : n + 1);
    const group = container?.children.get(key);
    if (group === undefined) continue; // a layer without variables may have no group at all
    consumed.add(key);
    const list: NamedWeight[] = [];
    if (MODEL_CLASSES.has(entry.className)) {
      const inner = asModelConfig({ class_name: entry.className, config: entry.config }, fileName, `config of nested model '${entry.name}'`);
      const nested = readModelNode(f, group, inner, fileName, opts, keras3, ` '${entry.name}'`);
      for (const [innerLayer, ws] of nested) {
        for (const w of ws) list.push({ name: w.name.startsWith(`${innerLayer}/`) ? w.name : `${innerLayer}/${w.name}`, tensor: w.tensor });
      }
      list.push(...readVars(f, group, entry, opts, CONTAINERS));
    } else {
      list.push(...readVars(f, group, entry, opts, []));
    }
    if (list.length > 0) out.set(entry.name, list);
  }

  // Weights that no layer claimed would be lost silently: refuse instead.
  if (container !== null) {
    for (const [key, child] of container.children) {
      if (!consumed.has(key) && countDatasets(child) > 0) {
        throw new FileFormatError(
          'KERAS_WEIGHTS_MISMATCH',
          `'${fileName}': the weight group '${containerName}/${key}'${where} matches no layer of the config (its ${layers.length} layers give ${[...used.keys()].slice(0, 6).join(', ')}...).`,
          { hint: 'The config and the weights come from different models; save the model again with model.save().', details: { file: fileName, group: `${containerName}/${key}` } },
        );
      }
    }
  }
  return out;
}

/**
 * The variables of one layer: `vars/0, vars/1, ...` in numeric order, named by the layer's class
 * (or by position when the class or count is unfamiliar), then variables of any other subgroup
 * (named by their path), skipping `skip`.
 */
function readVars(f: Hdf5File, group: StoreNode, entry: LayerEntry, opts: ResolvedOptions, skip: readonly string[]): NamedWeight[] {
  const out: NamedWeight[] = [];
  const vars = group.children.get('vars');
  if (vars !== undefined) {
    const items = sortedVarItems(vars);
    const inferred = inferVarNames(entry);
    const names = inferred !== null && inferred.length === items.length ? inferred : items.map(([k]) => k);
    items.forEach(([, node], i) => out.push(readOne(f, node, `${entry.name}/${names[i]!}`, opts)));
  }
  for (const [key, child] of group.children) {
    if (key === 'vars' || skip.includes(key)) continue;
    const walk = (node: StoreNode, rel: string): void => {
      if (node.kind === 'dataset') {
        out.push(readOne(f, node, `${entry.name}/${rel}`, opts));
        return;
      }
      for (const [k, c] of sortedVarItems(node)) walk(c, `${rel}/${k}`);
    };
    walk(child, key);
  }
  return out;
}

/** Children sorted numerically when their names are numbers (`vars/10` after `vars/9`). */
function sortedVarItems(node: StoreNode): [string, StoreNode][] {
  return [...node.children].sort(([a], [b]) => {
    const na = /^\d+$/.test(a) ? Number(a) : NaN;
    const nb = /^\d+$/.test(b) ? Number(b) : NaN;
    if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function readOne(f: Hdf5File, node: StoreNode, name: string, opts: ResolvedOptions): NamedWeight {
  if (node.kind !== 'dataset' || node.path === null) {
    throw new FileFormatError('HDF5_CORRUPT', `'${f.fileName}': expected a dataset for weight '${name}'.`, { details: { file: f.fileName, weight: name } });
  }
  const t = f.readFloat32(node.path, opts.maxTensorElements);
  return { name, tensor: { shape: [...t.shape], data: t.data } };
}

function countDatasets(node: StoreNode): number {
  if (node.kind === 'dataset') return 1;
  let n = 0;
  for (const c of node.children.values()) n += countDatasets(c);
  return n;
}

/**
 * Keras' `to_snake_case` for class names: Keras 3 (`naming.to_snake_case`) and tf.keras 2.x
 * (`generic_utils.to_snake_case`) differ only in whether digits may follow a capitalised word.
 */
export function snakeCase(className: string, keras3: boolean): string {
  let name = className.replace(/[^A-Za-z0-9_]+/g, '');
  name = name.replace(keras3 ? /(.)([A-Z][a-z]+)/g : /(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  name = name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  if (!keras3 && name.startsWith('_')) name = `private${name}`;
  return name;
}
