// A model together with its data: x (N, ...input), optional integer labels, class names.
// Checks that they fit each other, and answers the data questions: pick an input by class and
// seed, predictions, accuracy, confusion matrix, most confidently wrong inputs.

import { ArgumentError, formatShape } from '../errors.js';
import type { Model } from '../model/model.js';
import { createRng } from '../random.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { classCount, classProbabilities, predictedClass, resolveClassNames } from './classes.js';

export interface DatasetOptions {
  /** Integer labels (N,), or null when unknown. */
  readonly labels?: Int32Array | null;
  /** Class names, in class order. Default: BaSe preset when `baseTest` is set, else numbers. */
  readonly classNames?: readonly string[];
  /** BaSe test preset (1, 2 or 3) for class names. */
  readonly baseTest?: number;
}

/** The model's verdict on one input. */
export interface Prediction {
  readonly index: number;
  /** True class, or null without labels. */
  readonly trueClass: number | null;
  readonly predictedClass: number;
  /** p_c for every class (see methods/classes.ts for single-unit heads). */
  readonly probabilities: number[];
}

/** An input chosen by `selectInput`, with how it was chosen. */
export interface InputSelection extends Prediction {
  readonly seed: number | null;
  readonly requestedClass: number | null;
  readonly classNames: readonly string[];
}

export interface SelectOptions {
  /** Pick among inputs of this true class (needs labels). Default: a class drawn with the seed. */
  readonly class?: number;
  /** Seed for the draw. Default 0. */
  readonly seed?: number;
  /** Take this input directly (0-based); excludes class and seed. */
  readonly index?: number;
}

/** Model + data, checked. */
export class Dataset {
  readonly model: Model;
  readonly x: Tensor;
  readonly labels: Int32Array | null;
  readonly classNames: readonly string[];
  private cachedOutputs: Tensor | undefined;

  constructor(model: Model, x: Tensor, options: DatasetOptions = {}) {
    this.model = model;
    model.checkInput(x, 'x');
    const n = x.shape[0]!;
    this.x = x;
    this.classNames = resolveClassNames(model.head, {
      ...(options.classNames !== undefined ? { names: options.classNames } : {}),
      ...(options.baseTest !== undefined ? { baseTest: options.baseTest } : {}),
    });
    const labels = options.labels ?? null;
    if (labels !== null) {
      if (labels.length !== n) {
        throw new ArgumentError('LABEL_MISMATCH', `x has ${n} inputs but y has ${labels.length} labels; they must have the same length.`, {
          details: { x: n, y: labels.length },
        });
      }
      const k = classCount(model.head);
      for (let i = 0; i < labels.length; i++) {
        const v = labels[i]!;
        if (v < 0 || v >= k) {
          throw new ArgumentError('LABEL_MISMATCH', `Label ${v} of input ${i} is outside the model's classes 0..${k - 1} (${this.classNames.join(', ')}).`, {
            details: { index: i, label: v, classes: k },
          });
        }
      }
    }
    this.labels = labels;
  }

  get size(): number {
    return this.x.shape[0]!;
  }

  /** One input as a (1, ...) tensor view. */
  input(index: number): Tensor {
    this.checkIndex(index);
    const per = sizeOf(this.x.shape.slice(1));
    return { shape: [1, ...this.x.shape.slice(1)], data: this.x.data.subarray(index * per, (index + 1) * per) };
  }

  checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ArgumentError('BAD_ARGUMENT', `Input index ${index} is out of range: x holds ${this.size} inputs (0 to ${this.size - 1}).`);
    }
  }

  /** Indices of inputs whose true class is c. */
  indicesOfClass(c: number): number[] {
    if (this.labels === null) throw new ArgumentError('BAD_ARGUMENT', 'Choosing by class needs labels (y); none were given.');
    const out: number[] = [];
    for (let i = 0; i < this.labels.length; i++) if (this.labels[i] === c) out.push(i);
    return out;
  }

  /**
   * Picks an input reproducibly. Generator: createRng(seed) (xoshiro128**, src/random.ts); the
   * first draw picks the class (uniform over classes present) when none is given, the next picks
   * the input uniformly among that class's inputs. Without labels, one draw picks any input.
   */
  async selectInput(options: SelectOptions = {}): Promise<InputSelection> {
    const { seed = 0 } = options;
    let index: number;
    if (options.index !== undefined) {
      if (options.class !== undefined) throw new ArgumentError('BAD_ARGUMENT', 'Give an index or a class to pick from, not both.');
      this.checkIndex(options.index);
      index = options.index;
    } else {
      const rng = createRng(seed);
      if (this.labels === null) {
        if (options.class !== undefined) throw new ArgumentError('BAD_ARGUMENT', 'Choosing by class needs labels (y); none were given.');
        index = rng.int(this.size);
      } else {
        let c = options.class;
        if (c === undefined) {
          const present = this.classNames.map((_, i) => i).filter((i) => this.labels!.includes(i));
          c = present[rng.int(present.length)]!;
        } else if (!Number.isInteger(c) || c < 0 || c >= this.classNames.length) {
          throw new ArgumentError('BAD_ARGUMENT', `Class ${c} does not exist; classes are 0..${this.classNames.length - 1} (${this.classNames.join(', ')}).`);
        }
        const pool = this.indicesOfClass(c);
        if (pool.length === 0) throw new ArgumentError('BAD_ARGUMENT', `No input in x has true class ${c} (${this.classNames[c]}).`);
        index = pool[rng.int(pool.length)]!;
      }
    }
    const pred = await this.predictOne(index);
    return {
      ...pred,
      seed: options.index !== undefined ? null : seed,
      requestedClass: options.class ?? null,
      classNames: this.classNames,
    };
  }

  /** The model's verdict on one input (one forward pass, or the cache). */
  async predictOne(index: number): Promise<Prediction> {
    this.checkIndex(index);
    let out: Float32Array;
    if (this.cachedOutputs !== undefined) {
      const per = sizeOf(this.cachedOutputs.shape.slice(1));
      out = this.cachedOutputs.data.subarray(index * per, (index + 1) * per);
    } else {
      out = (await this.model.predict(this.input(index))).data;
    }
    return this.toPrediction(index, out);
  }

  private toPrediction(index: number, out: ArrayLike<number>): Prediction {
    return {
      index,
      trueClass: this.labels === null ? null : this.labels[index]!,
      predictedClass: predictedClass(this.model.head, out),
      probabilities: classProbabilities(this.model.head, out),
    };
  }

  /** Model outputs for all inputs (computed once, then cached). */
  async outputs(options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; batchSize?: number } = {}): Promise<Tensor> {
    this.cachedOutputs ??= await this.model.predict(this.x, options);
    return this.cachedOutputs;
  }

  /** Predictions for every input. */
  async predictions(options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<Prediction[]> {
    const out = await this.outputs(options);
    const per = sizeOf(out.shape.slice(1));
    return Array.from({ length: this.size }, (_, i) => this.toPrediction(i, out.data.subarray(i * per, (i + 1) * per)));
  }

  describe(): string {
    return `x ${formatShape(this.x.shape)}, ${this.labels === null ? 'no labels' : `${this.labels.length} labels`}, classes ${this.classNames.join(', ')}`;
  }
}

/** Accuracy, confusion matrix (rows = true, columns = predicted) and the most confidently wrong inputs. */
export interface ConfusionResult {
  readonly classNames: readonly string[];
  readonly n: number;
  readonly accuracy: number;
  /** counts[t][p]. */
  readonly counts: number[][];
  readonly perClass: { readonly name: string; readonly support: number; readonly recall: number; readonly precision: number }[];
  /** Wrong predictions sorted by the probability given to the predicted class, highest first. */
  readonly mostConfidentlyWrong: { readonly index: number; readonly trueClass: number; readonly predictedClass: number; readonly probability: number }[];
}

/** Confusion matrix of the model on the data (needs labels). */
export async function confusion(data: Dataset, options: { topWrong?: number; signal?: AbortSignal; onProgress?: (d: number, t: number) => void } = {}): Promise<ConfusionResult> {
  const { topWrong = 20 } = options;
  if (data.labels === null) throw new ArgumentError('BAD_ARGUMENT', 'A confusion matrix needs labels (y); none were given.');
  const preds = await data.predictions(options);
  const k = data.classNames.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const wrong: ConfusionResult['mostConfidentlyWrong'][number][] = [];
  let correct = 0;
  for (const p of preds) {
    counts[p.trueClass!]![p.predictedClass]!++;
    if (p.trueClass === p.predictedClass) correct++;
    else wrong.push({ index: p.index, trueClass: p.trueClass!, predictedClass: p.predictedClass, probability: p.probabilities[p.predictedClass]! });
  }
  wrong.sort((a, b) => b.probability - a.probability || a.index - b.index);
  const perClass = data.classNames.map((name, c) => {
    const support = counts[c]!.reduce((s, v) => s + v, 0);
    const predicted = counts.reduce((s, row) => s + row[c]!, 0);
    return { name, support, recall: support === 0 ? NaN : counts[c]![c]! / support, precision: predicted === 0 ? NaN : counts[c]![c]! / predicted };
  });
  return { classNames: data.classNames, n: preds.length, accuracy: preds.length === 0 ? NaN : correct / preds.length, counts, perClass, mostConfidentlyWrong: wrong.slice(0, topWrong) };
}
