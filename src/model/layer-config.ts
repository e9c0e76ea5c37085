// One layer's config, read through typed accessors that throw KERAS_BAD_CONFIG naming the layer,
// the option and the value; plus the Keras 1 -> Keras 2 option renaming table.

import type { DataFormat, Padding } from './ir.js';
import { badConfig, type Where } from './translate-messages.js';

/** Keras generation that wrote a config (1: Keras 1.x; 2: Keras 2, tf.keras, TensorFlow.js; 3: Keras 3). */
export type Dialect = 1 | 2 | 3;

type Obj = Record<string, unknown>;

/** Typed, validating view of a layer config (Keras 2 option names). */
export class LayerConfig {
  /** The (normalised) config object; Keras snake_case keys. */
  readonly raw: Readonly<Obj>;
  /** File, layer and class, for messages. */
  readonly where: Where;

  constructor(raw: Obj, where: Where) {
    this.raw = raw;
    this.where = where;
  }

  /** True when the option is present and not null. */
  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  private bad(key: string, expected: string): never {
    throw badConfig(this.where, `option '${key}' should be ${expected}`, this.raw[key]);
  }

  /** A finite number; `fallback` when absent or null (else KERAS_BAD_CONFIG). */
  num(key: string, fallback?: number): number {
    const v = this.raw[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.bad(key, 'a number');
    return v;
  }

  /** A number or null (absent = null). */
  numOrNull(key: string): number | null {
    return this.has(key) ? this.num(key) : null;
  }

  /** An integer >= min. */
  int(key: string, fallback?: number, min = 1): number {
    const v = this.num(key, fallback);
    if (!Number.isSafeInteger(v) || v < min) return this.bad(key, `an integer >= ${min}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') return this.bad(key, 'true or false');
    return v;
  }

  str(key: string, fallback?: string): string {
    const v = this.raw[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') return this.bad(key, 'a string');
    return v;
  }

  /** n integers >= min: an int (repeated n times) or a list of n ints. */
  ints(key: string, n: number, fallback?: number, min = 1): number[] {
    const v = this.raw[key];
    if ((v === undefined || v === null) && fallback !== undefined) return new Array<number>(n).fill(fallback);
    const list = typeof v === 'number' ? new Array<unknown>(n).fill(v) : v;
    if (!Array.isArray(list) || list.length !== n || !list.every((d) => Number.isSafeInteger(d) && (d as number) >= min)) {
      return this.bad(key, `${n === 1 ? 'an integer' : `${n} integers`} >= ${min}`);
    }
    return list as number[];
  }

  /** A list of integers (any length), e.g. Reshape target_shape. */
  intList(key: string): number[] {
    const v = this.raw[key];
    if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d))) return this.bad(key, 'a list of integers');
    return v as number[];
  }

  /** `data_format`: absent means channels_last (Keras' default for every saved model we read). */
  dataFormat(): DataFormat {
    const v = this.str('data_format', 'channels_last');
    if (v !== 'channels_last' && v !== 'channels_first') return this.bad('data_format', "'channels_last' or 'channels_first'");
    return v;
  }

  /** `padding` of a convolution or pooling layer. */
  padding(allowCausal: boolean): Padding {
    const v = this.str('padding', 'valid').toLowerCase();
    if (v === 'valid' || v === 'same' || (allowCausal && v === 'causal')) return v;
    return this.bad('padding', allowCausal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'");
  }

  /** Pairs [before, after] per spatial axis for ZeroPadding / Cropping (int, [a, b] or [[a, b], ...]). */
  pairs(key: string, rank: 1 | 2, min = 0): [number, number][] {
    const v = this.raw[key];
    const isInt = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= min;
    const expected = rank === 1 ? 'an integer or [before, after]' : 'an integer, [rows, cols] or [[top, bottom], [left, right]]';
    if (isInt(v)) return new Array(rank).fill(0).map(() => [v, v] as [number, number]);
    if (!Array.isArray(v)) return this.bad(key, expected);
    if (v.length === 2 && v.every(isInt)) {
      const [a, b] = v as [number, number];
      return rank === 1 ? [[a, b]] : [[a, a], [b, b]];
    }
    if (rank === 2 && v.length === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(isInt))) {
      return (v as [number, number][]).map(([a, b]) => [a, b]);
    }
    return this.bad(key, expected);
  }
}

// ---- Keras 1 ------------------------------------------------------------------------------

const DIM_ORDERING: Readonly<Record<string, string>> = { th: 'channels_first', tf: 'channels_last', default: 'channels_last' };

const KERAS1_CLASSES: Readonly<Record<string, string>> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  AtrousConvolution1D: 'Conv1D',
  AtrousConvolution2D: 'Conv2D',
  SeparableConvolution2D: 'SeparableConv2D',
};

const asList = (v: unknown): unknown => (typeof v === 'number' ? [v] : v);

/** Keras 1 option -> [Keras 2 option, value conversion]. */
const KERAS1_KEYS: Readonly<Record<string, readonly [string, (v: unknown) => unknown]>> = {
  nb_filter: ['filters', (v) => v],
  output_dim: ['units', (v) => v],
  bias: ['use_bias', (v) => v],
  border_mode: ['padding', (v) => v],
  dim_ordering: ['data_format', (v) => (typeof v === 'string' ? (DIM_ORDERING[v] ?? v) : v)],
  subsample: ['strides', asList],
  subsample_length: ['strides', asList],
  filter_length: ['kernel_size', asList],
  atrous_rate: ['dilation_rate', asList],
  pool_length: ['pool_size', asList],
  stride: ['strides', asList],
  p: ['rate', (v) => v],
};

/**
 * Renames Keras 1 options to their Keras 2 names (`nb_filter` -> `filters`, `border_mode` ->
 * `padding`, `dim_ordering: 'th'` -> `data_format: 'channels_first'`...) and Keras 1 classes to
 * Keras 2 ones. A Keras 1 config without `dim_ordering` keeps no `data_format` (channels_last).
 * Keras 1 ZeroPadding2D 4-tuples and dicts become [[top, bottom], [left, right]].
 */
export function normaliseKeras1(className: string, cfg: Readonly<Obj>): { kind: string; config: Obj } {
  const out: Obj = {};
  for (const [k, v] of Object.entries(cfg)) {
    const rule = KERAS1_KEYS[k];
    if (rule !== undefined) out[rule[0]] = rule[1](v);
    else out[k] = v;
  }
  if ('nb_row' in cfg || 'nb_col' in cfg) {
    out['kernel_size'] = [cfg['nb_row'], cfg['nb_col']];
    delete out['nb_row'];
    delete out['nb_col'];
  }
  if (className === 'UpSampling1D' && 'length' in cfg) out['size'] = cfg['length'];
  if (className === 'ZeroPadding2D') out['padding'] = keras1Padding2D(cfg['padding']);
  return { kind: KERAS1_CLASSES[className] ?? className, config: out };
}

function keras1Padding2D(p: unknown): unknown {
  if (Array.isArray(p) && p.length === 4) return [[p[0], p[1]], [p[2], p[3]]];
  if (typeof p === 'object' && p !== null && !Array.isArray(p)) {
    const d = p as Obj;
    return [[d['top_pad'] ?? 0, d['bottom_pad'] ?? 0], [d['left_pad'] ?? 0, d['right_pad'] ?? 0]];
  }
  return p;
}
