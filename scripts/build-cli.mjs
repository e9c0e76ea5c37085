// Bundles the CLI (src/cli/main.ts and everything it imports) into dist/cli.mjs with esbuild, so
// that `convscope` starts without the TypeScript loader: about 1 s less CPU per command. Run by
// `npm ci` (the `prepare` script) and by `npm run build:cli`. bin/convscope.js uses the bundle
// only while every source file it was built from is older than it; otherwise it runs the sources
// through tsx. Native and WebAssembly packages stay outside the bundle (loaded from node_modules).
//
// esbuild comes with tsx (its dependency); the dashboard's asset build uses it the same way.

import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
// Built into a folder of its own, then moved into dist/: the chunks first (content-hashed names),
// then cli.mjs (one rename), then the manifest; chunks of earlier builds are removed last.
const tmp = join(outDir, `.cli-build-${process.pid}`);
await rm(tmp, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { cli: join(root, 'src/cli/main.ts') },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: tmp,
  // Each command's module (src/cli/commands/index.ts imports them lazily) and what only it uses
  // go into chunks of their own: a command parses only its own code.
  splitting: true,
  chunkNames: 'cli-[hash]',
  outExtension: { '.js': '.mjs' },
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
const chunks = (await readdir(tmp)).filter((f) => f !== 'cli.mjs');
for (const f of chunks) await rename(join(tmp, f), join(outDir, f));
await rename(join(tmp, 'cli.mjs'), outFile);
// The manifest bin/convscope.js reads: the inputs, so it can tell when the bundle is older than
// a source file, and the HDF5 module the bundle loads (relative to dist/), which bin/convscope.js
// starts loading before the bundle when a command names an HDF5 or .keras file.
const inputs = Object.keys(result.metafile.inputs)
  .map((p) => relative(root, resolve(process.cwd(), p)).split('\\').join('/'))
  .filter((p) => !p.startsWith('node_modules/'));
const hdf5 = fastH5 === null ? null : relative(outDir, fastH5).split('\\').join('/');
await writeFile(`${tmp}.json`, `${JSON.stringify({ inputs, hdf5, chunks })}\n`);
await rename(`${tmp}.json`, join(outDir, 'cli.json'));
for (const f of await readdir(outDir)) {
  if (/^cli-.*\.mjs$/.test(f) && !chunks.includes(f)) await rm(join(outDir, f), { force: true });
}
await rm(join(outDir, 'cli.inputs.json'), { force: true }); // the manifest's former name
await rm(tmp, { recursive: true, force: true });
console.log(`build-cli: dist/cli.mjs and ${chunks.length} chunks from ${inputs.length} source files${fastH5 === null ? '' : ' (+ dist/h5wasm)'} in ${Math.round(performance.now() - t0)} ms`);
