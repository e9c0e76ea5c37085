// Convolution (Conv1D/Conv2D, grouped, dilated, any padding, both layouts): forward to the
// pre-activation output and backward to the input (no weight gradients). Activations are
// applied by the caller (ops.ts); depthwise convolution is in depthwise.ts.
//
// Forward runs as im2col + GEMM: the positions of one sample are processed in chunks of about
// CHUNK_VALUES / K rows (K = kh * kw * in/groups), each gathered into a reused scratch matrix
// whose rows are (ky, kx, ci) (the kernel's own order) and multiplied with the kernel
// transposed to (out, K). Channels-last output is (positions x out) = cols * kt^T;
// channels-first output is (out x positions) = kt * cols^T: the same GEMM, operands swapped.
// 1x1 stride-1 channels-last convolutions skip im2col.
// Backward of a stride-1 convolution is itself a convolution (a correlation of the output
// gradient with the kernel flipped in space and transposed in channels, padded by
// span - 1 - before), so it runs on the same fast path. Strided convolutions, and those with
// fewer than 4 input channels per group, go backward by GEMM into columns and the adjoint of
// im2col (col2im).

import type { Node, Op, Padding } from '../../model/ir.js';
import {
  type Arr, type AxisGeometry, type RTensor, type Scratch, type Spatial,
  alloc, as2d, axisGeometry, checkInts, graphError, shapeError, spatialOf, spatialShape,
} from './common.js';
import { gemmNT, transpose } from './gemm.js';

type ConvOp = Extract<Op, { type: 'conv' }>;

/** Values per im2col chunk (64 Ki values: 256 KiB in float32, well inside L2). */
const CHUNK_VALUES = 65536;

/** A sliding window: kernel size, strides and dilation of the two (rank-1: 1 x k) axes. */
interface Window {
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
}

/** Kernel data of a convolution, prepared once per node. */
export interface ConvPrep extends Window {
  readonly cinG: number; readonly cout: number; readonly coutG: number; readonly groups: number;
  /** kh * kw * cinG: the length of one im2col row. */
  readonly k: number;
  /** Kernel as stored: (K, cout) row-major. */
  readonly kmat: Float32Array;
  /** Kernel transposed: (cout, K). */
  readonly kt: Float32Array;
  readonly bias: Float32Array | null;
  /** Kernel flipped in space and transposed in channels, (cin, kh * kw * coutG); built on first backward. */
  flipped: Float32Array | null;
}

/** Checks a convolution's parameters and kernel shape, and transposes the kernel. */
export function prepareConv(node: Node, op: ConvOp): ConvPrep {
  const r = op.rank;
  checkInts(node, 'kernel_size', op.kernelSize, r, 1);
  checkInts(node, 'strides', op.strides, r, 1);
  checkInts(node, 'dilation_rate', op.dilation, r, 1);
  if (!Number.isInteger(op.groups) || op.groups < 1 || op.filters % op.groups !== 0) {
    throw graphError(node, `groups = ${op.groups} must be a positive divisor of filters = ${op.filters}`);
  }
  const ks = op.kernel.shape;
  if (ks.length !== r + 2 || ks.slice(0, r).some((d, i) => d !== op.kernelSize[i]) || ks[r + 1] !== op.filters) {
    throw graphError(node, `kernel shape [${ks.join(', ')}] does not match kernel_size [${op.kernelSize.join(', ')}] and ${op.filters} filters`);
  }
  if (op.bias !== null && op.bias.data.length !== op.filters) {
    throw graphError(node, `bias has ${op.bias.data.length} values for ${op.filters} filters`);
  }
  const [kh, kw] = as2d(op.kernelSize, r, 1);
  const [sh, sw] = as2d(op.strides, r, 1);
  const [dh, dw] = as2d(op.dilation, r, 1);
  const cinG = ks[r]!;
  const k = kh * kw * cinG;
  return {
    kh, kw, sh, sw, dh, dw, cinG, cout: op.filters, coutG: op.filters / op.groups, groups: op.groups, k,
    kmat: op.kernel.data, kt: transpose(op.kernel.data, k, op.filters), bias: op.bias?.data ?? null, flipped: null,
  };
}

/** Input dimensions and the output geometry of both axes. */
export interface Geometry {
  readonly sp: Spatial;
  readonly gh: AxisGeometry;
  readonly gw: AxisGeometry;
}

/** Output geometry of a window over a spatial input, or SHAPE_MISMATCH when it does not fit. */
export function windowGeometry(node: Node, rank: 1 | 2, sp: Spatial, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padding: Padding): Geometry {
  const gh = axisGeometry(sp.h, kh, sh, dh, padding);
  const gw = axisGeometry(sp.w, kw, sw, dw, padding);
  if (gh.out <= 0 || gw.out <= 0) {
    const size = rank === 1 ? `${sp.w}` : `${sp.h}x${sp.w}`;
    throw shapeError(node, `gets spatial size ${size}, smaller than its ${rank === 1 ? kw : `${kh}x${kw}`} window (dilation ${rank === 1 ? dw : `${dh}x${dw}`}, padding '${padding}')`);
  }
  return { sp, gh, gw };
}

/** Copies len values; long runs through TypedArray.set (a memcpy), short ones by a loop. */
function copyRun(src: Arr, from: number, dst: Arr, to: number, len: number): void {
  if (len >= 64) {
    dst.set(src.subarray(from, from + len), to);
  } else {
    for (let q = 0; q < len; q++) dst[to + q] = src[from + q]!;
  }
}

/**
 * Gathers im2col rows (ky, kx, ci) for output positions [p0, p1) of one sample, reading the
 * `cg` channels of group g. Cells outside the input are zeros.
 */
function im2col(x: Arr, xOff: number, geo: Geometry, win: Window, cg: number, g: number, p0: number, p1: number, cols: Arr): void {
  const { sp, gh, gw } = geo;
  const { kh, kw, sh, sw, dh, dw } = win;
  const { h, w, c } = sp;
  const wo = gw.out;
  const plane = h * w;
  // Channels-last, one group, no horizontal dilation: the cells of one kernel row are one run.
  const runs = sp.channelsLast && cg === c && dw === 1;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const oy = Math.floor(p / wo);
    const ox = p - oy * wo;
    const iy0 = oy * sh - gh.before;
    const ix0 = ox * sw - gw.before;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      if (iy < 0 || iy >= h) {
        cols.fill(0, o, o + kw * cg);
        o += kw * cg;
        continue;
      }
      if (runs) {
        const kx0 = Math.min(kw, Math.max(0, -ix0));
        const kx1 = Math.max(kx0, Math.min(kw, w - ix0));
        if (kx0 > 0) cols.fill(0, o, o + kx0 * c);
        const src = xOff + (iy * w + ix0 + kx0) * c;
        const len = (kx1 - kx0) * c;
        const start = o + kx0 * c;
        copyRun(x, src, cols, start, len);
        if (kx1 < kw) cols.fill(0, o + kx1 * c, o + kw * c);
        o += kw * c;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix < 0 || ix >= w) {
          cols.fill(0, o, o + cg);
        } else if (sp.channelsLast) {
          copyRun(x, xOff + (iy * w + ix) * c + g * cg, cols, o, cg);
        } else {
          let src = xOff + g * cg * plane + iy * w + ix;
          for (let ci = 0; ci < cg; ci++, src += plane) cols[o + ci] = x[src]!;
        }
        o += cg;
      }
    }
  }
}

/** Adds im2col-shaped rows back into an input gradient (the adjoint of im2col). */
function col2imAdd(cols: Arr, geo: Geometry, win: Window, cg: number, g: number, p0: number, p1: number, dx: Arr, xOff: number): void {
  const { sp, gh, gw } = geo;
  const { kh, kw, sh, sw, dh, dw } = win;
  const { h, w, c } = sp;
  const wo = gw.out;
  const plane = h * w;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const oy = Math.floor(p / wo);
    const ox = p - oy * wo;
    const iy0 = oy * sh - gh.before;
    const ix0 = ox * sw - gw.before;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      if (iy < 0 || iy >= h) {
        o += kw * cg;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix >= 0 && ix < w) {
          if (sp.channelsLast) {
            const dst = xOff + (iy * w + ix) * c + g * cg;
            for (let ci = 0; ci < cg; ci++) dx[dst + ci] = dx[dst + ci]! + cols[o + ci]!;
          } else {
            let dst = xOff + g * cg * plane + iy * w + ix;
            for (let ci = 0; ci < cg; ci++, dst += plane) dx[dst] = dx[dst]! + cols[o + ci]!;
          }
        }
        o += cg;
      }
    }
  }
}

/** Rows per im2col chunk: a multiple of 4 (the GEMM tile height) near CHUNK_VALUES / k. */
function chunkRows(k: number): number {
  return Math.max(4, Math.floor(CHUNK_VALUES / k / 4) * 4);
}

/**
 * y += correlation of x with a kernel given transposed as kt (outTotal x K, K = kh * kw * cg;
 * row q of group g = q / og), for every sample: the engine of forward and stride-1 backward.
 */
function correlate(x: Arr, geo: Geometry, win: Window, cg: number, og: number, groups: number, kt: Float32Array, y: Arr, scratch: Scratch): void {
  const { sp, gh, gw } = geo;
  const k = win.kh * win.kw * cg;
  const outC = og * groups;
  const npos = gh.out * gw.out;
  const inSize = sp.c * sp.h * sp.w;
  const outSize = outC * npos;
  const pointwise = sp.channelsLast && win.kh === 1 && win.kw === 1 && win.sh === 1 && win.sw === 1 && gh.before === 0 && gw.before === 0;
  const rowsPerChunk = chunkRows(k);
  const cols = pointwise ? x : scratch.get('cols', Math.min(rowsPerChunk, npos) * k, x);
  for (let n = 0; n < sp.n; n++) {
    const xOff = n * inSize;
    const yOff = n * outSize;
    for (let g = 0; g < groups; g++) {
      if (pointwise) {
        gemmNT(npos, og, cg, x, xOff + g * cg, sp.c, kt, g * og * k, k, y, yOff + g * og, outC);
        continue;
      }
      for (let p0 = 0; p0 < npos; p0 += rowsPerChunk) {
        const p1 = Math.min(npos, p0 + rowsPerChunk);
        im2col(x, xOff, geo, win, cg, g, p0, p1, cols);
        if (sp.channelsLast) {
          gemmNT(p1 - p0, og, k, cols, 0, k, kt, g * og * k, k, y, yOff + p0 * outC + g * og, outC);
        } else {
          gemmNT(og, p1 - p0, k, kt, g * og * k, k, cols, 0, k, y, yOff + g * og * npos + p0, npos);
        }
      }
    }
  }
}

function convGeometry(node: Node, op: ConvOp, pr: ConvPrep, shape: readonly number[]): Geometry {
  const sp = spatialOf(node, shape, op.rank, op.dataFormat);
  if (sp.c !== pr.cinG * pr.groups) {
    throw shapeError(node, `expects ${pr.cinG * pr.groups} input channels, got ${sp.c} (input shape [${shape.join(', ')}], ${op.dataFormat})`);
  }
  return windowGeometry(node, op.rank, sp, pr.kh, pr.kw, pr.sh, pr.sw, pr.dh, pr.dw, op.padding);
}

/** Convolution forward: the pre-activation output (bias included). */
export function convForward(node: Node, op: ConvOp, pr: ConvPrep, x: RTensor, scratch: Scratch): RTensor {
  const geo = convGeometry(node, op, pr, x.shape);
  const { sp, gh, gw } = geo;
  const { cout } = pr;
  const npos = gh.out * gw.out;
  const outSize = cout * npos;
  const y = alloc(x.data, sp.n * outSize);
  if (pr.bias !== null) {
    const b = pr.bias;
    for (let n = 0; n < sp.n; n++) {
      const base = n * outSize;
      if (sp.channelsLast) {
        // Bias in the first position, then doubling copies within the array.
        y.set(b, base);
        for (let done = cout; done < outSize; done *= 2) y.copyWithin(base + done, base, base + Math.min(done, outSize - done));
      } else {
        for (let co = 0; co < cout; co++) y.fill(b[co]!, base + co * npos, base + (co + 1) * npos);
      }
    }
  }
  correlate(x.data, geo, pr, pr.cinG, pr.coutG, pr.groups, pr.kt, y, scratch);
  return { shape: spatialShape(op.rank, sp.channelsLast, sp.n, cout, gh.out, gw.out), data: y };
}

/** The kernel flipped in both spatial axes with in/out swapped, as (cin, kh * kw * coutG). */
function flippedKernel(pr: ConvPrep): Float32Array {
  if (pr.flipped !== null) return pr.flipped;
  const { kh, kw, cinG, cout, coutG, kmat } = pr;
  const k2 = kh * kw * coutG;
  const out = new Float32Array(cinG * pr.groups * k2);
  for (let g = 0; g < pr.groups; g++) {
    for (let ci = 0; ci < cinG; ci++) {
      const row = (g * cinG + ci) * k2;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const src = (((kh - 1 - ky) * kw + (kw - 1 - kx)) * cinG + ci) * cout + g * coutG;
          const dst = row + (ky * kw + kx) * coutG;
          for (let co = 0; co < coutG; co++) out[dst + co] = kmat[src + co]!;
        }
      }
    }
  }
  pr.flipped = out;
  return out;
}

/** Convolution backward: d loss / d input from d loss / d pre-activation output. */
export function convBackward(node: Node, op: ConvOp, pr: ConvPrep, inShape: readonly number[], dz: Arr, scratch: Scratch): Arr {
  const geo = convGeometry(node, op, pr, inShape);
  const { sp, gh, gw } = geo;
  const { cout, coutG, cinG, k, kmat, groups } = pr;
  const npos = gh.out * gw.out;
  const inSize = sp.c * sp.h * sp.w;
  const outSize = cout * npos;
  const dx = alloc(dz, sp.n * inSize);
  // Stride 1 with at least a GEMM tile's width of input channels: the flipped-kernel
  // correlation (long GEMM inner loops, im2col by runs). Otherwise (strided, or few input
  // channels like a first layer on grey images): GEMM into columns of K values and col2im.
  if (pr.sh === 1 && pr.sw === 1 && cinG >= 4) {
    // dx[i] = sum over taps of dz[i + before - tap * dilation]: a correlation of dz, padded by
    // (span - 1 - before), with the flipped kernel.
    const dzGeo: Geometry = {
      sp: { n: sp.n, c: cout, h: gh.out, w: gw.out, channelsLast: sp.channelsLast },
      gh: { out: sp.h, before: (pr.kh - 1) * pr.dh - gh.before },
      gw: { out: sp.w, before: (pr.kw - 1) * pr.dw - gw.before },
    };
    correlate(dz, dzGeo, pr, coutG, cinG, groups, flippedKernel(pr), dx, scratch);
    return dx;
  }
  const rowsPerChunk = chunkRows(k);
  const chunk = Math.min(rowsPerChunk, npos);
  const dcols = scratch.get('cols', chunk * k, dz);
  const dzt = sp.channelsLast ? dz : scratch.get('dzt', chunk * coutG, dz);
  for (let n = 0; n < sp.n; n++) {
    const xOff = n * inSize;
    const zOff = n * outSize;
    for (let g = 0; g < groups; g++) {
      for (let p0 = 0; p0 < npos; p0 += rowsPerChunk) {
        const p1 = Math.min(npos, p0 + rowsPerChunk);
        const rows = p1 - p0;
        dcols.fill(0, 0, rows * k);
        if (sp.channelsLast) {
          gemmNT(rows, k, coutG, dz, zOff + p0 * cout + g * coutG, cout, kmat, g * coutG, cout, dcols, 0, k);
        } else {
          // Gather this chunk of (coutG x positions) into (positions x coutG) rows.
          for (let co = 0; co < coutG; co++) {
            const src = zOff + (g * coutG + co) * npos + p0;
            for (let r = 0; r < rows; r++) dzt[r * coutG + co] = dz[src + r]!;
          }
          gemmNT(rows, k, coutG, dzt, 0, coutG, kmat, g * coutG, cout, dcols, 0, k);
        }
        col2imAdd(dcols, geo, pr, cinG, g, p0, p1, dx, xOff);
      }
    }
  }
  return dx;
}
