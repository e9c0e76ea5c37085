// The matrix product behind convolution and Dense: C += A * B^T on strided row-major views.
// Plain TypeScript, single thread. Sums run in float64 registers (free in JavaScript, whose
// arithmetic is double) and are rounded once per k-block into C.
//
// Why A * B^T: both operands are then read along contiguous rows, so a 4x4 register tile
// (16 scalar accumulators, 8 loads per 16 multiply-adds) needs no accumulator array in
// memory. Measured on a 2-core Xeon (Node 20), this reached ~3 GFLOP/s against ~0.5-1.6 for
// i-k-j variants with a float64 accumulator row (see the report in bench/ref-engine.ts).
// The k axis is cut into blocks of K_BLOCK so that a B panel (n x K_BLOCK) stays in L2 while
// every 4-row strip of A passes over it.

import type { Arr } from './common.js';

/** Length of a k-block (values). 2048 float32 x 128 columns = 1 MiB: half a typical L2. */
const K_BLOCK = 2048;

/**
 * C[i, j] += sum_p A[i, p] * B[j, p] for i < m, j < n, p < k.
 * Row i of A starts at aOff + i * lda, row j of B at bOff + j * ldb, C[i, j] is at
 * cOff + i * ldc + j. C must not overlap A or B.
 */
export function gemmNT(
  m: number, n: number, k: number,
  a: Arr, aOff: number, lda: number,
  b: Arr, bOff: number, ldb: number,
  c: Arr, cOff: number, ldc: number,
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const ai = aOff + i * lda;
      const ci = cOff + i * ldc;
      let j = 0;
      for (; j + 4 <= n; j += 4) tile4x4(a, ai, lda, b, bOff + j * ldb, ldb, c, ci + j, ldc, k0, k1);
      for (; j < n; j++) tile4x1(a, ai, lda, b, bOff + j * ldb, c, ci + j, ldc, k0, k1);
    }
    for (; i < m; i++) {
      const ai = aOff + i * lda;
      const ci = cOff + i * ldc;
      let j = 0;
      for (; j + 4 <= n; j += 4) tile1x4(a, ai, b, bOff + j * ldb, ldb, c, ci + j, k0, k1);
      for (; j < n; j++) {
        const bj = bOff + j * ldb;
        let s = 0;
        for (let p = k0; p < k1; p++) s += a[ai + p]! * b[bj + p]!;
        c[ci + j] = c[ci + j]! + s;
      }
    }
  }
}

function tile4x4(a: Arr, a0: number, lda: number, b: Arr, b0: number, ldb: number, c: Arr, c0: number, ldc: number, k0: number, k1: number): void {
  const a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
  const b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
  let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
  let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let p = k0; p < k1; p++) {
    const y0 = b[b0 + p]!, y1 = b[b1 + p]!, y2 = b[b2 + p]!, y3 = b[b3 + p]!;
    let x = a[a0 + p]!;
    s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
    x = a[a1 + p]!;
    s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
    x = a[a2 + p]!;
    s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
    x = a[a3 + p]!;
    s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
  }
  let o = c0;
  c[o] = c[o]! + s00; c[o + 1] = c[o + 1]! + s01; c[o + 2] = c[o + 2]! + s02; c[o + 3] = c[o + 3]! + s03;
  o += ldc;
  c[o] = c[o]! + s10; c[o + 1] = c[o + 1]! + s11; c[o + 2] = c[o + 2]! + s12; c[o + 3] = c[o + 3]! + s13;
  o += ldc;
  c[o] = c[o]! + s20; c[o + 1] = c[o + 1]! + s21; c[o + 2] = c[o + 2]! + s22; c[o + 3] = c[o + 3]! + s23;
  o += ldc;
  c[o] = c[o]! + s30; c[o + 1] = c[o + 1]! + s31; c[o + 2] = c[o + 2]! + s32; c[o + 3] = c[o + 3]! + s33;
}

function tile4x1(a: Arr, a0: number, lda: number, b: Arr, b0: number, c: Arr, c0: number, ldc: number, k0: number, k1: number): void {
  const a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let p = k0; p < k1; p++) {
    const y = b[b0 + p]!;
    s0 += a[a0 + p]! * y; s1 += a[a1 + p]! * y; s2 += a[a2 + p]! * y; s3 += a[a3 + p]! * y;
  }
  c[c0] = c[c0]! + s0; c[c0 + ldc] = c[c0 + ldc]! + s1; c[c0 + 2 * ldc] = c[c0 + 2 * ldc]! + s2; c[c0 + 3 * ldc] = c[c0 + 3 * ldc]! + s3;
}

function tile1x4(a: Arr, a0: number, b: Arr, b0: number, ldb: number, c: Arr, c0: number, k0: number, k1: number): void {
  const b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let p = k0; p < k1; p++) {
    const x = a[a0 + p]!;
    s0 += x * b[b0 + p]!; s1 += x * b[b1 + p]!; s2 += x * b[b2 + p]!; s3 += x * b[b3 + p]!;
  }
  c[c0] = c[c0]! + s0; c[c0 + 1] = c[c0 + 1]! + s1; c[c0 + 2] = c[c0 + 2]! + s2; c[c0 + 3] = c[c0 + 3]! + s3;
}

/** Transposes a row-major (rows x cols) matrix into a new (cols x rows) Float32Array. */
export function transpose(src: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let q = 0; q < cols; q++) out[q * rows + r] = src[ro + q]!;
  }
  return out;
}
