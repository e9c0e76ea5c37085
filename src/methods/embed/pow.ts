// A fast x^y for positive x, for UMAP's layout loop where Math.pow dominates the cost (its
// latency, ~100 cycles, sits on the loop's dependency chain): 2^(y log2 x) with the exponent
// taken from the float64 bits, 128-entry tables for log2 and exp2, and short polynomials on the
// small remainders. Relative error below 1e-12 for |y log2 x| up to ~1000 (tested against
// Math.pow); non-finite, zero, negative, subnormal and overflowing cases go to Math.pow.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high 32-bit word of a float64 in `u32` (1 on little-endian platforms). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SMALLEST_NORMAL = 2.2250738585072014e-308;
const LN2 = 0.6931471805599453;
const INV_LN2 = 1.4426950408889634;
const BITS = 7;
const SIZE = 1 << BITS;

/** Centres c_j = 1 + (j + 0.5) / 128 of the mantissa intervals, 1 / c_j and log2(c_j). */
const INV_C = new Float64Array(SIZE);
const LOG2_C = new Float64Array(SIZE);
/** 2^(j / 128). */
const EXP2_J = new Float64Array(SIZE);
/** POW2[e + 1023] = 2^e for e = -1023..1023. */
const POW2 = new Float64Array(2047);
for (let e = -1023; e <= 1023; e++) POW2[e + 1023] = Math.pow(2, e);
for (let j = 0; j < SIZE; j++) {
  const c = 1 + (j + 0.5) / SIZE;
  INV_C[j] = 1 / c;
  LOG2_C[j] = Math.log2(c);
  EXP2_J[j] = Math.pow(2, j / SIZE);
}

/**
 * x^y for x > 0 (Math.pow semantics elsewhere: any non-finite, zero, negative or subnormal x,
 * and results outside the normal float64 range, are computed by Math.pow).
 */
export function fastPow(x: number, y: number): number {
  if (!(x >= SMALLEST_NORMAL && x < Infinity)) return Math.pow(x, y);
  // log2 x = e + log2 c_j + log2(1 + r), r = (m - c_j) / c_j, |r| < 2^-8: the series to r^5
  // errs < 1e-15.
  f64[0] = x;
  const hi = u32[HI]!;
  const e = (hi >>> 20) - 1023;
  const j = (hi >>> (20 - BITS)) & (SIZE - 1);
  // (Multiplying by 2^-e rather than rewriting the exponent bits avoids a store-forwarding stall.)
  const r = (x * POW2[1023 - e]! - (1 + (j + 0.5) / SIZE)) * INV_C[j]!;
  const l = e + LOG2_C[j]! + r * (1 - r * (0.5 - r * (1 / 3 - r * (0.25 - r * 0.2)))) * INV_LN2;
  const t = y * l;
  if (!(t > -1021 && t < 1023)) return Math.pow(x, y);
  // 2^t = 2^(k >> 7) * 2^((k & 127) / 128) * 2^f, k = round(128 t), |f| <= 2^-8.
  const k = Math.round(t * SIZE);
  const g = (t - k / SIZE) * LN2;
  const p = 1 + g * (1 + g * (0.5 + g * (1 / 6 + g * (1 / 24))));
  return POW2[(k >> BITS) + 1023]! * EXP2_J[k & (SIZE - 1)]! * p;
}
