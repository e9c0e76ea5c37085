// Keras artifacts (any dialect) -> the canonical Graph of ir.ts. The only place Keras configs are
// interpreted; nothing after it sees snake_case, Keras 1 layouts or Theano kernels.

import type { NamedWeight, KerasArtifacts } from '../io/keras/artifacts.js';
import type { Graph, Node, Shape } from './ir.js';
import { formatShape } from '../errors.js';
import { detectDialect, parseModel, type Dialect, type LayerSpec, type ModelSpec } from './keras-config.js';
import { expandModel, type CallNode } from './expand.js';
import type { LayerContext, LayerOutput } from './layer-context.js';
import { LAYERS, SUPPORTED_CLASSES } from './layers.js';
import {
  badConfig,
  lambdaLayer,
  limitExceeded,
  orphanWeights,
  unknownStartAfter,
  unsupportedLayer,
  unsupportedOption,
  weightsMismatch,
  type Where,
} from './translate-messages.js';
import { checkWeights, WeightStore } from './weights.js';

/** Options of translateKeras. */
export interface TranslateOptions {
  /** Largest number of layers in the config, nested models included. Default 10,000. */
  readonly maxLayers?: number;
  /** Largest number of parameters (stored weight values). Default 2^31. */
  readonly maxParams?: number;
  /**
   * Start the graph after this layer (exact node name; nested: `outer/inner`): it becomes an
   * input node shaped like its output, and everything only it needed is dropped. Meant for a
   * Lambda that preprocesses the input: its preprocessing is then the caller's to apply. Default:
   * none.
   */
  readonly startAfter?: string;
  /**
   * Flip convolution kernels spatially, as for Theano-trained models. Default: automatic, true
   * when the file says backend 'theano', or for a Keras 1 model using 'th' dim ordering that
   * records no backend (Keras 1 files never do; 'th' models were Theano's).
   */
  readonly theanoKernels?: boolean;
}

/** Settings shared by every layer of one translation. */
interface Session {
  readonly fileName: string;
  readonly dialect: Dialect;
  readonly theano: boolean;
  readonly store: WeightStore;
}

function anyLayer(model: ModelSpec, test: (l: LayerSpec) => boolean): boolean {
  return model.layers.some((l) => test(l) || (l.model !== undefined && anyLayer(l.model, test)));
}

function allNames(model: ModelSpec, out = new Set<string>()): Set<string> {
  for (const l of model.layers) {
    out.add(l.name);
    if (l.model !== undefined) allNames(l.model, out);
  }
  return out;
}

/** Nodes the outputs need, not looking past `cut`; and everything `cut` itself needs. */
function needed(nodes: readonly CallNode[], outputs: readonly string[], cut: string | null): { final: Set<string>; shape: Set<string> } {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const walk = (roots: readonly string[], stopAt: string | null): Set<string> => {
    const seen = new Set<string>();
    const todo = [...roots];
    while (todo.length > 0) {
      const name = todo.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      if (name !== stopAt) todo.push(...(byName.get(name)?.inputs ?? []));
    }
    return seen;
  };
  const final = walk(outputs, cut);
  return { final, shape: cut !== null ? walk([cut], null) : new Set() };
}

/** Output shape of a Lambda: its recorded output_shape, else (assumed) its single input's. */
function lambdaShape(spec: LayerSpec, inputs: readonly Shape[]): { shape: Shape | null; assumed: boolean } {
  const os = spec.config.raw['output_shape'];
  if (Array.isArray(os) && os.every((d) => d === null || Number.isInteger(d))) return { shape: [null, ...(os as (number | null)[])], assumed: false };
  return { shape: inputs.length === 1 ? inputs[0]! : null, assumed: true };
}

/** Runs the class translator of one call node. */
function translateCall(s: Session, n: CallNode, inputShapes: readonly Shape[]): LayerOutput[] {
  const where: Where = { fileName: s.fileName, layer: n.name, className: n.spec.className };
  const translator = LAYERS[n.spec.kind];
  if (translator === undefined) throw unsupportedLayer(where, SUPPORTED_CLASSES);
  let usedWeights = false;
  const ctx: LayerContext = {
    spec: n.spec,
    cfg: n.spec.config,
    where,
    inputShapes,
    dialect: s.dialect,
    theano: s.theano,
    weights: (expected, adapt) => {
      usedWeights = true;
      const { found, looked } = s.store.lookup(n.path);
      return checkWeights(where, found !== null && adapt !== undefined ? adapt(found) : found, looked, expected);
    },
  };
  const outs = translator(ctx);
  if (!usedWeights) {
    const { found } = s.store.lookup(n.path);
    if (found !== null && found.length > 0) throw weightsMismatch(where, [], found.map((w: NamedWeight) => ({ name: w.name, shape: w.tensor.shape })), 'has no weights in Keras but the file stores some');
  }
  return outs;
}

/**
 * Every size a layer computes must be a whole number in 0..2^53 (or unknown): hostile options
 * (an UpSampling size of 1e300, found by fuzzing) must not reach the engine as Infinity or NaN.
 */
function checkShape(fileName: string, n: CallNode, shape: Shape): void {
  if (shape.every((d) => d === null || (Number.isSafeInteger(d) && d >= 0))) return;
  throw badConfig({ fileName, layer: n.name, className: n.spec.className }, `computes the output shape ${formatShape(shape.map((d) => (d === null || Number.isFinite(d) ? d : Number.NaN)))}, whose sizes are not whole numbers between 0 and 2^53`, shape);
}

/** Translates one call node (Lambda rules included) into its outputs. */
function translateNode(s: Session, n: CallNode, inputShapes: readonly Shape[], role: 'final' | 'shape' | 'cut'): LayerOutput[] {
  if (n.spec.kind !== 'Lambda') return translateCall(s, n, inputShapes);
  const where: Where = { fileName: s.fileName, layer: n.name, className: n.spec.className };
  const { shape, assumed } = lambdaShape(n.spec, inputShapes);
  if (role === 'final') throw lambdaLayer(where, shape, assumed);
  if (shape === null) throw unsupportedOption(where, 'is a Lambda with several inputs and no recorded output_shape, so convscope cannot tell what shape to start from');
  return [{ op: { type: 'identity' }, outputShape: shape, params: 0 }];
}

/** Graph nodes for one translated call (helpers first, named `name/suffix`). */
function emit(n: CallNode, outs: readonly LayerOutput[], isCut: boolean): Node[] {
  const last = outs[outs.length - 1]!;
  if (isCut) return [{ name: n.name, className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: last.outputShape, params: 0 }];
  const nodes: Node[] = [];
  let inputs: readonly string[] = n.inputs;
  outs.forEach((o, i) => {
    const name = i === outs.length - 1 ? n.name : `${n.name}/${o.suffix ?? `part${i}`}`;
    nodes.push({ name, className: n.spec.className, op: o.op, inputs, outputShape: o.outputShape, params: n.call === 0 ? o.params : 0 });
    inputs = [name];
  });
  return nodes;
}

/**
 * Translates Keras artifacts into a Graph (ir.ts). Steps:
 *   1. parse      model_config -> ModelSpec (dialect detected; Keras 1 option names renamed)
 *   2. expand     one node per layer call; nested models flattened as `outer/inner`
 *   3. cut        startAfter: that layer becomes an input; keep only what the outputs need
 *   4. translate  per class in topological order: shapes, weights checked and re-laid out
 *                 (Keras 1 'th' transposed, Theano flipped), Lambda layers refused
 *   5. check      parameter limit; weights stored for layers the config does not have
 * Throws FileFormatError (KERAS_BAD_CONFIG, KERAS_MISSING_WEIGHTS, KERAS_WEIGHTS_MISMATCH),
 * UnsupportedError (KERAS_LAMBDA, KERAS_UNSUPPORTED_LAYER), LimitError, ArgumentError (startAfter).
 */
export function translateKeras(artifacts: KerasArtifacts, options: TranslateOptions = {}): Graph {
  const { maxLayers = 10_000, maxParams = 2 ** 31, startAfter, theanoKernels } = options;
  const fileName = artifacts.fileName;
  // 1. parse
  const dialect = detectDialect(artifacts.kerasVersion, artifacts.modelConfig);
  let layerCount = 0;
  const onLayer = (): void => {
    if (++layerCount > maxLayers) throw limitExceeded(fileName, 'layers', layerCount, maxLayers, 'maxLayers');
  };
  const model = parseModel(artifacts.modelConfig, { fileName, dialect, onLayer });
  const thOrdering = anyLayer(model, (l) => l.config.raw['data_format'] === 'channels_first');
  const theano = theanoKernels ?? (artifacts.backend === 'theano' || (artifacts.backend === null && dialect === 1 && thOrdering));
  const s: Session = { fileName, dialect, theano, store: new WeightStore(artifacts.weights) };
  // 2. expand
  const ex = expandModel(model, fileName);
  // 3. cut
  const cut = startAfter ?? null;
  if (cut !== null && !ex.nodes.some((n) => n.name === cut)) throw unknownStartAfter(fileName, cut, ex.nodes.map((n) => n.name));
  const { final, shape } = needed(ex.nodes, ex.outputs, cut);
  if (cut === null) for (const i of ex.inputs) final.add(i);
  // 4. translate
  const shapes = new Map<string, Shape>();
  const nodes: Node[] = [];
  let params = 0;
  for (const n of ex.nodes) {
    if (!final.has(n.name) && !shape.has(n.name)) continue;
    const role = n.name === cut ? 'cut' : final.has(n.name) ? 'final' : 'shape';
    const outs = translateNode(s, n, n.inputs.map((i) => shapes.get(i)!), role);
    for (const o of outs) checkShape(fileName, n, o.outputShape);
    shapes.set(n.name, outs[outs.length - 1]!.outputShape);
    if (n.call === 0) params += outs.reduce((p, o) => p + o.params, 0);
    if (params > maxParams) throw limitExceeded(fileName, 'parameters', params, maxParams, 'maxParams');
    if (final.has(n.name)) nodes.push(...emit(n, outs, role === 'cut'));
  }
  // 5. check
  const known = allNames(model);
  const orphans = s.store.unclaimed().filter((k) => k !== 'top_level_model_weights' && !k.split('/').some((part) => known.has(part)));
  if (orphans.length > 0) throw orphanWeights(fileName, orphans, [...known]);
  const inputs = cut !== null ? [cut, ...ex.inputs.filter((i) => final.has(i) && i !== cut)] : [...ex.inputs];
  return { nodes, inputs, outputs: [...ex.outputs] };
}
