#!/usr/bin/env node
// Entry point of the convscope CLI. Runs the bundle dist/cli.mjs (scripts/build-cli.mjs, built by
// `npm ci`) while every source file it was built from is older than it, else registers the
// TypeScript loader and runs src/cli/main.ts. Same code either way; the bundle starts ~1 s faster.
// CONVSCOPE_FROM_SOURCE=1 always runs the sources.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** True when dist/cli.mjs exists and is newer than each of its inputs. */
function bundleIsFresh() {
  try {
    const built = statSync(`${root}dist/cli.mjs`).mtimeMs;
    const inputs = JSON.parse(readFileSync(`${root}dist/cli.inputs.json`, 'utf8'));
    return inputs.every((p) => statSync(`${root}${p}`).mtimeMs < built);
  } catch {
    return false;
  }
}

let main;
if (process.env.CONVSCOPE_FROM_SOURCE !== '1' && bundleIsFresh()) {
  ({ main } = await import('../dist/cli.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
