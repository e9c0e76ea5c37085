// Max and average pooling (1-D/2-D, 'valid'/'same', both layouts) and global pooling, forward
// and backward to the input.
//
// Windows follow TensorFlow: 'same' pads ceil-style (smaller half before); padded cells are
// never part of a window: max ignores them, average divides by the number of real cells.
// Backward of max: each window sends its whole gradient to ONE cell, the first maximal real
// cell in row-major window order (rows, then columns; a value must be strictly greater than
// the best so far to replace it). This matches TensorFlow's CPU kernels, including windows of
// negative values (for [-3, -1, -2, -4] the gradient goes to -1). Global max pooling picks the
// first maximal position in row-major order the same way.

import { formatShape } from '../../errors.js';
import type { Node, Op } from '../../model/ir.js';
import {
  type Arr, type AxisGeometry, type RTensor, type Spatial,
  alloc, as2d, axisGeometry, checkInts, shapeError, spatialOf, spatialShape,
} from './common.js';

type PoolOp = Extract<Op, { type: 'pool' }>;
type GlobalPoolOp = Extract<Op, { type: 'globalPool' }>;

interface PoolGeometry {
  readonly sp: Spatial;
  readonly gh: AxisGeometry;
  readonly gw: AxisGeometry;
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
}

function poolGeometry(node: Node, op: PoolOp, shape: readonly number[]): PoolGeometry {
  checkInts(node, 'pool_size', op.poolSize, op.rank, 1);
  checkInts(node, 'strides', op.strides, op.rank, 1);
  const sp = spatialOf(node, shape, op.rank, op.dataFormat);
  const [kh, kw] = as2d(op.poolSize, op.rank, 1);
  const [sh, sw] = as2d(op.strides, op.rank, 1);
  const gh = axisGeometry(sp.h, kh, sh, 1, op.padding);
  const gw = axisGeometry(sp.w, kw, sw, 1, op.padding);
  if (gh.out <= 0 || gw.out <= 0) {
    throw shapeError(node, `gets spatial size ${op.rank === 1 ? sp.w : `${sp.h}x${sp.w}`}, smaller than its pool size ${op.poolSize.join('x')} with padding '${op.padding}'`);
  }
  return { sp, gh, gw, kh, kw, sh, sw };
}

/**
 * Calls fn(outIndex, y0, y1, x0, x1) for every output position with its window of real cells
 * [y0, y1) x [x0, x1) (never empty: TF padding is always smaller than the window).
 */
function forEachWindow(g: PoolGeometry, fn: (o: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  for (let oy = 0; oy < g.gh.out; oy++) {
    const ys = oy * g.sh - g.gh.before;
    const y0 = Math.max(ys, 0);
    const y1 = Math.min(ys + g.kh, g.sp.h);
    for (let ox = 0; ox < g.gw.out; ox++) {
      const xs = ox * g.sw - g.gw.before;
      fn(oy * g.gw.out + ox, y0, y1, Math.max(xs, 0), Math.min(xs + g.kw, g.sp.w));
    }
  }
}

/** Index (within one sample's plane, iy * w + ix) of the first maximal cell of a window. */
function argmaxWindow(x: Arr, base: number, stride: number, w: number, y0: number, y1: number, x0: number, x1: number): number {
  let best = x[base + (y0 * w + x0) * stride]!;
  let at = y0 * w + x0;
  for (let iy = y0; iy < y1; iy++) {
    for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
      const v = x[base + (iy * w + ix) * stride]!;
      if (v > best) {
        best = v;
        at = iy * w + ix;
      }
    }
  }
  return at;
}

/**
 * Channels-last pooling of one sample (channels innermost: every window cell is a contiguous
 * run of c values). Plain loops, no per-window callback: this is on the hot path of CNNs.
 */
function poolForwardChannelsLast(g: PoolGeometry, isMax: boolean, xd: Arr, xOff: number, y: Arr, yOff: number, acc: Float64Array): void {
  const { c, w, h } = g.sp;
  for (let oy = 0; oy < g.gh.out; oy++) {
    const ys = oy * g.sh - g.gh.before;
    const y0 = Math.max(ys, 0), y1 = Math.min(ys + g.kh, h);
    for (let ox = 0; ox < g.gw.out; ox++) {
      const xs = ox * g.sw - g.gw.before;
      const x0 = Math.max(xs, 0), x1 = Math.min(xs + g.kw, w);
      const yo = yOff + (oy * g.gw.out + ox) * c;
      if (isMax) {
        const first = xOff + (y0 * w + x0) * c;
        for (let ch = 0; ch < c; ch++) y[yo + ch] = xd[first + ch]!;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
            const src = xOff + (iy * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xd[src + ch]!;
              if (v > y[yo + ch]!) y[yo + ch] = v;
            }
          }
        }
      } else {
        acc.fill(0);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const src = xOff + (iy * w + ix) * c;
            for (let ch = 0; ch < c; ch++) acc[ch] = acc[ch]! + xd[src + ch]!;
          }
        }
        const count = (y1 - y0) * (x1 - x0);
        for (let ch = 0; ch < c; ch++) y[yo + ch] = acc[ch]! / count;
      }
    }
  }
}

/** Channels-last pooling backward of one sample; `best`/`at` are per-channel work arrays. */
function poolBackwardChannelsLast(g: PoolGeometry, isMax: boolean, x: Arr | null, xOff: number, dy: Arr, yOff: number, dx: Arr, best: Float64Array, at: Int32Array): void {
  const { c, w, h } = g.sp;
  for (let oy = 0; oy < g.gh.out; oy++) {
    const ys = oy * g.sh - g.gh.before;
    const y0 = Math.max(ys, 0), y1 = Math.min(ys + g.kh, h);
    for (let ox = 0; ox < g.gw.out; ox++) {
      const xs = ox * g.sw - g.gw.before;
      const x0 = Math.max(xs, 0), x1 = Math.min(xs + g.kw, w);
      const yo = yOff + (oy * g.gw.out + ox) * c;
      if (isMax) {
        const xd = x!;
        const first = xOff + (y0 * w + x0) * c;
        for (let ch = 0; ch < c; ch++) {
          best[ch] = xd[first + ch]!;
          at[ch] = first + ch;
        }
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
            const src = xOff + (iy * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xd[src + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                at[ch] = src + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) dx[at[ch]!] = dx[at[ch]!]! + dy[yo + ch]!;
      } else {
        const count = (y1 - y0) * (x1 - x0);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const dst = xOff + (iy * w + ix) * c;
            for (let ch = 0; ch < c; ch++) dx[dst + ch] = dx[dst + ch]! + dy[yo + ch]! / count;
          }
        }
      }
    }
  }
}

/** Pooling forward. */
export function poolForward(node: Node, op: PoolOp, x: RTensor): RTensor {
  const g = poolGeometry(node, op, x.shape);
  const { sp, gh, gw } = g;
  const { c, h, w } = sp;
  const npos = gh.out * gw.out;
  const plane = h * w;
  const xd = x.data;
  const y = alloc(xd, sp.n * c * npos);
  const isMax = op.mode === 'max';
  const acc = new Float64Array(c);
  for (let n = 0; n < sp.n; n++) {
    const xOff = n * c * plane;
    const yOff = n * c * npos;
    if (sp.channelsLast) {
      poolForwardChannelsLast(g, isMax, xd, xOff, y, yOff, acc);
    } else {
      for (let ch = 0; ch < c; ch++) {
        const b = xOff + ch * plane;
        const yo = yOff + ch * npos;
        forEachWindow(g, (o, y0, y1, x0, x1) => {
          if (isMax) {
            y[yo + o] = xd[b + argmaxWindow(xd, b, 1, w, y0, y1, x0, x1)]!;
          } else {
            let s = 0;
            for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += xd[b + iy * w + ix]!;
            y[yo + o] = s / ((y1 - y0) * (x1 - x0));
          }
        });
      }
    }
  }
  return { shape: spatialShape(op.rank, sp.channelsLast, sp.n, c, gh.out, gw.out), data: y };
}

/** Pooling backward; `x` (the forward input) is needed for max pooling only (may be shape-only for avg). */
export function poolBackward(node: Node, op: PoolOp, inShape: readonly number[], x: Arr | null, dy: Arr): Arr {
  const g = poolGeometry(node, op, inShape);
  const { sp, gh, gw } = g;
  const { c, h, w } = sp;
  const npos = gh.out * gw.out;
  const plane = h * w;
  const dx = alloc(dy, sp.n * c * plane);
  const isMax = op.mode === 'max';
  if (isMax && x === null) throw new RangeError('poolBackward: max pooling needs its input');
  if (sp.channelsLast) {
    const best = new Float64Array(c);
    const at = new Int32Array(c);
    for (let n = 0; n < sp.n; n++) poolBackwardChannelsLast(g, isMax, x, n * c * plane, dy, n * c * npos, dx, best, at);
    return dx;
  }
  for (let n = 0; n < sp.n; n++) {
    for (let ch = 0; ch < c; ch++) {
      const b = (n * c + ch) * plane;
      const yb = (n * c + ch) * npos;
      forEachWindow(g, (o, y0, y1, x0, x1) => {
        const gy = dy[yb + o]!;
        if (isMax) {
          const at = b + argmaxWindow(x!, b, 1, w, y0, y1, x0, x1);
          dx[at] = dx[at]! + gy;
        } else {
          const share = gy / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[b + iy * w + ix] = dx[b + iy * w + ix]! + share;
        }
      });
    }
  }
  return dx;
}

function globalSpatial(node: Node, op: GlobalPoolOp, shape: readonly number[]): Spatial {
  const sp = spatialOf(node, shape, op.rank, op.dataFormat);
  if (sp.h * sp.w === 0) throw shapeError(node, `cannot pool over the empty spatial extent of ${formatShape(shape)}`);
  return sp;
}

/** Global pooling forward: (N, C), or with keepDims the input rank with spatial sizes 1. */
export function globalPoolForward(node: Node, op: GlobalPoolOp, x: RTensor): RTensor {
  const sp = globalSpatial(node, op, x.shape);
  const { c, h, w } = sp;
  const plane = h * w;
  const stride = sp.channelsLast ? c : 1;
  const xd = x.data;
  const y = alloc(xd, sp.n * c);
  for (let n = 0; n < sp.n; n++) {
    for (let ch = 0; ch < c; ch++) {
      const b = n * c * plane + (sp.channelsLast ? ch : ch * plane);
      if (op.mode === 'max') {
        y[n * c + ch] = xd[b + argmaxWindow(xd, b, stride, w, 0, h, 0, w) * stride]!;
      } else {
        let s = 0;
        for (let i = 0; i < plane; i++) s += xd[b + i * stride]!;
        y[n * c + ch] = s / plane;
      }
    }
  }
  const shape = op.keepDims ? spatialShape(op.rank, sp.channelsLast, sp.n, c, 1, 1) : [sp.n, c];
  return { shape, data: y };
}

/** Global pooling backward; `x` is needed for max only. */
export function globalPoolBackward(node: Node, op: GlobalPoolOp, inShape: readonly number[], x: Arr | null, dy: Arr): Arr {
  const sp = globalSpatial(node, op, inShape);
  const { c, h, w } = sp;
  const plane = h * w;
  const stride = sp.channelsLast ? c : 1;
  const dx = alloc(dy, sp.n * c * plane);
  if (op.mode === 'max' && x === null) throw new RangeError('globalPoolBackward: max pooling needs its input');
  for (let n = 0; n < sp.n; n++) {
    for (let ch = 0; ch < c; ch++) {
      const b = n * c * plane + (sp.channelsLast ? ch : ch * plane);
      const gy = dy[n * c + ch]!;
      if (op.mode === 'max') {
        const at = b + argmaxWindow(x!, b, stride, w, 0, h, 0, w) * stride;
        dx[at] = dx[at]! + gy;
      } else {
        const share = gy / plane;
        for (let i = 0; i < plane; i++) dx[b + i * stride] = dx[b + i * stride]! + share;
      }
    }
  }
  return dx;
}
