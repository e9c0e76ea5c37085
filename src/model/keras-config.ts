// Keras architecture configs (Keras 1, Keras 2 / tf.keras / TensorFlow.js, Keras 3) -> one typed
// model description: layers with Keras 2 option names, inbound references, inputs and outputs.
// Only structure lives here; what each layer computes is in layers*.ts, the graph in translate.ts.

import { LayerConfig, normaliseKeras1, type Dialect } from './layer-config.js';
import { badConfig, type Where } from './translate-messages.js';
import type { Shape } from './ir.js';

export { LayerConfig, type Dialect } from './layer-config.js';

/** A reference to one output tensor of one call of a layer: Keras' [name, node_index, tensor_index]. */
export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

/** One layer of a model config, dialect-normalised. */
export interface LayerSpec {
  readonly name: string;
  /** Class name as written in the config (`Convolution2D`, `Conv2D`...). */
  readonly className: string;
  /** Canonical (Keras 2) class name used to pick the translation (`Conv2D` for `Convolution2D`). */
  readonly kind: string;
  readonly config: LayerConfig;
  /** Inputs of each call of the layer (one entry per inbound node). InputLayers have none. */
  readonly calls: readonly (readonly TensorRef[])[];
  /** The nested model when the layer is itself a Sequential or functional model. */
  readonly model?: ModelSpec;
  /** False for Keras 1 Merge branches, whose layer names are global: no `outer/` prefix. */
  readonly prefixNames: boolean;
}

/** A (possibly nested) model: its layers in config order, inputs and outputs. */
export interface ModelSpec {
  readonly name: string;
  readonly className: string;
  readonly layers: readonly LayerSpec[];
  readonly inputs: readonly TensorRef[];
  readonly outputs: readonly TensorRef[];
}

/** Class names that denote a model (top level or nested). */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Model', 'Functional']);

const KERAS1_KEYS = ['nb_filter', 'output_dim', 'border_mode', 'dim_ordering', 'subsample', 'nb_row', 'input_dtype', 'pool_length', 'filter_length'];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Layer objects of a model config (one level), tolerant of every dialect's container shape. */
function layerList(modelConfig: Obj): unknown[] {
  const c = modelConfig['config'];
  if (Array.isArray(c)) return c;
  if (isObj(c) && Array.isArray(c['layers'])) return c['layers'] as unknown[];
  return [];
}

function someLayer(modelConfig: Obj, test: (layer: Obj) => boolean, depth = 0): boolean {
  if (depth > 32) return false;
  for (const l of layerList(modelConfig)) {
    if (!isObj(l)) continue;
    if (test(l)) return true;
    if (MODEL_CLASSES.has(String(l['class_name'])) && someLayer(l, test, depth + 1)) return true;
    const branches = isObj(l['config']) ? (l['config'] as Obj)['layers'] : undefined;
    if (Array.isArray(branches) && branches.some((b) => isObj(b) && someLayer(b, test, depth + 1))) return true;
  }
  return false;
}

/**
 * The Keras generation that wrote a config: the major of `keras_version` when recorded
 * (`2.2.4-tf` -> 2), else guessed from the config: Keras 1 option names (`nb_filter`,
 * `border_mode`...) mean 1; DTypePolicy objects or `batch_shape` mean 3; otherwise 2.
 */
export function detectDialect(kerasVersion: string | null, modelConfig: unknown): Dialect {
  const m = kerasVersion !== null ? /^\s*(\d+)\./.exec(kerasVersion) : null;
  if (m !== null) {
    const major = Number(m[1]);
    if (major <= 1) return 1;
    return major === 2 ? 2 : 3;
  }
  if (!isObj(modelConfig)) return 2;
  const cfgOf = (l: Obj): Obj => (isObj(l['config']) ? (l['config'] as Obj) : {});
  if (someLayer(modelConfig, (l) => KERAS1_KEYS.some((k) => k in cfgOf(l)))) return 1;
  const k3 = (l: Obj): boolean => 'batch_shape' in cfgOf(l) || (isObj(cfgOf(l)['dtype']) && (cfgOf(l)['dtype'] as Obj)['class_name'] === 'DTypePolicy');
  return someLayer(modelConfig, k3) ? 3 : 2;
}

/** Context for parsing: file name for messages, dialect, and a running layer count. */
export interface ParseContext {
  readonly fileName: string;
  readonly dialect: Dialect;
  /** Counts layers (nested included) so that a limit can stop a huge config early. */
  readonly onLayer: () => void;
}

/**
 * Parses the `model_config` object (`{class_name, config}`) into a ModelSpec. Sequential models
 * become chains with an explicit input; functional models keep their references.
 * Throws FileFormatError KERAS_BAD_CONFIG for anything Keras would not have written.
 */
export function parseModel(modelConfig: unknown, ctx: ParseContext, depth = 0): ModelSpec {
  const where: Where = { fileName: ctx.fileName };
  if (!isObj(modelConfig)) throw badConfig(where, 'the model config is not a JSON object', modelConfig);
  if (depth > 32) throw badConfig(where, 'models are nested more than 32 deep');
  const cls = modelConfig['class_name'];
  if (cls === 'Sequential') return parseSequential(modelConfig, ctx, depth);
  if (cls === 'Model' || cls === 'Functional') return parseFunctional(modelConfig, ctx, depth);
  throw badConfig(where, `the model class is not Sequential, Model or Functional (legacy Keras 0 'Graph' models are not supported)`, cls);
}

function layerName(raw: Obj, cfg: Obj, ctx: ParseContext): string {
  const name = raw['name'] ?? cfg['name'];
  if (typeof name !== 'string' || name === '') throw badConfig({ fileName: ctx.fileName }, 'a layer has no name', raw['class_name']);
  return name;
}

/** Parses one layer object; nested models are parsed recursively. */
function parseLayer(raw: unknown, ctx: ParseContext, depth: number, calls: (readonly TensorRef[])[]): LayerSpec {
  if (!isObj(raw)) throw badConfig({ fileName: ctx.fileName }, 'a layer entry is not an object', raw);
  const className = raw['class_name'];
  if (typeof className !== 'string') throw badConfig({ fileName: ctx.fileName }, 'a layer has no class_name', raw);
  const cfgRaw = raw['config'] ?? {};
  if (!isObj(cfgRaw) && !(MODEL_CLASSES.has(className) && Array.isArray(cfgRaw))) {
    throw badConfig({ fileName: ctx.fileName, className }, 'a layer config is not an object', cfgRaw);
  }
  ctx.onLayer();
  const cfgObj: Obj = isObj(cfgRaw) ? cfgRaw : {};
  const name = layerName(raw, cfgObj, ctx);
  const where: Where = { fileName: ctx.fileName, layer: name, className };
  if (MODEL_CLASSES.has(className)) {
    const model = parseModel({ class_name: className, config: cfgRaw }, ctx, depth + 1);
    return { name, className, kind: className, config: new LayerConfig(cfgObj, where), calls, model: { ...model, name }, prefixNames: true };
  }
  const { kind, config } = ctx.dialect === 1 ? normaliseKeras1(className, cfgObj) : { kind: className, config: cfgObj };
  return { name, className, kind: KIND_ALIASES[kind] ?? kind, config: new LayerConfig(config, where), calls, prefixNames: true };
}

/** Class aliases that Keras may write, mapped to the canonical class. */
const KIND_ALIASES: Readonly<Record<string, string>> = {
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  DepthwiseConvolution2D: 'DepthwiseConv2D',
};

// ---- functional models ----------------------------------------------------------------------

function refFromArray(a: unknown, where: Where): TensorRef {
  if (!Array.isArray(a) || typeof a[0] !== 'string') throw badConfig(where, 'an inbound reference is not [layer_name, node_index, tensor_index]', a);
  const node = a[1] ?? 0;
  const tensor = a[2] ?? 0;
  if (!Number.isInteger(node) || !Number.isInteger(tensor) || (node as number) < 0 || (tensor as number) < 0) {
    throw badConfig(where, 'an inbound reference has a bad node or tensor index', a);
  }
  return { layer: a[0], node: node as number, tensor: tensor as number };
}

/** Keras 3 keras tensors (`{class_name: '__keras_tensor__', config: {keras_history}}`) in call args. */
function collectKerasTensors(v: unknown, where: Where, out: TensorRef[], depth = 0): void {
  if (depth > 16) return;
  if (Array.isArray(v)) {
    for (const x of v) collectKerasTensors(x, where, out, depth + 1);
  } else if (isObj(v)) {
    if (v['class_name'] === '__keras_tensor__' && isObj(v['config'])) out.push(refFromArray((v['config'] as Obj)['keras_history'], where));
    else for (const x of Object.values(v)) collectKerasTensors(x, where, out, depth + 1);
  }
}

/** `inbound_nodes` in any dialect -> per call, the referenced tensors. */
export function parseInboundNodes(raw: unknown, where: Where): TensorRef[][] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badConfig(where, 'inbound_nodes is not a list', raw);
  return raw.map((node) => {
    if (Array.isArray(node)) return node.map((entry) => refFromArray(entry, where));
    if (isObj(node) && 'args' in node) {
      const refs: TensorRef[] = [];
      collectKerasTensors(node['args'], where, refs);
      if (refs.length === 0) collectKerasTensors(node['kwargs'], where, refs);
      return refs;
    }
    throw badConfig(where, 'an inbound node is neither a list of references nor {args, kwargs}', node);
  });
}

/** `input_layers` / `output_layers`: a list of references, a single reference, or a dict of them. */
function parseRefList(raw: unknown, where: Where, what: string): TensorRef[] {
  if (isObj(raw)) return Object.values(raw).map((r) => refFromArray(r, where));
  if (!Array.isArray(raw) || raw.length === 0) throw badConfig(where, `${what} is missing or empty`, raw);
  if (typeof raw[0] === 'string') return [refFromArray(raw, where)];
  return raw.map((r) => refFromArray(r, where));
}

function parseFunctional(modelConfig: Obj, ctx: ParseContext, depth: number): ModelSpec {
  const cfg = modelConfig['config'];
  const where: Where = { fileName: ctx.fileName };
  if (!isObj(cfg) || !Array.isArray(cfg['layers'])) throw badConfig(where, 'a functional model config has no layers list', cfg);
  const name = typeof cfg['name'] === 'string' ? cfg['name'] : 'model';
  const layers = (cfg['layers'] as unknown[]).map((raw) => {
    const w: Where = { fileName: ctx.fileName, layer: isObj(raw) ? String(raw['name'] ?? '?') : '?' };
    return parseLayer(raw, ctx, depth, isObj(raw) ? parseInboundNodes(raw['inbound_nodes'], w) : []);
  });
  return {
    name,
    className: String(modelConfig['class_name']),
    layers,
    inputs: parseRefList(cfg['input_layers'], where, 'input_layers'),
    outputs: parseRefList(cfg['output_layers'], where, 'output_layers'),
  };
}

// ---- Sequential models ----------------------------------------------------------------------

function shapeOf(v: unknown): Shape | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  if (!v.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 0))) return null;
  return v as Shape;
}

/** The batch input shape a Sequential model's first layer (or the model) records, or null. */
function sequentialInputShape(first: Obj, seqCfg: unknown, top: Obj): Shape | null {
  const fc = isObj(first['config']) ? (first['config'] as Obj) : {};
  const candidates: unknown[] = [fc['batch_input_shape'], fc['batch_shape']];
  const inputShape = shapeOf(fc['input_shape']);
  if (inputShape !== null) candidates.push([null, ...inputShape]);
  if (Number.isInteger(fc['input_dim'])) candidates.push([null, fc['input_dim']]);
  if (isObj(seqCfg)) candidates.push(seqCfg['build_input_shape']);
  if (isObj(top['build_config'])) candidates.push((top['build_config'] as Obj)['input_shape']);
  for (const c of candidates) {
    const s = shapeOf(c);
    if (s !== null) return s;
  }
  return null;
}

const ref = (layer: string): TensorRef => ({ layer, node: 0, tensor: 0 });

function inputSpec(name: string, shape: Shape, ctx: ParseContext): LayerSpec {
  const where: Where = { fileName: ctx.fileName, layer: name, className: 'InputLayer' };
  return { name, className: 'InputLayer', kind: 'InputLayer', config: new LayerConfig({ name, batch_input_shape: shape }, where), calls: [], prefixNames: true };
}

/** Keras 1 Sequential whose first layer is a Merge of branch models: branches become nested models. */
function mergeBranches(first: Obj, ctx: ParseContext, depth: number): LayerSpec[] | null {
  const cfg = first['config'];
  if (first['class_name'] !== 'Merge' || !isObj(cfg) || !Array.isArray(cfg['layers'])) return null;
  const branches = (cfg['layers'] as unknown[]).map((b, i) => {
    const model = parseModel(b, ctx, depth + 1);
    const name = `${String(cfg['name'] ?? 'merge')}_branch${i}`;
    const where: Where = { fileName: ctx.fileName, layer: name, className: model.className };
    return { name, className: model.className, kind: model.className, config: new LayerConfig({}, where), calls: [[]], model: { ...model, name }, prefixNames: false };
  });
  const { layers: _drop, ...mergeCfg } = cfg;
  const merge = parseLayer({ ...first, config: mergeCfg }, ctx, depth, [branches.map((b) => ref(b.name))]);
  return [...branches, merge];
}

function parseSequential(modelConfig: Obj, ctx: ParseContext, depth: number): ModelSpec {
  const cfg = modelConfig['config'];
  const where: Where = { fileName: ctx.fileName };
  const raw = Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg['layers'] : undefined;
  if (!Array.isArray(raw) || raw.length === 0) throw badConfig(where, 'a Sequential model has no layers', cfg);
  const name = isObj(cfg) && typeof cfg['name'] === 'string' ? cfg['name'] : 'sequential';
  const first = raw[0];
  if (!isObj(first)) throw badConfig(where, 'a layer entry is not an object', first);
  const specs: LayerSpec[] = [];
  let rest = raw;
  let prev: TensorRef | null = null;
  const inputs: TensorRef[] = [];
  const branches = mergeBranches(first, ctx, depth);
  if (branches !== null) {
    specs.push(...branches);
    prev = ref(branches[branches.length - 1]!.name);
    rest = raw.slice(1);
  } else if (first['class_name'] === 'InputLayer') {
    const spec = parseLayer(first, ctx, depth, []);
    specs.push(spec);
    prev = ref(spec.name);
    inputs.push(prev);
    rest = raw.slice(1);
  } else {
    const shape = sequentialInputShape(first, cfg, modelConfig);
    const firstName = isObj(first['config']) ? (first['config'] as Obj)['name'] : undefined;
    if (shape !== null) {
      const spec = inputSpec(`${typeof firstName === 'string' ? firstName : name}_input`, shape, ctx);
      specs.push(spec);
      prev = ref(spec.name);
      inputs.push(prev);
    } else if (!MODEL_CLASSES.has(String(first['class_name']))) {
      throw badConfig(where, `the Sequential model '${name}' records no input shape (no batch_input_shape on its first layer, no InputLayer, no build_input_shape)`, first['class_name']);
    }
  }
  for (const layer of rest) {
    const spec = parseLayer(layer, ctx, depth, [prev !== null ? [prev] : []]);
    specs.push(spec);
    prev = ref(spec.name);
  }
  if (prev === null) throw badConfig(where, `the Sequential model '${name}' has no layers after its input`);
  return { name, className: 'Sequential', layers: specs, inputs, outputs: [prev] };
}
