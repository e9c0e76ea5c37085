// The training loop, as Keras' `model.fit` runs it: seeded shuffles each epoch, mini-batches
// (the last one may be smaller), training-mode forward/backward, Adam, per-epoch loss and
// accuracy (training: running means over the epoch's batches, as Keras reports them; validation:
// inference mode on the held-out set), early stopping, and a final evaluation of the kept
// weights (confusion matrix). Isomorphic; yields to the event loop between batches.
//
// Where we differ from Keras: the validation split is stratified and shuffled (Keras takes the
// last rows unshuffled; BaSe shuffles with scikit-learn); with restoreBestWeights the best
// weights are restored at the end of training whether or not it stopped early (Keras 2.3 only
// restores when it stops early).

import { type Arr, type RTensor } from '../engine/ref/common.js';
import { ReferenceEngine } from '../engine/ref/engine.js';
import { ArgumentError, throwIfAborted } from '../errors.js';
import { createRng, shuffleInPlace } from '../random.js';
import { takeRows, type Tensor } from '../tensor.js';
import { KERAS_EPSILON, l2Penalty } from './loss.js';
import type { Network } from './network.js';
import { Adam, type AdamOptions, type ResolvedAdam } from './optimizer.js';
import type { HeadSpec } from './spec.js';
import { type Shard, type ShardExecutor, combineShards, localExecutor, shardRanges } from './step.js';

/** Keras-style early stopping. */
export interface EarlyStoppingOptions {
  /** Quantity watched (default 'val_loss'; lower is better for loss, higher for accuracy). */
  readonly monitor?: 'val_loss' | 'val_accuracy';
  /** Epochs without improvement before stopping (default 3). */
  readonly patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  readonly minDelta?: number;
  /** Put back the weights of the best epoch when training ends (default true). */
  readonly restoreBestWeights?: boolean;
}

/** Metrics of one finished epoch (Keras' history keys). */
export interface EpochLog {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean training loss over the epoch (cross-entropy + L2 penalty, training mode). */
  readonly loss: number;
  /** Training accuracy over the epoch (training mode). */
  readonly accuracy: number;
  /** Validation loss (inference mode, cross-entropy + L2 penalty). */
  readonly val_loss: number;
  readonly val_accuracy: number;
  /** Wall-clock seconds of the epoch, validation included. */
  readonly seconds: number;
  /** Learning rate at the end of the epoch (after Keras' time decay). */
  readonly learningRate: number;
}

/** Progress within an epoch. */
export interface BatchProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Batches done in this epoch, and in all. */
  readonly batch: number;
  readonly batches: number;
  /** Running mean loss and accuracy of the epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
}

/** Options of {@link fit}. Defaults in brackets are Keras' unless said otherwise. */
export interface FitOptions {
  /** Passes over the training data (default 10). */
  readonly epochs?: number;
  /** Samples per gradient step (default 32). */
  readonly batchSize?: number;
  /**
   * Fraction of the data held out for validation, stratified by class and seeded (default 0.2).
   * Ignored when `validation` is given.
   */
  readonly validationSplit?: number;
  /** An explicit validation set instead of a split. */
  readonly validation?: { readonly x: Tensor; readonly labels: ArrayLike<number> };
  /** Seed of the split, the shuffles, the dropout masks and the flips (default 0). */
  readonly seed?: number;
  /** Adam settings (Keras defaults). */
  readonly optimizer?: AdamOptions;
  /** Early stopping; default none (train every epoch). */
  readonly earlyStopping?: EarlyStoppingOptions;
  /** Random horizontal flips of training images, as Keras' ImageDataGenerator(horizontal_flip=True) (default false). */
  readonly flip?: boolean;
  /**
   * Shards per batch (default 1: Keras' single-device step). With more, each shard's BatchNorm
   * uses its own statistics (as Keras on several devices); the result depends on this number,
   * not on where the shards run.
   */
  readonly shards?: number;
  /** Runs the shards of each step (default: one after another in this thread; Node: worker threads). */
  readonly executor?: ShardExecutor;
  /** Samples per forward pass when evaluating (default 64). */
  readonly evaluationBatchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after every training batch. */
  readonly onBatchEnd?: (progress: BatchProgress) => void;
  /** Called after every epoch; returning false stops training. */
  readonly onEpochEnd?: (log: EpochLog) => boolean | void;
}

/** Keras-like history: one value per epoch run. */
export interface TrainingHistory {
  readonly loss: number[];
  readonly accuracy: number[];
  readonly val_loss: number[];
  readonly val_accuracy: number[];
  readonly seconds: number[];
  readonly learningRate: number[];
  /** Epochs run. */
  readonly epochs: number;
  /** True when early stopping (or onEpochEnd) ended training before `epochs`. */
  readonly stoppedEarly: boolean;
  /** 1-based epoch whose weights were kept (the best by the monitor with restoreBestWeights, else the last). */
  readonly keptEpoch: number;
}

/** Evaluation of a set of samples. */
export interface Evaluation {
  /** Cross-entropy + L2 penalty, inference mode. */
  readonly loss: number;
  readonly accuracy: number;
  /** Predicted class per sample. */
  readonly predictions: Int32Array;
  /** p(class 1) per sample for a sigmoid head; the softmax row per sample otherwise (N x classes). */
  readonly probabilities: Float32Array;
  /** confusion[true][predicted] counts. */
  readonly confusion: number[][];
}

/** What fit() returns. */
export interface FitResult {
  readonly history: TrainingHistory;
  /** Rows of x used for training and for validation (empty with an explicit validation set). */
  readonly trainIndices: Int32Array;
  readonly validationIndices: Int32Array;
  /** The kept weights evaluated on the validation set. */
  readonly validation: Evaluation;
  /** The options used, with defaults filled in. */
  readonly options: {
    readonly epochs: number; readonly batchSize: number; readonly validationSplit: number | null; readonly seed: number;
    readonly optimizer: ResolvedAdam; readonly earlyStopping: Required<EarlyStoppingOptions> | null; readonly flip: boolean;
    readonly shards: number;
  };
  /** Wall-clock seconds of the whole fit. */
  readonly seconds: number;
}

function badArg(message: string, hint?: string): ArgumentError {
  return new ArgumentError('BAD_ARGUMENT', message, hint !== undefined ? { hint } : {});
}

/**
 * A stratified, seeded split: in each class, round(fraction * count) rows (at least one when the
 * class has two or more) go to validation. Both index lists come back sorted.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw badArg(`validationSplit must be in (0, 1), got ${fraction}.`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const list = byClass.get(y);
    if (list === undefined) byClass.set(y, [i]);
    else list.push(i);
  }
  const rng = createRng(seed);
  const train: number[] = [];
  const val: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = Int32Array.from(byClass.get(cls)!);
    shuffleInPlace(idx, rng);
    let k = Math.round(fraction * idx.length);
    if (k === 0 && idx.length >= 2) k = 1;
    if (k === idx.length) k = idx.length - 1;
    for (let i = 0; i < idx.length; i++) (i < k ? val : train).push(idx[i]!);
  }
  const sort = (a: number[]): Int32Array => Int32Array.from(a.sort((p, q) => p - q));
  return { train: sort(train), validation: sort(val) };
}

/** Copies rows `rows` of x (N, h, w, c) into `dst`, flipping each row horizontally where `flips[i]`. */
function gather(x: Float32Array, per: number, cols: number, channels: number, rows: ArrayLike<number>, dst: Float32Array, flips: Uint8Array | null): void {
  const lineLen = cols * channels;
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i]! * per;
    const o = i * per;
    if (flips === null || flips[i] === 0) {
      dst.set(x.subarray(src, src + per), o);
    } else {
      for (let line = 0; line < per; line += lineLen) {
        for (let cc = 0; cc < cols; cc++) {
          const from = src + line + (cols - 1 - cc) * channels;
          const to = o + line + cc * channels;
          for (let ch = 0; ch < channels; ch++) dst[to + ch] = x[from + ch]!;
        }
      }
    }
  }
}

/** Loss and hits from probabilities, as Keras computes cross-entropy from a model's outputs. */
function probabilityLoss(head: HeadSpec, probs: Arr, labels: ArrayLike<number>, start: number, n: number): { total: number; correct: number; predictions: number[] } {
  let total = 0;
  let correct = 0;
  const predictions: number[] = [];
  const k = head.kind === 'sigmoid' ? 1 : head.classes;
  const clip = (p: number): number => Math.min(1 - KERAS_EPSILON, Math.max(KERAS_EPSILON, p));
  for (let i = 0; i < n; i++) {
    const y = labels[start + i]!;
    let pred: number;
    if (head.kind === 'sigmoid') {
      const p = probs[i]!;
      total += y === 1 ? -Math.log(clip(p)) : -Math.log(1 - clip(p));
      pred = p > 0.5 ? 1 : 0;
    } else {
      let arg = 0;
      for (let j = 1; j < k; j++) if (probs[i * k + j]! > probs[i * k + arg]!) arg = j;
      // Keras renormalises a softmax output before the log; it already sums to 1 up to rounding.
      let sum = 0;
      for (let j = 0; j < k; j++) sum += probs[i * k + j]!;
      total += -Math.log(clip(probs[i * k + y]! / sum));
      pred = arg;
    }
    if (pred === y) correct++;
    predictions.push(pred);
  }
  return { total, correct, predictions };
}

/**
 * Evaluates the network (inference mode: moving statistics, no dropout) on x with integer
 * labels: loss (cross-entropy + L2 penalty, as Keras' evaluate), accuracy, predictions,
 * probabilities and the confusion matrix. Runs the IR graph on the reference engine, the same
 * arithmetic as a model opened from the saved file.
 */
export async function evaluate(network: Network, x: Tensor, labels: ArrayLike<number>, options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<Evaluation> {
  const { batchSize = 64, signal } = options;
  const head = network.architecture.head;
  const n = x.shape[0]!;
  if (labels.length !== n) throw new ArgumentError('LABEL_MISMATCH', `x has ${n} samples but there are ${labels.length} labels.`);
  const engine = new ReferenceEngine(network.toGraph({ copy: false }));
  const per = x.data.length / Math.max(n, 1);
  const k = head.kind === 'sigmoid' ? 1 : head.classes;
  const probabilities = new Float32Array(n * k);
  const predictions = new Int32Array(n);
  const confusion = Array.from({ length: head.classes }, () => new Array<number>(head.classes).fill(0));
  let total = 0;
  let correct = 0;
  const out = engine.graph.outputs[0]!;
  for (let s = 0; s < n; s += batchSize) {
    throwIfAborted(signal);
    const e = Math.min(n, s + batchSize);
    const batch: RTensor = { shape: [e - s, ...x.shape.slice(1)], data: x.data.subarray(s * per, e * per) };
    const res = await engine.runRaw([batch], signal !== undefined ? { signal } : {});
    const probs = res.get(out)!.data;
    probabilities.set(probs, s * k);
    const r = probabilityLoss(head, probs, labels, s, e - s);
    total += r.total;
    correct += r.correct;
    r.predictions.forEach((p, i) => {
      predictions[s + i] = p;
      confusion[labels[s + i]!]![p]!++;
    });
  }
  await engine.dispose();
  return { loss: n > 0 ? total / n + l2Penalty(network.parameters) : NaN, accuracy: n > 0 ? correct / n : NaN, predictions, probabilities, confusion };
}

function checkData(network: Network, x: Tensor, labels: ArrayLike<number>, what: string): void {
  const a = network.architecture;
  const want = [a.inputShape[0], a.inputShape[1], a.inputShape[2]];
  if (x.shape.length !== 4 || want.some((d, i) => x.shape[i + 1] !== d)) {
    throw new ArgumentError('SHAPE_MISMATCH', `${what} has shape (${x.shape.join(', ')}) but the network takes (N, ${want.join(', ')}).`, {
      hint: 'Make the images match the network input (convscope images --size), or build the network for their size.',
    });
  }
  if (labels.length !== x.shape[0]) {
    throw new ArgumentError('LABEL_MISMATCH', `${what} has ${x.shape[0]} samples but ${labels.length} labels.`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= a.head.classes) {
      throw new ArgumentError('LABEL_MISMATCH', `${what}: label ${i} is ${y}, but the network has ${a.head.classes} classes (labels 0..${a.head.classes - 1}).`, {
        details: { index: i, label: y },
      });
    }
  }
}

function subset(x: Tensor, labels: ArrayLike<number>, rows: Int32Array): { x: Tensor; labels: Int32Array } {
  return { x: takeRows(x, rows), labels: Int32Array.from(rows, (r) => labels[r]!) };
}

/**
 * Trains `network` in place on x (N, rows, cols, channels) float32 with integer class labels.
 * Steps per epoch: shuffle the training rows (seeded), then per batch: gather (and flip),
 * forward in training mode, cross-entropy + L2, backward, Adam. After each epoch: validation in
 * inference mode, history, early stopping. Finally the kept weights are evaluated.
 *
 * Errors: ArgumentError BAD_ARGUMENT (options), SHAPE_MISMATCH / LABEL_MISMATCH (data),
 * CancelledError on abort.
 */
export async function fit(network: Network, x: Tensor, labels: ArrayLike<number>, options: FitOptions = {}): Promise<FitResult> {
  const started = Date.now();
  const {
    epochs = 10, batchSize = 32, validationSplit = 0.2, seed = 0, flip = false, evaluationBatchSize = 64, shards = 1,
    executor = localExecutor, signal, onBatchEnd, onEpochEnd,
  } = options;
  if (!Number.isInteger(shards) || shards < 1) throw badArg(`shards must be an integer >= 1, got ${shards}.`);
  if (!Number.isInteger(epochs) || epochs < 1) throw badArg(`epochs must be an integer >= 1, got ${epochs}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw badArg(`batchSize must be an integer >= 1, got ${batchSize}.`);
  if (!Number.isInteger(evaluationBatchSize) || evaluationBatchSize < 1) throw badArg(`evaluationBatchSize must be an integer >= 1, got ${evaluationBatchSize}.`);
  if (!Number.isInteger(seed)) throw badArg(`seed must be an integer, got ${seed}.`);
  const es = options.earlyStopping === undefined ? null : {
    monitor: options.earlyStopping.monitor ?? 'val_loss',
    patience: options.earlyStopping.patience ?? 3,
    minDelta: options.earlyStopping.minDelta ?? 0,
    restoreBestWeights: options.earlyStopping.restoreBestWeights ?? true,
  } as const;
  if (es !== null && (!Number.isInteger(es.patience) || es.patience < 0)) throw badArg(`earlyStopping.patience must be an integer >= 0, got ${es.patience}.`);
  if (es !== null && !(es.minDelta >= 0)) throw badArg(`earlyStopping.minDelta must be >= 0, got ${es.minDelta}.`);
  checkData(network, x, labels, 'x');

  // 1. Training and validation sets.
  let trainIndices: Int32Array;
  let validationIndices: Int32Array;
  let val: { x: Tensor; labels: Int32Array };
  if (options.validation !== undefined) {
    checkData(network, options.validation.x, options.validation.labels, 'validation x');
    trainIndices = Int32Array.from({ length: x.shape[0]! }, (_, i) => i);
    validationIndices = new Int32Array(0);
    val = { x: options.validation.x, labels: Int32Array.from(options.validation.labels) };
  } else {
    const split = stratifiedSplit(labels, validationSplit, seed);
    trainIndices = split.train;
    validationIndices = split.validation;
    val = subset(x, labels, validationIndices);
  }
  if (trainIndices.length === 0) throw badArg('No training samples are left after the validation split.');
  if (val.labels.length === 0) throw badArg('The validation set is empty.', 'Give more samples or a larger validationSplit.');

  // 2. Epochs.
  const net = network;
  const adam = new Adam(net.parameters, options.optimizer ?? {});
  const rng = createRng(seed + 1);
  const per = x.data.length / x.shape[0]!;
  const [, cols, channels] = net.architecture.inputShape;
  const order = trainIndices.slice();
  const nBatches = Math.ceil(order.length / batchSize);
  const buffer = new Float32Array(Math.min(batchSize, order.length) * per);
  const history: { -readonly [K in keyof TrainingHistory]: TrainingHistory[K] } = {
    loss: [], accuracy: [], val_loss: [], val_accuracy: [], seconds: [], learningRate: [], epochs: 0, stoppedEarly: false, keptEpoch: 0,
  };
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: Float32Array[] | null = null;
  // Validation results of the last epoch and of the kept one: the final figures, without a pass of their own.
  let lastEval: Evaluation | null = null;
  let bestEval: Evaluation | null = null;
  let wait = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = Date.now();
    shuffleInPlace(order, rng);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < nBatches; b++) {
      throwIfAborted(signal);
      const rows = order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
      const n = rows.length;
      let flips: Uint8Array | null = null;
      if (flip) {
        flips = new Uint8Array(n);
        for (let i = 0; i < n; i++) flips[i] = rng.next() < 0.5 ? 1 : 0;
      }
      const data = buffer.subarray(0, n * per);
      gather(x.data, per, cols, channels, rows, data, flips);
      const batchLabels = Int32Array.from(rows, (r) => labels[r]!);
      const parts: Shard[] = shardRanges(n, shards).map(([s, e]) => ({
        x: { shape: [e - s, ...x.shape.slice(1)], data: data.subarray(s * per, e * per) },
        labels: batchLabels.subarray(s, e),
        seed: rng.uint32(),
      }));
      const step = combineShards(await executor(net, parts));
      const penalty = l2Penalty(net.parameters, step.grads);
      adam.step(step.grads);
      net.applyBatchStatistics(step.batchNorm);
      lossSum += (step.loss + penalty) * n;
      correct += step.correct;
      seen += n;
      onBatchEnd?.({ epoch, epochs, batch: b + 1, batches: nBatches, loss: lossSum / seen, accuracy: correct / seen });
      // Let progress output, timers and aborts through.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    const v = await evaluate(net, val.x, val.labels, { batchSize: evaluationBatchSize, ...(signal !== undefined ? { signal } : {}) });
    lastEval = v;
    const log: EpochLog = {
      epoch, loss: lossSum / seen, accuracy: correct / seen, val_loss: v.loss, val_accuracy: v.accuracy,
      seconds: (Date.now() - t0) / 1000, learningRate: adam.currentLearningRate,
    };
    history.loss.push(log.loss);
    history.accuracy.push(log.accuracy);
    history.val_loss.push(log.val_loss);
    history.val_accuracy.push(log.val_accuracy);
    history.seconds.push(log.seconds);
    history.learningRate.push(log.learningRate);
    history.epochs = epoch;
    const stop = onEpochEnd?.(log) === false;
    if (es !== null) {
      const score = es.monitor === 'val_loss' ? log.val_loss : -log.val_accuracy;
      if (score < best - es.minDelta) {
        best = score;
        bestEpoch = epoch;
        wait = 0;
        if (es.restoreBestWeights) {
          bestWeights = net.snapshot();
          bestEval = v;
        }
      } else {
        wait++;
      }
      if (wait > 0 && wait >= es.patience && epoch < epochs) {
        history.stoppedEarly = true;
        break;
      }
    }
    if (stop) {
      history.stoppedEarly = epoch < epochs;
      break;
    }
  }
  history.keptEpoch = history.epochs;
  let kept = lastEval;
  if (bestWeights !== null) {
    net.restore(bestWeights);
    history.keptEpoch = bestEpoch;
    kept = bestEval;
  }

  // 3. The kept weights on the validation set (evaluation is deterministic: the epoch's figures).
  const validation = kept ?? (await evaluate(net, val.x, val.labels, { batchSize: evaluationBatchSize, ...(signal !== undefined ? { signal } : {}) }));
  return {
    history,
    trainIndices,
    validationIndices,
    validation,
    options: { epochs, batchSize, validationSplit: options.validation !== undefined ? null : validationSplit, seed, optimizer: adam.options, earlyStopping: es, flip, shards },
    seconds: (Date.now() - started) / 1000,
  };
}
