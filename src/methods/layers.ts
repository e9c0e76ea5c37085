// Finding layers by their Keras class (never by name text), and reading the layout of a
// node's output: which axes are spatial and which is the channel axis.

import { ArgumentError } from '../errors.js';
import type { DataFormat, Graph, Node } from '../model/ir.js';

/** Layout of a node's per-sample output when it is a spatial feature map. */
export interface SpatialLayout {
  readonly dataFormat: DataFormat;
  /** Spatial rank (1 for Conv1D-style outputs, 2 for images). */
  readonly rank: 1 | 2;
  /** Height (1 for rank 1), width, channels. */
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

const FORMAT_OPS = new Set(['conv', 'depthwiseConv', 'pool', 'zeroPad', 'crop', 'upsample']);

/** The data format governing a node's output: from the nearest ancestor op that has one. */
export function dataFormatOf(graph: Graph, name: string): DataFormat {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  let cur: Node | undefined = byName.get(name);
  const seen = new Set<string>();
  while (cur !== undefined && !seen.has(cur.name)) {
    seen.add(cur.name);
    if (FORMAT_OPS.has(cur.op.type)) return (cur.op as { dataFormat: DataFormat }).dataFormat;
    if (cur.op.type === 'flatten' || cur.op.type === 'reshape' || cur.op.type === 'dense' || cur.op.type === 'permute') break;
    cur = cur.inputs.length > 0 ? byName.get(cur.inputs[0]!) : undefined;
  }
  return 'channels_last';
}

/** Spatial layout of a node's output, or null when it is not a feature map (rank 3 or 4 with batch). */
export function spatialLayout(graph: Graph, node: Node): SpatialLayout | null {
  const s = node.outputShape;
  if (s.length !== 3 && s.length !== 4) return null;
  if (node.op.type === 'dense' || node.op.type === 'flatten') return null;
  const dims = s.slice(1).map((d) => d ?? 0);
  if (dims.some((d) => d <= 0)) return null;
  const fmt = dataFormatOf(graph, node.name);
  if (s.length === 4) {
    const [a, b, c] = dims as [number, number, number];
    return fmt === 'channels_first' ? { dataFormat: fmt, rank: 2, height: b, width: c, channels: a } : { dataFormat: fmt, rank: 2, height: a, width: b, channels: c };
  }
  const [a, b] = dims as [number, number];
  return fmt === 'channels_first' ? { dataFormat: fmt, rank: 1, height: 1, width: b, channels: a } : { dataFormat: fmt, rank: 1, height: 1, width: a, channels: b };
}

/** Convolution nodes (Conv1D/2D, depthwise), in graph order. */
export function convNodes(graph: Graph): Node[] {
  return graph.nodes.filter((n) => n.op.type === 'conv' || n.op.type === 'depthwiseConv');
}

/** True when the node applies a non-linearity: an activation layer, or a fused non-linear activation. */
export function isActivationNode(node: Node): boolean {
  const op = node.op;
  if (op.type === 'activation') return op.activation.kind !== 'linear';
  if (op.type === 'conv' || op.type === 'depthwiseConv' || op.type === 'dense') return op.activation.kind !== 'linear';
  return false;
}

/**
 * Resolves a convolution layer: by name, or by 1-based index among convolution layers (like the
 * original's `layer_idx`). Default: the first.
 */
export function resolveConv(graph: Graph, layer: string | number | undefined): Node {
  const convs = convNodes(graph);
  if (convs.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'This model has no convolution layer.');
  if (layer === undefined) return convs[0]!;
  if (typeof layer === 'number') {
    const n = convs[layer - 1];
    if (!Number.isInteger(layer) || n === undefined) {
      throw new ArgumentError('BAD_ARGUMENT', `Convolution index ${layer} is out of range: the model has ${convs.length} convolution layers (1 to ${convs.length}: ${convs.map((c) => c.name).join(', ')}).`);
    }
    return n;
  }
  const n = graph.nodes.find((x) => x.name === layer);
  if (n === undefined) throw unknownLayer(graph, layer);
  if (n.op.type !== 'conv' && n.op.type !== 'depthwiseConv') {
    throw new ArgumentError('BAD_ARGUMENT', `Layer '${layer}' is a ${n.className}, not a convolution. Convolution layers: ${convs.map((c) => c.name).join(', ')}.`);
  }
  return n;
}

/** Layers whose output is a spatial feature map, in graph order (inputs excluded). */
export function spatialNodes(graph: Graph): Node[] {
  return graph.nodes.filter((n) => n.op.type !== 'input' && spatialLayout(graph, n) !== null);
}

/**
 * Resolves a layer with a spatial output: by name, or by 1-based index among the layers that
 * apply a non-linearity and output a feature map (the original's "k-th Activation layer", with
 * fused activations counted). Default: the first such layer.
 */
export function resolveSpatial(graph: Graph, layer: string | number | undefined): Node {
  const spatial = spatialNodes(graph);
  if (spatial.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'This model has no layer with a spatial (feature-map) output.');
  const acts = spatial.filter(isActivationNode);
  if (layer === undefined) return acts[0] ?? spatial[0]!;
  if (typeof layer === 'number') {
    const n = acts[layer - 1];
    if (!Number.isInteger(layer) || n === undefined) {
      throw new ArgumentError('BAD_ARGUMENT', `Activation index ${layer} is out of range: the model has ${acts.length} activation layers with feature-map outputs (1 to ${acts.length}: ${acts.map((c) => c.name).join(', ')}).`);
    }
    return n;
  }
  const n = graph.nodes.find((x) => x.name === layer);
  if (n === undefined) throw unknownLayer(graph, layer);
  if (spatialLayout(graph, n) === null) {
    throw new ArgumentError('BAD_ARGUMENT', `Layer '${layer}' (${n.className}) has no spatial output (shape ${JSON.stringify(n.outputShape)}). Layers with feature maps: ${spatial.map((s) => s.name).join(', ')}.`);
  }
  return n;
}

/**
 * The default Grad-CAM layer: the last layer with a 2-D spatial output that is a convolution or
 * an activation layer; for models without one (Conv1D models), the last such layer with a 1-D
 * spatial output.
 */
export function defaultGradCamLayer(graph: Graph): Node {
  const cands = spatialNodes(graph).filter((n) => n.op.type === 'conv' || n.op.type === 'depthwiseConv' || n.op.type === 'activation');
  const images = cands.filter((n) => spatialLayout(graph, n)!.rank === 2);
  const pool = images.length > 0 ? images : cands;
  const last = pool[pool.length - 1];
  if (last === undefined) throw new ArgumentError('BAD_ARGUMENT', 'This model has no convolution or activation layer with a spatial output for Grad-CAM.');
  return last;
}

export function unknownLayer(graph: Graph, name: string): ArgumentError {
  return new ArgumentError('BAD_ARGUMENT', `No layer named '${name}'. Layers: ${graph.nodes.map((n) => n.name).join(', ')}.`);
}

/**
 * Copies a feature map (one sample, node layout) into channel-major planes (C, H, W) so every
 * method and figure sees the same order whatever the data format.
 */
export function toPlanes(data: Float32Array, layout: SpatialLayout): Float32Array {
  const { height: h, width: w, channels: c } = layout;
  if (layout.dataFormat === 'channels_first') return data.slice(0, c * h * w);
  const out = new Float32Array(c * h * w);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[k * h * w + p] = data[p * c + k]!;
  return out;
}
