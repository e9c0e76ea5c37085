// A terminal progress bar written to stderr (only when it is a TTY, or when forced), so that
// stdout stays clean for --json output and pipes.

import type { CliIO } from './io.js';

/** Progress callback shape used throughout the library: done units out of total. */
export type ProgressFn = (done: number, total: number, message?: string) => void;

/**
 * Creates a progress reporter for `label`; returns a no-op when stderr is not a terminal.
 * Options: `force` draws even when stderr is not a terminal (default false); `delayMs`: nothing
 * is drawn before this many milliseconds, so work that ends sooner leaves no bar (default 1000).
 */
export function progressBar(io: CliIO, label: string, options: { force?: boolean; delayMs?: number } = {}): ProgressFn & { finish(): void } {
  const { delayMs = 1000 } = options;
  const enabled = options.force === true || io.stderr.isTTY === true;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const fn = ((done: number, total: number, message?: string) => {
    if (!enabled) return;
    const now = Date.now();
    if (now - started < delayMs) return;
    if (done < total && now - last < 100) return;
    last = now;
    const width = 28;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const elapsed = (now - started) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${(frac * 100).toFixed(0)}% ${elapsed.toFixed(1)}s${done < total ? ` eta ${eta.toFixed(1)}s` : ''}${message !== undefined ? ` ${message}` : ''}`;
    io.stderr.write(`\r${line}\x1b[K`);
    drawn = true;
  }) as ProgressFn & { finish(): void };
  fn.finish = () => {
    if (drawn) io.stderr.write('\n');
    drawn = false;
  };
  return fn;
}
