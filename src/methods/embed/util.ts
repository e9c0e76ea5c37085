// Shared plumbing of the embedding methods: progress reports, cooperative yielding to the
// event loop (so a dashboard can animate and cancel long runs), and argument checks.

import { ArgumentError, throwIfAborted } from '../../errors.js';

/** Stages of an embedding run, in the order they happen. */
export type EmbedStage = 'features' | 'neighbors' | 'affinities' | 'optimize' | 'quality';

/** A progress report. `done` / `total` count samples (features, neighbours, quality) or iterations (optimize). */
export interface EmbedProgress {
  readonly stage: EmbedStage;
  readonly done: number;
  readonly total: number;
  /** For `optimize`: a copy of the current coordinates (n x 2, row-major), for animation. */
  readonly coordinates?: Float32Array;
}

/** Receives progress reports; called at most once per yield (about every `yieldEveryMs`). */
export type EmbedProgressCallback = (progress: EmbedProgress) => void;

/** The feature matrices the embeddings accept: n rows of d values, row-major. */
export type FeatureMatrix = Float32Array | Float64Array;

/** Resolves on the next macrotask (setTimeout 0): lets timers, I/O, rendering and abort events run. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/**
 * Decides when a long synchronous computation should yield: `due()` turns true once
 * `intervalMs` have passed since the last `pause()`. Timing only decides *where* the work pauses,
 * never what it computes, so results stay deterministic.
 */
export class Pacer {
  private last = now();
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly intervalMs: number,
  ) {}

  /** True when it is time to yield. */
  due(): boolean {
    return now() - this.last >= this.intervalMs;
  }

  /** Yields to the event loop, then throws CancelledError when the signal has fired. */
  async pause(): Promise<void> {
    throwIfAborted(this.signal);
    await nextMacrotask();
    throwIfAborted(this.signal);
    this.last = now();
  }
}

/** Default time between yields of the async embedding functions, in milliseconds. */
export const DEFAULT_YIELD_MS = 40;

/**
 * Runs a generator of work to completion, yielding to the event loop whenever the pacer says so.
 * The generator yields (cheaply, often) at points where pausing is safe.
 */
export async function drainAsync<T>(work: Generator<void, T, void>, pacer: Pacer, onPause?: () => void): Promise<T> {
  for (;;) {
    const r = work.next();
    if (r.done === true) return r.value;
    if (pacer.due()) {
      onPause?.();
      await pacer.pause();
    }
  }
}

/** Runs a generator of work to completion without yielding. */
export function drainSync<T>(work: Generator<void, T, void>): T {
  for (;;) {
    const r = work.next();
    if (r.done === true) return r.value;
  }
}

/** Checks that `data` holds n x d values with n, d positive integers. */
export function checkMatrix(what: string, data: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('BAD_ARGUMENT', `${what}: n must be a non-negative integer, got ${n}.`);
  if (!Number.isInteger(d) || d < 1) throw new ArgumentError('BAD_ARGUMENT', `${what}: d must be a positive integer, got ${d}.`);
  if (data.length !== n * d) {
    throw new ArgumentError('SHAPE_MISMATCH', `${what}: expected ${n} x ${d} = ${n * d} values, got ${data.length}.`, {
      hint: 'Pass the rows concatenated (row-major) with their count n and length d.',
      details: { n, d, length: data.length },
    });
  }
}

/** Throws NON_FINITE_INPUT naming the first row holding NaN or an infinity. */
export function checkFinite(what: string, data: ArrayLike<number>, d: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / d);
      throw new ArgumentError('NON_FINITE_INPUT', `${what}: row ${row}, column ${i - row * d} is ${data[i]}; embeddings need finite values.`, {
        hint: 'Remove or fix the samples holding NaN or infinite values.',
        details: { row, column: i - row * d },
      });
    }
  }
}

/** Checks an option is a number in [min, max] (integer when asked); names the option in the error. */
export function checkNumber(name: string, value: number, min: number, max = Infinity, integer = false): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ArgumentError('BAD_ARGUMENT', `${name} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${String(value)}.`);
  }
}
