// Depthwise convolution (DepthwiseConv1D/2D, any padding, dilation, both layouts): forward to
// the pre-activation output and backward to the input, as direct loops over kernel taps
// (cheap next to full convolutions: no GEMM needed). Activations are applied by ops.ts.

import type { Node, Op } from '../../model/ir.js';
import { type Arr, type RTensor, alloc, as2d, checkInts, graphError, shapeError, spatialOf, spatialShape } from './common.js';
import { type Geometry, windowGeometry } from './conv.js';

type DepthwiseOp = Extract<Op, { type: 'depthwiseConv' }>;

/** Kernel data of a depthwise convolution, checked once per node. */
export interface DepthwisePrep {
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
  readonly cin: number; readonly mult: number;
  /** (kh, kw, cin, mult) row-major: tap t, output channel q = c * mult + m at t * cin * mult + q. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
}

/** Checks a depthwise convolution's parameters and kernel shape. */
export function prepareDepthwise(node: Node, op: DepthwiseOp): DepthwisePrep {
  const r = op.rank;
  checkInts(node, 'kernel_size', op.kernelSize, r, 1);
  checkInts(node, 'strides', op.strides, r, 1);
  checkInts(node, 'dilation_rate', op.dilation, r, 1);
  const ks = op.kernel.shape;
  if (ks.length !== r + 2 || ks.slice(0, r).some((d, i) => d !== op.kernelSize[i]) || ks[r + 1] !== op.depthMultiplier) {
    throw graphError(node, `depthwise kernel shape [${ks.join(', ')}] does not match kernel_size [${op.kernelSize.join(', ')}] and depth_multiplier ${op.depthMultiplier}`);
  }
  const cin = ks[r]!;
  if (op.bias !== null && op.bias.data.length !== cin * op.depthMultiplier) {
    throw graphError(node, `bias has ${op.bias.data.length} values for ${cin * op.depthMultiplier} output channels`);
  }
  const [kh, kw] = as2d(op.kernelSize, r, 1);
  const [sh, sw] = as2d(op.strides, r, 1);
  const [dh, dw] = as2d(op.dilation, r, 1);
  return { kh, kw, sh, sw, dh, dw, cin, mult: op.depthMultiplier, kernel: op.kernel.data, bias: op.bias?.data ?? null };
}

function depthwiseGeometry(node: Node, op: DepthwiseOp, pr: DepthwisePrep, shape: readonly number[]): Geometry {
  const sp = spatialOf(node, shape, op.rank, op.dataFormat);
  if (sp.c !== pr.cin) throw shapeError(node, `expects ${pr.cin} input channels, got ${sp.c} (input shape [${shape.join(', ')}], ${op.dataFormat})`);
  return windowGeometry(node, op.rank, sp, pr.kh, pr.kw, pr.sh, pr.sw, pr.dh, pr.dw, op.padding);
}

/**
 * Visits every (output position, kernel tap) pair that touches a real input cell:
 * fn(outIndex, inIndex, tap) with outIndex = oy * wo + ox, inIndex = iy * w + ix, tap = ky * kw + kx.
 */
function forEachTap(geo: Geometry, pr: DepthwisePrep, fn: (outIndex: number, inIndex: number, tap: number) => void): void {
  const { sp, gh, gw } = geo;
  for (let oy = 0; oy < gh.out; oy++) {
    for (let ox = 0; ox < gw.out; ox++) {
      const o = oy * gw.out + ox;
      for (let ky = 0; ky < pr.kh; ky++) {
        const iy = oy * pr.sh - gh.before + ky * pr.dh;
        if (iy < 0 || iy >= sp.h) continue;
        for (let kx = 0; kx < pr.kw; kx++) {
          const ix = ox * pr.sw - gw.before + kx * pr.dw;
          if (ix < 0 || ix >= sp.w) continue;
          fn(o, iy * sp.w + ix, ky * pr.kw + kx);
        }
      }
    }
  }
}

/** Depthwise convolution forward: the pre-activation output (bias included). */
export function depthwiseForward(node: Node, op: DepthwiseOp, pr: DepthwisePrep, x: RTensor): RTensor {
  const geo = depthwiseGeometry(node, op, pr, x.shape);
  const { sp, gh, gw } = geo;
  const { cin, mult, kernel } = pr;
  const cout = cin * mult;
  const npos = gh.out * gw.out;
  const plane = sp.h * sp.w;
  const inSize = cin * plane;
  const outSize = cout * npos;
  const xd = x.data;
  const y = alloc(xd, sp.n * outSize);
  for (let n = 0; n < sp.n; n++) {
    const xOff = n * inSize;
    const yOff = n * outSize;
    if (sp.channelsLast) {
      if (pr.bias !== null) for (let p = 0; p < npos; p++) y.set(pr.bias, yOff + p * cout);
      forEachTap(geo, pr, (o, i, t) => {
        const yo = yOff + o * cout;
        const xo = xOff + i * cin;
        const ko = t * cout;
        for (let c = 0; c < cin; c++) {
          const v = xd[xo + c]!;
          for (let m = 0; m < mult; m++) y[yo + c * mult + m] = y[yo + c * mult + m]! + v * kernel[ko + c * mult + m]!;
        }
      });
    } else {
      for (let q = 0; q < cout; q++) {
        const c = Math.floor(q / mult);
        const yo = yOff + q * npos;
        const xo = xOff + c * plane;
        if (pr.bias !== null) y.fill(pr.bias[q]!, yo, yo + npos);
        forEachTap(geo, pr, (o, i, t) => {
          y[yo + o] = y[yo + o]! + xd[xo + i]! * kernel[t * cout + q]!;
        });
      }
    }
  }
  return { shape: spatialShape(op.rank, sp.channelsLast, sp.n, cout, gh.out, gw.out), data: y };
}

/** Depthwise convolution backward: d loss / d input from d loss / d pre-activation output. */
export function depthwiseBackward(node: Node, op: DepthwiseOp, pr: DepthwisePrep, inShape: readonly number[], dz: Arr): Arr {
  const geo = depthwiseGeometry(node, op, pr, inShape);
  const { sp, gh, gw } = geo;
  const { cin, mult, kernel } = pr;
  const cout = cin * mult;
  const npos = gh.out * gw.out;
  const plane = sp.h * sp.w;
  const inSize = cin * plane;
  const outSize = cout * npos;
  const dx = alloc(dz, sp.n * inSize);
  for (let n = 0; n < sp.n; n++) {
    const xOff = n * inSize;
    const zOff = n * outSize;
    if (sp.channelsLast) {
      forEachTap(geo, pr, (o, i, t) => {
        const zo = zOff + o * cout;
        const xo = xOff + i * cin;
        const ko = t * cout;
        for (let c = 0; c < cin; c++) {
          let s = 0;
          for (let m = 0; m < mult; m++) s += dz[zo + c * mult + m]! * kernel[ko + c * mult + m]!;
          dx[xo + c] = dx[xo + c]! + s;
        }
      });
    } else {
      for (let q = 0; q < cout; q++) {
        const zo = zOff + q * npos;
        const xo = xOff + Math.floor(q / mult) * plane;
        forEachTap(geo, pr, (o, i, t) => {
          dx[xo + i] = dx[xo + i]! + dz[zo + o]! * kernel[t * cout + q]!;
        });
      }
    }
  }
  return dx;
}
