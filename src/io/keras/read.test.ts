import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, ConvscopeError, FileFormatError } from '../../errors.js';
import { createRng } from '../../random.js';
import { fixture, fixturesDir, haveFixtures } from '../../../test/fixtures.js';
import { sizeOf } from '../../tensor.js';
import { makeHdf5, ramp } from '../hdf5-make.testutil.js';
import { readKeras, tfjsShardPaths, type KerasInputFile } from './read.js';

const skip = !haveFixtures && 'shared fixtures not found';

interface ManifestRow {
  readonly id: string;
  readonly format: string;
  readonly kerasVersion: string;
}

/** MANIFEST.tsv rows; the format column may carry a note in parentheses, the version a suffix. */
function manifest(): ManifestRow[] {
  const [header, ...lines] = readFileSync(fixture('MANIFEST.tsv'), 'utf8').trim().split('\n');
  const cols = header!.split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    const get = (name: string): string => cells[cols.indexOf(name)]!;
    return { id: get('fixture_id'), format: get('format').replace(/\(.*$/, '').trim(), kerasVersion: get('keras_version').split(' ')[0]! };
  });
}

interface Golden {
  source_files: string[];
  layers: { name: string; params: number }[];
}

/** The model files of a fixture (golden.json `source_files`), in reverse order: order must not matter. */
function modelFiles(golden: Golden): KerasInputFile[] {
  return golden.source_files.map((p) => ({ name: basename(p), bytes: readFileSync(fixture(p)) })).reverse();
}

test('every fixture in MANIFEST.tsv reads: format, Keras version, and per-layer weight counts match the goldens', { skip }, async () => {
  const rows = manifest();
  assert.ok(rows.length >= 19, `${rows.length} fixtures in ${fixturesDir}`);
  for (const row of rows) {
    const golden = JSON.parse(readFileSync(fixture('goldens', row.id, 'golden.json'), 'utf8')) as Golden;
    const a = await readKeras(modelFiles(golden));
    assert.equal(a.format, row.format, row.id);
    assert.equal(a.kerasVersion, row.kerasVersion, row.id);
    const known = new Set(golden.layers.map((l) => l.name));
    for (const name of a.weights.keys()) assert.ok(known.has(name), `${row.id}: weights for unknown layer '${name}'`);
    for (const layer of golden.layers) {
      const ws = a.weights.get(layer.name) ?? [];
      let count = 0;
      for (const w of ws) {
        assert.ok(w.tensor.data instanceof Float32Array, `${row.id}/${w.name}`);
        assert.equal(w.tensor.data.length, sizeOf(w.tensor.shape), `${row.id}/${w.name}`);
        count += w.tensor.data.length;
      }
      assert.equal(count, layer.params, `${row.id}: layer '${layer.name}' has ${count} weight values, golden says ${layer.params}`);
    }
  }
});

test('the two Lambda fixtures read (refusing them is the translator job)', { skip }, async () => {
  const h5 = await readKeras([{ name: 'model.h5', bytes: readFileSync(fixture('keras', 'keras2.0-carnd-p3-lambda', 'model.h5')) }]);
  const layers = h5.modelConfig.config as { class_name: string }[]; // Keras 2.0 Sequential: a bare list
  assert.equal(layers[0]!.class_name, 'Lambda');
  assert.equal(h5.weights.has('lambda_1'), false);
  const json = await readKeras([
    { name: 'model.json', bytes: readFileSync(fixture('keras', 'keras1.2-carnd-weights-json-lambda', 'model.json')) },
    { name: 'model.h5', bytes: readFileSync(fixture('keras', 'keras1.2-carnd-weights-json-lambda', 'model.h5')) },
  ]);
  assert.equal((json.modelConfig.config as { class_name: string }[])[0]!.class_name, 'Lambda');
});

test('truncated copies of real files give FILE_TRUNCATED (HDF5) or a typed zip error, quickly', { skip }, async () => {
  const h5 = readFileSync(fixture('keras', 'keras2.3-mnist-functional', 'mnist_cnn.h5'));
  for (const n of [0, 8, 100, 1000, Math.floor(h5.length / 2), h5.length - 1]) {
    const t0 = Date.now();
    await assert.rejects(readKeras([{ name: 'mnist_cnn.h5', bytes: h5.subarray(0, n) }]), (e: unknown) => {
      assert.ok(e instanceof FileFormatError, `${n}: ${String(e)}`);
      assert.equal(e.code, 'FILE_TRUNCATED', `size ${n}`);
      assert.match(e.message, /mnist_cnn\.h5/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000, `size ${n} took ${Date.now() - t0} ms`);
  }
  const zip = readFileSync(fixture('keras', 'keras3.13-mnist-zip', 'model.keras'));
  for (const n of [8, 1000, Math.floor(zip.length / 2), zip.length - 1]) {
    await assert.rejects(readKeras([{ name: 'model.keras', bytes: zip.subarray(0, n) }]), (e: unknown) => {
      assert.ok(e instanceof FileFormatError, `${n}: ${String(e)}`);
      assert.equal(e.code, 'ZIP_CORRUPT', `size ${n}`);
      assert.match(e.message, /truncated/);
      return true;
    });
  }
  const json = readFileSync(fixture('keras', 'tfjs-digits', 'model.json'));
  await assert.rejects(readKeras([{ name: 'model.json', bytes: json.subarray(0, json.length >> 1) }]), (e: unknown) => e instanceof FileFormatError && e.code === 'FILE_TRUNCATED');
});

test('garbage bytes: FILE_UNRECOGNISED naming the file and its first bytes', async () => {
  await assert.rejects(readKeras([{ name: 'model.h5', bytes: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0]) }]), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'FILE_UNRECOGNISED');
    assert.match(e.message, /'model\.h5'.*7f 45 4c 46 02 01 01 00 \("\.ELF\.\.\.\."\)/);
    return true;
  });
});

test('an architecture JSON without weights asks for the weights file', { skip }, async () => {
  const bytes = readFileSync(fixture('keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.json'));
  await assert.rejects(readKeras([{ name: 'cifar10_model.json', bytes }]), (e: unknown) => {
    assert.ok(e instanceof FileFormatError);
    assert.equal(e.code, 'KERAS_MISSING_FILE');
    assert.match(e.message, /'cifar10_model\.json' holds only the architecture/);
    assert.match(e.message, /--weights weights\.h5/);
    return true;
  });
});

test('a non-Keras HDF5 file through readKeras: HDF5_NOT_KERAS', async () => {
  const bytes = await makeHdf5({ groups: { inputs: { datasets: { x: ramp([2, 3]) } } } });
  await assert.rejects(readKeras([{ name: 'inputs.h5', bytes }]), (e: unknown) => e instanceof FileFormatError && e.code === 'HDF5_NOT_KERAS');
});

test('files of two models, or a stray file next to a TensorFlow.js model, are argument errors', { skip }, async () => {
  const a = readFileSync(fixture('keras', 'keras2.3-mnist-functional', 'mnist_cnn.h5'));
  const b = readFileSync(fixture('keras', 'keras3.13-mnist-zip', 'model.keras'));
  await assert.rejects(readKeras([{ name: 'a.h5', bytes: a }, { name: 'b.keras', bytes: b }]), ArgumentError);
  await assert.rejects(readKeras([{ name: 'a.h5', bytes: a }, { name: 'c.h5', bytes: a }]), ArgumentError);
  const json = readFileSync(fixture('keras', 'tfjs-digits', 'model.json'));
  const shard = readFileSync(fixture('keras', 'tfjs-digits', 'group1-shard1of1.bin'));
  await assert.rejects(
    readKeras([{ name: 'model.json', bytes: json }, { name: 'group1-shard1of1.bin', bytes: shard }, { name: 'notes.bin', bytes: new Uint8Array(4) }]),
    (e: unknown) => e instanceof ArgumentError && /'notes\.bin' is not one of the weight shards/.test(e.message),
  );
  await assert.rejects(readKeras([]), ArgumentError);
  await assert.rejects(readKeras([{ name: 'a.h5', bytes: a }], { maxTensorElements: 0 }), ArgumentError);
});

test('a shard whose bytes happen to look like JSON is still a shard', { skip }, async () => {
  const json = readFileSync(fixture('keras', 'tfjs-digits', 'model.json'));
  const shard = new Uint8Array(readFileSync(fixture('keras', 'tfjs-digits', 'group1-shard1of1.bin')));
  shard[0] = 0x7b; // '{': the low byte of the first float
  const a = await readKeras([{ name: 'model.json', bytes: json }, { name: 'group1-shard1of1.bin', bytes: shard }]);
  assert.equal(a.format, 'tfjs-layers');
  assert.deepEqual(tfjsShardPaths(json, 'model.json'), ['group1-shard1of1.bin']);
});

test('randomly damaged HDF5 bytes (seeded) end in success or a typed error, never a raw exception', { skip }, async () => {
  const full = readFileSync(fixture('keras', 'keras2.1-dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
  const rng = createRng(20240611);
  const codes = new Map<string, number>();
  for (let it = 0; it < 60; it++) {
    const bytes = new Uint8Array(full);
    const flips = 1 + rng.int(8);
    for (let k = 0; k < flips; k++) bytes[rng.int(bytes.length)] = rng.int(256);
    try {
      await readKeras([{ name: 'damaged.h5', bytes }]);
      codes.set('ok', (codes.get('ok') ?? 0) + 1);
    } catch (e) {
      assert.ok(e instanceof ConvscopeError, `iteration ${it}: ${String(e)}`);
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
  }
  assert.ok(codes.size >= 2, JSON.stringify([...codes]));
});
