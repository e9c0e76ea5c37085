// The logit graph: a copy of a Graph whose (first) output is the pre-activation score of the head
// (a fused output activation set to linear, or a final activation layer skipped), with a
// description of the head. Never mutates the graph it is given.

import type { Activation, Graph, Node, Op } from './ir.js';
import { ancestors } from './ir.js';
import { perSampleSize } from './shapes.js';

/** What the model's output is, for reading classes and scores from it. */
export interface HeadInfo {
  /**
   * softmax: a softmax over the last axis; sigmoid: a single sigmoid unit; linear: no final
   * activation; other: anything else (several sigmoid units, tanh, relu, or an output that is not
   * a layer with an activation). The logit graph removes a final activation of any kind.
   */
  readonly kind: 'sigmoid' | 'softmax' | 'linear' | 'other';
  /** Values per sample of the output (the length of a score seed); 0 when a size is unknown. */
  readonly units: number;
  /** Name of the node whose output is the model's prediction (in the original graph). */
  readonly outputNode: string;
  /** Name of the node whose output is the pre-activation score, in the logit graph. */
  readonly logitNode: string;
}

type FusedOp = Extract<Op, { activation: Activation }>;

function fused(op: Op): op is FusedOp {
  return op.type === 'conv' || op.type === 'depthwiseConv' || op.type === 'dense';
}

function kindOf(act: Activation, units: number, rank: number): HeadInfo['kind'] {
  if (act.kind === 'linear') return 'linear';
  if (act.kind === 'softmax') return act.axis === rank - 1 ? 'softmax' : 'other';
  if (act.kind === 'sigmoid') return units === 1 ? 'sigmoid' : 'other';
  return 'other';
}

/** Follows inference-time identities (Dropout...) back from the output. */
function throughIdentities(graph: Graph, name: string): Node {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  let node = byName.get(name)!;
  for (let guard = 0; node.op.type === 'identity' && node.inputs.length === 1 && guard < graph.nodes.length; guard++) {
    node = byName.get(node.inputs[0]!)!;
  }
  return node;
}

/** Keeps the nodes the outputs need (and the inputs), in order. */
function prune(nodes: readonly Node[], inputs: readonly string[], outputs: readonly string[]): Graph {
  const g: Graph = { nodes, inputs, outputs };
  const keep = new Set([...ancestors(g, outputs).map((n) => n.name), ...inputs]);
  return { nodes: nodes.filter((n) => keep.has(n.name)), inputs: [...inputs], outputs: [...outputs] };
}

/**
 * The logit graph of `graph` and its head. For the first output (others are kept as they are):
 * after skipping identity layers, a final activation layer (Activation, Softmax, ReLU...) is
 * removed and its input becomes the output; a Dense/Conv with a fused activation is replaced by a
 * copy with a linear activation (same name; a `name/logits` copy when other outputs still need
 * the activated node). An output without an activation is kept (kind 'linear' for Dense/Conv,
 * 'other' for anything else, e.g. a global pooling).
 */
export function logitGraph(graph: Graph): { graph: Graph; head: HeadInfo } {
  const outputNode = graph.outputs[0];
  if (outputNode === undefined) throw new RangeError('logitGraph: the graph has no outputs');
  const rest = graph.outputs.slice(1);
  const node = throughIdentities(graph, outputNode);
  const rank = node.outputShape.length;
  const units = perSampleSize(graph.nodes.find((n) => n.name === outputNode)!.outputShape) ?? 0;
  const head = (kind: HeadInfo['kind'], logitNode: string): HeadInfo => ({ kind, units, outputNode, logitNode });
  if (node.op.type === 'activation' && node.inputs.length === 1) {
    const logit = node.inputs[0]!;
    return { graph: prune(graph.nodes, graph.inputs, [logit, ...rest]), head: head(kindOf(node.op.activation, units, rank), logit) };
  }
  if (fused(node.op)) {
    const kind = kindOf(node.op.activation, units, rank);
    if (node.op.activation.kind === 'linear') return { graph: prune(graph.nodes, graph.inputs, [node.name, ...rest]), head: head(kind, node.name) };
    const linear: Node = { ...node, op: { ...node.op, activation: { kind: 'linear' } } };
    const others = prune(graph.nodes, graph.inputs, rest);
    const stillNeeded = rest.length > 0 && others.nodes.some((n) => n.name === node.name);
    if (!stillNeeded) {
      const nodes = graph.nodes.map((n) => (n.name === node.name ? linear : n));
      return { graph: prune(nodes, graph.inputs, [node.name, ...rest]), head: head(kind, node.name) };
    }
    const copy: Node = { ...linear, name: `${node.name}/logits` };
    const at = graph.nodes.indexOf(node) + 1;
    const nodes = [...graph.nodes.slice(0, at), copy, ...graph.nodes.slice(at)];
    return { graph: prune(nodes, graph.inputs, [copy.name, ...rest]), head: head(kind, copy.name) };
  }
  return { graph: prune(graph.nodes, graph.inputs, graph.outputs), head: head('other', outputNode) };
}
