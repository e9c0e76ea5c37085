// Bundles the CLI (src/cli/main.ts and everything it imports) into dist/cli.mjs with esbuild, so
// that `convscope` starts without the TypeScript loader: about 1 s less CPU per command. Run by
// `npm ci` (the `prepare` script) and by `npm run build:cli`. bin/convscope.js uses the bundle
// only while every source file it was built from is older than it; otherwise it runs the sources
// through tsx. Native and WebAssembly packages stay outside the bundle (loaded from node_modules).
//
// esbuild comes with tsx (its dependency); the dashboard's asset build uses it the same way.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { h5wasmAlias, writeFastH5wasm } from './h5wasm-fast.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const outFile = join(outDir, 'cli.mjs');

/**
 * Each source module that reads `import.meta.url` (worker entry points, the web and demo folders)
 * gets the URL of its own source file, expressed relative to the bundle so the folder can move.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        const rel = relative(outDir, args.path).split('\\').join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('build-cli: esbuild is not installed; convscope will run from the TypeScript sources (slower start).');
  process.exit(0);
}

const t0 = performance.now();
await mkdir(outDir, { recursive: true });
// h5wasm with its WebAssembly in a file of its own (scripts/h5wasm-fast.mjs): ~100 ms less per
// first HDF5 open. Without it (another h5wasm layout), the bundle loads node_modules' h5wasm.
const fastH5 = await writeFastH5wasm(root, outDir);
const tmp = `${outFile}.${process.pid}.tmp`;
const result = await esbuild.build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: tmp,
  write: true,
  metafile: true,
  legalComments: 'none',
  // Smaller to parse at every start; identifiers keep their names (readable --debug stacks).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  external: ['onnxruntime-node', '@resvg/resvg-js', 'h5wasm', 'esbuild', 'playwright-core', 'tsx', 'tsx/*'],
  // CommonJS packages inside the bundle may call require().
  banner: { js: "import { createRequire as __convscopeRequire } from 'node:module'; const require = __convscopeRequire(import.meta.url);" },
  plugins: [sourceUrls, ...(fastH5 === null ? [] : [h5wasmAlias(fastH5, outDir)])],
});
// The inputs, so bin/convscope.js can tell when the bundle is older than a source file.
const inputs = Object.keys(result.metafile.inputs)
  .map((p) => relative(root, resolve(process.cwd(), p)).split('\\').join('/'))
  .filter((p) => !p.startsWith('node_modules/'));
await writeFile(join(outDir, 'cli.inputs.json'), `${JSON.stringify(inputs)}\n`);
await rename(tmp, outFile);
console.log(`build-cli: dist/cli.mjs from ${inputs.length} source files${fastH5 === null ? '' : ' (+ dist/h5wasm)'} in ${Math.round(performance.now() - t0)} ms`);
