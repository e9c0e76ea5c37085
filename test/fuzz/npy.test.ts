// Fuzzing the .npy reader: random bytes, valid files mutated (flips, truncation, spliced
// headers), and headers generated from a grammar of Python literals, valid and not. Every input
// must parse (to an array whose size matches its shape) or throw a ConvscopeError, in bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readNpy, writeNpy, type NpyDtype, type NpyData } from '../../src/io/npy.js';
import { Outcomes, assertProperty, expectParseOrTypedError, hex, params } from './harness.js';
import { npyBytes } from '../corpus/handmade.js';

const DTYPES: readonly NpyDtype[] = ['float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'];

/** A random valid array (small), as writeNpy takes it. */
const arrayArb = fc
  .record({ dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }) })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n }).map((vals) => ({ dtype, shape, data: dataOf(dtype, vals) }));
  });

function dataOf(dtype: NpyDtype, vals: number[]): NpyData {
  switch (dtype) {
    case 'float16':
    case 'float32':
      return Float32Array.from(vals, (v) => v / 8 - 4);
    case 'float64':
      return Float64Array.from(vals, (v) => v / 8 - 4);
    case 'int8':
      return Int8Array.from(vals, (v) => v - 128);
    case 'int16':
      return Int16Array.from(vals, (v) => v * 100 - 9000);
    case 'int32':
      return Int32Array.from(vals, (v) => v * 1e6);
    case 'int64':
      return BigInt64Array.from(vals, (v) => BigInt(v) * 10n ** 15n);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(vals, (v) => (dtype === 'bool' ? v & 1 : v));
    case 'uint16':
      return Uint16Array.from(vals, (v) => v * 200);
    case 'uint32':
      return Uint32Array.from(vals, (v) => v * 1e7);
    case 'uint64':
      return BigUint64Array.from(vals, (v) => BigInt(v) * 10n ** 16n);
  }
}

/** Python-literal-ish header text: the real keys with values valid and not, or random tokens. */
const dimArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 6 }).map(String), weight: 12 },
  { arbitrary: fc.constantFrom('-1', '2.5', '1e3', '3L', '9007199254740991', '9007199254740993', '18446744073709551616', '65536', '0x10', '', 'None', 'True', "'3'", '(2,)'), weight: 1 },
);
const descrArb = fc.oneof(
  { arbitrary: fc.constantFrom('<f4', '<f8', '>f4', '|u1', '<i8', '>u2', '|b1', '?', '<f2', '=i4'), weight: 6 },
  { arbitrary: fc.constantFrom('|O', '<U12', '|S5', '<c16', '<M8[ns]', '<m8', '|V8', '<f16', '<i3', 'f', '', '<', 'float32', "[('a', '<f4')]"), weight: 2 },
  { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
);
const shapeArb = fc.array(dimArb, { maxLength: 5 }).map((ds) => (ds.length === 1 ? `(${ds[0]},)` : `(${ds.join(', ')})`));
const headerArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    descr: descrArb,
    fortran: fc.oneof({ arbitrary: fc.constantFrom('False', 'True'), weight: 8 }, { arbitrary: fc.constantFrom('0', 'None', "'no'"), weight: 1 }),
    shape: fc.oneof({ arbitrary: shapeArb, weight: 8 }, { arbitrary: fc.constantFrom('[2, 3]', '3', '()', '(', '((((((((((((((((((((1))))))))))))))))))))', "{'a': 1}"), weight: 1 }),
    extra: fc.oneof({ arbitrary: fc.constantFrom('', ', '), weight: 8 }, { arbitrary: fc.constantFrom(", 'extra': 1", ", 'descr': '<f4'", ', }', ' ,'), weight: 1 }),
    quote: fc.constantFrom("'", '"'),
  }).map(({ descr, fortran, shape, extra, quote }) => `{${quote}descr${quote}: ${descr.startsWith('[') ? descr : `'${descr}'`}, 'fortran_order': ${fortran}, 'shape': ${shape}${extra}}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('{', '}', '(', ')', '[', ']', "'", '"', ':', ',', ' ', '\\', 'x', 'u', '0', '1', '-', '.', 'e', 'True', 'None', "b'", '\n'), { maxLength: 60 }).map((a) => a.join('')) },
);

test('fuzz .npy: random bytes parse or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, magic) => {
      const input = magic ? Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, ...bytes]) : bytes;
      await expectParseOrTypedError(outcomes, () => hex(input), () => readNpy(input), sizeMatchesShape);
    }),
    params(1500),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz .npy: grammar-built headers (valid and hostile literals) parse or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(headerArb, fc.uint8Array({ maxLength: 256 }), fc.constantFrom(1, 2, 3), async (header, data, major) => {
      const input = npyBytes(header, data, { major });
      await expectParseOrTypedError(outcomes, () => `header ${JSON.stringify(header)} v${major} + ${data.length} bytes`, () => readNpy(input), sizeMatchesShape);
    }),
    params(2000),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz .npy: valid files with flipped bytes, truncation or a spliced tail parse or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), tail: fc.uint8Array({ maxLength: 40 }) }),
  );
  await assertProperty(
    fc.asyncProperty(arrayArb, mutation, async (array, m) => {
      const bytes = writeNpy(array);
      let input: Uint8Array;
      if (m.kind === 'flip') {
        input = bytes.slice();
        for (let i = 0; i < m.count; i++) input[(m.at + i * 7) % input.length] = m.value;
      } else if (m.kind === 'truncate') {
        input = bytes.slice(0, m.at % (bytes.length + 1));
      } else {
        const at = m.at % (bytes.length + 1);
        input = Uint8Array.from([...bytes.subarray(0, at), ...m.tail]);
      }
      await expectParseOrTypedError(outcomes, () => `${array.dtype} ${JSON.stringify(array.shape)} ${JSON.stringify(m)}`, () => readNpy(input), sizeMatchesShape);
    }),
    params(2000),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz .npy: every valid array survives writeNpy -> readNpy unchanged', async () => {
  await assertProperty(
    fc.asyncProperty(arrayArb, async (array) => {
      const back = readNpy(writeNpy(array));
      assert.equal(back.dtype, array.dtype);
      assert.deepEqual(back.shape, array.shape);
      const want = array.dtype === 'float16' ? Array.from(array.data as Float32Array, (v) => Math.fround(v)) : Array.from(array.data as ArrayLike<number | bigint>);
      assert.deepEqual(Array.from(back.data as ArrayLike<number | bigint>), want); // float16 inputs are multiples of 1/8 in [-4, 28): exact
    }),
    params(500),
  );
});

function sizeMatchesShape(a: { shape: number[]; data: ArrayLike<unknown> }): void {
  const n = a.shape.reduce((x, y) => x * y, 1);
  assert.equal(a.data.length, n, `data length ${a.data.length} vs shape ${JSON.stringify(a.shape)}`);
}
