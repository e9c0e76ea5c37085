// Raw convolution kernels, transposed (not reshaped: defect 1 of the original) from Keras'
// (kh, kw, in, out) layout into one (kh, kw) plane per filter and input channel.

import { ArgumentError } from '../errors.js';
import type { Graph } from '../model/ir.js';
import { resolveConv } from './layers.js';

export interface KernelsOptions {
  /** Layer name, or 1-based index among convolution layers. Default 1 (the first). */
  readonly layer?: string | number;
  /** One filter (0-based) instead of all. */
  readonly filter?: number;
}

export interface KernelsResult {
  readonly layer: string;
  readonly className: string;
  /** Kernel height (1 for Conv1D) and width. */
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  /** Input channels each filter sees. */
  readonly inChannels: number;
  /** Filter indices shown (0-based), in order. */
  readonly filters: number[];
  /**
   * Planes (filters.length, inChannels, kh, kw), row-major: the weight applied (as a
   * cross-correlation) to input channel i by filter f at offset (dy, dx).
   */
  readonly weights: Float32Array;
  /**
   * The mean over input channels, (filters.length, kh, kw): one picture per filter when there are
   * several input channels ("aggregate: mean over input channels").
   */
  readonly aggregate: Float32Array;
  readonly aggregateMethod: 'mean over input channels';
  /** Smallest and largest weight shown. */
  readonly min: number;
  readonly max: number;
}

/** Kernels of a convolution layer. */
export function kernels(graph: Graph, options: KernelsOptions = {}): KernelsResult {
  const node = resolveConv(graph, options.layer);
  const op = node.op;
  if (op.type !== 'conv' && op.type !== 'depthwiseConv') throw new Error('unreachable');
  const ks = op.kernel.shape;
  const kh = op.rank === 2 ? ks[0]! : 1;
  const kw = op.rank === 2 ? ks[1]! : ks[0]!;
  const cin = ks[op.rank]!;
  const cout = ks[op.rank + 1]!;
  // depthwise: (kh, kw, in, mult) -> filter f = i * mult + m sees only channel i
  const nFilters = op.type === 'conv' ? cout : cin * cout;
  const filterIn = op.type === 'conv' ? cin : 1;
  let filters = Array.from({ length: nFilters }, (_, i) => i);
  if (options.filter !== undefined) {
    if (!Number.isInteger(options.filter) || options.filter < 0 || options.filter >= nFilters) {
      throw new ArgumentError('BAD_ARGUMENT', `Filter ${options.filter} is out of range: layer '${node.name}' has ${nFilters} filters (0 to ${nFilters - 1}).`);
    }
    filters = [options.filter];
  }
  const k = op.kernel.data;
  const plane = kh * kw;
  const weights = new Float32Array(filters.length * filterIn * plane);
  const aggregate = new Float32Array(filters.length * plane);
  let min = Infinity;
  let max = -Infinity;
  filters.forEach((f, fi) => {
    for (let i = 0; i < filterIn; i++) {
      for (let p = 0; p < plane; p++) {
        let v: number;
        if (op.type === 'conv') v = k[(p * cin + i) * cout + f]!;
        else {
          const ch = Math.floor(f / cout);
          const m = f % cout;
          v = k[(p * cin + ch) * cout + m]!;
        }
        weights[(fi * filterIn + i) * plane + p] = v;
        aggregate[fi * plane + p]! += v / filterIn;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  });
  return {
    layer: node.name,
    className: node.className,
    kernelHeight: kh,
    kernelWidth: kw,
    inChannels: filterIn,
    filters,
    weights,
    aggregate,
    aggregateMethod: 'mean over input channels',
    min,
    max,
  };
}
