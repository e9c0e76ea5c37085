// A float32 matrix product C = A * B^T in WebAssembly SIMD (128-bit f32x4), for the training
// kernels' convolutions. The module (~300 bytes) is assembled here byte by byte: no toolchain,
// no binary file, works in Node and browsers. Where WebAssembly SIMD is missing, callers fall
// back to the reference engine's GEMM (simdGemm() returns null).
//
// Kernel: tiles of 4 rows of A x 2 rows of B; 8 f32x4 accumulators run along k (both operands
// are read along contiguous rows), summed across lanes once per tile. Operands live packed in
// the module's memory: A (m x k), B (n x k), C (m x n), with m a multiple of 4, n of 2, k of 4
// (the wrapper pads with zeros). Accumulation is in float32 (lane sums of k/4 terms each), not
// float64 as in the reference GEMM: relative differences of ~1e-6, irrelevant to training.

/** Encodes an unsigned LEB128 integer. */
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Encodes a signed LEB128 integer (i32 constants). */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Opcodes.
const I32 = 0x7f;
const V128 = 0x7b;
const GET = 0x20;
const SET = 0x21;
const CONST = 0x41;
const ADD = 0x6a;
const MUL = 0x6c;
const SHL = 0x74;
const GE_U = 0x4f;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const F32_ADD = 0x92;
const F32_STORE = 0x38;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (): number[] => simd(0x00, 4, 0); // align 2^4, offset 0
const V128_ZERO = (): number[] => simd(0x0c, ...new Array<number>(16).fill(0));
const F32X4_ADD = (): number[] => simd(0xe4);
const F32X4_MUL = (): number[] => simd(0xe6);
const LANE = (l: number): number[] => simd(0x1f, l); // f32x4.extract_lane

// Locals: params 0 m, 1 n, 2 k, 3 a, 4 b, 5 c; then i32 6 i, 7 j, 8 p, 9 kb, 10-13 pa0..3, 14-15 pb0..1,
// 16 pc, 17 nb; then v128 18-25 acc[r][s] (18 + 2r + s), 26-29 a0..3, 30-31 b0..1.
const [M, N, K, A, B, C, Ii, Jj, P, KB, PA, PB, PC, NB, ACC, AV, BV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 16, 17, 18, 26, 30];

function gemmBody(): number[] {
  const b: number[] = [];
  const e = (...xs: (number | number[])[]): void => {
    for (const x of xs) {
      if (Array.isArray(x)) b.push(...x);
      else b.push(x);
    }
  };
  // kb = k << 2; nb = n << 2; i = 0
  e(GET, K, CONST, 2, SHL, SET, KB);
  e(GET, N, CONST, 2, SHL, SET, NB);
  e(CONST, 0, SET, Ii);
  e(BLOCK, VOID, LOOP, VOID);
  e(GET, Ii, GET, M, GE_U, BR_IF, 1);
  // pa0 = a + i * kb; pa1..3 follow
  e(GET, A, GET, Ii, GET, KB, MUL, ADD, SET, PA);
  for (let r = 1; r < 4; r++) e(GET, PA + r - 1, GET, KB, ADD, SET, PA + r);
  e(CONST, 0, SET, Jj);
  e(BLOCK, VOID, LOOP, VOID);
  e(GET, Jj, GET, N, GE_U, BR_IF, 1);
  e(GET, B, GET, Jj, GET, KB, MUL, ADD, SET, PB);
  e(GET, PB, GET, KB, ADD, SET, PB + 1);
  for (let q = 0; q < 8; q++) e(V128_ZERO(), SET, ACC + q);
  e(CONST, 0, SET, P);
  e(BLOCK, VOID, LOOP, VOID);
  e(GET, P, GET, KB, GE_U, BR_IF, 1);
  for (let r = 0; r < 4; r++) e(GET, PA + r, GET, P, ADD, V128_LOAD(), SET, AV + r);
  for (let s = 0; s < 2; s++) e(GET, PB + s, GET, P, ADD, V128_LOAD(), SET, BV + s);
  for (let r = 0; r < 4; r++) {
    for (let s = 0; s < 2; s++) e(GET, ACC + 2 * r + s, GET, AV + r, GET, BV + s, F32X4_MUL(), F32X4_ADD(), SET, ACC + 2 * r + s);
  }
  e(GET, P, CONST, 16, ADD, SET, P);
  e(BR, 0, END, END);
  // pc = c + (i * n + j) * 4; C[i + r][j + s] = lane sum of acc[r][s]
  e(GET, C, GET, Ii, GET, N, MUL, GET, Jj, ADD, CONST, 2, SHL, ADD, SET, PC);
  for (let r = 0; r < 4; r++) {
    for (let s = 0; s < 2; s++) {
      const acc = ACC + 2 * r + s;
      e(GET, PC);
      if (r > 0) e(GET, NB, CONST, ...sleb(r), MUL, ADD);
      e(GET, acc, LANE(0), GET, acc, LANE(1), F32_ADD, GET, acc, LANE(2), GET, acc, LANE(3), F32_ADD, F32_ADD);
      e(F32_STORE, 2, ...uleb(4 * s));
    }
  }
  e(GET, Jj, CONST, 2, ADD, SET, Jj);
  e(BR, 0, END, END);
  e(GET, Ii, CONST, 4, ADD, SET, Ii);
  e(BR, 0, END, END);
  e(END);
  return b;
}

/** The module's bytes: memory "mem" (exported, growable) and func "gemm"(m, n, k, a, b, c). */
export function simdGemmModuleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]);
  const func = section(3, [1, 0]);
  const memory = section(5, [1, 0, 1]); // one memory, min 1 page, no max
  const exportSec = section(7, [2, ...str('mem'), 2, 0, ...str('gemm'), 0, 0]);
  const body = gemmBody();
  const locals = [2, 12, I32, 14, V128]; // 12 i32 locals (6..17), 14 v128 locals (18..31)
  const fn = [...locals, ...body];
  const code = section(10, [1, ...uleb(fn.length), ...fn]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...func, ...memory, ...exportSec, ...code]);
}

/** Operands laid out in the module's memory for one product (see {@link SimdGemm.packed}). */
export interface PackedOperands {
  /** Padded sizes: rows of A and C (multiple of 4), rows of B and columns of C (multiple of 2), k (multiple of 4). */
  readonly mp: number;
  readonly np: number;
  readonly kp: number;
  /** A, mp x kp row-major; B, np x kp; C, mp x np (views of the module's memory). */
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
  /** C = A * B^T over the padded operands. */
  run(): void;
}

/** A ready SIMD GEMM. */
export interface SimdGemm {
  /**
   * Views of the module's memory sized for an (m x k) * (n x k)^T product, B first: B keeps its
   * contents between calls with the same np and kp. Padding rows and columns must be zero (the
   * caller fills them). Views are valid until the next packed() or gemmNT() call.
   */
  packed(m: number, n: number, k: number): PackedOperands;
  /** C (m x n, row stride ldc) += A (m x k, stride lda) * B (n x k, stride ldb)^T, any sizes. */
  gemmNT(
    m: number, n: number, k: number,
    a: Float32Array, aOff: number, lda: number,
    b: Float32Array, bOff: number, ldb: number,
    c: Float32Array, cOff: number, ldc: number,
  ): void;
}

let cached: SimdGemm | null | undefined;

/** The SIMD GEMM, or null where WebAssembly SIMD is unavailable. Compiled once (synchronously; tiny). */
export function simdGemm(): SimdGemm | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
    if (wasm === undefined) return null;
    const bytes = simdGemmModuleBytes();
    if (!wasm.validate(bytes)) return null;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const mem = instance.exports['mem'] as WebAssembly.Memory;
    const run = instance.exports['gemm'] as (m: number, n: number, k: number, a: number, b: number, c: number) => void;
    let heap = new Float32Array(mem.buffer);
    const packed = (m: number, n: number, k: number): PackedOperands => {
      const mp = Math.ceil(m / 4) * 4;
      const np = Math.ceil(n / 2) * 2;
      const kp = Math.ceil(k / 4) * 4;
      const need = (np * kp + mp * kp + mp * np) * 4;
      if (need > mem.buffer.byteLength) {
        mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
        heap = new Float32Array(mem.buffer);
      }
      const bAt = 0;
      const aAt = np * kp;
      const cAt = aAt + mp * kp;
      return {
        mp, np, kp,
        a: heap.subarray(aAt, aAt + mp * kp),
        b: heap.subarray(bAt, bAt + np * kp),
        c: heap.subarray(cAt, cAt + mp * np),
        run: () => run(mp, np, kp, aAt * 4, bAt * 4, cAt * 4),
      };
    };
    const pack = (dst: Float32Array, rows: number, padRows: number, kp: number, src: Float32Array, off: number, ld: number, k: number): void => {
      for (let i = 0; i < padRows; i++) {
        const o = i * kp;
        if (i < rows) {
          dst.set(src.subarray(off + i * ld, off + i * ld + k), o);
          if (kp > k) dst.fill(0, o + k, o + kp);
        } else {
          dst.fill(0, o, o + kp);
        }
      }
    };
    cached = {
      packed,
      gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        const op = packed(m, n, k);
        pack(op.a, m, op.mp, op.kp, a, aOff, lda, k);
        pack(op.b, n, op.np, op.kp, b, bOff, ldb, k);
        op.run();
        for (let i = 0; i < m; i++) {
          const src = i * op.np;
          const dst = cOff + i * ldc;
          for (let j = 0; j < n; j++) c[dst + j] = c[dst + j]! + op.c[src + j]!;
        }
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
