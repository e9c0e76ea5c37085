// The bad-input corpus: every broken or hostile input convscope must answer with a typed error
// (or, where stated, a warning), each with the expected code and a fragment of the message.
// Inputs come from the real fixtures damaged at test time (generate.ts), from the committed
// hand-made files in files/ (handmade.ts), or are built inline when they are large and regular.

import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode } from '../../src/errors.js';
import { readNpy, toLabels, writeNpy } from '../../src/io/npy.js';
import { readKeras, type ReadKerasOptions } from '../../src/io/keras/read.js';
import { openModel, referenceEngineFactory, type InputFile, type OpenModelOptions } from '../../src/model/open.js';
import { readMs } from '../../src/popgen/ms.js';
import { Dataset } from '../../src/methods/dataset.js';
import { openPath } from '../../src/node/open.js';
import { readFileLimited } from '../../src/node/files.js';
import { runCli } from '../cli-harness.js';
import { HANDMADE_DIR } from './handmade.js';
import { editJson, find, findFloats, patchText, poke, rezip, shrinkGlobalHeapFreeSpace, source, truncate, vlenLengthOffset, zipEntries } from './generate.js';

/** What a case must produce. */
export type Expectation =
  /** A ConvscopeError with this code whose message matches `fragment`. */
  | { readonly code: ErrorCode; readonly fragment: RegExp }
  /** No error, and a warning (returned by the case) matching `warn`. */
  | { readonly warn: RegExp }
  /** No error: damage that no format can detect (documented, not refused). */
  | { readonly opens: true; readonly why: string };

/** Per-run context: a private temporary folder for cases that need paths. */
export interface CaseContext {
  readonly tmp: string;
}

export interface CorpusCase {
  /** Stable id (kebab-case). */
  readonly id: string;
  /** Family: hdf5, keras-json, keras-zip, tfjs, npy, data, limits, files, ms. */
  readonly group: string;
  /** One line: what is wrong with the input. */
  readonly what: string;
  /** fixture: damaged at test time from ../shared/fixtures; file: committed in files/; inline: built in code. */
  readonly source: 'fixture' | 'file' | 'inline';
  readonly expect: Expectation;
  /** The input files (for model cases; also what generate.ts writes out). */
  readonly files?: () => InputFile[];
  /** Runs the input through convscope; returns a warning text for `warn` cases. */
  readonly run: (ctx: CaseContext) => Promise<unknown>;
}

const reference: OpenModelOptions = { engine: referenceEngineFactory };
const hm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(HANDMADE_DIR, name)));
const file = (name: string, bytes: Uint8Array): InputFile => ({ name, bytes });
const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

/** A case that opens model files with openModel (reference engine). */
function model(
  id: string,
  group: string,
  what: string,
  src: CorpusCase['source'],
  files: () => InputFile[],
  expect: Expectation,
  options: OpenModelOptions = {},
): CorpusCase {
  return { id, group, what, source: src, expect, files, run: async () => (await openModel(files(), { ...reference, ...options })).dispose() };
}

/** A case that reads Keras files only (readKeras), for reader options openModel does not expose. */
function read(id: string, group: string, what: string, src: CorpusCase['source'], files: () => InputFile[], expect: Expectation, options: ReadKerasOptions): CorpusCase {
  return { id, group, what, source: src, expect, files, run: () => readKeras(files(), options) };
}

const code = (c: ErrorCode, fragment: RegExp): Expectation => ({ code: c, fragment });

// ---------------------------------------------------------------------------------------------
// HDF5: truncation at many offsets, flipped header bytes, flipped weight bytes, not Keras.

const H5 = 'mnist_cnn.h5';
const truncations: CorpusCase[] = [8, 40, 96, 512, 2048, 0.25, 0.5, 0.75, -1].map((at) => {
  const label = at < 0 ? 'all-but-last-byte' : at < 1 ? `${at * 100}pct` : `${at}b`;
  return model(`hdf5-truncated-${label}`, 'hdf5', `full-model .h5 cut at ${at < 0 ? 'its last byte' : at < 1 ? `${at * 100}% of its length` : `byte ${at}`}`, 'fixture', () => {
    const b = source('functionalH5');
    return [file(H5, truncate(b, at > 0 && at < 1 ? Math.floor(b.length * at) : at))];
  }, code('FILE_TRUNCATED', at >= 1 && at <= 40 ? new RegExp(`'mnist_cnn\\.h5' is truncated: it ends \\(at ${at} bytes\\) inside its HDF5 superblock`) : /'mnist_cnn\.h5' is truncated: its HDF5 superblock records a size of 2192680 bytes but it has only/));
});

const hdf5Cases: CorpusCase[] = [
  ...truncations,
  {
    id: 'hdf5-truncated-sweep',
    group: 'hdf5',
    what: 'small .h5 cut at 64 offsets spread over the file, every one refused',
    source: 'fixture',
    expect: code('FILE_TRUNCATED', /all 64 truncations refused with FILE_TRUNCATED/),
    async run() {
      const b = source('batchnormH5');
      const codes = new Map<string, number>();
      for (let i = 0; i < 64; i++) {
        const at = 8 + Math.floor(((b.length - 9) * i) / 63);
        try {
          await openModel([file('cnn_batch_norm.h5', truncate(b, at))], reference);
          codes.set('opened', (codes.get('opened') ?? 0) + 1);
        } catch (e) {
          const k = (e as { code?: string }).code ?? String(e);
          codes.set(k, (codes.get(k) ?? 0) + 1);
        }
      }
      const { FileFormatError } = await import('../../src/errors.js');
      if (codes.get('FILE_TRUNCATED') === 64) throw new FileFormatError('FILE_TRUNCATED', 'all 64 truncations refused with FILE_TRUNCATED');
      throw new Error(`truncation sweep: ${JSON.stringify(Object.fromEntries(codes))}`);
    },
  },
  model('hdf5-flipped-signature', 'hdf5', 'first signature byte of the .h5 flipped', 'fixture', () => [file(H5, poke(source('functionalH5'), 0, [0x76]))], code('FILE_UNRECOGNISED', /'mnist_cnn\.h5' is not a model file convscope recognises: it starts with 76 48 44 46/)),
  model('hdf5-bad-superblock-version', 'hdf5', 'superblock version byte set to 7', 'fixture', () => [file(H5, poke(source('functionalH5'), 8, [7]))], code('HDF5_CORRUPT', /Cannot open 'mnist_cnn\.h5': HDF5 reports/)),
  model('hdf5-bad-offset-size', 'hdf5', 'superblock "size of offsets" byte set to 3', 'fixture', () => [file(H5, poke(source('functionalH5'), 13, [3]))], code('HDF5_CORRUPT', /Cannot open 'mnist_cnn\.h5'/)),
  model('hdf5-attribute-type-flipped', 'hdf5', "type byte of the 'keras_version' attribute flipped (string -> variable-length sequence; once hung HDF5)", 'fixture', () => {
    const b = source('zooH5');
    return [file('cnn2d_71.h5', poke(b, find(b, 'keras_version\0') + 17, [0x18]))];
  }, code('HDF5_CORRUPT', /Attribute 'keras_version' of '\/' in 'cnn2d_71\.h5' has HDF5 type class 9 \(variable-length sequence\)/)),
  model('hdf5-vlen-length-flipped', 'hdf5', "top byte of the stored length of the 'model_config' string set (HDF5 would allocate ~2 GB)", 'fixture', () => {
    const b = source('functionalH5');
    return [file(H5, poke(b, vlenLengthOffset(b, 'model_config') + 3, [0x76]))];
  }, code('HDF5_CORRUPT', /Attribute 'model_config' in 'mnist_cnn\.h5' records a variable-length string of 19797\d+ bytes, longer than the whole 2192680-byte file/)),
  model('hdf5-global-heap-loop', 'hdf5', 'free-space size in the global heap shrunk by 40 bytes (HDF5 would loop forever)', 'fixture', () => [file('cnn2d_71.h5', shrinkGlobalHeapFreeSpace(source('zooH5')))], code('HDF5_CORRUPT', /'cnn2d_71\.h5' is damaged: in the global heap collection at byte \d+, the object at byte \d+ records a size of 0, which would send HDF5 into an endless loop/)),
  model('hdf5-config-json-byte', 'hdf5', "a brace of the 'model_config' JSON replaced by '@'", 'fixture', () => [file(H5, patchText(source('functionalH5'), '{"class_name": "Model"', '@"class_name": "Model"'))], code('KERAS_BAD_CONFIG', /The 'model_config' attribute in 'mnist_cnn\.h5' is not valid JSON: error at position 0/)),
  model('hdf5-config-unknown-class', 'hdf5', "'Dense' renamed 'Dence' inside the stored config", 'fixture', () => [file(H5, patchText(source('functionalH5'), '"class_name": "Dense"', '"class_name": "Dence"'))], code('KERAS_UNSUPPORTED_LAYER', /layer 'dense_1' \(Dence\) is of a class convscope does not translate/)),
  model('hdf5-config-shape-vs-weights', 'hdf5', "stored config says Dense units 100 -> 900 (weights are 100 wide)", 'fixture', () => [file(H5, patchText(source('functionalH5'), '"units": 100', '"units": 900'))], code('KERAS_WEIGHTS_MISMATCH', /layer 'dense_1' \(Dense\)/)),
  model('hdf5-config-filters-vs-weights', 'hdf5', "stored config says Conv2D filters 32 -> 31", 'fixture', () => [file(H5, patchText(source('functionalH5'), '"filters": 32', '"filters": 31'))], code('KERAS_WEIGHTS_MISMATCH', /layer 'conv2d_1' \(Conv2D\)/)),
  model('hdf5-layer-names-renamed', 'hdf5', "a group listed in 'layer_names' renamed in the list (dense_2 -> dense_9)", 'fixture', () => {
    const b = source('functionalH5');
    return [file(H5, patchText(b, 'dense_2\0', 'dense_9\0', find(b, 'layer_names')))];
  }, code('KERAS_MISSING_WEIGHTS', /lists layer 'dense_9' in 'layer_names' but has no group/)),
  model('hdf5-weight-nan', 'hdf5', 'the first value of a kernel overwritten with NaN bytes', 'fixture', () => [file('cnn_batch_norm.h5', nanWeights())], code('FILE_CORRUPT', /cnn_batch_norm\.h5: layer 'conv2d_1' \(Conv2D\) weight 'conv2d_1\/kernel:0' holds 1 NaN or infinite value \(the first at flat index 0\)/)),
  model('hdf5-weight-low-bits', 'hdf5', 'the lowest mantissa byte of a kernel value flipped', 'fixture', () => [file('cnn_batch_norm.h5', lowBitWeights())], { opens: true, why: 'HDF5 keeps no checksum on raw (contiguous) data: a value a little off is still a valid float32' }),
  model('hdf5-not-keras', 'hdf5', 'an HDF5 file of measurements, not a model', 'file', () => [file('hdf5-not-keras.h5', hm('hdf5-not-keras.h5'))], code('HDF5_NOT_KERAS', /'hdf5-not-keras\.h5' is an HDF5 file but not a Keras model/)),
  model('hdf5-signature-only', 'hdf5', 'an HDF5 signature and nothing else', 'file', () => [file('hdf5-signature-only.h5', hm('hdf5-signature-only.h5'))], code('FILE_TRUNCATED', /'hdf5-signature-only\.h5' is truncated: it ends \(at 8 bytes\) inside its HDF5 superblock/)),
];

/** The batch-norm fixture with its first conv kernel value set to NaN. */
function nanWeights(): Uint8Array {
  const b = source('batchnormH5');
  const at = findFloats(b, firstKernelValues());
  return poke(b, at, [0x00, 0x00, 0xc0, 0x7f]);
}
function lowBitWeights(): Uint8Array {
  const b = source('batchnormH5');
  const at = findFloats(b, firstKernelValues());
  return poke(b, at, [b[at]! ^ 0xff]);
}
let kernelHead: Float32Array | undefined;
/** First values of conv2d_1/kernel:0 of the batch-norm fixture (read through the real reader). */
function firstKernelValues(): Float32Array {
  if (kernelHead === undefined) throw new Error('call prepareCorpus() first');
  return kernelHead;
}

/** Reads what some generators need from the fixtures (once, before the cases run). */
export async function prepareCorpus(): Promise<void> {
  const a = await readKeras([file('cnn_batch_norm.h5', source('batchnormH5'))]);
  kernelHead = a.weights.get('conv2d_1')![0]!.tensor.data.slice(0, 4);
}

// ---------------------------------------------------------------------------------------------
// Architecture JSON + weights.

const cifar = (json: Uint8Array): InputFile[] => [file('cifar10_model.json', json), file('cifar10_model.h5', source('cifarWeights'))];
type Json = Record<string, unknown>;
const layersOf = (doc: Json): Json[] => (doc['config'] as Json)['layers'] as Json[];

const jsonCases: CorpusCase[] = [
  model('json-syntax-error', 'keras-json', 'architecture JSON with a doubled comma', 'file', () => [file('json-syntax-error.json', hm('json-syntax-error.json'))], code('KERAS_BAD_CONFIG', /'json-syntax-error\.json' is not valid JSON: error at position 74 \(line 1, column 75\), between .*Expected double-quoted property name/)),
  model('json-truncated', 'keras-json', 'architecture JSON cut mid-string', 'file', () => [file('json-truncated.json', hm('json-truncated.json'))], code('FILE_TRUNCATED', /'json-truncated\.json' ends in the middle of the JSON/)),
  model('json-list', 'keras-json', 'a JSON list instead of a model config', 'file', () => [file('json-list.json', hm('json-list.json'))], code('FILE_UNRECOGNISED', /It is a JSON list, not a model config/)),
  model('json-not-a-model', 'keras-json', 'JSON of training metrics, not a model', 'file', () => [file('json-not-a-model.json', hm('json-not-a-model.json'))], code('KERAS_BAD_CONFIG', /is not a Keras model config: expected an object with 'class_name' and 'config', got an object with keys loss, accuracy/)),
  model('json-without-weights', 'keras-json', 'real architecture JSON given without its weights', 'fixture', () => [file('cifar10_model.json', source('cifarJson'))], code('KERAS_MISSING_FILE', /'cifar10_model\.json' holds only the architecture; the weights are missing/)),
  model('weights-without-json', 'keras-json', 'real weights-only .h5 given without its architecture', 'fixture', () => [file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_MISSING_FILE', /'cifar10_model\.h5' holds only weights/)),
  model('json-weights-of-other-model', 'keras-json', 'CIFAR architecture with the weights of an MNIST model', 'fixture', () => [file('cifar10_model.json', source('cifarJson')), file('mnist_th_weights.h5', source('thWeights'))], code('KERAS_MISSING_WEIGHTS', /cifar10_model\.json \+ mnist_th_weights\.h5: layer 'conv2d_6' \(Conv2D\) has no weights in the file \(looked for 'conv2d_6'\); expected kernel \(3, 3, 3, 32\), bias \(32,\)/)),
  model('json-weights-missing-layer', 'keras-json', 'architecture with one more Dense layer than the weights hold', 'fixture', () => cifar(editJson(source('cifarJson'), (doc) => {
    const layers = layersOf(doc);
    layers.push({ class_name: 'Dense', config: { name: 'extra_dense', units: 3, activation: 'softmax', use_bias: true } });
  })), code('KERAS_MISSING_WEIGHTS', /layer 'extra_dense' \(Dense\) has no weights in the file \(looked for 'extra_dense'\); expected kernel \(10, 3\), bias \(3,\)/)),
  model('json-weights-extra-layer', 'keras-json', 'architecture without its last Dense layer: its stored weights are left over', 'fixture', () => cifar(editJson(source('cifarJson'), (doc) => {
    const layers = layersOf(doc);
    layers.splice(layers.length - 1, 1);
  })), code('KERAS_WEIGHTS_MISMATCH', /the file stores weights for 'dense_3', which the architecture does not have/)),
  model('json-shapes-disagree', 'keras-json', 'architecture whose last Dense has 12 units; the weights have 10', 'fixture', () => cifar(editJson(source('cifarJson'), (doc) => {
    const layers = layersOf(doc);
    (layers[layers.length - 1]!['config'] as Json)['units'] = 12;
  })), code('KERAS_WEIGHTS_MISMATCH', /layer 'dense_3' \(Dense\) weight 'dense_3\/kernel:0' \(kernel\) has the wrong shape: expected kernel \(128, 12\), bias \(12,\); the file has dense_3\/kernel:0 \(128, 10\)/)),
  model('json-unknown-layer', 'keras-json', 'a layer class no Keras has (QuantumConv2D)', 'file', () => [file('json-unknown-layer.json', hm('json-unknown-layer.json')), file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_UNSUPPORTED_LAYER', /layer 'qconv_1' \(QuantumConv2D\) is of a class convscope does not translate/)),
  model('json-bad-inbound', 'keras-json', 'a functional layer fed by a layer that does not exist', 'file', () => [file('json-bad-inbound.json', hm('json-bad-inbound.json')), file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_BAD_CONFIG', /nowhere/)),
  model('json-negative-units', 'keras-json', 'Dense with -3 units', 'file', () => [file('json-negative-units.json', hm('json-negative-units.json')), file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_BAD_CONFIG', /layer 'dense_1' \(Dense\).*units/)),
  model('json-lambda-hostile', 'keras-json', 'a Lambda layer carrying a (stand-in) bytecode payload', 'file', () => [file('json-lambda-hostile.json', hm('json-lambda-hostile.json')), file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_LAMBDA', /layer 'lambda_1' \(Lambda\) is a Lambda layer\. Its function is stored as marshalled Python bytecode, which convscope never executes/)),
  model('lambda-h5', 'keras-json', 'real Keras 2.0 model whose first layer is a Lambda', 'fixture', () => [file('model.h5', source('lambdaH5'))], code('KERAS_LAMBDA', /model\.h5: layer 'lambda_1' \(Lambda\) is a Lambda layer.*--start-after lambda_1/)),
  model('lambda-json-weights', 'keras-json', 'real Keras 1.2 double-encoded JSON with a Lambda + weights', 'fixture', () => [file('model.json', source('lambdaJson')), file('model.h5', source('lambdaWeights'))], code('KERAS_LAMBDA', /layer 'lambda_1' \(Lambda\) is a Lambda layer/)),
];

// ---------------------------------------------------------------------------------------------
// .keras archives.

const KZ = 'model.keras';
const kz = (): Map<string, Uint8Array> => zipEntries(source('kerasZip'));

const zipCases: CorpusCase[] = [
  model('keras-zip-truncated-half', 'keras-zip', '.keras cut at half its length', 'fixture', () => {
    const b = source('kerasZip');
    return [file(KZ, truncate(b, Math.floor(b.length / 2)))];
  }, code('ZIP_CORRUPT', /model\.keras: not a readable ZIP archive: it has no ZIP end-of-central-directory record/)),
  model('keras-zip-truncated-directory', 'keras-zip', '.keras missing its last 30 bytes (end of the central directory)', 'fixture', () => [file(KZ, truncate(source('kerasZip'), -30))], code('ZIP_CORRUPT', /not a readable ZIP archive/)),
  model('keras-zip-flipped-data', 'keras-zip', 'one byte of the compressed weights flipped', 'fixture', () => {
    const b = source('kerasZip');
    return [file(KZ, poke(b, Math.floor(b.length / 2), [b[Math.floor(b.length / 2)]! ^ 0x5a]))];
  }, code('ZIP_CORRUPT', /entry 'model\.weights\.h5' (fails its checksum|does not inflate|inflates to)/)),
  model('keras-zip-no-config-real', 'keras-zip', 'the real .keras rebuilt without config.json', 'fixture', () => [file(KZ, rezip(kz(), [], ['config.json']))], code('FILE_UNRECOGNISED', /'model\.keras' is a ZIP archive but not a \.keras model: it has no 'config\.json'/)),
  model('keras-zip-config-invalid', 'keras-zip', 'the real .keras with config.json cut in half', 'fixture', () => {
    const e = kz();
    const c = e.get('config.json')!;
    e.set('config.json', c.slice(0, c.length >> 1));
    return [file(KZ, rezip(e))];
  }, code('FILE_TRUNCATED', /model\.keras \(config\.json\).*ends in the middle of the JSON/)),
  model('keras-zip-weights-truncated', 'keras-zip', 'the real .keras with model.weights.h5 cut in half (archive intact)', 'fixture', () => {
    const e = kz();
    const w = e.get('model.weights.h5')!;
    e.set('model.weights.h5', w.slice(0, w.length >> 1));
    return [file(KZ, rezip(e))];
  }, code('FILE_TRUNCATED', /'model\.keras \(model\.weights\.h5\)' is truncated/)),
  model('keras-zip-traversal-real', 'keras-zip', "the real .keras plus an entry named '../x'", 'fixture', () => [file(KZ, rezip(kz(), [{ name: '../x', data: new TextEncoder().encode('x') }]))], code('ZIP_UNSAFE_PATH', /entry name "\.\.\/x" contains a '\.\.' segment that climbs out of the archive/)),
  model('keras-zip-traversal', 'keras-zip', "hand-made .keras with an entry named '../../.bashrc'", 'file', () => [file('t.keras', hm('keras-zip-traversal.keras'))], code('ZIP_UNSAFE_PATH', /entry name "\.\.\/\.\.\/\.bashrc"/)),
  model('keras-zip-absolute-path', 'keras-zip', "hand-made .keras with an entry named '/etc/cron.d/x'", 'file', () => [file('a.keras', hm('keras-zip-absolute-path.keras'))], code('ZIP_UNSAFE_PATH', /"\/etc\/cron\.d\/x" is an absolute path/)),
  model('keras-zip-bomb-declared', 'keras-zip', 'weights entry declaring 3.75 GiB (a zip bomb), refused before inflating', 'file', () => [file('b.keras', hm('keras-zip-bomb-declared.keras'))], code('ZIP_BOMB', /the entries would inflate to 40265\d+ bytes, over the limit of 2147483648 bytes/)),
  model('keras-zip-bomb-lying', 'keras-zip', 'weights entry declaring 1000 bytes that inflates to 16 MiB', 'file', () => [file('l.keras', hm('keras-zip-bomb-lying.keras'))], code('ZIP_CORRUPT', /entry 'model\.weights\.h5' inflates to more than the 1000 bytes its header declares/)),
  model('keras-zip-overlapping', 'keras-zip', 'two entries sharing one stream of data (non-recursive bomb)', 'file', () => [file('o.keras', hm('keras-zip-overlapping.keras'))], code('ZIP_CORRUPT', /overlap \(a sign of a zip bomb\)/)),
  model('keras-zip-encrypted', 'keras-zip', 'password-protected entry', 'file', () => [file('e.keras', hm('keras-zip-encrypted.keras'))], code('ZIP_CORRUPT', /entry 'config\.json' is encrypted/)),
  model('keras-zip-bad-crc', 'keras-zip', 'entry whose CRC-32 does not match', 'file', () => [file('c.keras', hm('keras-zip-bad-crc.keras'))], code('ZIP_CORRUPT', /entry 'config\.json' fails its checksum \(CRC-32 [0-9a-f]{8}, expected 12345678\)/)),
  model('keras-zip-no-config', 'keras-zip', 'hand-made .keras without config.json', 'file', () => [file('n.keras', hm('keras-zip-no-config.keras'))], code('FILE_UNRECOGNISED', /has no 'config\.json' \(it holds 'metadata\.json', 'model\.weights\.h5'\)/)),
  model('keras-zip-no-weights', 'keras-zip', 'hand-made .keras without model.weights.h5', 'file', () => [file('w.keras', hm('keras-zip-no-weights.keras'))], code('KERAS_MISSING_WEIGHTS', /'w\.keras' is a \.keras archive without 'model\.weights\.h5'/)),
  model('keras-zip-pytorch', 'keras-zip', 'a PyTorch checkpoint (zip with data.pkl) named .keras', 'file', () => [file('p.keras', hm('keras-zip-pytorch.keras'))], code('FILE_UNRECOGNISED', /It looks like a PyTorch checkpoint/)),
];

// ---------------------------------------------------------------------------------------------
// TensorFlow.js.

const tfjsModel = (): InputFile => file('model.json', source('tfjsJson'));
const tfjsCases: CorpusCase[] = [
  model('tfjs-shard-missing', 'tfjs', 'model.json without its weight shard', 'fixture', () => [tfjsModel()], code('KERAS_MISSING_FILE', /'model\.json' needs the weight shard 'group1-shard1of1\.bin', which was not given/)),
  model('tfjs-shard-short', 'tfjs', 'the shard cut to half its length', 'fixture', () => {
    const s = source('tfjsShard');
    return [tfjsModel(), file('group1-shard1of1.bin', s.slice(0, s.length >> 1))];
  }, code('FILE_TRUNCATED', /shard 'group1-shard1of1\.bin' is probably truncated/)),
  model('tfjs-shard-empty', 'tfjs', 'an empty shard', 'fixture', () => [tfjsModel(), file('group1-shard1of1.bin', new Uint8Array(0))], code('FILE_TRUNCATED', /needs bytes 0-\d+ of its shards, but they hold only 0/)),
  model('tfjs-manifest-not-list', 'tfjs', "weightsManifest is an object, not a list", 'fixture', () => [file('model.json', editJson(source('tfjsJson'), (d) => void (d['weightsManifest'] = { paths: 'x' })))], code('KERAS_BAD_CONFIG', /the weightsManifest is not a list/)),
  model('tfjs-manifest-bad-dtype', 'tfjs', 'a weight declared complex64', 'fixture', () => [file('model.json', editJson(source('tfjsJson'), (d) => {
    const g = (d['weightsManifest'] as Json[])[0]!;
    ((g['weights'] as Json[])[0]!)['dtype'] = 'complex64';
  })), file('group1-shard1of1.bin', source('tfjsShard'))], code('MODEL_UNSUPPORTED', /is stored as complex64/)),
  model('tfjs-manifest-absurd-shape', 'tfjs', 'a weight declared with shape (2^40,)', 'fixture', () => [file('model.json', editJson(source('tfjsJson'), (d) => {
    const g = (d['weightsManifest'] as Json[])[0]!;
    ((g['weights'] as Json[])[0]!)['shape'] = [2 ** 40];
  })), file('group1-shard1of1.bin', source('tfjsShard'))], code('LIMIT_EXCEEDED', /has shape \(1099511627776,\) = 1099511627776 elements, over the limit of 268435456/)),
  model('tfjs-graph-model', 'tfjs', 'a TensorFlow.js graph model (no Keras architecture)', 'file', () => [file('tfjs-graph-model.json', hm('tfjs-graph-model.json'))], code('MODEL_UNSUPPORTED', /is a TensorFlow\.js graph model/)),
  {
    id: 'tfjs-shard-outside-folder',
    group: 'tfjs',
    what: "model.json naming its shard '../../../../etc/passwd', opened by path",
    source: 'file',
    expect: code('ZIP_UNSAFE_PATH', /names a weight shard outside its folder: '\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd'/),
    async run(ctx) {
      const p = join(ctx.tmp, 'model.json');
      await writeFile(p, hm('tfjs-shard-outside-folder.json'));
      return (await openPath(p, { engine: 'reference' })).dispose();
    },
  },
];

// ---------------------------------------------------------------------------------------------
// .npy

function npy(id: string, what: string, src: CorpusCase['source'], bytes: () => Uint8Array, name: string, expect: Expectation, maxElements?: number): CorpusCase {
  return { id, group: maxElements !== undefined ? 'limits' : 'npy', what, source: src, expect, run: () => Promise.resolve(readNpy(bytes(), { fileName: name, ...(maxElements !== undefined ? { maxElements } : {}) })) };
}
const hmNpy = (id: string, what: string, expect: Expectation): CorpusCase => npy(id, what, 'file', () => hm(`${id}.npy`), `${id}.npy`, expect);

const npyCases: CorpusCase[] = [
  hmNpy('npy-bad-magic', 'magic string \\x93NUMPX', code('NPY_BAD_HEADER', /expected the \.npy magic string \\x93NUMPY at the start/)),
  hmNpy('npy-bad-version', 'format version 9.0', code('NPY_BAD_HEADER', /unsupported \.npy format version 9\.0/)),
  hmNpy('npy-only-magic', 'magic and version, nothing else', code('FILE_TRUNCATED', /the file ends before the header length: expected at least 10 bytes, found 8/)),
  hmNpy('npy-header-past-end', 'header length 60000 in a 136-byte file', code('FILE_TRUNCATED', /the file ends before the 60000-byte header/)),
  hmNpy('npy-header-not-dict', 'header is a list literal', code('NPY_BAD_HEADER', /expected the header to be a dict literal/)),
  hmNpy('npy-header-python-code', "header 'descr' is a Python call (__import__('os').system(...)), never evaluated", code('NPY_BAD_HEADER', /malformed header literal: expected a value .* at character 10, found "__import__/)),
  hmNpy('npy-header-missing-shape', "header without 'shape'", code('NPY_BAD_HEADER', /missing 'shape'/)),
  hmNpy('npy-header-nesting-bomb', 'shape nested 5000 parentheses deep', code('NPY_BAD_HEADER', /expected at most 16 levels of nesting/)),
  hmNpy('npy-negative-dim', 'shape (-1, 2)', code('NPY_BAD_HEADER', /bad dimension -1/)),
  hmNpy('npy-fractional-dim', 'shape (2.5,)', code('NPY_BAD_HEADER', /bad dimension 2\.5/)),
  hmNpy('npy-more-elements-than-bytes', 'shape (1000, 1000) with 4 values present', code('FILE_TRUNCATED', /float32 \(1000, 1000\) needs 4000000 bytes after the header, but only 16 are present/)),
  hmNpy('npy-absurd-elements', 'shape (65536, 65536, 65536): 2^48 elements', code('LIMIT_EXCEEDED', /shape \(65536, 65536, 65536\) holds 281474976710656 elements, over the limit of 2147483648/)),
  hmNpy('npy-dims-near-2-53', 'shape (2^53 - 1, 2)', code('LIMIT_EXCEEDED', /holds more than 2\^53 elements/)),
  hmNpy('npy-dim-over-2-53', 'shape (2^53 + 1,): not an exact integer in JavaScript', code('NPY_BAD_HEADER', /bad dimension 9007199254740993/)),
  hmNpy('npy-unicode', "dtype '<U5' (strings)", code('NPY_UNSUPPORTED_DTYPE', /dtype '<U5' \(unicode strings of up to 5 characters\) is not supported/)),
  hmNpy('npy-complex', "dtype '<c8' (complex)", code('NPY_UNSUPPORTED_DTYPE', /complex numbers \(complex64\)/)),
  hmNpy('npy-datetime', "dtype '<M8[ns]' (datetime64)", code('NPY_UNSUPPORTED_DTYPE', /datetime64 values/)),
  hmNpy('npy-structured', 'structured dtype with fields a, b', code('NPY_UNSUPPORTED_DTYPE', /a structured \(record\) dtype with fields a, b/)),
  hmNpy('npy-object-hostile-pickle', "dtype '|O' holding a pickle that would call posix.system", code('NPY_PICKLE', /dtype '\|O' \(object\) holds pickled Python objects, which can run code when loaded; convscope never unpickles/)),
  npy('npy-object-real', "real pickled object array (ragged genotype matrices)", 'fixture', () => source('pickledNpy'), 'object_dtype_pickled.npy', code('NPY_PICKLE', /object_dtype_pickled\.npy: dtype '\|O'/)),
  npy('npy-unicode-real', 'real label file of strings (<U12)', 'fixture', () => source('unicodeNpy'), 'unicode_labels.npy', code('NPY_UNSUPPORTED_DTYPE', /dtype '<U12'/)),
  npy('npy-truncated-real', 'real input array cut at half', 'fixture', () => {
    const b = source('bnInput');
    return b.slice(0, b.length >> 1);
  }, 'keras_input.npy', code('FILE_TRUNCATED', /float64 \(5, 10, 10, 3\) needs 12000 bytes after the header, but only \d+ are present/)),
];

// ---------------------------------------------------------------------------------------------
// Data that does not fit the model: non-finite x, x/y lengths, labels outside the classes.

let bnModelPromise: ReturnType<typeof openModel> | undefined;
const bnModel = (): ReturnType<typeof openModel> => (bnModelPromise ??= openModel([file('cnn_batch_norm.h5', source('batchnormH5'))], reference));
const bnX = (): { shape: number[]; data: Float32Array } => {
  const a = readNpy(source('bnInput'));
  return { shape: a.shape, data: Float32Array.from(a.data as Float64Array) };
};

const dataCases: CorpusCase[] = [
  {
    id: 'x-non-finite',
    group: 'data',
    what: 'x.npy with NaN in input 1 and +Inf in input 3 (predict warns and names them)',
    source: 'fixture',
    expect: { warn: /warning: x holds NaN or infinite values in inputs 1, 3; their outputs will not be meaningful/ },
    async run(ctx) {
      const x = bnX();
      x.data[1 * 300 + 7] = NaN;
      x.data[3 * 300] = Infinity;
      const dir = join(ctx.tmp, 'nan');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'm.h5'), source('batchnormH5'));
      await writeFile(join(dir, 'x.npy'), writeNpy({ dtype: 'float32', shape: x.shape, data: x.data }));
      const r = await runCli(['predict', 'm.h5', 'x.npy', '--json', '--engine', 'reference'], dir);
      if (r.code !== 0) throw new Error(`predict exited ${r.code}: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as { outputs: number[][] };
      // JSON has no NaN: a non-finite output is written as null.
      if (out.outputs[1]![0] !== null || out.outputs[3]![0] !== null || out.outputs[0]![0] === null) throw new Error('NaN did not stay in its own input');
      return r.stderr;
    },
  },
  {
    id: 'x-y-length-mismatch',
    group: 'data',
    what: 'x with 5 inputs, y with 4 labels',
    source: 'fixture',
    expect: code('LABEL_MISMATCH', /x has 5 inputs but y has 4 labels; they must have the same length/),
    async run() {
      new Dataset(await bnModel(), bnX(), { labels: Int32Array.from([0, 0, 0, 0]) });
    },
  },
  {
    id: 'labels-outside-classes',
    group: 'data',
    what: 'label 7 for a model whose head has fewer classes',
    source: 'fixture',
    expect: code('LABEL_MISMATCH', /Label 7 of input 2 is outside the model's classes 0\.\.\d/),
    async run() {
      new Dataset(await bnModel(), bnX(), { labels: Int32Array.from([0, 0, 7, 0, 0]) });
    },
  },
  {
    id: 'class-names-count',
    group: 'data',
    what: 'more class names than the model has classes',
    source: 'fixture',
    expect: code('LABEL_MISMATCH', /class names given \(a, b, c, d, e, f, g, h, i, j, k, l\) but the model has \d+ classes/),
    async run() {
      new Dataset(await bnModel(), bnX(), { classNames: 'abcdefghijkl'.split('') });
    },
  },
  {
    id: 'x-wrong-shape',
    group: 'data',
    what: 'x flattened to (5, 300) for a (10, 10, 3) input',
    source: 'fixture',
    expect: code('SHAPE_MISMATCH', /x has shape \(5, 300\) but the model expects \(None, 10, 10, 3\)/),
    async run() {
      const x = bnX();
      new Dataset(await bnModel(), { shape: [5, 300], data: x.data });
    },
  },
  {
    id: 'y-not-class-indices',
    group: 'data',
    what: 'y holding 0.5 (a probability, not a class index)',
    source: 'inline',
    expect: code('LABEL_MISMATCH', /y\.npy: label 1 is 0\.5, not a class index/),
    run: () => Promise.resolve(toLabels({ dtype: 'float32', shape: [3], data: f32(1, 0.5, 0) }, { name: 'y.npy' })),
  },
  {
    id: 'y-bad-one-hot',
    group: 'data',
    what: 'one-hot y with two ones in a row',
    source: 'inline',
    expect: code('LABEL_MISMATCH', /row 1 of the \(N, 3\) labels is not one-hot: \[1, 0, 1\]/),
    run: () => Promise.resolve(toLabels({ dtype: 'float32', shape: [2, 3], data: f32(0, 1, 0, 1, 0, 1) }, { name: 'y.npy' })),
  },
];

// ---------------------------------------------------------------------------------------------
// Limits: depth, width, tensor size, file size, archive size.

/** A Sequential config of `n` Activation layers (deep but trivial). */
function deepConfig(n: number): Uint8Array {
  const layers: Json[] = [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4] } }];
  for (let i = 0; i < n; i++) layers.push({ class_name: 'Activation', config: { name: `act_${i}`, activation: 'relu' } });
  return new TextEncoder().encode(JSON.stringify({ class_name: 'Sequential', config: { name: 'deep', layers } }));
}
/** Sequential models nested `depth` deep. */
function nestedConfig(depth: number): Uint8Array {
  let inner: Json = { class_name: 'Sequential', config: { name: 'leaf', layers: [{ class_name: 'Activation', config: { name: 'a', activation: 'relu', batch_input_shape: [null, 4] } }] } };
  for (let i = 0; i < depth; i++) inner = { class_name: 'Sequential', config: { name: `s${i}`, layers: [inner] } };
  return new TextEncoder().encode(JSON.stringify(inner));
}

const limitCases: CorpusCase[] = [
  model('limit-deeper-than-default', 'limits', 'a Sequential model of 12,000 layers (default limit 10,000)', 'inline', () => [file('deep.json', deepConfig(12_000)), file('cifar10_model.h5', source('cifarWeights'))], code('LIMIT_EXCEEDED', /deep\.json \+ cifar10_model\.h5: the model has 10001 layers, more than the limit of 10000\. Raise the maxLayers option/)),
  model('limit-max-layers', 'limits', 'a real 8-layer model opened with maxLayers 3', 'fixture', () => [file(H5, source('functionalH5'))], code('LIMIT_EXCEEDED', /the model has 4 layers, more than the limit of 3.*maxLayers/), { maxLayers: 3 }),
  model('limit-max-params', 'limits', 'a real 1.2M-parameter model opened with maxParams 10,000', 'fixture', () => [file(H5, source('functionalH5'))], code('LIMIT_EXCEEDED', /parameters, more than the limit of 10000.*maxParams/), { maxParams: 10_000 }),
  model('limit-max-tensor-elements', 'limits', 'a real model whose largest kernel exceeds maxTensorElements 1000', 'fixture', () => [file(H5, source('functionalH5'))], code('LIMIT_EXCEEDED', /over the limit of 1000\. Raise the maxTensorElements option/), { maxTensorElements: 1000 }),
  model('limit-nested-models', 'limits', 'Sequential models nested 40 deep', 'inline', () => [file('nested.json', nestedConfig(40)), file('cifar10_model.h5', source('cifarWeights'))], code('KERAS_BAD_CONFIG', /models are nested more than 32 deep/)),
  npy('limit-npy-elements', 'a real x.npy read with maxElements 100', 'fixture', () => source('bnInput'), 'keras_input.npy', code('LIMIT_EXCEEDED', /shape \(5, 10, 10, 3\) holds 1500 elements, over the limit of 100\. Raise the maxElements option/), 100),
  read('limit-zip-bytes', 'limits', 'the real .keras read with maxZipBytes 1 MB', 'fixture', () => [file(KZ, source('kerasZip'))], code('ZIP_BOMB', /over the limit of 1000000 bytes.*Raise the maxTotalBytes option/), { maxZipBytes: 1_000_000 }),
  read('limit-zip-entries', 'limits', 'the real .keras read with maxZipEntries 2', 'fixture', () => [file(KZ, source('kerasZip'))], code('ZIP_BOMB', /the archive lists 3 entries, over the limit of 2/), { maxZipEntries: 2 }),
  {
    id: 'limit-file-bytes',
    group: 'limits',
    what: 'a real .h5 opened with maxFileBytes 100000',
    source: 'fixture',
    expect: code('LIMIT_EXCEEDED', /is 2192680 bytes, over the limit of 100000 bytes\. Raise the limit with --max-file-bytes/),
    async run(ctx) {
      const p = join(ctx.tmp, 'big.h5');
      await writeFile(p, source('functionalH5'));
      return (await openPath(p, { engine: 'reference', maxFileBytes: 100_000 })).dispose();
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Files that are not models at all, and files that are not there.

const fileCases: CorpusCase[] = [
  model('empty-file', 'files', 'a 0-byte .h5', 'file', () => [file('empty.h5', hm('empty.h5'))], code('FILE_TRUNCATED', /'empty\.h5' is empty \(0 bytes\)/)),
  model('git-lfs-pointer', 'files', 'a Git LFS pointer saved as model.h5', 'file', () => [file('git-lfs-pointer.h5', hm('git-lfs-pointer.h5'))], code('FILE_UNRECOGNISED', /It is a Git LFS pointer, not the file itself/)),
  model('html-page', 'files', 'a sign-in page saved as model.h5', 'file', () => [file('html-page.h5', hm('html-page.h5'))], code('FILE_UNRECOGNISED', /It is an HTML\/XML page/)),
  model('pickle-model', 'files', 'a Python pickle saved as model.h5', 'file', () => [file('pickle-model.h5', hm('pickle-model.h5'))], code('FILE_UNRECOGNISED', /It is a Python pickle, which convscope never loads/)),
  {
    id: 'file-not-found',
    group: 'files',
    what: 'a path that does not exist',
    source: 'inline',
    expect: code('FILE_NOT_FOUND', /File not found: '.*no-such-model\.h5'/),
    run: async (ctx) => (await openPath(join(ctx.tmp, 'no-such-model.h5'), { engine: 'reference' })).dispose(),
  },
  {
    id: 'file-is-folder',
    group: 'files',
    what: 'a folder given as the model',
    source: 'inline',
    expect: code('FILE_UNRECOGNISED', /is a folder, not a file/),
    run: async (ctx) => readFileLimited(ctx.tmp),
  },
];

// ---------------------------------------------------------------------------------------------
// ms-format simulation output.

function ms(id: string, what: string, src: CorpusCase['source'], bytes: () => Uint8Array, expect: Expectation): CorpusCase {
  return { id, group: 'ms', what, source: src, expect, run: () => Promise.resolve(readMs(bytes(), { fileName: id })) };
}
const msCases: CorpusCase[] = [
  ms('ms-bad-allele', "haplotype row holding 'N'", 'file', () => hm('ms-bad-allele.ms'), code('MS_PARSE', /ms-bad-allele:8: haplotype row 2, column 2: 'N' is not 0 or 1/)),
  ms('ms-positions-mismatch', "'positions:' lists 2 positions for 3 sites", 'file', () => hm('ms-positions-mismatch.ms'), code('MS_PARSE', /'positions:' lists 2 positions but 'segsites:' says 3/)),
  ms('ms-fewer-replicates', 'command line asks for 3 replicates, file holds 1', 'file', () => hm('ms-fewer-replicates.ms'), code('FILE_TRUNCATED', /the command line asks for 3 replicates but the file holds 1/)),
  ms('ms-huge-sample-size', 'command line claims 999,999,999,999 chromosomes (nothing allocated for them)', 'file', () => hm('ms-huge-sample-size.ms'), code('FILE_TRUNCATED', /the file ends after 1 of 999999999999 haplotype rows/)),
  ms('ms-not-ms', 'a training log, not simulator output', 'file', () => hm('ms-not-ms.txt'), code('FILE_UNRECOGNISED', /no '\/\/' line found, so this is not ms-format simulation output/)),
  ms('ms-gzip-truncated', 'real discoal .ms.gz cut at 60%', 'fixture', () => {
    const b = source('discoalGz');
    return b.slice(0, Math.floor(b.length * 0.6));
  }, code('FILE_TRUNCATED', /ms-gzip-truncated/)),
];

/** Every case, in table order. */
export const CASES: readonly CorpusCase[] = [...hdf5Cases, ...jsonCases, ...zipCases, ...tfjsCases, ...npyCases, ...dataCases, ...limitCases, ...fileCases, ...msCases];

/** Releases what cases share (the opened batch-norm model). */
export async function disposeCorpus(): Promise<void> {
  if (bnModelPromise !== undefined) await (await bnModelPromise).dispose();
  bnModelPromise = undefined;
}
