import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { ConvscopeError, FileFormatError, LimitError, type ErrorCode } from '../errors.js';
import { fixture, haveFixtures } from '../../test/fixtures.js';
import { readNpy, writeNpy, type NpyData } from './npy.js';
import { readNpz } from './npz.js';

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const values = (d: NpyData | undefined): (number | bigint)[] => Array.from((d ?? []) as ArrayLike<number | bigint>);

// numpy 2.4.6: np.savez(f, x=np.arange(6, dtype='<i2').reshape(2, 3), y=np.array([0.25, -1.5], dtype='<f4')).
// Its local headers carry ZIP64 extra fields (numpy writes with force_zip64=True).
const SAVEZ =
  'UEsDBC0AAAAAAAAAIQAaTph+//////////8FABQAeC5ucHkBABAAjAAAAAAAAACMAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpMicsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAABAAIAAwAEAAUAUEsDBC0AAAAAAAAAIQDp2zM8//////////8FABQAeS5ucHkBABAAiAAAAAAAAACIAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAACAPgAAwL9QSwECLQMtAAAAAAAAACEAGk6YfowAAACMAAAABQAAAAAAAAAAAAAAgAEAAAAAeC5ucHlQSwECLQMtAAAAAAAAACEA6dszPIgAAACIAAAABQAAAAAAAAAAAAAAgAHDAAAAeS5ucHlQSwUGAAAAAAIAAgBmAAAAggEAAAAA';
// The same arrays with np.savez_compressed.
const SAVEZ_COMPRESSED =
  'UEsDBC0AAAAIAAAAIQAaTph+//////////8FABQAeC5ucHkBABAAjAAAAAAAAABSAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaSuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CsaaOgq1CmQDLgYGRgYmBmYGFgZWBgBQSwMELQAAAAgAAAAhAOnbMzz//////////wUAFAB5Lm5weQEAEACIAAAAAAAAAEwAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoq6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaRjqaOgq1ChQALgaGBjsGhgP7AVBLAQItAy0AAAAIAAAAIQAaTph+UgAAAIwAAAAFAAAAAAAAAAAAAACAAQAAAAB4Lm5weVBLAQItAy0AAAAIAAAAIQDp2zM8TAAAAIgAAAAFAAAAAAAAAAAAAACAAYkAAAB5Lm5weVBLBQYAAAAAAgACAGYAAAAMAQAAAAA=';

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

test('readNpz reads np.savez and np.savez_compressed archives', () => {
  for (const file of [SAVEZ, SAVEZ_COMPRESSED]) {
    const m = readNpz(b64(file));
    assert.deepEqual([...m.keys()], ['x', 'y']);
    const x = m.get('x')!;
    assert.equal(x.dtype, 'int16');
    assert.deepEqual(x.shape, [2, 3]);
    assert.ok(x.data instanceof Int16Array);
    assert.deepEqual(values(x.data), [0, 1, 2, 3, 4, 5]);
    const y = m.get('y')!;
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(values(y.data), [0.25, -1.5]);
  }
});

test('readNpz reads the theta_sim fixture (4 arrays, 98 MB inflated)', { skip: !haveFixtures }, () => {
  const m = readNpz(readFileSync(fixture('popgen', 'theta_sim.npz')), { fileName: 'theta_sim.npz' });
  assert.deepEqual([...m.keys()], ['xtrain', 'xtest', 'ytest', 'ytrain']);
  const sum = (d: NpyData): number => {
    let s = 0;
    if (d instanceof Int8Array) for (let i = 0; i < d.length; i++) s += d[i]!;
    else if (d instanceof Float64Array) for (let i = 0; i < d.length; i++) s += d[i]!;
    else assert.fail(`unexpected ${d.constructor.name}`);
    return s;
  };
  const xtrain = m.get('xtrain')!;
  assert.equal(xtrain.dtype, 'int8');
  assert.deepEqual(xtrain.shape, [4000, 489, 40]);
  assert.ok(xtrain.data instanceof Int8Array);
  assert.equal(sum(xtrain.data), 4629663); // numpy: d['xtrain'].sum()
  assert.deepEqual(values(xtrain.data.subarray(80, 88)), [1, 1, 0, 0, 1, 1, 0, 1]); // xtrain[0, 2, :8]
  const xtest = m.get('xtest')!;
  assert.deepEqual(xtest.shape, [1000, 489, 40]);
  assert.equal(sum(xtest.data), 1185277);
  const ytest = m.get('ytest')!;
  assert.equal(ytest.dtype, 'float64');
  assert.deepEqual(ytest.shape, [1000]);
  // Values are read bit-exactly; sums differ from numpy's pairwise sum by rounding only (tolerance 1e-9 relative).
  assert.deepEqual(values(ytest.data.subarray(0, 3)), [45.26656850139018, 40.94401504658637, 22.832249597526]);
  assert.ok(Math.abs(sum(ytest.data) - 29958.460918272638) < 29958 * 1e-9);
  const ytrain = m.get('ytrain')!;
  assert.deepEqual(ytrain.shape, [4000]);
  assert.deepEqual(values(ytrain.data.subarray(3998)), [41.99162956273578, 10.508966782422458]);
  assert.ok(Math.abs(sum(ytrain.data) - 119354.07511159818) < 119354 * 1e-9);
});

test('readNpz round-trips writeNpy output, aligned or not', () => {
  const a = { dtype: 'float64' as const, shape: [2, 2], data: new Float64Array([1, -2, 3.5, Math.E]) };
  const b = { dtype: 'uint64' as const, shape: [3], data: new BigUint64Array([0n, 1n, 2n ** 64n - 1n]) };
  // A hand-made 1.0 file whose header length puts float64 data at offset 83 (not a multiple of 8).
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  const odd = new Uint8Array(10 + header.length + 16 + 16);
  const hlen = header.length + 16;
  odd.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hlen & 0xff, hlen >> 8]);
  odd.set(new TextEncoder().encode(header.padEnd(hlen - 1, ' ') + '\n'), 10);
  new DataView(odd.buffer).setFloat64(10 + hlen, 0.1, true);
  new DataView(odd.buffer).setFloat64(18 + hlen, -7, true);
  assert.notEqual((10 + hlen) % 8, 0);

  const zip = zipSync({ 'a.npy': writeNpy(a), 'nested/b.npy': [writeNpy(b), { level: 0 }], 'odd.npy': odd });
  const m = readNpz(zip);
  assert.deepEqual([...m.keys()], ['a', 'nested/b', 'odd']);
  assert.deepEqual(values(m.get('a')!.data), values(a.data));
  assert.deepEqual(values(m.get('nested/b')!.data), values(b.data));
  assert.deepEqual(values(m.get('odd')!.data), [0.1, -7]);
  assert.deepEqual(values(readNpy(odd).data), [0.1, -7]);
});

test('readNpz skips macOS metadata and refuses entries that are not .npy files', () => {
  const npy = writeNpy({ dtype: 'int8', shape: [2], data: new Int8Array([5, -5]) });
  const m = readNpz(zipSync({ 'v.npy': npy, '__MACOSX/._v.npy': new Uint8Array([0, 5, 22, 7]) }));
  assert.deepEqual([...m.keys()], ['v']);
  throwsCode(
    () => readNpz(zipSync({ 'v.npy': npy, 'README.txt': new TextEncoder().encode('hi') }), { fileName: 'r.npz' }),
    FileFormatError,
    'NPZ_BAD_ENTRY',
    /^r\.npz: entry 'README\.txt' is not a \.npy file/,
  );
});

test('readNpz reports errors of an entry with the archive and entry names', () => {
  // A 1.0 file with a 118-byte header (magic, version, length, the dict padded to 128 bytes in all).
  const text = "\x93NUMPY\x01\x00\x76\x00" + "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".padEnd(117, ' ') + '\n';
  const pickled = Uint8Array.from(text + '\x80\x02N.', (c) => c.charCodeAt(0));
  throwsCode(() => readNpz(zipSync({ 'obj.npy': pickled }), { fileName: 'd.npz' }), FileFormatError, 'NPY_PICKLE', /^d\.npz:obj\.npy: /, /never unpickles/);
  const big = writeNpy({ dtype: 'float32', shape: [10, 10], data: new Float32Array(100) });
  throwsCode(() => readNpz(zipSync({ 'w.npy': big }), { maxElements: 99 }), LimitError, 'LIMIT_EXCEEDED', /w\.npy/, /100 elements/);
  throwsCode(() => readNpz(zipSync({ 'w.npy': big }), { maxTotalBytes: 300 }), LimitError, 'ZIP_BOMB');
  throwsCode(() => readNpz(zipSync({ 'w.npy': big, 'v.npy': big }), { maxEntries: 1 }), LimitError, 'ZIP_BOMB');
  throwsCode(() => readNpz(zipSync({ '../w.npy': big })), FileFormatError, 'ZIP_UNSAFE_PATH');
  throwsCode(() => readNpz(big, { fileName: 'w.npy' }), FileFormatError, 'ZIP_CORRUPT', /^w\.npy: /);
});
