// Shared pieces of the Keras readers: options and their defaults, JSON config parsing with
// useful errors, the layer list of a model config, and variable names inferred by layer class.
// Keras snake_case stays inside src/io/keras.

import { ArgumentError, FileFormatError, LimitError, formatShape } from '../../errors.js';
import type { NamedWeight } from './artifacts.js';

/** Default largest number of elements of one weight tensor: 2^28 (1 GiB of float32). */
export const DEFAULT_MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Options of the Keras readers. */
export interface ReadKerasOptions {
  /**
   * Largest number of elements one weight tensor may have, checked from its recorded shape
   * before any data is read (LimitError `LIMIT_EXCEEDED` above it). Default 2^28.
   */
  readonly maxTensorElements?: number;
  /**
   * Largest summed uncompressed size of the entries read from a `.keras` archive, in bytes.
   * Default: the zip reader's default (2 GiB).
   */
  readonly maxZipBytes?: number;
  /** Largest number of entries a `.keras` archive may list. Default: the zip reader's (10,000). */
  readonly maxZipEntries?: number;
  /** Cancels reading between layers (CancelledError). */
  readonly signal?: AbortSignal;
}

/** Options with defaults resolved and checked. */
export interface ResolvedOptions {
  readonly maxTensorElements: number;
  readonly maxZipBytes: number | undefined;
  readonly maxZipEntries: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Resolves defaults and checks option values (ArgumentError `BAD_ARGUMENT`). */
export function resolveOptions(options: ReadKerasOptions = {}): ResolvedOptions {
  const { maxTensorElements = DEFAULT_MAX_TENSOR_ELEMENTS, maxZipBytes, maxZipEntries, signal } = options;
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new ArgumentError('BAD_ARGUMENT', `Option ${name} must be a positive integer, got ${String(v)}.`, { details: { option: name, value: v } });
    }
  };
  positive('maxTensorElements', maxTensorElements);
  positive('maxZipBytes', maxZipBytes);
  positive('maxZipEntries', maxZipEntries);
  return { maxTensorElements, maxZipBytes, maxZipEntries, signal };
}

/** Refuses a tensor shape over the element limit, before its data is read. */
export function checkElements(shape: readonly number[], limit: number, fileName: string, weight: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (n > limit) {
    throw new LimitError('LIMIT_EXCEEDED', `Weight '${weight}' in '${fileName}' has shape ${formatShape(shape)} = ${n} elements, over the limit of ${limit}.`, {
      hint: 'Raise the maxTensorElements option (CLI: --max-tensor-elements <n>) if the file is trusted.',
      details: { file: fileName, weight, shape, limit },
    });
  }
  return n;
}

/** A Keras model config: `{class_name, config, ...}` as serialised. */
export type ModelConfig = { class_name: string; config: unknown; [k: string]: unknown };

/** UTF-8 text of the bytes, without a byte-order mark. */
export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text, unwrapping JSON that was encoded twice (a JSON string holding JSON, as
 * `json.dump(model.to_json(), f)` writes). A syntax error becomes FileFormatError
 * `KERAS_BAD_CONFIG` with the position, or `FILE_TRUNCATED` when the text simply stops.
 * `what` names the text in messages (`'model_config' attribute`); '' names just the file.
 */
export function parseJson(text: string, fileName: string, what: string): unknown {
  let value: unknown = text;
  // A string that parses to a string is parsed again (at most twice: JSON in a JSON string).
  for (let depth = 0; depth < 3 && typeof value === 'string'; depth++) {
    const source: string = value;
    if (depth > 0 && !/^\s*[[{"]/.test(source)) break;
    try {
      value = JSON.parse(source);
    } catch (cause) {
      // Python's json writes NaN and Infinity bare; read them as null and +-1e999 (= +-Infinity).
      const fixed = pythonNonFinite(source);
      if (fixed === null) throw jsonError(source, cause, fileName, what, depth > 0);
      try {
        value = JSON.parse(fixed);
      } catch {
        throw jsonError(source, cause, fileName, what, depth > 0);
      }
    }
  }
  return value;
}

/** `NaN`, `Infinity`, `-Infinity` outside strings replaced by JSON; null when there are none. */
function pythonNonFinite(text: string): string | null {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === 'N' || c === 'I' || c === '-') {
      const m = /^(NaN|-?Infinity)(?![A-Za-z0-9_])/.exec(text.slice(i, i + 10));
      if (m !== null) {
        out += text.slice(last, i) + (m[1] === 'NaN' ? 'null' : m[1] === 'Infinity' ? '1e999' : '-1e999');
        i += m[1]!.length - 1;
        last = i + 1;
      }
    }
  }
  return last === 0 ? null : out + text.slice(last);
}

function jsonError(source: string, cause: unknown, fileName: string, what: string, inner: boolean): FileFormatError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  // Engines differ in whether (and how) they report the position, so find it ourselves.
  const pos = jsonErrorOffset(source) ?? 0;
  const subject = `${what === '' ? `'${fileName}'` : `The ${what} in '${fileName}'`}${inner ? ' (a JSON string holding JSON)' : ''}`;
  if (pos >= source.trimEnd().length) {
    return new FileFormatError('FILE_TRUNCATED', `${subject} ends in the middle of the JSON (after ${source.length} characters).`, {
      hint: 'The file may be truncated; re-download or re-save it.',
      cause,
      details: { file: fileName, length: source.length },
    });
  }
  const lines = source.slice(0, pos).split('\n');
  const line = lines.length;
  const column = lines[lines.length - 1]!.length + 1;
  const before = source.slice(Math.max(0, pos - 30), pos);
  const after = source.slice(pos, pos + 30);
  return new FileFormatError(
    'KERAS_BAD_CONFIG',
    `${subject} is not valid JSON: error at position ${pos} (line ${line}, column ${column}), between ${JSON.stringify(before)} and ${JSON.stringify(after)} (${msg}).`,
    {
      hint: 'Re-save the model with Keras (model.to_json() or model.save()).',
      cause,
      details: { file: fileName, position: pos, line, column },
    },
  );
}

/**
 * Offset of the first JSON syntax error in `s` (`s.length` when the text ends too early), or
 * null when it is valid JSON. Iterative, so hostile nesting cannot overflow the stack.
 */
export function jsonErrorOffset(s: string): number | null {
  const n = s.length;
  const stack: string[] = [];
  let i = 0;
  let state: 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after' = 'value';
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  // Returns the offset after the string starting at s[at] === '"', or -(error offset) - 1.
  const scanString = (at: number): number => {
    let j = at + 1;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 0x22) return j + 1;
      if (c < 0x20) return -j - 1;
      if (c === 0x5c) {
        const e = s[j + 1];
        if (e === undefined) return -n - 1;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(j + 2, j + 6))) return j + 6 > n ? -n - 1 : -j - 1;
          j += 6;
        } else if ('"\\/bfnrt'.includes(e)) j += 2;
        else return -j - 1;
      } else j++;
    }
    return -n - 1;
  };
  for (;;) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= n) return stack.length === 0 && state === 'after' ? null : n;
    const c = s[i]!;
    if (state === 'value' || state === 'valueOrEnd') {
      if (state === 'valueOrEnd' && c === ']') {
        stack.pop();
        i++;
        state = 'after';
      } else if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        state = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
      } else if (c === '"') {
        const j = scanString(i);
        if (j < 0) return -j - 1;
        i = j;
        state = 'after';
      } else {
        number.lastIndex = i;
        const m = number.exec(s);
        const lit = ['true', 'false', 'null'].find((w) => s.startsWith(w, i));
        if (m !== null && m[0].length > 0) i += m[0].length;
        else if (lit !== undefined) i += lit.length;
        else return i;
        state = 'after';
      }
    } else if (state === 'key' || state === 'keyOrEnd') {
      if (state === 'keyOrEnd' && c === '}') {
        stack.pop();
        i++;
        state = 'after';
      } else if (c === '"') {
        const j = scanString(i);
        if (j < 0) return -j - 1;
        i = j;
        state = 'colon';
      } else return i;
    } else if (state === 'colon') {
      if (c !== ':') return i;
      i++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i; // text after the end of the value
      if (c === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop();
        i++;
      } else return i;
    }
  }
}

/** Checks that a parsed value is a Keras model config (`{class_name, config}`). */
export function asModelConfig(value: unknown, fileName: string, what: string): ModelConfig {
  if (!isRecord(value) || typeof value['class_name'] !== 'string' || !('config' in value)) {
    const got = isRecord(value) ? `an object with keys ${Object.keys(value).slice(0, 8).join(', ') || '(none)'}` : describeValue(value);
    throw new FileFormatError('KERAS_BAD_CONFIG', `The ${what} in '${fileName}' is not a Keras model config: expected an object with 'class_name' and 'config', got ${got}.`, {
      hint: 'Pass the JSON that model.to_json() writes, or a full model file (.h5, .keras).',
      details: { file: fileName },
    });
  }
  return value as ModelConfig;
}

/** Plain-object test. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length} items`;
  if (v === null) return 'null';
  return `a ${typeof v}`;
}

/** One entry of a model's layer list, as the config records it. */
export interface LayerEntry {
  readonly className: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
}

/**
 * The layer entries of a Sequential / Functional / Model config, in config order. Sequential
 * configs are either `{layers: [...]}` (Keras 2.2.3+) or a bare list (Keras 1, early Keras 2).
 * Returns null for configs without a layer list (subclassed models, single layers).
 */
export function layerEntries(model: ModelConfig): LayerEntry[] | null {
  const cfg = model.config;
  const list = Array.isArray(cfg) ? cfg : isRecord(cfg) && Array.isArray(cfg['layers']) ? cfg['layers'] : null;
  if (list === null) return null;
  const out: LayerEntry[] = [];
  for (const item of list) {
    if (!isRecord(item)) continue;
    const config = isRecord(item['config']) ? item['config'] : {};
    const name = typeof item['name'] === 'string' ? item['name'] : typeof config['name'] === 'string' ? config['name'] : '';
    const className = typeof item['class_name'] === 'string' ? item['class_name'] : '';
    out.push({ className, name, config });
  }
  return out;
}

/** Class names of nested models whose layers are themselves stored layer by layer. */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Names of the variables a layer stores, in Keras' creation order, inferred from its class and
 * config; null when the class is not one we know (callers then number the variables).
 */
export function inferVarNames(entry: LayerEntry): string[] | null {
  const c = entry.config;
  const flag = (key: string, dflt: boolean): boolean => (typeof c[key] === 'boolean' ? (c[key] as boolean) : dflt);
  const bias = flag('use_bias', flag('bias', true)) ? ['bias'] : [];
  switch (entry.className) {
    case 'Dense':
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'Convolution1D':
    case 'Convolution2D':
    case 'Convolution3D':
    case 'Conv1DTranspose':
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
    case 'Convolution2DTranspose':
    case 'Deconvolution2D':
    case 'LocallyConnected1D':
    case 'LocallyConnected2D':
      return ['kernel', ...bias];
    case 'DepthwiseConv1D':
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'SeparableConv1D':
    case 'SeparableConv2D':
    case 'SeparableConvolution1D':
    case 'SeparableConvolution2D':
      return ['depthwise_kernel', 'pointwise_kernel', ...bias];
    case 'BatchNormalization':
      return [...(flag('scale', true) ? ['gamma'] : []), ...(flag('center', true) ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    case 'LayerNormalization':
      return [...(flag('scale', true) ? ['gamma'] : []), ...(flag('center', true) ? ['beta'] : [])];
    case 'PReLU':
      return ['alpha'];
    case 'Embedding':
      return ['embeddings'];
    case 'Normalization':
      return ['mean', 'variance', 'count'];
    default:
      return null;
  }
}

/** Appends a weight to a layer's list in the map (creating the list). */
export function pushWeight(map: Map<string, NamedWeight[]>, layer: string, weight: NamedWeight): void {
  const list = map.get(layer);
  if (list === undefined) map.set(layer, [weight]);
  else list.push(weight);
}
