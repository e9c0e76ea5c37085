// `convscope train x.npy y.npy --preset base-cnn -o model.h5`: trains BaSe's CNN (or a small
// custom CNN) on images with convscope's own engine, then writes a Keras 2 full-model .h5, the
// history as JSON and the loss/accuracy figure. Epochs print like Keras' verbose=2.

import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs, bool, num, str, formatFlags, type ParsedArgs } from '../args.js';
import type { CliIO, Command } from '../io.js';
import { progressBar } from '../progress.js';
import { ArgumentError, formatShape } from '../../errors.js';
import { readNpy, toLabels } from '../../io/npy.js';
import { nonFiniteSamples, readTensorFile } from '../../node/arrays.js';
import { writeFigure } from '../../node/figure.js';
import { preflightWrites, readFileLimited, writeFileAtomic } from '../../node/files.js';
import { createWorkerExecutor } from '../../node/train-workers.js';
import { renderTrainingHistory } from '../../train/figure.js';
import { fit, type EpochLog, type FitOptions } from '../../train/fit.js';
import { saveKerasH5 } from '../../train/keras.js';
import { Network } from '../../train/network.js';
import { TRAINING_PRESETS, presetPlan } from '../../train/presets.js';
import type { Initializer } from '../../train/spec.js';
import { VERSION } from '../../version.js';
import type { Tensor } from '../../tensor.js';

const flags = {
  output: { kind: 'string', alias: 'o', description: '-o, --output <model.h5>  where to save the trained model (Keras 2 full-model HDF5); required' },
  preset: { kind: 'string', description: `--preset <name>  ${TRAINING_PRESETS.join(' | ')} (default base-cnn = BaSe test 1)` },
  epochs: { kind: 'integer', description: '--epochs <n>  passes over the training data (default: the preset\'s; BaSe: 10)' },
  'batch-size': { kind: 'integer', description: '--batch-size <n>  samples per step (default: the preset\'s; BaSe: 32)' },
  'validation-split': { kind: 'number', description: '--validation-split <f>  fraction held out, stratified and seeded (default 0.2)' },
  seed: { kind: 'integer', description: '--seed <int>  seed of weights, split, shuffles, dropout and flips (default 0)' },
  lr: { kind: 'number', description: '--lr <rate>  Adam learning rate (default: the preset\'s; BaSe test 1: 5e-5; custom: 1e-3)' },
  decay: { kind: 'number', description: '--decay <d>  Keras time decay of the learning rate (default: the preset\'s; BaSe: 1e-5)' },
  l2: { kind: 'number', description: '--l2 <f>  L2 factor on every kernel (default: the preset\'s; BaSe test 1: 0.005; custom: 0)' },
  'dropout-conv': { kind: 'number', description: '--dropout-conv <rate>  dropout after conv blocks (default: the preset\'s)' },
  'dropout-dense': { kind: 'number', description: '--dropout-dense <rate>  dropout after hidden Dense layers (default: the preset\'s)' },
  init: { kind: 'string', description: '--init <name>  kernel initialiser: uniform (BaSe\'s, +-0.05) | glorot_uniform | he_uniform (default: the preset\'s; with few steps he_uniform lets BatchNorm\'s moving averages settle sooner)' },
  conv: { kind: 'string', description: '--conv <f1,f2,...>  custom: filters of each 3x3 conv block (default 16,32)' },
  dense: { kind: 'string', description: '--dense <u1,...>  custom: units of the hidden Dense layers (default 64; "" for none)' },
  'no-batch-norm': { kind: 'boolean', description: '--no-batch-norm  custom: no BatchNormalization after the convolutions' },
  flip: { kind: 'boolean', description: '--flip  random horizontal flips of training images (BaSe presets: on)' },
  'no-flip': { kind: 'boolean', description: '--no-flip  no flips' },
  patience: { kind: 'integer', description: '--patience <n>  early stopping: epochs without val_loss improvement before stopping; the best epoch\'s weights are kept (default 3)' },
  'no-early-stopping': { kind: 'boolean', description: '--no-early-stopping  train every epoch and keep the last weights' },
  threads: { kind: 'integer', description: '--threads <n>  threads (and batch shards: BatchNorm statistics are per shard) (default 2)' },
  history: { kind: 'string', description: '--history <file.json>  training history and validation results (default <model>.history.json)' },
  figure: { kind: 'string', description: '--figure <file.png|svg>  loss and accuracy curves (default <model>.history.png)' },
  overwrite: { kind: 'boolean', description: '--overwrite  replace existing output files' },
  json: { kind: 'boolean', description: '--json  print the summary as JSON to stdout' },
} as const;

function intList(args: ParsedArgs, name: string): number[] | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (v.trim() === '') return [];
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (!parts.every((p) => Number.isInteger(p) && p >= 1)) throw new ArgumentError('BAD_ARGUMENT', `--${name} must be positive integers separated by commas, got '${v}'.`);
  return parts;
}

function initOf(v: string | undefined): Initializer | undefined {
  if (v === undefined) return undefined;
  if (v !== 'uniform' && v !== 'glorot_uniform' && v !== 'he_uniform') {
    throw new ArgumentError('BAD_ARGUMENT', `--init must be uniform, glorot_uniform or he_uniform, got '${v}'.`);
  }
  return v;
}

/** The image tensor as (N, rows, cols, channels): a (N, rows, cols) array gets a channel axis. */
function asImages(x: Tensor, file: string): Tensor {
  if (x.shape.length === 3) return { shape: [...x.shape, 1], data: x.data };
  if (x.shape.length !== 4) {
    throw new ArgumentError('SHAPE_MISMATCH', `${file} has shape ${formatShape(x.shape)}; training needs images shaped (N, rows, cols, channels) or (N, rows, cols).`);
  }
  return x;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** One Keras verbose=2 line. */
function epochLine(log: EpochLog, epochs: number): string {
  return `Epoch ${log.epoch}/${epochs} - ${log.seconds.toFixed(0)}s - loss: ${fmt(log.loss)} - accuracy: ${fmt(log.accuracy)} - val_loss: ${fmt(log.val_loss)} - val_accuracy: ${fmt(log.val_accuracy)}`;
}

/** `convscope train`. */
export const trainCommand: Command = {
  name: 'train',
  summary: "Train BaSe's CNN (or a small custom CNN) on x.npy/y.npy and save a Keras .h5",
  usage: `convscope train <x.npy> <y.npy> -o model.h5 [--preset base-cnn] [options]

Trains with convscope's own engine (pure TypeScript, no Python, no TensorFlow): Keras'
BatchNormalization (batch statistics, moving averages with momentum 0.99), Dropout in training
only, Adam, binary cross-entropy for a sigmoid unit or categorical cross-entropy for a softmax.
The model is saved as Keras 2.3 saves a full model, so Keras 2.x, tf.keras and convscope load it.
Labels: integers 0..k-1 (N,) or one-hot (N, k). Presets (BaSe's tuned hyper-parameters):
  base-cnn-test1/2/3  BaSe's CNN with the L2, dropout, Adam(lr, decay, epsilon 1e-8), batch 32,
                      10 epochs and flips of its tests; base-cnn = base-cnn-test1
  custom              Conv(3x3, same) [BN] ReLU MaxPool per --conv entry, Dense --dense, head

${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, flags, 'train');
    const [xArg, yArg, extra] = args.positionals;
    if (xArg === undefined || yArg === undefined) {
      throw new ArgumentError('BAD_ARGUMENT', "'convscope train' needs images and labels.", { hint: 'Usage: convscope train x.npy y.npy -o model.h5' });
    }
    if (extra !== undefined) throw new ArgumentError('BAD_ARGUMENT', `'convscope train' takes two files (x.npy y.npy), got also '${extra}'.`);
    const output = str(args, 'output');
    if (output === undefined) throw new ArgumentError('BAD_ARGUMENT', "'convscope train' needs -o <model.h5>.");
    if (extname(output).toLowerCase() !== '.h5' && extname(output).toLowerCase() !== '.hdf5') {
      throw new ArgumentError('BAD_ARGUMENT', `-o ${output}: the model is written as a Keras 2 HDF5 file; name it .h5.`);
    }
    if (bool(args, 'flip') && bool(args, 'no-flip')) throw new ArgumentError('BAD_ARGUMENT', '--flip and --no-flip contradict each other.');
    const threads = num(args, 'threads') ?? 2;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new ArgumentError('BAD_ARGUMENT', `--threads must be an integer from 1 to 64, got ${threads}.`);
    const modelPath = resolve(io.cwd, output);
    const stem = join(dirname(modelPath), basename(modelPath, extname(modelPath)));
    const historyPath = resolve(io.cwd, str(args, 'history') ?? `${stem}.history.json`);
    const figurePath = resolve(io.cwd, str(args, 'figure') ?? `${stem}.history.png`);
    const overwrite = bool(args, 'overwrite');
    await preflightWrites([modelPath, historyPath, figurePath], overwrite);

    // 1. Data.
    const x = asImages(await readTensorFile(resolve(io.cwd, xArg)), xArg);
    const bad = nonFiniteSamples(x);
    if (bad.length > 0) {
      throw new ArgumentError('NON_FINITE_INPUT', `${xArg} holds NaN or infinite values (images ${bad.join(', ')}${bad.length === 20 ? ', ...' : ''}); training on them would fail.`);
    }
    const labels = toLabels(readNpy(await readFileLimited(resolve(io.cwd, yArg)), { fileName: yArg }), { name: yArg });
    if (labels.length !== x.shape[0]) {
      throw new ArgumentError('LABEL_MISMATCH', `${xArg} has ${x.shape[0]} images but ${yArg} has ${labels.length} labels.`);
    }
    let classes = 2;
    for (const v of labels) classes = Math.max(classes, v + 1);
    const inputShape = [x.shape[1]!, x.shape[2]!, x.shape[3]!] as const;

    // 2. Plan: preset, then overrides.
    const opt = <T>(name: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [name]: v });
    const dense = intList(args, 'dense');
    const conv = intList(args, 'conv');
    const plan = presetPlan(str(args, 'preset') ?? 'base-cnn', {
      inputShape, classes,
      ...opt('l2', num(args, 'l2')), ...opt('dropoutConv', num(args, 'dropout-conv')), ...opt('dropoutDense', num(args, 'dropout-dense')),
      ...opt('kernelInitializer', initOf(str(args, 'init'))),
      custom: { ...opt('convFilters', conv), ...opt('denseUnits', dense), batchNorm: !bool(args, 'no-batch-norm') },
    });
    if (plan.preset !== 'custom' && (conv !== undefined || dense !== undefined || bool(args, 'no-batch-norm'))) {
      throw new ArgumentError('BAD_ARGUMENT', '--conv, --dense and --no-batch-norm shape a custom network; add --preset custom.');
    }
    const seed = num(args, 'seed') ?? 0;
    const network = new Network(plan.architecture, { seed });
    const epochs = num(args, 'epochs') ?? plan.epochs;
    const fitOptions: FitOptions = {
      epochs,
      batchSize: num(args, 'batch-size') ?? plan.batchSize,
      validationSplit: num(args, 'validation-split') ?? 0.2,
      seed,
      flip: bool(args, 'flip') ? true : bool(args, 'no-flip') ? false : plan.flip,
      optimizer: { ...plan.optimizer, ...opt('learningRate', num(args, 'lr')), ...opt('decay', num(args, 'decay')) },
      ...(bool(args, 'no-early-stopping') ? {} : { earlyStopping: { monitor: 'val_loss', patience: num(args, 'patience') ?? 3, restoreBestWeights: true } }),
      shards: threads,
      ...(io.signal !== undefined ? { signal: io.signal } : {}),
    };
    if (!bool(args, 'json')) {
      io.stderr.write(`training ${plan.preset} (${network.parameterCount.toLocaleString('en-US')} parameters) on ${x.shape[0]} images ${formatShape(x.shape.slice(1))}, ${classes} classes, ${threads} thread${threads === 1 ? '' : 's'}\n`);
    }

    // 3. Fit.
    const pool = createWorkerExecutor(network.architecture, threads);
    let bar = progressBar(io, `epoch 1/${epochs}`);
    let result;
    try {
      result = await fit(network, x, labels, {
        ...fitOptions,
        executor: pool.executor,
        onBatchEnd: (p) => bar(p.batch, p.batches, `loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(4)}`),
        onEpochEnd: (log) => {
          bar.finish();
          if (!bool(args, 'json')) io.stderr.write(`${epochLine(log, epochs)}\n`);
          bar = progressBar(io, `epoch ${log.epoch + 1}/${epochs}`);
        },
      });
    } finally {
      bar.finish();
      await pool.close();
    }

    // 4. Save: model, history, figure.
    const bytes = await saveKerasH5(network, { optimizer: result.options.optimizer });
    await writeFileAtomic(modelPath, bytes, { overwrite });
    const v = result.validation;
    const summary = {
      tool: 'convscope', version: VERSION, command: 'train',
      preset: plan.preset,
      data: { x: xArg, y: yArg, shape: x.shape, classes },
      model: { file: output, bytes: bytes.length, parameters: network.parameterCount, format: 'keras2-h5' },
      architecture: network.architecture,
      options: result.options,
      history: result.history,
      validation: { samples: result.validationIndices.length, indices: Array.from(result.validationIndices), loss: v.loss, accuracy: v.accuracy, confusion: v.confusion },
      seconds: result.seconds,
    };
    await writeFileAtomic(historyPath, `${JSON.stringify(summary, null, 1)}\n`, { overwrite });
    await writeFigure(renderTrainingHistory(result.history, { title: `Training history: ${plan.preset}` }), figurePath, { overwrite });

    if (bool(args, 'json')) {
      io.stdout.write(`${JSON.stringify({ ...summary, written: [modelPath, historyPath, figurePath] })}\n`);
    } else {
      const rows = v.confusion.map((r, i) => `  true ${i}: ${r.map((c) => String(c).padStart(6)).join('')}`);
      io.stdout.write([
        `trained ${result.history.epochs} epoch(s) in ${result.seconds.toFixed(0)} s${result.history.stoppedEarly ? ' (early stopping)' : ''}; kept epoch ${result.history.keptEpoch}`,
        `validation (${result.validationIndices.length} images): loss ${fmt(v.loss)}, accuracy ${v.accuracy.toFixed(3)}`,
        `confusion matrix (rows: true class, columns: predicted ${Array.from({ length: classes }, (_, i) => i).join(', ')}):`,
        ...rows,
        `wrote ${modelPath}`, `wrote ${historyPath}`, `wrote ${figurePath}`,
      ].join('\n') + '\n');
    }
    return 0;
  },
};
