// The one seeded random source of convscope: xoshiro128** (Blackman & Vigna 2018) seeded
// through splitmix32, in 32-bit integer arithmetic, so a seed gives the same numbers on every
// machine, in Node and in the browser. No module-level state: create one per use.

/** A seeded pseudo-random generator. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n) (n >= 1), without modulo bias. */
  int(n: number): number;
  /** Standard normal deviate (Box-Muller, one value per call; the pair's second value is cached). */
  normal(): number;
  /** Next raw 32-bit unsigned integer. */
  uint32(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a generator from an integer seed (any safe integer; it is reduced to 32 bits as
 * `seed >>> 0` after mixing in the high bits, so seeds 0..2^32-1 are all distinct).
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const hi = Math.floor(Math.abs(seed) / 2 ** 32) >>> 0;
  const sm = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
  // The state lives in a typed array, not in closure variables: a uint32 above 2^30 held in a
  // variable is a heap number, and every draw then allocated four of them (SmoothGrad spent more
  // time drawing its noise than computing its gradients). Same bits, same sequence.
  const st = Int32Array.of(sm(), sm(), sm(), sm());
  if ((st[0]! | st[1]! | st[2]! | st[3]!) === 0) st[0] = 1;
  let hasSpare = false;
  const spare = new Float64Array(1);
  const uint32 = (): number => {
    let a = st[0]!;
    let b = st[1]!;
    let c = st[2]!;
    let d = st[3]!;
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    st[0] = a;
    st[1] = b;
    st[2] = c;
    st[3] = d;
    return result;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs an integer n >= 1, got ${n}`);
      if (n === 1) return 0;
      // Rejection sampling on 32 bits (n < 2^32 here); above that, combine two draws.
      if (n <= 4294967296) {
        const limit = 4294967296 - (4294967296 % n);
        for (;;) {
          const v = uint32();
          if (v < limit) return v % n;
        }
      }
      return Math.floor((uint32() * 4294967296 + uint32()) / 2 ** 64 * n);
    },
    normal(): number {
      if (hasSpare) {
        hasSpare = false;
        return spare[0]!;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare[0] = r * Math.sin(2 * Math.PI * v);
      hasSpare = true;
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** Fisher-Yates shuffle of a copy of `items` with `rng`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
