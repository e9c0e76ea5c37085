// Shared settings of the property-based fuzz tests: a fixed seed and a small number of runs in
// CI, more with FUZZ_RUNS (npm run fuzz); the check that a reader either returns or throws our
// typed error; and per-input time and memory bounds.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { ConvscopeError } from '../../src/errors.js';

/** Seed of every fuzz property: FUZZ_SEED, else fixed so CI runs are reproducible. Default 20251126. */
export const FUZZ_SEED = envInt('FUZZ_SEED', 20251126);

/** Runs of every property: FUZZ_RUNS when set (npm run fuzz), else each property's CI count. */
const RUNS = envInt('FUZZ_RUNS', 0);

/** Longest one input may take, in ms. FUZZ_TIME_MS; default 3000. */
export const PER_INPUT_MS = envInt('FUZZ_TIME_MS', 3000);

/**
 * FUZZ_TRACE=<file>: each input is described in this file before it runs, so the input of a
 * hang (which no in-process timer can interrupt) can be read after killing the run. Default: off.
 */
const TRACE = process.env['FUZZ_TRACE'] === undefined || process.env['FUZZ_TRACE'] === '' ? undefined : process.env['FUZZ_TRACE'];

/** Most the resident memory may grow while handling one input, in bytes: 1 GiB. */
export const PER_INPUT_RSS_BYTES = 1024 ** 3;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

/** Number of runs of a property: FUZZ_RUNS when set, else `ciRuns` (sized to keep CI near a minute). */
export function runs(ciRuns: number): number {
  return RUNS === 0 ? ciRuns : RUNS;
}

/** fast-check parameters for one property. */
export function params<T>(ciRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runs(ciRuns), endOnFailure: true, verbose: 1 };
}

/**
 * Checks a property like fc.assert, but a failure reports the counterexample (seed and path to
 * replay it) together with the error the input caused, which fc.assert leaves out here.
 */
export async function assertProperty<T>(property: fc.IAsyncProperty<T>, parameters: fc.Parameters<T>): Promise<void> {
  const out = await fc.check(property, parameters);
  if (!out.failed) return;
  const cause = out.errorInstance instanceof Error ? (out.errorInstance.stack ?? out.errorInstance.message) : String(out.errorInstance);
  assert.fail(`${fc.defaultReportMessage(out) ?? 'property failed'}\nError of the counterexample: ${cause}`);
}

/** What happened to one input, for the summary a long run prints. */
export class Outcomes {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  /** `code: n` sorted by count, for t.diagnostic. */
  summary(): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
  }
}

/**
 * Runs `fn` on one input and checks the contract: it returns (then `check` validates the
 * result), or throws a ConvscopeError; never another error; within the time and memory bounds.
 * `describe` names the input in failures.
 */
export async function expectParseOrTypedError<T>(
  outcomes: Outcomes,
  describe: () => string,
  fn: () => T | Promise<T>,
  check: (value: T) => void = () => undefined,
): Promise<void> {
  if (TRACE !== undefined) writeFileSync(TRACE, `${describe()}\n`);
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  let outcome: string;
  try {
    const value = await fn();
    check(value);
    outcome = 'parsed';
  } catch (err) {
    if (!(err instanceof ConvscopeError)) {
      assert.fail(`untyped ${err instanceof Error ? err.constructor.name : typeof err} for ${describe()}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    assert.ok(err.message.length > 0 && !/\[object Object\]/.test(err.message), `unhelpful message: ${err.message}`);
    outcome = err.code;
  }
  const ms = performance.now() - t0;
  const grew = process.memoryUsage.rss() - rss0;
  assert.ok(ms <= PER_INPUT_MS, `${describe()} took ${Math.round(ms)} ms (bound ${PER_INPUT_MS} ms)`);
  assert.ok(grew <= PER_INPUT_RSS_BYTES, `${describe()} grew memory by ${grew} bytes`);
  outcomes.add(outcome);
}

/** Bytes as short hex for messages (first 64). */
export function hex(bytes: Uint8Array): string {
  return `${bytes.length} bytes: ${Array.from(bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join('')}${bytes.length > 64 ? '...' : ''}`;
}
