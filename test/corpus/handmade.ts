// The hand-made files of the bad-input corpus (those that need no real fixture): their exact
// bytes, built here so that anyone can see and regenerate them. `test/corpus/files/` holds the
// committed copies; `node --import tsx test/corpus/handmade.ts` rewrites them, `--check` compares.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeHdf5, ramp } from '../../src/io/hdf5-make.testutil.js';
import { buildZip, concat } from './zip-writer.js';

/** Where the committed hand-made files live. */
export const HANDMADE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'files');

const enc = new TextEncoder();
const text = (s: string): Uint8Array => enc.encode(s);
/** Bytes of a string whose characters are bytes (\x00-\xff), as Python writes b'...'. */
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** A .npy file with the given header literal (padded as numpy pads it) and data bytes. */
export function npyBytes(header: string, data: Uint8Array = new Uint8Array(0), o: { magic?: string; major?: number; headerLength?: number } = {}): Uint8Array {
  const magic = o.magic ?? '\x93NUMPY';
  const major = o.major ?? 1;
  const lenBytes = major === 1 ? 2 : 4;
  let h = header;
  const total = 8 + lenBytes + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(8 + lenBytes);
  for (let i = 0; i < 6; i++) head[i] = magic.charCodeAt(i);
  head[6] = major;
  head[7] = 0;
  const len = o.headerLength ?? h.length;
  for (let i = 0; i < lenBytes; i++) head[8 + i] = (len >>> (8 * i)) & 0xff;
  const hb = new Uint8Array(h.length);
  for (let i = 0; i < h.length; i++) hb[i] = h.charCodeAt(i) & 0xff;
  return concat([head, hb, data]);
}

const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

/**
 * A protocol-2 pickle that, if anyone unpickled it, would run `touch <marker>` through
 * posix.system: the payload of a hostile object array. convscope must refuse it unread.
 */
export const PICKLE_MARKER = '/tmp/convscope-corpus-pwned';
function hostilePickle(): Uint8Array {
  const cmd = `touch ${PICKLE_MARKER}`;
  return concat([latin1('\x80\x02cposix\nsystem\nq\x00X'), new Uint8Array([cmd.length, 0, 0, 0]), latin1(cmd), latin1('q\x01\x85q\x02Rq\x03.')]);
}

/** A Keras 2 Sequential config: InputLayer, then the given layers. */
function sequential(layers: object[], inputShape: (number | null)[] = [null, 4]): string {
  return JSON.stringify({
    class_name: 'Sequential',
    keras_version: '2.3.1',
    backend: 'tensorflow',
    config: { name: 'sequential_1', layers: [{ class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: inputShape, dtype: 'float32' } }, ...layers] },
  });
}

/**
 * A Lambda as Keras 2 writes it: `function` holds base64 of marshalled Python bytecode (here
 * bytes standing in for a payload). convscope never decodes it, let alone runs it.
 */
const HOSTILE_LAMBDA = {
  class_name: 'Lambda',
  config: {
    name: 'lambda_1',
    trainable: true,
    function: ['4wEAAAAAAAAAAQAAAAMAAABDAAAAcw4AAAB0AGoBZAGDAQEAfABTACkCTnoedG91Y2ggL3RtcC9jb252c2NvcGUtbGFtYmRhLXB3bmVkKQLaAm9z2gZzeXN0ZW0pAdoBeKkAcgQAAAD6B2V4cGxvaXTaBGJvbWIBAAAAcwQAAAAAAQoB', null, null],
    function_type: 'lambda',
    module: '__main__',
    output_shape: null,
    arguments: {},
  },
};

/** Every hand-made file, by name. */
export async function handmadeFiles(): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const add = (name: string, bytes: Uint8Array): void => void files.set(name, bytes);
  const npyHeader = (descr: string, shape: string): string => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;

  // --- .npy ------------------------------------------------------------------------------------
  add('npy-bad-magic.npy', npyBytes(npyHeader('<f4', '(2,)'), f32(1, 2), { magic: '\x93NUMPX' }));
  add('npy-bad-version.npy', npyBytes(npyHeader('<f4', '(2,)'), f32(1, 2), { major: 9 }));
  add('npy-only-magic.npy', latin1('\x93NUMPY\x01\x00'));
  add('npy-header-past-end.npy', npyBytes(npyHeader('<f4', '(2,)'), f32(1, 2), { headerLength: 60000 }));
  add('npy-header-not-dict.npy', npyBytes("['<f4', False, (2,)]", f32(1, 2)));
  add('npy-header-python-code.npy', npyBytes("{'descr': __import__('os').system('touch /tmp/convscope-corpus-pwned'), 'fortran_order': False, 'shape': (2,), }", f32(1, 2)));
  add('npy-header-missing-shape.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, }", f32(1, 2)));
  add('npy-header-nesting-bomb.npy', npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(5000)}2${')'.repeat(5000)}, }`, f32(1, 2), { major: 2 }));
  add('npy-negative-dim.npy', npyBytes(npyHeader('<f4', '(-1, 2)'), f32(1, 2)));
  add('npy-fractional-dim.npy', npyBytes(npyHeader('<f4', '(2.5,)'), f32(1, 2)));
  add('npy-more-elements-than-bytes.npy', npyBytes(npyHeader('<f4', '(1000, 1000)'), f32(1, 2, 3, 4)));
  add('npy-absurd-elements.npy', npyBytes(npyHeader('<f4', '(65536, 65536, 65536)'), f32(1, 2)));
  add('npy-dims-near-2-53.npy', npyBytes(npyHeader('<f4', '(9007199254740991, 2)'), f32(1, 2)));
  add('npy-dim-over-2-53.npy', npyBytes(npyHeader('<f4', '(9007199254740993,)'), f32(1, 2)));
  add('npy-unicode.npy', npyBytes(npyHeader('<U5', '(1,)'), text('a\0\0\0b\0\0\0c\0\0\0d\0\0\0e\0\0\0')));
  add('npy-complex.npy', npyBytes(npyHeader('<c8', '(1,)'), f32(1, 2)));
  add('npy-datetime.npy', npyBytes(npyHeader('<M8[ns]', '(1,)'), f32(1, 2)));
  add('npy-structured.npy', npyBytes("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", f32(1, 2)));
  add('npy-object-hostile-pickle.npy', npyBytes(npyHeader('|O', '(1,)'), hostilePickle()));

  // --- .keras / zip ----------------------------------------------------------------------------
  const config = text(sequential([{ class_name: 'Dense', config: { name: 'dense_1', units: 2, activation: 'softmax', use_bias: true } }]));
  const meta = text(JSON.stringify({ keras_version: '3.3.3', date_saved: '2024-01-01@00:00:00' }));
  add('keras-zip-traversal.keras', buildZip([{ name: 'config.json', data: config }, { name: '../../.bashrc', data: text('echo pwned\n') }]));
  add('keras-zip-absolute-path.keras', buildZip([{ name: 'config.json', data: config }, { name: '/etc/cron.d/x', data: text('* * * * * root true\n') }]));
  add('keras-zip-bomb-declared.keras', buildZip([
    { name: 'config.json', data: config },
    { name: 'metadata.json', data: meta },
    // 4 MiB of zeros that claims 3.75 GiB: refused from the directory, before inflating.
    { name: 'model.weights.h5', data: new Uint8Array(4 << 20), size: 0xf0000000 },
  ]));
  add('keras-zip-bomb-lying.keras', buildZip([
    { name: 'config.json', data: config },
    { name: 'metadata.json', data: meta },
    // 16 MiB of zeros that claims 1000 bytes: inflating stops at the declared size.
    { name: 'model.weights.h5', data: new Uint8Array(16 << 20), size: 1000 },
  ]));
  add('keras-zip-overlapping.keras', buildZip([
    { name: 'config.json', data: config },
    { name: 'model.weights.h5', data: new Uint8Array(1 << 20) },
    { name: 'copy1.h5', data: new Uint8Array(1 << 20), shareDataWith: 1 },
  ]));
  add('keras-zip-encrypted.keras', buildZip([{ name: 'config.json', data: config, flags: 0x801 }]));
  add('keras-zip-bad-crc.keras', buildZip([{ name: 'config.json', data: config, crc: 0x12345678 }, { name: 'model.weights.h5', data: text('x') }]));
  add('keras-zip-no-config.keras', buildZip([{ name: 'metadata.json', data: meta }, { name: 'model.weights.h5', data: text('x') }]));
  add('keras-zip-pytorch.keras', buildZip([{ name: 'archive/data.pkl', data: latin1('\x80\x02}q\x00.') }, { name: 'archive/version', data: text('3\n') }]));
  add('keras-zip-no-weights.keras', buildZip([{ name: 'config.json', data: config }, { name: 'metadata.json', data: meta }]));

  // --- architecture JSON ------------------------------------------------------------------------
  add('json-syntax-error.json', text('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense",, }]}}'));
  add('json-truncated.json', text('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"na'));
  add('json-list.json', text('[1, 2, 3]'));
  add('json-not-a-model.json', text('{"loss": 0.25, "accuracy": 0.91}'));
  add('json-unknown-layer.json', text(sequential([{ class_name: 'QuantumConv2D', config: { name: 'qconv_1', qubits: 4 } }])));
  add('json-lambda-hostile.json', text(sequential([HOSTILE_LAMBDA, { class_name: 'Dense', config: { name: 'dense_1', units: 2, activation: 'softmax' } }])));
  add('json-bad-inbound.json', text(JSON.stringify({
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 4] }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'd', config: { name: 'd', units: 2 }, inbound_nodes: [[['nowhere', 0, 0, {}]]] },
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['d', 0, 0]],
    },
  })));
  add('json-negative-units.json', text(sequential([{ class_name: 'Dense', config: { name: 'dense_1', units: -3 } }])));

  // --- TensorFlow.js ----------------------------------------------------------------------------
  add('tfjs-graph-model.json', text(JSON.stringify({ format: 'graph-model', generatedBy: '2.12.0', modelTopology: { node: [] }, weightsManifest: [] })));
  add('tfjs-shard-outside-folder.json', text(JSON.stringify({
    format: 'layers-model',
    modelTopology: JSON.parse(sequential([{ class_name: 'Dense', config: { name: 'dense_1', units: 2 } }])),
    weightsManifest: [{ paths: ['../../../../etc/passwd'], weights: [{ name: 'dense_1/kernel', shape: [4, 2], dtype: 'float32' }] }],
  })));

  // --- not a model at all -----------------------------------------------------------------------
  add('empty.h5', new Uint8Array(0));
  add('git-lfs-pointer.h5', text('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2192680\n'));
  add('html-page.h5', text('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in to download.</body></html>\n'));
  add('pickle-model.h5', latin1('\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.'));
  add('hdf5-signature-only.h5', new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
  add('hdf5-not-keras.h5', await makeHdf5({ attrs: { title: 'plate 7 readings' }, datasets: { readings: ramp([4, 3]) } }, { earliest: true }));

  // --- ms-format ---------------------------------------------------------------------------------
  add('ms-bad-allele.ms', text('ms 3 1 -t 5\n1 2 3\n\n//\nsegsites: 3\npositions: 0.1 0.5 0.9\n010\n0N1\n111\n'));
  add('ms-positions-mismatch.ms', text('ms 2 1 -t 5\n1 2 3\n\n//\nsegsites: 3\npositions: 0.1 0.5\n010\n011\n'));
  add('ms-fewer-replicates.ms', text('ms 2 3 -t 5\n1 2 3\n\n//\nsegsites: 2\npositions: 0.1 0.5\n01\n11\n'));
  add('ms-huge-sample-size.ms', text('ms 999999999999 1 -t 5\n1 2 3\n\n//\nsegsites: 3\npositions: 0.1 0.5 0.9\n010\n'));
  add('ms-not-ms.txt', text('Epoch 1/10\nloss: 0.69 - accuracy: 0.51\nEpoch 2/10\nloss: 0.52 - accuracy: 0.74\n'));
  return files;
}

/** Writes the files (default) or, with `--check`, fails when a committed file differs. */
async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  const files = await handmadeFiles();
  await mkdir(HANDMADE_DIR, { recursive: true });
  let bad = 0;
  for (const [name, bytes] of files) {
    const path = join(HANDMADE_DIR, name);
    if (check) {
      const have = await readFile(path).catch(() => null);
      // HDF5 records creation times, so a rebuilt .h5 differs from the committed one byte-wise.
      const same = have !== null && (name.endsWith('.h5') && have.length > 8 ? have.length === bytes.length : Buffer.compare(have, bytes) === 0);
      if (!same) {
        process.stderr.write(`differs: ${name}\n`);
        bad++;
      }
    } else {
      await writeFile(path, bytes);
    }
  }
  process.stdout.write(`${check ? 'checked' : 'wrote'} ${files.size} files in ${HANDMADE_DIR}${bad > 0 ? `; ${bad} differ` : ''}\n`);
  return bad > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
