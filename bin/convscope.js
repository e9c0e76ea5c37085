#!/usr/bin/env node
// Entry point of the convscope CLI. Runs the bundle dist/cli.mjs (scripts/build-cli.mjs, built by
// `npm ci`) while every source file it was built from is older than it, else registers the
// TypeScript loader and runs src/cli/main.ts. Same code either way; the bundle starts ~1 s faster.
// CONVSCOPE_FROM_SOURCE=1 always runs the sources.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** dist/cli.json when dist/cli.mjs exists and is newer than each of its inputs, else null. */
function freshBundle() {
  try {
    const built = statSync(`${root}dist/cli.mjs`).mtimeMs;
    const manifest = JSON.parse(readFileSync(`${root}dist/cli.json`, 'utf8'));
    return manifest.inputs.every((p) => statSync(`${root}${p}`).mtimeMs < built) ? manifest : null;
  } catch {
    return null;
  }
}

const argv = process.argv.slice(2);
const bundle = process.env.CONVSCOPE_FROM_SOURCE === '1' ? null : freshBundle();
let main;
if (bundle !== null) {
  // A command naming an HDF5 or .keras file will need the HDF5 library: its WebAssembly starts
  // compiling now, on V8's background threads, while the bundle loads (~40 ms less per command).
  // Same module as the bundle's own import of it (same URL), so it loads once; its errors are
  // left for that import to report.
  if (typeof bundle.hdf5 === 'string' && argv.some((a) => /\.(h5|hdf5|keras)$/i.test(a))) {
    import(new URL(`../dist/${bundle.hdf5}`, import.meta.url).href).catch(() => undefined);
  }
  ({ main } = await import('../dist/cli.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
