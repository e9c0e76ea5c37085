// ModelSpec -> call nodes: one node per call of each layer, nested models flattened into the outer
// graph (names `outer/inner`, later calls of a shared layer `name@k`), topologically ordered.
// Dangling references, duplicate names and cycles are KERAS_BAD_CONFIG.

import type { LayerSpec, ModelSpec, TensorRef } from './keras-config.js';
import { badConfig } from './translate-messages.js';

/** One call of one layer, before translation. */
export interface CallNode {
  readonly name: string;
  readonly spec: LayerSpec;
  /** Names of the call nodes feeding this one. */
  readonly inputs: readonly string[];
  /** Layer names from the outermost model down to this layer (for finding weights). */
  readonly path: readonly string[];
  /**
   * Which call of the layer this is; 0 only for the first use of its weights (a shared layer's
   * parameters count once). Every layer inside a later call of a nested model counts as a repeat.
   */
  readonly call: number;
}

/** The expanded model: call nodes in topological order, and its input and output node names. */
export interface Expanded {
  readonly nodes: readonly CallNode[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

interface Pending extends CallNode {
  /** A nested model's input bound to an outer tensor: an alias of inputs[0], removed later. */
  readonly alias: boolean;
}

class Expander {
  readonly nodes: Pending[] = [];
  constructor(private readonly fileName: string) {}

  private layerOf(model: ModelSpec, ref: TensorRef): LayerSpec {
    const l = model.layers.find((x) => x.name === ref.layer);
    if (l === undefined) throw badConfig({ fileName: this.fileName }, `model '${model.name}' refers to a layer '${ref.layer}' it does not have`, ref);
    return l;
  }

  /** Node name of call k of layer l in a model expanded under `prefix`. */
  nodeName(l: LayerSpec, k: number, prefix: string): string {
    return `${prefix}${l.name}${k > 0 ? `@${k}` : ''}`;
  }

  private innerPrefix(l: LayerSpec, k: number, prefix: string): string {
    return l.prefixNames ? `${this.nodeName(l, k, prefix)}/` : prefix;
  }

  /** Name of the node that holds the referenced tensor (static: nested names are known). */
  resolve(model: ModelSpec, prefix: string, ref: TensorRef, depth = 0): string {
    const l = this.layerOf(model, ref);
    const calls = l.kind === 'InputLayer' && l.model === undefined ? 1 : l.calls.length;
    const where = { fileName: this.fileName, layer: ref.layer };
    if (ref.node >= calls) throw badConfig(where, `is referenced at node ${ref.node} but is called ${calls} time(s)`, ref);
    if (l.model === undefined) {
      if (ref.tensor !== 0) throw badConfig(where, `has one output but tensor ${ref.tensor} is referenced`, ref);
      return this.nodeName(l, ref.node, prefix);
    }
    const outs = l.model.outputs;
    if (ref.tensor >= outs.length) throw badConfig(where, `has ${outs.length} outputs but tensor ${ref.tensor} is referenced`, ref);
    if (depth > 32) throw badConfig(where, 'models are nested too deep');
    return this.resolve(l.model, this.innerPrefix(l, ref.node, prefix), outs[ref.tensor]!, depth + 1);
  }

  /**
   * Adds the nodes of `model`; `bound` feeds its inputs from outer nodes (null: real inputs);
   * `repeat` marks a later call of a nested model (its weights were counted already).
   */
  expand(model: ModelSpec, prefix: string, path: readonly string[], bound: readonly string[] | null, repeat = false): void {
    if (bound !== null && bound.length !== model.inputs.length) {
      throw badConfig({ fileName: this.fileName, layer: model.name }, `is a model with ${model.inputs.length} input(s) called on ${bound.length}`);
    }
    for (const l of model.layers) {
      const lpath = [...path, l.name];
      if (l.kind === 'InputLayer' && l.model === undefined) {
        const i = model.inputs.findIndex((r) => r.layer === l.name);
        const target = bound !== null && i >= 0 ? bound[i]! : null;
        this.nodes.push({ name: this.nodeName(l, 0, prefix), spec: l, inputs: target !== null ? [target] : [], path: lpath, call: repeat ? 1 : 0, alias: target !== null });
        continue;
      }
      l.calls.forEach((refs, k) => {
        const inputs = refs.map((r) => this.resolve(model, prefix, r));
        const again = repeat || k > 0;
        if (l.model !== undefined) this.expand(l.model, this.innerPrefix(l, k, prefix), lpath, inputs.length > 0 ? inputs : null, again);
        else this.nodes.push({ name: this.nodeName(l, k, prefix), spec: l, inputs, path: lpath, call: again ? Math.max(k, 1) : 0, alias: false });
      });
    }
  }
}

/** Replaces aliases by what they stand for and drops them. */
function collapseAliases(nodes: readonly Pending[], fileName: string): { nodes: CallNode[]; target: (n: string) => string } {
  const alias = new Map(nodes.filter((n) => n.alias).map((n) => [n.name, n.inputs[0]!]));
  const target = (name: string): string => {
    let t = name;
    for (let i = 0; alias.has(t); i++) {
      if (i > alias.size) throw badConfig({ fileName }, `nested model inputs refer to each other in a loop at '${name}'`);
      t = alias.get(t)!;
    }
    return t;
  };
  const kept = nodes.filter((n) => !n.alias).map(({ alias: _a, ...n }) => ({ ...n, inputs: n.inputs.map(target) }));
  return { nodes: kept, target };
}

/** Topological order by iterative depth-first search, visiting in config order. */
function topoSort(nodes: readonly CallNode[], fileName: string): CallNode[] {
  const byName = new Map<string, CallNode>();
  for (const n of nodes) {
    if (byName.has(n.name)) throw badConfig({ fileName, layer: n.name }, 'appears twice: layer names must be unique');
    byName.set(n.name, n);
  }
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const order: CallNode[] = [];
  for (const root of nodes) {
    if (state.has(root.name)) continue;
    const stack: [CallNode, number][] = [[root, 0]];
    state.set(root.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [n, i] = top;
      if (i === n.inputs.length) {
        stack.pop();
        state.set(n.name, 2);
        order.push(n);
        continue;
      }
      top[1] = i + 1;
      const dep = byName.get(n.inputs[i]!);
      if (dep === undefined) throw badConfig({ fileName, layer: n.name }, `takes its input from '${n.inputs[i]}', which is not in the model`);
      const s = state.get(dep.name);
      if (s === 1) throw badConfig({ fileName, layer: n.name }, `is part of a cycle (${stack.map(([x]) => x.name).join(' -> ')} -> ${dep.name})`);
      if (s === undefined) {
        state.set(dep.name, 1);
        stack.push([dep, 0]);
      }
    }
  }
  return order;
}

/**
 * Expands a parsed model into call nodes in topological order, with the model's inputs (declared
 * ones first, then inputs of nested models that nothing feeds) and outputs.
 */
export function expandModel(model: ModelSpec, fileName: string): Expanded {
  const ex = new Expander(fileName);
  ex.expand(model, '', [], null);
  const { nodes, target } = collapseAliases(ex.nodes, fileName);
  const outputs = model.outputs.map((r) => target(ex.resolve(model, '', r)));
  const declared = model.inputs.map((r) => target(ex.resolve(model, '', r)));
  const others = nodes.filter((n) => n.spec.kind === 'InputLayer' && n.inputs.length === 0 && !declared.includes(n.name)).map((n) => n.name);
  return { nodes: topoSort(nodes, fileName), inputs: [...declared, ...others], outputs };
}
