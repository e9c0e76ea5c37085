import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstNonFinite } from './tensor.js';

/** The definition, value by value. */
function reference(d: Float32Array): number {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

/** Float32 values from raw bit patterns. */
function fromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Runs `fn` with the global Buffer hidden (the browser path: a plain loop). */
function withoutBuffer<T>(fn: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'Buffer')!;
  Reflect.deleteProperty(globalThis, 'Buffer');
  try {
    return fn();
  } finally {
    Object.defineProperty(globalThis, 'Buffer', saved);
  }
}

test('firstNonFinite finds NaN, +Inf and -Inf and nothing else, on both paths', () => {
  // Finite values whose bytes look close: the largest floats (high byte 0x7f / 0xff with the top
  // bit of the next byte clear), denormals, and 0x7f / 0xff bytes away from the high byte.
  const finite = fromBits([0x7f7fffff, 0xff7fffff, 0x00000001, 0x807fffff, 0x3f7f7fff, 0x00ff7fff, 0xff00ff7f, 0x4f7fff80]);
  assert.equal(finite.every((v) => Number.isFinite(v)), true);
  for (const search of [(d: Float32Array) => firstNonFinite(d), (d: Float32Array) => withoutBuffer(() => firstNonFinite(d))]) {
    assert.equal(search(finite), -1);
    assert.equal(search(new Float32Array(0)), -1);
    for (const bad of [NaN, Infinity, -Infinity, ...fromBits([0x7f800001, 0xffc00000, 0x7fffffff])]) {
      for (const at of [0, 3, 7]) {
        const d = finite.slice();
        d[at] = bad;
        assert.equal(search(d), at, `${bad} at ${at}`);
      }
    }
    // The first of several, in either order of the two high bytes.
    assert.equal(search(Float32Array.from([1, -Infinity, 2, Infinity, NaN])), 1);
    assert.equal(search(Float32Array.from([1, 2, Infinity, -Infinity])), 2);
  }
});

test('firstNonFinite agrees with the definition on views and random bit patterns', () => {
  let state = 12345;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + (next() % 300);
    const bits = Array.from({ length: n + 5 }, () => {
      const r = next();
      // Mostly finite random patterns; now and then an all-ones exponent.
      return next() % 50 === 0 ? (r | 0x7f800000) >>> 0 : r & 0xbf7fffff;
    });
    const all = fromBits(bits);
    const view = all.subarray(next() % 5, n); // a view at a byte offset
    assert.equal(firstNonFinite(view), reference(view), `trial ${trial}`);
  }
});
