// The shape of a dashboard method (Node-only): how its query is read and checked, what it
// computes (with progress and cancellation), what the page draws, and what it exports (figure,
// JSON, .npy) with the CLI's provenance. Methods live in methods-input.ts and methods-data.ts.

import { ArgumentError } from '../errors.js';
import type { Session } from './session.js';

/** A float32 array with its shape, exported as .npy. */
export interface ArrayOutput {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What a running method may do besides computing. */
export interface RunContext {
  readonly session: Session;
  /** Fires when the page cancels (closes the request) or the session is replaced. */
  readonly signal: AbortSignal;
  /** Sends a progress report to the page; reports closer than ~100 ms apart are dropped unless `force`. */
  progress(report: Record<string, unknown>, force?: boolean): void;
  /** True once the page asked to stop early and keep what is there (t-SNE). */
  stopRequested(): boolean;
}

/** How an output was made: the provenance's method, options and seed, and a file name stem. */
export interface Description {
  readonly method: string;
  readonly options: Record<string, unknown>;
  readonly seed: number | null;
  /** File name without extension, e.g. 'occlusion-input12-class3'. */
  readonly file: string;
}

/** One method of the dashboard. P: its parsed parameters; R: its result. */
export interface MethodSpec<P, R> {
  readonly name: string;
  /** Query keys accepted; anything else is a 400. */
  readonly keys: readonly string[];
  /** Reads and checks the query (ArgumentError on anything wrong). */
  parse(query: Query, session: Session): Promise<P> | P;
  /**
   * Provenance (with the result: as the CLI records it) and, without the result, the cache key;
   * keys that only change the drawing are left out.
   */
  describe(params: P, result?: R): Description;
  run(params: P, context: RunContext): Promise<R>;
  /** What the page draws (plain JSON). */
  view(params: P, result: R, session: Session): Promise<unknown> | unknown;
  /** The figure (SVG, without provenance: the exporter embeds it). */
  figure(params: P, result: R, session: Session): string | Promise<string>;
  /** The numbers, as the CLI's --json writes them (typed arrays allowed: they are converted). */
  numbers(params: P, result: R, session: Session): Record<string, unknown>;
  /** The main array, for .npy export. */
  array(params: P, result: R, session: Session): ArrayOutput;
  /** False for results that must not be reused (a t-SNE stopped early). Default true. */
  cacheable?(result: R): boolean;
}

/** A method with its types erased, for the registry. */
export type AnyMethod = MethodSpec<unknown, unknown>;

/** Registers a typed method in the untyped registry. */
export function defineMethod<P, R>(spec: MethodSpec<P, R>): AnyMethod {
  return spec as unknown as AnyMethod;
}

/** Typed, checked access to a query string: unknown or repeated keys are refused. */
export class Query {
  private readonly params: URLSearchParams;
  private readonly method: string;

  constructor(params: URLSearchParams, allowed: readonly string[], method: string) {
    this.params = params;
    this.method = method;
    const seen = new Set<string>();
    for (const k of params.keys()) {
      if (!allowed.includes(k)) {
        throw new ArgumentError('BAD_ARGUMENT', `Unknown parameter '${k}' for ${method}.`, { hint: `It takes: ${allowed.length > 0 ? allowed.join(', ') : 'no parameters'}.` });
      }
      if (seen.has(k)) throw new ArgumentError('BAD_ARGUMENT', `Parameter '${k}' is given twice for ${method}.`);
      seen.add(k);
    }
  }

  /** The raw text of a parameter, or undefined. */
  string(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === '' ? undefined : v;
  }

  /** A number in [min, max], or undefined when absent. */
  number(name: string, min = -Infinity, max = Infinity): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max) {
      throw new ArgumentError('BAD_ARGUMENT', `${this.method}: '${name}' must be a number${rangeText(min, max)}, got '${text}'.`);
    }
    return v;
  }

  /** An integer in [min, max], or undefined when absent. */
  int(name: string, min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new ArgumentError('BAD_ARGUMENT', `${this.method}: '${name}' must be an integer${rangeText(min, max)}, got '${text}'.`);
    }
    return v;
  }

  /** A required integer. */
  requiredInt(name: string, min?: number, max?: number): number {
    const v = this.int(name, min, max);
    if (v === undefined) throw new ArgumentError('BAD_ARGUMENT', `${this.method} needs '${name}'.`);
    return v;
  }

  /** One of the listed words, or `fallback` when absent. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const text = this.string(name);
    if (text === undefined) return fallback;
    if (!(values as readonly string[]).includes(text)) {
      throw new ArgumentError('BAD_ARGUMENT', `${this.method}: '${name}' must be one of ${values.join(', ')}, got '${text}'.`);
    }
    return text as T;
  }
}

function rangeText(min: number, max: number): string {
  const lo = Number.isFinite(min) && min > -Number.MAX_SAFE_INTEGER;
  const hi = Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  if (lo && hi) return ` from ${min} to ${max}`;
  if (lo) return ` >= ${min}`;
  if (hi) return ` <= ${max}`;
  return '';
}
