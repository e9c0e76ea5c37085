import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ArgumentError, ConvscopeError, FileFormatError, LimitError, type ErrorCode } from '../errors.js';
import { fixture, haveFixtures } from '../../test/fixtures.js';
import {
  decodeFloat16,
  encodeFloat16,
  isNpy,
  readNpy,
  toFloat32,
  toLabels,
  writeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
} from './npy.js';

// Reference files written by numpy 2.4.6 (np.save, or np.lib.format.write_array for versions
// 2.0 and 3.0), embedded as base64; the Python expression is given with each.
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const NUMPY = {
  // np.arange(6, dtype='<f4').reshape(2, 3) * np.float32(0.5) - 1
  f32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=',
  // np.zeros((), '<f4')
  scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA',
  // np.zeros((12345678901, 0), '<u2')
  empty: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEyMzQ1Njc4OTAxLCAwKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  // np.array([3, -4], '<i8')
  i64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoDAAAAAAAAAPz/////////',
  // np.array([[True, False, True]])
  bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  // np.asfortranarray((np.arange(24).reshape(2, 3, 4) * 1.25 - 3).astype('>f8'))
  bef8F: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArACAAAAAAAAEAoAAAAAAAAQAAAAAAAAABAMQAAAAAAAEAcAAAAAAAAQDYAAAAAAAC//AAAAAAAAEAqgAAAAAAAQAoAAAAAAABAMkAAAAAAAEAggAAAAAAAQDdAAAAAAAC/4AAAAAAAAEAtAAAAAAAAQBIAAAAAAABAM4AAAAAAAEAjAAAAAAAAQDiAAAAAAAA/6AAAAAAAAEAvgAAAAAAAQBcAAAAAAABANMAAAAAAAEAlgAAAAAAAQDnAAAAAAAA=',
  // np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3) * -7)
  lei4F: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA6/////n////k////8v///93///8=',
  // np.array([[1, -2], [300, -40000]], dtype='>i4')
  bei4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAB/////gAAASz//2PA',
  // np.array([0, 2**64 - 1, 2**63, 12345678901234567890], dtype='>u8')
  beu8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPnU4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAP//////////gAAAAAAAAACrVKmM6x8K0g==',
  // np.array([-2**63, 2**63 - 1, -1, 5], dtype='>i8')
  bei8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAAAAAAAAAAH////////////////////8AAAAAAAAABQ==',
  // np.array([1.0, -2.5, 65504, 6e-8, np.inf, -0.0, 0.1], dtype='>f2')
  bef2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDcsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo8AMEAe/8AAXwAgAAuZg==',
  // np.asfortranarray(np.array([[1, 2, 3], [400, 500, 60000]], dtype='>u2'))
  beu2F: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPnUyJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQGQAAIB9AAD6mA=',
  // write_array(f, np.array([1.5, 2.5], dtype='<f8'), version=(2, 0))
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAARA',
  // write_array(f, np.array([7, 8, 9], dtype='|u1'), version=(3, 0))
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICd8dTEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHCAk=',
  // write_array(f, np.zeros(2, dtype=[('größe', '<f4'), ('b', '<i4')]), version=(3, 0))
  v3struct: 'k05VTVBZAwB0AAAAeydkZXNjcic6IFsoJ2dyw7bDn2UnLCAnPGY0JyksICgnYicsICc8aTQnKV0sICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA',
};

/** A .npy file with the given header text (version 1.0 unless told), padded as numpy pads. */
function npyFile(header: string, data: Uint8Array | number[] = [], major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const text = new TextEncoder().encode(header);
  const pad = 64 - ((8 + lenBytes + text.length + 1) % 64);
  const hlen = text.length + pad + 1;
  const out = new Uint8Array(8 + lenBytes + hlen + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  for (let i = 0; i < lenBytes; i++) out[8 + i] = (hlen >>> (8 * i)) & 0xff;
  out.set(text, 8 + lenBytes);
  out.fill(0x20, 8 + lenBytes + text.length, 8 + lenBytes + hlen - 1);
  out[8 + lenBytes + hlen - 1] = 0x0a;
  out.set(data, 8 + lenBytes + hlen);
  return out;
}

const hdr = (descr: string, shape: string, fortran = 'False'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function throwsCode(fn: () => unknown, cls: typeof ConvscopeError, code: ErrorCode, ...patterns: RegExp[]): ConvscopeError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name} ${code}, got ${String(caught)}`);
  const err = caught as ConvscopeError;
  assert.equal(err.code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

const values = (d: NpyData): (number | bigint)[] => Array.from(d as ArrayLike<number | bigint>);

test('writeNpy matches numpy.save byte for byte', () => {
  const expected = b64(NUMPY.f32);
  const written = writeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array([-1, -0.5, 0, 0.5, 1, 1.5]) });
  assert.deepEqual(written, expected);
  assert.deepEqual(writeNpy({ dtype: 'float32', shape: [], data: new Float32Array(1) }), b64(NUMPY.scalar));
  assert.deepEqual(writeNpy({ dtype: 'uint16', shape: [12345678901, 0], data: new Uint16Array(0) }), b64(NUMPY.empty));
  assert.deepEqual(writeNpy({ dtype: 'int64', shape: [2], data: new BigInt64Array([3n, -4n]) }), b64(NUMPY.i64));
  assert.deepEqual(writeNpy({ dtype: 'bool', shape: [1, 3], data: new Uint8Array([1, 0, 7]) }), b64(NUMPY.bool));
  // By the spec: magic, version 1.0, little-endian header length, data at a multiple of 64.
  assert.deepEqual(Array.from(written.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  assert.equal((10 + (written[8]! | (written[9]! << 8))) % 64, 0);
});

test('readNpy reads numpy files: values, shape, dtype', () => {
  const a = readNpy(b64(NUMPY.f32));
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.fortranOrder, false);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual(values(a.data), [-1, -0.5, 0, 0.5, 1, 1.5]);

  const s = readNpy(b64(NUMPY.scalar));
  assert.deepEqual(s.shape, []);
  assert.equal(s.data.length, 1);

  const e = readNpy(b64(NUMPY.empty));
  assert.deepEqual(e.shape, [12345678901, 0]);
  assert.equal(e.data.length, 0);
  assert.ok(e.data instanceof Uint16Array);

  const b = readNpy(b64(NUMPY.bool));
  assert.equal(b.dtype, 'bool');
  assert.ok(b.data instanceof Uint8Array);
  assert.deepEqual(values(b.data), [1, 0, 1]);
});

test('readNpy converts big-endian files to native order', () => {
  const i4 = readNpy(b64(NUMPY.bei4));
  assert.equal(i4.dtype, 'int32');
  assert.deepEqual(values(i4.data), [1, -2, 300, -40000]);

  const u8 = readNpy(b64(NUMPY.beu8));
  assert.ok(u8.data instanceof BigUint64Array);
  assert.deepEqual(values(u8.data), [0n, 2n ** 64n - 1n, 2n ** 63n, 12345678901234567890n]);

  const i8 = readNpy(b64(NUMPY.bei8));
  assert.ok(i8.data instanceof BigInt64Array);
  assert.deepEqual(values(i8.data), [-(2n ** 63n), 2n ** 63n - 1n, -1n, 5n]);

  const f2 = readNpy(b64(NUMPY.bef2));
  assert.equal(f2.dtype, 'float16');
  assert.ok(f2.data instanceof Float32Array);
  // numpy: np.array([...], '>f2').astype('f4').tolist(); exact, since every half is a float32.
  assert.deepEqual(values(f2.data), [1, -2.5, 65504, 5.960464477539063e-8, Infinity, -0, 0.0999755859375]);
  assert.ok(Object.is(f2.data[5], -0));
});

test('readNpy converts Fortran-order files to C order', () => {
  const f8 = readNpy(b64(NUMPY.bef8F));
  assert.equal(f8.dtype, 'float64');
  assert.equal(f8.fortranOrder, true);
  assert.deepEqual(f8.shape, [2, 3, 4]);
  assert.deepEqual(values(f8.data), Array.from({ length: 24 }, (_, i) => i * 1.25 - 3));

  const i4 = readNpy(b64(NUMPY.lei4F));
  assert.equal(i4.fortranOrder, true);
  assert.deepEqual(values(i4.data), [0, -7, -14, -21, -28, -35]);

  const u2 = readNpy(b64(NUMPY.beu2F));
  assert.equal(u2.dtype, 'uint16');
  assert.deepEqual(values(u2.data), [1, 2, 3, 400, 500, 60000]);
});

test('readNpy reads format versions 2.0 and 3.0 (UTF-8 header)', () => {
  assert.deepEqual(values(readNpy(b64(NUMPY.v2)).data), [1.5, 2.5]);
  const v3 = readNpy(b64(NUMPY.v3));
  assert.equal(v3.dtype, 'uint8');
  assert.deepEqual(values(v3.data), [7, 8, 9]);
  // The structured dtype is refused, naming its (UTF-8) field names.
  throwsCode(() => readNpy(b64(NUMPY.v3struct), { fileName: 's.npy' }), FileFormatError, 'NPY_UNSUPPORTED_DTYPE', /structured/, /größe, b/, /^s\.npy: /);
  // A version 3.0 header that is not valid UTF-8.
  const bad = npyFile(hdr('<f4', '(1,)').replace("'<f4'", "'<f4\u00ff'"), [0, 0, 0, 0], 3);
  const at = bad.indexOf(0xc3);
  bad[at] = 0xff;
  throwsCode(() => readNpy(bad), FileFormatError, 'NPY_BAD_HEADER', /UTF-8/);
});

test('the header parser accepts what numpy and older writers produce', () => {
  const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]; // float32 1, 2
  // Python 2 numpy wrote long integers with an L suffix; key order and quotes may vary.
  for (const header of [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",
    "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
    '{"descr": "<f4", "fortran_order": False, "shape": (2,)}',
    "{'descr':'<f4','fortran_order':False,'shape':[2]}",
    "  {'descr': u'<f4', 'fortran_order': False, 'shape': ((2),), }\n",
  ]) {
    const a = readNpy(npyFile(header, data));
    assert.deepEqual(a.shape, [2], header);
    assert.deepEqual(values(a.data), [1, 2], header);
  }
  // '=' (native) and '|' orders, and the '?' bool code.
  assert.deepEqual(values(readNpy(npyFile(hdr('=f4', '(2,)'), data)).data), [1, 2]);
  assert.deepEqual(values(readNpy(npyFile(hdr('|?', '(2,)'), [0, 1])).data), [0, 1]);
});

test('readNpy refuses malformed headers with NPY_BAD_HEADER, never evaluating them', () => {
  throwsCode(() => readNpy(new TextEncoder().encode('hello world'), { fileName: 'x.npy' }), FileFormatError, 'NPY_BAD_HEADER', /x\.npy/, /\\x93NUMPY/, /68 65 6c 6c 6f/);
  throwsCode(() => readNpy(new Uint8Array(0)), FileFormatError, 'NPY_BAD_HEADER', /empty file/);
  throwsCode(() => readNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0])), FileFormatError, 'NPY_BAD_HEADER', /readNpz/);
  const v4 = npyFile(hdr('<f4', '(0,)'));
  v4[6] = 4;
  throwsCode(() => readNpy(v4), FileFormatError, 'NPY_BAD_HEADER', /version 4\.0/);

  const cases: [string, RegExp][] = [
    ["{'descr': __import__('os').system('echo pwned'), 'fortran_order': False, 'shape': (1,)}", /expected a value/],
    ["['descr', '<f4']", /dict literal/],
    ["{'descr': '<f4', 'fortran_order': False}", /missing 'shape'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", /unexpected 'extra'/],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", /repeats the key 'descr'/],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", /True or False/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': 3}", /tuple of non-negative integers/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", /bad dimension -1/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", /bad dimension 2\.5/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1e3,)}", /bad dimension 1e3/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (None,)}", /bad dimension None/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", /bad dimension/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", /',' or '}'/],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", /expected/],
    ["{'descr': 42, 'fortran_order': False, 'shape': (1,)}", /dtype string/],
    ["{'descr': '', 'fortran_order': False, 'shape': (1,)}", /not a dtype string/],
    [`{'descr': ${'('.repeat(5000)}`, /levels of nesting/],
  ];
  for (const [header, pattern] of cases) {
    throwsCode(() => readNpy(npyFile(header, [0, 0, 0, 0])), FileFormatError, 'NPY_BAD_HEADER', pattern);
  }
});

test('readNpy refuses pickled object arrays (fixture) with NPY_PICKLE', { skip: !haveFixtures }, () => {
  const bytes = readFileSync(fixture('npy', 'object_dtype_pickled.npy'));
  const err = throwsCode(
    () => readNpy(bytes, { fileName: 'object_dtype_pickled.npy' }),
    FileFormatError,
    'NPY_PICKLE',
    /object_dtype_pickled\.npy/,
    /pickled Python objects, which can run code when loaded; convscope never unpickles/,
    /np\.save\(path, arr\.astype\('float32'\)\)/,
  );
  assert.equal(err.details['descr'], '|O');
  throwsCode(() => readNpy(npyFile(hdr('|O', '(1,)'), new Uint8Array(8))), FileFormatError, 'NPY_PICKLE');
});

test('readNpy refuses string, complex and other dtypes with NPY_UNSUPPORTED_DTYPE', { skip: !haveFixtures }, () => {
  const bytes = readFileSync(fixture('npy', 'unicode_labels.npy'));
  throwsCode(() => readNpy(bytes, { fileName: 'unicode_labels.npy' }), FileFormatError, 'NPY_UNSUPPORTED_DTYPE', /'<U12'/, /unicode strings/, /return_inverse/);
  for (const [descr, pattern] of [
    ['<c8', /complex64/],
    ['<c16', /complex128/],
    ['|S2', /byte strings/],
    ['<M8[D]', /datetime64/],
    ['<m8[s]', /timedelta64/],
    ['|V8', /void/],
    ['<f16', /float128/],
    ['<i16', /int128/],
    ['<x4', /unknown/],
  ] as const) {
    throwsCode(() => readNpy(npyFile(hdr(descr, '(1,)'), new Uint8Array(16))), FileFormatError, 'NPY_UNSUPPORTED_DTYPE', new RegExp(`'${descr.replace(/[[\]|]/g, '\\$&')}'`), pattern);
  }
  throwsCode(
    () => readNpy(npyFile("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))),
    FileFormatError,
    'NPY_UNSUPPORTED_DTYPE',
    /structured .* fields x, y/,
  );
});

test('readNpy reports truncated files with expected and actual byte counts', () => {
  const full = b64(NUMPY.f32);
  const err = throwsCode(() => readNpy(full.subarray(0, full.length - 3), { fileName: 'w.npy' }), FileFormatError, 'FILE_TRUNCATED', /needs 24 bytes/, /only 21/, /\(2, 3\)/);
  assert.equal(err.details['expectedBytes'], 24);
  assert.equal(err.details['actualBytes'], 21);
  throwsCode(() => readNpy(full.subarray(0, 60)), FileFormatError, 'FILE_TRUNCATED', /header/);
  throwsCode(() => readNpy(full.subarray(0, 9)), FileFormatError, 'FILE_TRUNCATED', /header length/);
});

test('readNpy checks the element count against limits before allocating', () => {
  // 2^40 elements declared, 4 bytes present: refused as a limit, not an allocation failure.
  throwsCode(() => readNpy(npyFile(hdr('<f4', '(1048576, 1048576)'), [0, 0, 0, 0])), LimitError, 'LIMIT_EXCEEDED', /over the limit of 2147483648/);
  throwsCode(() => readNpy(npyFile(hdr('|u1', '(9007199254740991, 9007199254740991)'), [0])), LimitError, 'LIMIT_EXCEEDED', /more than 2\^53/);
  throwsCode(() => readNpy(b64(NUMPY.f32), { maxElements: 5 }), LimitError, 'LIMIT_EXCEEDED', /\(2, 3\) holds 6 elements, over the limit of 5/);
  assert.equal(readNpy(b64(NUMPY.f32), { maxElements: 6 }).data.length, 6);
  // Under the limit but beyond the bytes present: truncated, still before allocating.
  throwsCode(() => readNpy(npyFile(hdr('<f8', '(100000000,)'), [0])), FileFormatError, 'FILE_TRUNCATED', /800000000 bytes/);
  throwsCode(() => readNpy(b64(NUMPY.f32), { maxElements: -1 }), ArgumentError, 'BAD_ARGUMENT');
});

test('readNpy copies: the result shares no memory with the input, whatever its alignment', () => {
  const file = b64(NUMPY.bei4);
  const shifted = new Uint8Array(file.length + 3);
  shifted.set(file, 3);
  const input = shifted.subarray(3); // data no longer 4-byte aligned
  const a = readNpy(input);
  assert.deepEqual(values(a.data), [1, -2, 300, -40000]);
  input.fill(0);
  assert.deepEqual(values(a.data), [1, -2, 300, -40000]);
  // A Node Buffer input (whose slice() is a view) is copied too.
  const buf = Buffer.from(b64(NUMPY.f32));
  const f = readNpy(buf);
  buf.fill(0);
  assert.deepEqual(values(f.data), [-1, -0.5, 0, 0.5, 1, 1.5]);
});

test('isNpy sniffs the magic string', () => {
  assert.equal(isNpy(b64(NUMPY.f32)), true);
  assert.equal(isNpy(new Uint8Array([0x93, 0x4e, 0x55])), false);
  assert.equal(isNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0])), false);
});

test('float16 encoding rounds to nearest even exactly as numpy does', () => {
  // numpy: np.array(vals, 'f4').astype('f2').view('u2')
  const vals = [
    0, -0, 1, -2.5, 0.10000000149011612, 0.3333333432674408, 65504, 65519.99609375, 65520, 1e6, -1e6, 5.99999978589949e-8,
    2.9802322387695312e-8, 2.980232594040899e-8, 8.940696716308594e-8, 1.4901161193847656e-7, 1.000000013351432e-10,
    6.103515625e-5, 6.097555160522461e-5, Infinity, -Infinity, 2049, 2051, 2051, 1.0009765625, 1.00048828125, 1.00146484375,
    3.141590118408203,
  ];
  const bits = [
    0, 32768, 15360, 49408, 11878, 13653, 31743, 31743, 31744, 31744, 64512, 1, 0, 1, 2, 2, 0, 1024, 1023, 31744, 64512, 26624,
    26626, 26626, 15361, 15360, 15362, 16968,
  ];
  assert.deepEqual(Array.from(encodeFloat16(new Float32Array(vals))), bits);
  const nan = encodeFloat16(new Float32Array([NaN]))[0]!;
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0);
  // Every non-NaN half survives decode -> encode.
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = encodeFloat16(decodeFloat16(all));
  for (let i = 0; i < 65536; i++) {
    if ((i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0) continue;
    assert.equal(back[i], i, `half 0x${i.toString(16)}`);
  }
});

test('writeNpy validates its input and writes version 2.0 for huge headers', () => {
  throwsCode(() => writeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) }), ArgumentError, 'BAD_ARGUMENT', /Float32Array/, /Float64Array/);
  throwsCode(() => writeNpy({ dtype: 'int64', shape: [2], data: new Int32Array(2) }), ArgumentError, 'BAD_ARGUMENT', /BigInt64Array/);
  throwsCode(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }), ArgumentError, 'SHAPE_MISMATCH', /\(2, 2\) holds 4 values/);
  throwsCode(() => writeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(0) }), ArgumentError, 'BAD_ARGUMENT', /non-negative integers/);
  throwsCode(() => writeNpy({ dtype: 'complex64' as NpyDtype, shape: [0], data: new Float32Array(0) }), ArgumentError, 'BAD_ARGUMENT', /unknown dtype/);

  // 30000 axes of length 1: the header no longer fits a 16-bit length.
  const shape = new Array<number>(30000).fill(1);
  const big = writeNpy({ dtype: 'float64', shape, data: new Float64Array([Math.PI]) });
  assert.equal(big[6], 2);
  const hlen = big[8]! | (big[9]! << 8) | (big[10]! << 16) | (big[11]! << 24);
  assert.ok(hlen > 65535);
  assert.equal((12 + hlen) % 64, 0);
  const back = readNpy(big);
  assert.equal(back.shape.length, 30000);
  assert.deepEqual(values(back.data), [Math.PI]);
});

test('toFloat32 converts every dtype', () => {
  const f32 = readNpy(b64(NUMPY.f32));
  assert.equal(toFloat32(f32), f32.data, 'float32 data is returned as is');
  assert.deepEqual(Array.from(toFloat32(readNpy(b64(NUMPY.bei8)))), [-(2 ** 63), 2 ** 63, -1, 5]);
  assert.deepEqual(Array.from(toFloat32(readNpy(b64(NUMPY.beu2F)))), [1, 2, 3, 400, 500, 60000]);
  assert.deepEqual(Array.from(toFloat32(readNpy(b64(NUMPY.bef8F))).subarray(0, 3)), [-3, -1.75, -0.5]);
  assert.deepEqual(Array.from(toFloat32({ data: new Uint8Array([0, 255]) })), [0, 255]);
});

test('toLabels accepts class indices and one-hot rows', () => {
  const lab = (dtype: NpyDtype, shape: number[], data: NpyData): Int32Array => toLabels({ dtype, shape, data });
  assert.deepEqual(Array.from(lab('int64', [3], new BigInt64Array([2n, 0n, 1n]))), [2, 0, 1]);
  assert.deepEqual(Array.from(lab('uint8', [3], new Uint8Array([9, 0, 255]))), [9, 0, 255]);
  assert.deepEqual(Array.from(lab('bool', [2], new Uint8Array([1, 0]))), [1, 0]);
  assert.deepEqual(Array.from(lab('float64', [3, 1], new Float64Array([3, 1, 0]))), [3, 1, 0]);
  assert.deepEqual(Array.from(lab('float32', [3, 3], new Float32Array([0, 1, 0, 1, 0, 0, 0, 0, 1]))), [1, 0, 2]);
  assert.deepEqual(Array.from(lab('int32', [2, 2], new Int32Array([0, 1, 1, 0]))), [1, 0]);
  assert.deepEqual(Array.from(lab('bool', [1, 4], new Uint8Array([0, 0, 0, 1]))), [3]);
  assert.equal(lab('float32', [0], new Float32Array(0)).length, 0);

  const bad = (dtype: NpyDtype, shape: number[], data: NpyData, index: number | undefined, pattern: RegExp): void => {
    const err = throwsCode(() => toLabels({ dtype, shape, data }, { name: 'y.npy' }), ArgumentError, 'LABEL_MISMATCH', /^y\.npy: /, pattern);
    assert.equal(err.details['index'], index);
  };
  bad('float32', [3], new Float32Array([1, 2.5, 0]), 1, /label 1 is 2\.5/);
  bad('int32', [3], new Int32Array([1, 0, -1]), 2, /label 2 is -1/);
  bad('float64', [2], new Float64Array([0, NaN]), 1, /NaN/);
  bad('int64', [1], new BigInt64Array([2n ** 40n]), 0, /below 2\^31/);
  bad('float32', [2, 3], new Float32Array([0, 1, 0, 0.9, 0.1, 0]), 1, /row 1 .* not one-hot: \[0\.9/);
  bad('int8', [2, 2], new Int8Array([1, 1, 0, 1]), 0, /row 0 .* not one-hot/);
  bad('float32', [2, 2], new Float32Array([0, 1, 0, 0]), 1, /row 1 .* all zeros/);
  bad('float32', [1, 1, 2], new Float32Array(2), undefined, /\(1, 1, 2\)/);
  bad('float32', [], new Float32Array(1), undefined, /\(\)/);
  bad('float32', [2, 0], new Float32Array(0), undefined, /at least one class/);
});

// ---------------------------------------------------------------------------------------------
// Property tests (fixed seeds, bounded runs).

const DTYPES: NpyDtype[] = ['float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'];
const ITEM: Record<NpyDtype, number> = { float16: 2, float32: 4, float64: 8, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1 };
const DESCR_CODE: Record<NpyDtype, string> = { float16: 'f2', float32: 'f4', float64: 'f8', int8: 'i1', int16: 'i2', int32: 'i4', int64: 'i8', uint8: 'u1', uint16: 'u2', uint32: 'u4', uint64: 'u8', bool: 'b1' };

function arbData(dtype: NpyDtype, n: number): fc.Arbitrary<NpyData> {
  const list = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(a, { minLength: n, maxLength: n });
  switch (dtype) {
    case 'float16':
      return list(fc.integer({ min: 0, max: 0xffff })).map((b) => decodeFloat16(Uint16Array.from(b)));
    case 'float32':
      return list(fc.float()).map((v) => Float32Array.from(v));
    case 'float64':
      return list(fc.double()).map((v) => Float64Array.from(v));
    case 'int8':
      return list(fc.integer({ min: -128, max: 127 })).map((v) => Int8Array.from(v));
    case 'int16':
      return list(fc.integer({ min: -32768, max: 32767 })).map((v) => Int16Array.from(v));
    case 'int32':
      return list(fc.integer()).map((v) => Int32Array.from(v));
    case 'int64':
      return list(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((v) => BigInt64Array.from(v));
    case 'uint8':
      return list(fc.integer({ min: 0, max: 255 })).map((v) => Uint8Array.from(v));
    case 'uint16':
      return list(fc.integer({ min: 0, max: 65535 })).map((v) => Uint16Array.from(v));
    case 'uint32':
      return list(fc.integer({ min: 0, max: 2 ** 32 - 1 })).map((v) => Uint32Array.from(v));
    case 'uint64':
      return list(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map((v) => BigUint64Array.from(v));
    case 'bool':
      return list(fc.boolean()).map((v) => Uint8Array.from(v, (b) => (b ? 1 : 0)));
  }
}

const arbArray: fc.Arbitrary<{ dtype: NpyDtype; shape: number[]; data: NpyData }> = fc
  .record({ dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
  .chain(({ dtype, shape }) => arbData(dtype, shape.reduce((a, b) => a * b, 1)).map((data) => ({ dtype, shape, data })));

/** Element-wise equality that treats NaN as equal to NaN and tells -0 from 0. */
function sameValues(a: NpyData, b: NpyData): boolean {
  if (a.length !== b.length || a.constructor !== b.constructor) return false;
  const x = a as ArrayLike<number | bigint>;
  const y = b as ArrayLike<number | bigint>;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** The file bytes of a C-order array stored in another layout, written independently of npy.ts. */
function storeAs(arr: { dtype: NpyDtype; shape: number[]; data: NpyData }, bigEndian: boolean, fortran: boolean): Uint8Array {
  const { dtype, shape } = arr;
  const size = ITEM[dtype];
  const le = writeNpy(arr);
  const body = le.subarray(le.length - arr.data.length * size); // little-endian C-order values
  const n = arr.data.length;
  const out = new Uint8Array(n * size);
  for (let f = 0; f < n; f++) {
    // Fortran linear index f -> multi-index (axis 0 fastest) -> C linear index c.
    let rest = f;
    let c = 0;
    const idx = shape.map((d) => {
      const i = rest % d;
      rest = Math.floor(rest / d);
      return i;
    });
    for (let a = 0; a < shape.length; a++) c = c * shape[a]! + idx[a]!;
    const src = fortran ? c : f;
    for (let k = 0; k < size; k++) out[f * size + k] = body[src * size + (bigEndian ? size - 1 - k : k)]!;
  }
  const order = size === 1 ? '|' : bigEndian ? '>' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return npyFile(hdr(order + DESCR_CODE[dtype], shapeText, fortran ? 'True' : 'False'), out);
}

test('property: every dtype, shape and layout round-trips', () => {
  fc.assert(
    fc.property(arbArray, fc.boolean(), fc.boolean(), (arr, bigEndian, fortran) => {
      const direct = readNpy(writeNpy(arr));
      assert.equal(direct.dtype, arr.dtype);
      assert.deepEqual(direct.shape, arr.shape);
      assert.ok(sameValues(direct.data, arr.data));
      const other = readNpy(storeAs(arr, bigEndian, fortran));
      assert.equal(other.fortranOrder, fortran);
      assert.deepEqual(other.shape, arr.shape);
      assert.ok(sameValues(other.data, arr.data), `${arr.dtype} ${JSON.stringify(arr.shape)} be=${bigEndian} F=${fortran}`);
    }),
    { numRuns: 300, seed: 20240611 },
  );
});

test('property: mutated files either parse or throw a ConvscopeError', () => {
  const seeds: Uint8Array[] = [
    b64(NUMPY.f32),
    b64(NUMPY.bef8F),
    b64(NUMPY.v3),
    b64(NUMPY.bef2),
    writeNpy({ dtype: 'int16', shape: [3, 2], data: new Int16Array([1, 2, 3, 4, 5, 6]) }),
  ];
  const mutation = fc.oneof(
    // overwrite a byte, mostly inside the header where parsing happens
    fc.record({ kind: fc.constant('set' as const), at: fc.nat({ max: 140 }), value: fc.nat({ max: 255 }) }),
    // write a header-ish character
    fc.record({ kind: fc.constant('char' as const), at: fc.nat({ max: 140 }), value: fc.constantFrom(...Array.from("{}()[],:'\"0123456789-.LTFN \n\\", (c) => c.charCodeAt(0))) }),
    // truncate
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: 400 }), value: fc.constant(0) }),
    // insert a byte
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: 140 }), value: fc.nat({ max: 255 }) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, muts) => {
      let bytes = Uint8Array.from(seed);
      for (const m of muts) {
        const at = Math.min(m.at, bytes.length);
        if (m.kind === 'cut') bytes = bytes.subarray(0, at);
        else if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), m.value, ...bytes.subarray(at)]);
        else if (at < bytes.length) bytes[at] = m.value;
      }
      let result: NpyArray | undefined;
      try {
        result = readNpy(bytes, { maxElements: 1 << 20 });
      } catch (e) {
        assert.ok(e instanceof ConvscopeError, `non-ConvscopeError: ${String(e)}`);
        return;
      }
      assert.equal(result.data.length, result.shape.reduce((a, b) => a * b, 1));
    }),
    { numRuns: 300, seed: 7 },
  );
});
