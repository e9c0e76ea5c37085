// Flag helpers shared by the method commands: layer by name or 1-based index, 1-based numbers,
// positive counts, fill values, and number formatting for summaries.

import { num, str, type FlagSpecs, type ParsedArgs } from './args.js';
import { ArgumentError } from '../errors.js';

/** --layer <name> and --layer-index <k> (1-based among `what`). */
export function layerFlags(what: string): FlagSpecs {
  return {
    layer: { kind: 'string', description: '--layer <name>  the layer, by its Keras name' },
    'layer-index': { kind: 'integer', description: `--layer-index <k>  the k-th of the ${what}, counted from 1 (default 1)` },
  };
}

/** The layer from --layer or --layer-index (not both); undefined for the default. */
export function resolveLayerFlag(args: ParsedArgs): string | number | undefined {
  const name = str(args, 'layer');
  const index = num(args, 'layer-index');
  if (name !== undefined && index !== undefined) {
    throw new ArgumentError('BAD_ARGUMENT', `Give --layer (${name}) or --layer-index (${index}), not both.`);
  }
  if (index !== undefined && index < 1) throw new ArgumentError('BAD_ARGUMENT', `--layer-index counts from 1; got ${index}.`);
  return name ?? index;
}

/** A 1-based number from a flag as a 0-based index (ArgumentError below 1). */
export function oneBased(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ArgumentError('BAD_ARGUMENT', `--${flag} counts from 1 (as the figure numbers them); got ${value}.`);
  }
  return value - 1;
}

/** An integer flag that must be >= `min` (default 1); `fallback` when absent. */
export function countFlag(args: ParsedArgs, flag: string, fallback: number, min = 1): number {
  const v = num(args, flag) ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new ArgumentError('BAD_ARGUMENT', `--${flag} must be an integer >= ${min}; got ${v}.`);
  return v;
}

/** A number flag that must be > 0; `fallback` when absent. */
export function positiveFlag(args: ParsedArgs, flag: string, fallback: number): number {
  const v = num(args, flag) ?? fallback;
  if (!(v > 0)) throw new ArgumentError('BAD_ARGUMENT', `--${flag} must be a positive number; got ${v}.`);
  return v;
}

/** A number for summaries: 4 significant digits, exponent form for tiny or huge values. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** Position and value of the largest entry of a (rows x cols) map. */
export function argmax2d(values: ArrayLike<number>, cols: number): { row: number; col: number; value: number } {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return { row: Math.floor(best / cols), col: best % cols, value: values[best] as number };
}
