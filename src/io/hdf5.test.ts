import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileFormatError, LimitError } from '../errors.js';
import { fixture, haveFixtures } from '../../test/fixtures.js';
import { halfToFloat, openHdf5, withHdf5 } from './hdf5.js';
import { findAllBytes, hdf5SignatureOffset, hdf5StoredEof, indexOfAll } from './hdf5-bytes.js';
import { createRng } from '../random.js';
import { makeHdf5, ramp } from './hdf5-make.testutil.js';

const skip = !haveFixtures && 'shared fixtures not found';

test('reads attributes, keys and float32 datasets of a real Keras file', { skip }, async () => {
  const bytes = readFileSync(fixture('keras', 'keras2.3-mnist-functional', 'mnist_cnn.h5'));
  await withHdf5(bytes, 'mnist_cnn.h5', (f) => {
    assert.equal(f.attr('/', 'keras_version'), '2.3.1');
    assert.equal(f.attr('/', 'backend'), 'tensorflow');
    assert.equal(f.attr('/', 'no_such_attr'), undefined);
    assert.deepEqual(f.keys('/'), ['model_weights', 'optimizer_weights']);
    assert.deepEqual(f.attr('/model_weights', 'layer_names'), [
      'input_1', 'conv2d_1', 'max_pooling2d_1', 'conv2d_2', 'max_pooling2d_2', 'flatten_1', 'dense_1', 'dense_2',
    ]);
    // an empty list is stored as an empty float64 array
    assert.deepEqual(f.attr('/model_weights/input_1', 'weight_names'), []);
    assert.equal(f.kind('/model_weights/conv2d_1'), 'group');
    assert.equal(f.kind('/model_weights/conv2d_1/conv2d_1/kernel:0'), 'dataset');
    assert.equal(f.kind('/model_weights/nope/deeper'), 'missing');
    assert.deepEqual(f.datasetInfo('/model_weights/conv2d_1/conv2d_1/kernel:0'), { shape: [3, 3, 1, 32], dtype: 'float32' });
    const k = f.readFloat32('model_weights/conv2d_1/conv2d_1/kernel:0', 1000);
    assert.deepEqual(k.shape, [3, 3, 1, 32]);
    assert.equal(k.data.length, 288);
    assert.ok(k.data.every(Number.isFinite));
    assert.ok(k.data.some((v) => v !== 0));
  });
});

test('converts float64 and int32 datasets to float32 and refuses datasets over the element limit', async () => {
  const bytes = await makeHdf5({
    datasets: {
      d64: { data: new Float64Array([1.5, -2.25, 1e-3, 3]), shape: [2, 2] },
      i32: { data: new Int32Array([1, -2, 3]), shape: [3] },
      big: ramp([10, 10]),
    },
  });
  await withHdf5(bytes, 'made.h5', (f) => {
    const d = f.readFloat32('/d64', 100);
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(d.shape, [2, 2]);
    assert.deepEqual(Array.from(d.data), [1.5, -2.25, Math.fround(1e-3), 3]);
    assert.deepEqual(Array.from(f.readFloat32('/i32', 100).data), [1, -2, 3]);
    assert.throws(() => f.readFloat32('/big', 99), (e: unknown) => e instanceof LimitError && e.code === 'LIMIT_EXCEEDED' && /\(10, 10\)/.test(e.message));
    assert.equal(f.readFloat32('/big', 100).data[99], 99);
  });
});

test('reads float16 datasets (written as float32, then the datatype message patched to IEEE half)', async () => {
  const halves = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff, 0, 0, 0, 0]);
  const bytes = await makeHdf5({ datasets: { h: { data: new Float32Array(halves.buffer), shape: [4] } } }, { earliest: true });
  // float32 datatype message (version 1, little-endian, sign bit 31, 4 bytes, 23-bit mantissa, bias 127) -> float16
  const f32 = [0x11, 0x20, 0x1f, 0x00, 0x04, 0, 0, 0, 0, 0, 0x20, 0, 0x17, 0x08, 0x00, 0x17, 0x7f, 0, 0, 0];
  const f16 = [0x11, 0x20, 0x0f, 0x00, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0x0a, 0x05, 0x00, 0x0a, 0x0f, 0, 0, 0];
  const at = bytes.findIndex((_, i) => f32.every((v, j) => bytes[i + j] === v));
  assert.ok(at > 0, 'float32 datatype message found');
  bytes.set(f16, at);
  await withHdf5(bytes, 'half.h5', (f) => {
    const h = f.readFloat32('/h', 10);
    assert.equal(h.dtype, 'float16');
    assert.deepEqual(Array.from(h.data), [1, -2, 0.5, 65504]);
  });
});

test('halfToFloat decodes IEEE half precision exactly', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

test('finds the superblock after a user block and reads the recorded end of file', async () => {
  const plain = await makeHdf5({ attrs: { a: 'x' } });
  assert.equal(hdf5SignatureOffset(plain), 0);
  assert.equal(hdf5StoredEof(plain, 0), plain.length);
  const withUserBlock = new Uint8Array(512 + plain.length);
  withUserBlock.set(plain, 512);
  assert.equal(hdf5SignatureOffset(withUserBlock), 512);
  assert.equal(hdf5StoredEof(withUserBlock, 512), null, 'left to HDF5 when there is a user block');
  await withHdf5(withUserBlock, 'ub.h5', (f) => assert.equal(f.attr('/', 'a'), 'x'));
  await assert.rejects(openHdf5(withUserBlock.subarray(0, withUserBlock.length - 10), 'ub.h5'), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_TRUNCATED' && /^Cannot open 'ub\.h5': HDF5 reports "truncated file/.test(e.message));
  assert.equal(hdf5SignatureOffset(new Uint8Array(2048)), -1);
});

test('truncated copies of a real file fail fast with FILE_TRUNCATED, never hang or crash', { skip }, async () => {
  const full = readFileSync(fixture('keras', 'keras2.1-dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
  for (const n of [8, 9, 12, 100, 1000, Math.floor(full.length / 2), full.length - 1]) {
    await assert.rejects(openHdf5(full.subarray(0, n), 'cnn.h5'), (e: unknown) => {
      assert.ok(e instanceof FileFormatError, `size ${n}: ${String(e)}`);
      assert.equal(e.code, 'FILE_TRUNCATED', `size ${n}`);
      assert.match(e.message, /'cnn\.h5'/);
      assert.match(e.message, /re-download or re-save it/);
      return true;
    });
  }
});

test('a damaged superblock that hides the truncation still gives a typed error, with HDF5 diagnostics captured', { skip }, async () => {
  const full = readFileSync(fixture('keras', 'keras2.1-dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
  const damaged = new Uint8Array(full.subarray(0, 5000));
  damaged.fill(0xff, 40, 48); // the end-of-file address: now "undefined", so only HDF5 can tell
  const printed: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  try {
    await assert.rejects(openHdf5(damaged, 'cnn.h5'), (e: unknown) => e instanceof FileFormatError && (e.code === 'HDF5_CORRUPT' || e.code === 'FILE_TRUNCATED'));
  } finally {
    console.error = original;
  }
  assert.deepEqual(printed, [], 'HDF5 diagnostics must not reach the console');
  // The library is still usable afterwards.
  await withHdf5(full, 'cnn.h5', (f) => assert.equal(f.attr('/', 'keras_version'), '2.1.3'));
});

test('non-HDF5 bytes are refused before h5wasm sees them', async () => {
  await assert.rejects(openHdf5(new Uint8Array(100), 'zeros.bin'), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_UNRECOGNISED');
});

test('close is idempotent and a closed file refuses further reads', async () => {
  const f = await openHdf5(await makeHdf5({ attrs: { a: 'x' } }), 'a.h5');
  assert.equal(f.attr('/', 'a'), 'x');
  f.close();
  f.close();
  assert.throws(() => f.keys('/'), FileFormatError);
});

test('findAllBytes finds every occurrence a naive scan finds, for several needles at once', () => {
  const rng = createRng(7);
  const naive = (b: Uint8Array, n: Uint8Array): number[] => {
    const out: number[] = [];
    for (let p = 0; p + n.length <= b.length; p++) if (n.every((v, i) => b[p + i] === v)) out.push(p);
    return out;
  };
  for (let trial = 0; trial < 300; trial++) {
    // Small alphabets make matches (and overlapping ones) common; needles of different lengths.
    const alphabet = 1 + (trial % 4);
    const bytes = Uint8Array.from({ length: Math.floor(rng.next() * 300) }, () => Math.floor(rng.next() * alphabet));
    const needles = Array.from({ length: 1 + (trial % 3) }, () => Uint8Array.from({ length: 1 + Math.floor(rng.next() * 6) }, () => Math.floor(rng.next() * alphabet)));
    assert.deepEqual(findAllBytes(bytes, needles), needles.map((n) => naive(bytes, n)), `trial ${trial}`);
    // Node's native search (indexOfAll), on a view into a larger buffer, agrees.
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    const view = padded.subarray(3, 3 + bytes.length);
    for (const n of needles) assert.deepEqual(indexOfAll(view, n), naive(bytes, n), `trial ${trial} (native)`);
  }
  const text = new TextEncoder().encode('xxbackend\0 weight_names\0backend\0');
  assert.deepEqual(findAllBytes(text, [new TextEncoder().encode('backend\0'), new TextEncoder().encode('weight_names\0')]), [[2, 24], [11]]);
  assert.throws(() => findAllBytes(text, [new Uint8Array(0)]), RangeError);
});
