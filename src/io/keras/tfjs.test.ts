import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileFormatError, UnsupportedError } from '../../errors.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';
import { isListedShard, readTfjs, tfjsShardPaths } from './tfjs.js';

const skip = !haveFixtures && 'shared fixtures not found';

test('the converter fixture: Keras config unwrapped from model_config, weights by layer', { skip }, () => {
  const json = readFileSync(fixture('keras', 'tfjs-digits', 'model.json'));
  const shard = readFileSync(fixture('keras', 'tfjs-digits', 'group1-shard1of1.bin'));
  assert.deepEqual(tfjsShardPaths(json, 'model.json'), ['group1-shard1of1.bin']);
  const doc = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  const a = readTfjs(doc, 'model.json', [{ name: 'group1-shard1of1.bin', bytes: shard }]);
  assert.equal(a.format, 'tfjs-layers');
  assert.equal(a.kerasVersion, '2.12.0');
  assert.equal(a.backend, 'tensorflow');
  assert.equal(a.modelConfig.class_name, 'Sequential');
  assert.deepEqual([...a.weights.keys()], ['conv2d_2', 'conv2d_3', 'dense_4', 'dense_5']);
  assert.deepEqual(a.weights.get('dense_4')!.map((w) => w.name), ['dense_4/kernel', 'dense_4/bias']);
  // every byte of the shard is used exactly once (225034 float32 values)
  let n = 0;
  for (const ws of a.weights.values()) for (const w of ws) n += w.tensor.data.length;
  assert.equal(n * 4, shard.length);
  // the first value is the shard's first float, little-endian
  assert.equal(a.weights.get('conv2d_2')![0]!.tensor.data[0], new DataView(shard.buffer, shard.byteOffset).getFloat32(0, true));
});

/** A model.json with one Dense layer whose weights are spread over two shards in several encodings. */
function synthetic() {
  const topology = {
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 2 } }, { class_name: 'Sequential', config: { name: 'inner', layers: [{ class_name: 'Dense', config: { name: 'd2' } }] } }] },
    keras_version: 'tfjs-layers 4.20.0',
    backend: 'tensor_flow.js',
  };
  const doc = {
    format: 'layers-model',
    modelTopology: topology,
    weightsManifest: [
      {
        paths: ['./a%20b-shard1of2.bin', 'sub/shard2of2.bin'],
        weights: [
          { name: 'dense/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          { name: 'dense/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'inner/d2/kernel', shape: [3], dtype: 'int32' },
          { name: 'inner/d2/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 1 } },
        ],
      },
    ],
  };
  // bytes: 4 x uint8, 2 x float16, 3 x int32, 2 x uint16 = 4 + 4 + 12 + 4 = 24 bytes
  const all = new Uint8Array(24);
  const v = new DataView(all.buffer);
  [0, 1, 2, 255].forEach((q, i) => v.setUint8(i, q));
  v.setUint16(4, 0x3c00, true); // 1
  v.setUint16(6, 0xc000, true); // -2
  [7, -8, 9].forEach((x, i) => v.setInt32(8 + 4 * i, x, true));
  v.setUint16(20, 4, true);
  v.setUint16(22, 65535, true);
  return { doc, first: all.slice(0, 10), second: all.slice(10) };
}

test('dequantizes uint8/uint16 (q * scale + min) and float16, reads int32, concatenates shards in order', () => {
  const { doc, first, second } = synthetic();
  assert.deepEqual(tfjsShardPaths(JSON.stringify(doc), 'model.json'), ['./a%20b-shard1of2.bin', 'sub/shard2of2.bin']);
  const a = readTfjs(doc, 'model.json', [
    { name: 'sub/shard2of2.bin', bytes: second },
    { name: '/models/x/a b-shard1of2.bin', bytes: first },
  ]);
  assert.equal(a.kerasVersion, 'tfjs-layers 4.20.0');
  const [kernel, bias] = a.weights.get('dense')!;
  assert.deepEqual(Array.from(kernel!.tensor.data), [-1, -0.5, 0, 126.5]);
  assert.deepEqual(kernel!.tensor.shape, [2, 2]);
  assert.deepEqual(Array.from(bias!.tensor.data), [1, -2]);
  // weights of a nested model are keyed by the nested model's name
  const inner = a.weights.get('inner')!;
  assert.deepEqual(inner.map((w) => w.name), ['inner/d2/kernel', 'inner/d2/bias']);
  assert.deepEqual(Array.from(inner[0]!.tensor.data), [7, -8, 9]);
  assert.deepEqual(Array.from(inner[1]!.tensor.data), [2, 1 + 65535 * 0.25]);
});

test('a missing shard is KERAS_MISSING_FILE naming it; a short one FILE_TRUNCATED naming it', () => {
  const { doc, first, second } = synthetic();
  assert.throws(() => readTfjs(doc, 'model.json', [{ name: 'a b-shard1of2.bin', bytes: first }]), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_MISSING_FILE');
    assert.match(e.message, /'model\.json' needs the weight shard 'sub\/shard2of2\.bin'/);
    return true;
  });
  assert.throws(
    () => readTfjs(doc, 'model.json', [{ name: 'a b-shard1of2.bin', bytes: first }, { name: 'shard2of2.bin', bytes: second.subarray(0, 11) }]),
    (e: unknown) => {
      assert.ok(e instanceof FileFormatError);
      assert.equal(e.code, 'FILE_TRUNCATED');
      assert.match(e.message, /weight 'inner\/d2\/bias'.*'sub\/shard2of2\.bin' is probably truncated/s);
      return true;
    },
  );
});

test('graph models, string weights and malformed manifests are refused with typed errors', () => {
  assert.throws(() => readTfjs({ format: 'graph-model', modelTopology: { node: [] } }, 'model.json', []), UnsupportedError);
  const { doc } = synthetic();
  const strings = { ...doc, weightsManifest: [{ paths: ['s.bin'], weights: [{ name: 'dense/vocab', shape: [2], dtype: 'string' }] }] };
  assert.throws(() => readTfjs(strings, 'model.json', [{ name: 's.bin', bytes: new Uint8Array(16) }]), (e: unknown) => e instanceof UnsupportedError && /string/.test(e.message));
  assert.throws(() => tfjsShardPaths('{"weightsManifest": {"paths": 1}}', 'model.json'), (e: unknown) => e instanceof FileFormatError && e.code === 'KERAS_BAD_CONFIG');
  assert.deepEqual(tfjsShardPaths('{"class_name": "Sequential", "config": {}}', 'arch.json'), []);
});

test('isListedShard matches by path, path ending, URL-decoded and base name', () => {
  const paths = ['./group1-shard1of2.bin', 'w/my%20shard.bin'];
  assert.ok(isListedShard('group1-shard1of2.bin', paths));
  assert.ok(isListedShard('C:\\models\\w\\my shard.bin', paths));
  assert.ok(!isListedShard('other.bin', paths));
});
