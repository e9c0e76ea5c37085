// What a "class" means for each kind of head, in one place: class probabilities, the
// predicted class, and the score whose gradient explains a class. Every method uses these.
//
// - softmax over k units: class c = unit c; p_c = output c; score = logit c.
// - single sigmoid unit: two classes. Class 1 = the unit: p_1 = output, score = logit.
//   Class 0 = its complement: p_0 = 1 - output, score = -logit (sigmoid(-z) = 1 - sigmoid(z)).
// - single linear unit: the same two-class reading on the raw value (p_1 = value, p_0 = 1 - value,
//   score_1 = value, score_0 = -value); values are not probabilities and figures say so.
// - several units with another activation: class c = unit c, p_c = output c, score = pre-activation c.

import { ArgumentError } from '../errors.js';
import type { HeadInfo } from '../model/logits.js';

/** Number of classes a head distinguishes (2 for a single unit). */
export function classCount(head: HeadInfo): number {
  return head.units === 1 ? 2 : head.units;
}

/** p_c for every class, from one sample's model output. */
export function classProbabilities(head: HeadInfo, output: ArrayLike<number>): number[] {
  if (head.units === 1) {
    const p = output[0]!;
    return [1 - p, p];
  }
  return Array.from({ length: head.units }, (_, i) => output[i]!);
}

/** Predicted class of one sample: argmax of the class probabilities (ties: lowest index). */
export function predictedClass(head: HeadInfo, output: ArrayLike<number>): number {
  const p = classProbabilities(head, output);
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

/** Probability of class c for one sample. */
export function classProbability(head: HeadInfo, output: ArrayLike<number>, c: number): number {
  return classProbabilities(head, output)[checkClass(head, c)]!;
}

/** Seed over the logit node's per-sample output whose weighted sum is the score of class c. */
export function scoreSeed(head: HeadInfo, c: number): Float32Array {
  checkClass(head, c);
  const seed = new Float32Array(head.units);
  if (head.units === 1) seed[0] = c === 1 ? 1 : -1;
  else seed[c] = 1;
  return seed;
}

/** Validates a class index against the head; ArgumentError naming the valid range otherwise. */
export function checkClass(head: HeadInfo, c: number): number {
  const k = classCount(head);
  if (!Number.isInteger(c) || c < 0 || c >= k) {
    throw new ArgumentError('BAD_ARGUMENT', `Class ${c} does not exist: this model has ${k} classes (0 to ${k - 1}).`, {
      hint: head.units === 1 ? 'For a single-unit head, class 1 is the unit and class 0 its complement.' : undefined,
    });
  }
  return c;
}

/** Human-readable description of the head and how classes are read from it. */
export function describeHead(head: HeadInfo): string {
  switch (head.kind) {
    case 'sigmoid':
      return 'single sigmoid unit: p(class 1) = output, p(class 0) = 1 - output; scores are the logit and its negation';
    case 'softmax':
      return `softmax over ${head.units} classes; scores are the pre-softmax logits`;
    case 'linear':
      return head.units === 1
        ? 'single linear unit: class 1 = the raw output, class 0 = 1 - output (not probabilities)'
        : `${head.units} linear units (class c = unit c; not probabilities)`;
    default:
      return `${head.units} units (class c = unit c; scores are pre-activation values)`;
  }
}

/** The class names of BaSe's three tests (`--test 1|2|3`). */
export const BASE_TESTS: Readonly<Record<1 | 2 | 3, readonly [string, string]>> = {
  1: ['Neutral', 'Selection'],
  2: ['Incomplete Sweep', 'Balancing Selection'],
  3: ['Overdominance', 'Negative Freq-Dep. Selection'],
};

/**
 * Resolves class names: explicit names, a BaSe test preset, or the class numbers.
 * Throws when the count does not match the head.
 */
export function resolveClassNames(head: HeadInfo, options: { names?: readonly string[]; baseTest?: number } = {}): string[] {
  const k = classCount(head);
  let names: readonly string[];
  if (options.names !== undefined && options.baseTest !== undefined) {
    throw new ArgumentError('BAD_ARGUMENT', 'Give class names or a BaSe test preset, not both.');
  }
  if (options.baseTest !== undefined) {
    const t = options.baseTest;
    if (t !== 1 && t !== 2 && t !== 3) throw new ArgumentError('BAD_ARGUMENT', `BaSe test must be 1, 2 or 3, got ${t}.`);
    names = BASE_TESTS[t];
  } else if (options.names !== undefined) {
    names = options.names.map((s) => s.trim());
    if (names.some((s) => s.length === 0)) throw new ArgumentError('BAD_ARGUMENT', `Class names must not be empty: "${options.names.join(',')}".`);
    if (new Set(names).size !== names.length) throw new ArgumentError('BAD_ARGUMENT', `Class names must be distinct: "${options.names.join(',')}".`);
  } else {
    names = Array.from({ length: k }, (_, i) => String(i));
  }
  if (names.length !== k) {
    throw new ArgumentError('LABEL_MISMATCH', `${names.length} class names given (${names.join(', ')}) but the model has ${k} classes.`, {
      hint: head.units === 1 ? 'A single-unit head has two classes: name class 0 then class 1.' : undefined,
    });
  }
  return [...names];
}
