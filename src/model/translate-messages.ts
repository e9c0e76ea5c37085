// Every error the Keras translator throws, built in one place so that messages stay uniform
// (what happened, the offending value, what was expected, what to do) and tests can assert codes.

import { FileFormatError, LimitError, UnsupportedError, ArgumentError, formatShape } from '../errors.js';
import type { Shape } from './ir.js';

/** Where in the file a problem sits: the file name and, when known, the layer and its class. */
export interface Where {
  readonly fileName: string;
  readonly layer?: string;
  readonly className?: string;
}

function at(w: Where): string {
  const layer = w.layer !== undefined ? ` layer '${w.layer}'${w.className !== undefined ? ` (${w.className})` : ''}` : '';
  return `${w.fileName}:${layer}`;
}

function details(w: Where, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { file: w.fileName, layer: w.layer, className: w.className, ...extra };
}

/** Shows a config value briefly for a message. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** The architecture config is not what Keras writes (KERAS_BAD_CONFIG). */
export function badConfig(w: Where, what: string, found?: unknown): FileFormatError {
  const f = found !== undefined ? ` Found: ${show(found)}.` : '';
  return new FileFormatError('KERAS_BAD_CONFIG', `${at(w)} ${what}.${f}`, {
    hint: 'The model config is damaged or was not written by Keras; re-save the model with model.save().',
    details: details(w, { found }),
  });
}

/** A layer class convscope does not translate (KERAS_UNSUPPORTED_LAYER). */
export function unsupportedLayer(w: Where, supported: readonly string[], why?: string): UnsupportedError {
  const reason = why !== undefined ? ` ${why}` : '';
  return new UnsupportedError(
    'KERAS_UNSUPPORTED_LAYER',
    `${at(w)} is of a class convscope does not translate.${reason} Supported classes: ${supported.join(', ')}.`,
    {
      hint: 'Open the model from the layer after it with startAfter (CLI: --start-after <name>) if it only preprocesses the input, or rebuild the model with supported layers.',
      details: details(w),
    },
  );
}

/** A layer option outside what convscope runs (KERAS_UNSUPPORTED_LAYER), e.g. BatchNormalization mode 2. */
export function unsupportedOption(w: Where, what: string): UnsupportedError {
  return new UnsupportedError('KERAS_UNSUPPORTED_LAYER', `${at(w)} ${what}.`, {
    hint: 'Rebuild the layer with supported options, or open the model after it with startAfter (CLI: --start-after <name>).',
    details: details(w),
  });
}

/** Describes the Lambda output shape the startAfter input would have, for messages. */
export function lambdaShapeNote(shape: Shape | null, assumed: boolean): string {
  if (shape === null) return '';
  return assumed
    ? ` With startAfter the new input has shape ${formatShape(shape)}: the config records no output_shape, so it is assumed equal to the Lambda's input shape.`
    : ` With startAfter the new input has shape ${formatShape(shape)} (the Lambda's recorded output_shape).`;
}

/** A Lambda layer that would have to run (KERAS_LAMBDA). */
export function lambdaLayer(w: Where, outShape: Shape | null, assumed: boolean): UnsupportedError {
  const name = w.layer ?? '?';
  return new UnsupportedError(
    'KERAS_LAMBDA',
    `${at(w)} is a Lambda layer. Its function is stored as marshalled Python bytecode, which convscope never executes (it is not portable and running it would be unsafe).` +
      lambdaShapeNote(outShape, assumed),
    {
      hint: `To use the rest of the model, open it from the layer after the Lambda with the option startAfter: '${name}' (CLI: --start-after ${name}); the Lambda's preprocessing is then yours to apply to x before passing it in.`,
      details: details(w, { outputShape: outShape, outputShapeAssumed: assumed }),
    },
  );
}

/** One expected weight, for messages. */
export interface ExpectedWeight {
  readonly role: string;
  readonly shape: readonly number[];
}

function listExpected(expected: readonly ExpectedWeight[]): string {
  return expected.length === 0 ? 'none' : expected.map((e) => `${e.role} ${formatShape(e.shape)}`).join(', ');
}

function listFound(found: readonly { name: string; shape: readonly number[] }[]): string {
  return found.length === 0 ? 'none' : found.map((f) => `${f.name} ${formatShape(f.shape)}`).join(', ');
}

/** The weights file has no weights for a layer that needs them (KERAS_MISSING_WEIGHTS). */
export function missingWeights(w: Where, expected: readonly ExpectedWeight[], looked: readonly string[]): FileFormatError {
  return new FileFormatError(
    'KERAS_MISSING_WEIGHTS',
    `${at(w)} has no weights in the file (looked for ${looked.map((k) => `'${k}'`).join(', ')}); expected ${listExpected(expected)}.`,
    {
      hint: 'Check that the weights file belongs to this architecture (same layer names), or re-save the model with model.save().',
      details: details(w, { expected }),
    },
  );
}

/** Stored weights that do not fit the architecture (KERAS_WEIGHTS_MISMATCH). */
export function weightsMismatch(
  w: Where,
  expected: readonly ExpectedWeight[],
  found: readonly { name: string; shape: readonly number[] }[],
  what: string,
): FileFormatError {
  return new FileFormatError(
    'KERAS_WEIGHTS_MISMATCH',
    `${at(w)} ${what}: expected ${listExpected(expected)}; the file has ${listFound(found)}.`,
    {
      hint: 'The weights do not belong to this architecture (or the file is damaged); use the config and weights saved together.',
      details: details(w, { expected, found }),
    },
  );
}

/** A stored weight holding NaN or infinite values (FILE_CORRUPT): damage, or a diverged model. */
export function nonFiniteWeight(w: Where, weight: string, count: number, firstIndex: number): FileFormatError {
  return new FileFormatError(
    'FILE_CORRUPT',
    `${at(w)} weight '${weight}' holds ${count} NaN or infinite value${count === 1 ? '' : 's'} (the first at flat index ${firstIndex}), so every output would be meaningless.`,
    {
      hint: 'The file is damaged (re-download or re-save it), or the model diverged in training (use an earlier checkpoint).',
      details: details(w, { weight, count, firstIndex }),
    },
  );
}

/** Weights stored for a layer the config does not have (KERAS_WEIGHTS_MISMATCH). */
export function orphanWeights(fileName: string, keys: readonly string[], known: readonly string[]): FileFormatError {
  return new FileFormatError(
    'KERAS_WEIGHTS_MISMATCH',
    `${fileName}: the file stores weights for ${keys.map((k) => `'${k}'`).join(', ')}, which the architecture does not have (its layers: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', ...' : ''}).`,
    {
      hint: 'The weights do not belong to this architecture; use the config and weights saved together.',
      details: { file: fileName, keys },
    },
  );
}

/** The CLI flag of each limit option. */
const CLI_FLAGS: Readonly<Record<string, string>> = { maxLayers: 'max-layers', maxParams: 'max-params' };

/** A limit (layers, parameters) is exceeded (LIMIT_EXCEEDED). */
export function limitExceeded(fileName: string, what: string, value: number, limit: number, option: string): LimitError {
  return new LimitError('LIMIT_EXCEEDED', `${fileName}: the model has ${value} ${what}, more than the limit of ${limit}.`, {
    hint: `Raise the ${option} option if you trust this file${CLI_FLAGS[option] !== undefined ? ` (CLI: --${CLI_FLAGS[option]} <n>)` : ''}.`,
    details: { file: fileName, value, limit, option },
  });
}

/** startAfter names no layer (BAD_ARGUMENT). */
export function unknownStartAfter(fileName: string, name: string, layers: readonly string[]): ArgumentError {
  return new ArgumentError(
    'BAD_ARGUMENT',
    `startAfter: '${name}' is not a layer of ${fileName}. Its layers: ${layers.slice(0, 40).join(', ')}${layers.length > 40 ? ', ...' : ''}.`,
    { hint: 'Pass the exact layer name shown by `convscope summary` (nested layers as outer/inner).', details: { file: fileName, startAfter: name } },
  );
}
