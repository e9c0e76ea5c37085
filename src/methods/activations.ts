// Feature maps of one layer for one input, in inference mode (the engine never runs training
// mode: defect 3 of the original), plus dead-filter counting over a seeded sample.

import { ArgumentError, throwIfAborted } from '../errors.js';
import type { Model } from '../model/model.js';
import { createRng } from '../random.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { isActivationNode, resolveSpatial, spatialLayout, spatialNodes, toPlanes } from './layers.js';

export interface ActivationsOptions {
  /** Layer name, or 1-based index among activation layers with feature maps. Default 1. */
  readonly layer?: string | number;
  /** One map (0-based channel) instead of all. */
  readonly channel?: number;
  readonly signal?: AbortSignal;
}

export interface ActivationsResult {
  readonly layer: string;
  readonly className: string;
  readonly height: number;
  readonly width: number;
  /** Channels shown (0-based). */
  readonly channels: number[];
  /** Maps (channels.length, height, width), channel-major whatever the layer's data format. */
  readonly maps: Float32Array;
  readonly min: number;
  readonly max: number;
}

/** Feature maps of a layer for one input (x: (1, ...input)). */
export async function activations(model: Model, x: Tensor, options: ActivationsOptions = {}): Promise<ActivationsResult> {
  const node = resolveSpatial(model.graph, options.layer);
  const layout = spatialLayout(model.graph, node)!;
  model.checkInput(x);
  const out = await model.engine.run([x], { outputs: [node.name], ...(options.signal ? { signal: options.signal } : {}) });
  const planes = toPlanes(out.get(node.name)!.data, layout);
  const hw = layout.height * layout.width;
  let channels = Array.from({ length: layout.channels }, (_, i) => i);
  if (options.channel !== undefined) {
    if (!Number.isInteger(options.channel) || options.channel < 0 || options.channel >= layout.channels) {
      throw new ArgumentError('BAD_ARGUMENT', `Channel ${options.channel} is out of range: layer '${node.name}' has ${layout.channels} maps (0 to ${layout.channels - 1}).`);
    }
    channels = [options.channel];
  }
  const maps = new Float32Array(channels.length * hw);
  channels.forEach((c, i) => maps.set(planes.subarray(c * hw, (c + 1) * hw), i * hw));
  let min = Infinity;
  let max = -Infinity;
  for (const v of maps) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { layer: node.name, className: node.className, height: layout.height, width: layout.width, channels, maps, min, max };
}

export interface DeadFiltersOptions {
  /** Inputs to sample (without replacement, seeded). Default 256 (all when x has fewer). */
  readonly nSamples?: number;
  readonly seed?: number;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DeadFiltersResult {
  readonly nSamples: number;
  readonly seed: number;
  readonly indices: number[];
  readonly layers: { readonly layer: string; readonly className: string; readonly channels: number; readonly dead: number[] }[];
  readonly totalDead: number;
  readonly totalChannels: number;
}

/**
 * Filters whose output is exactly zero at every position for every sampled input, per layer
 * that applies a non-linearity and outputs feature maps (Activation/ReLU layers and convolutions
 * with a fused activation; every feature-map layer when there is none). A filter that is never
 * non-zero carries no information downstream. Layers that only pass maps on (pooling, dropout,
 * BatchNorm) are left out so a dead ReLU channel is counted once, not again after each of them.
 */
export async function deadFilters(model: Model, x: Tensor, options: DeadFiltersOptions = {}): Promise<DeadFiltersResult> {
  const { nSamples = 256, seed = 0, batchSize = 32, signal, onProgress } = options;
  const n = model.checkInput(x);
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new ArgumentError('BAD_ARGUMENT', `Dead filters: nSamples must be a positive integer, got ${nSamples}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('BAD_ARGUMENT', `Dead filters: batchSize must be a positive integer, got ${batchSize}.`);
  const rng = createRng(seed);
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const indices = all.slice(0, Math.min(nSamples, n)).sort((a, b) => a - b);
  const spatial = spatialNodes(model.graph);
  const acts = spatial.filter(isActivationNode);
  const nodes = acts.length > 0 ? acts : spatial;
  if (nodes.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'This model has no layer with a spatial (feature-map) output, so it has no filters to check.');
  const layouts = nodes.map((nd) => spatialLayout(model.graph, nd)!);
  const alive = layouts.map((l) => new Uint8Array(l.channels));
  const per = sizeOf(x.shape.slice(1));
  for (let s = 0; s < indices.length; s += batchSize) {
    throwIfAborted(signal);
    const idx = indices.slice(s, s + batchSize);
    const data = new Float32Array(idx.length * per);
    idx.forEach((i, k) => data.set(x.data.subarray(i * per, (i + 1) * per), k * per));
    const out = await model.engine.run([{ shape: [idx.length, ...x.shape.slice(1)], data }], { outputs: nodes.map((nd) => nd.name), ...(signal ? { signal } : {}) });
    nodes.forEach((nd, li) => {
      const t = out.get(nd.name)!;
      const l = layouts[li]!;
      const hw = l.height * l.width;
      const a = alive[li]!;
      for (let b = 0; b < idx.length; b++) {
        const base = b * hw * l.channels;
        for (let p = 0; p < hw; p++) {
          for (let c = 0; c < l.channels; c++) {
            const off = l.dataFormat === 'channels_first' ? base + c * hw + p : base + p * l.channels + c;
            if (t.data[off] !== 0) a[c] = 1;
          }
        }
      }
    });
    onProgress?.(Math.min(s + batchSize, indices.length), indices.length);
  }
  const layers = nodes.map((nd, li) => ({
    layer: nd.name,
    className: nd.className,
    channels: layouts[li]!.channels,
    dead: Array.from(alive[li]!).flatMap((v, c) => (v === 0 ? [c] : [])),
  }));
  return {
    nSamples: indices.length,
    seed,
    indices,
    layers,
    totalDead: layers.reduce((s, l) => s + l.dead.length, 0),
    totalChannels: layers.reduce((s, l) => s + l.channels, 0),
  };
}
