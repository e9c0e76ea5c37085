// Node-only: the dashboard page. Builds web/ into web/dist with esbuild when the bundle is
// missing or older than its sources (at `serve` start, or `npm run build:web`), and loads the
// built files, which are all the server ever serves besides its API.

import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { FileFormatError } from '../errors.js';

/** The page's sources. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
/** Where the built page goes (gitignored). */
export const DIST_DIR = join(WEB_DIR, 'dist');

/** Files copied as they are. */
const STATIC_FILES = ['index.html', 'style.css', 'favicon.svg'] as const;
/** What the server serves, by URL path: file in dist and its content type. */
export const ROUTES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** One built file, in memory. */
export interface WebAsset {
  readonly type: string;
  readonly bytes: Uint8Array;
}

async function mtime(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.mtimeMs,
    () => -1,
  );
}

/** Newest modification time among the page's sources. */
async function newestSource(dir: string): Promise<number> {
  let newest = -1;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(p));
    else newest = Math.max(newest, await mtime(p));
  }
  return newest;
}

/** True when web/dist lacks a file or is older than a source. */
export async function bundleIsStale(): Promise<boolean> {
  const built = await Promise.all([...STATIC_FILES, 'app.js'].map((f) => mtime(join(DIST_DIR, f))));
  if (built.some((t) => t < 0)) return true;
  return (await newestSource(WEB_DIR)) > Math.min(...built);
}

/**
 * Builds the page into web/dist (app.ts bundled and minified, the static files copied) when it
 * is stale or `force` is set. Returns the build time in ms, or null when nothing was built.
 * Files are written to a temporary folder and renamed into place, so a concurrent server never
 * reads half a bundle.
 */
export async function buildWeb(options: { force?: boolean } = {}): Promise<number | null> {
  if (options.force !== true && !(await bundleIsStale())) return null;
  const started = performance.now();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (cause) {
    throw new FileFormatError('FILE_NOT_FOUND', `The dashboard page is not built (${DIST_DIR}) and esbuild is not installed to build it.`, {
      cause,
      hint: "Install the development dependencies (npm install) and run 'npm run build:web'.",
    });
  }
  const tmp = join(WEB_DIR, `.dist-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [join(WEB_DIR, 'app.ts')],
      outfile: join(tmp, 'app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    for (const f of STATIC_FILES) await copyFile(join(WEB_DIR, f), join(tmp, f));
    await mkdir(DIST_DIR, { recursive: true });
    // The bundle last: its time stamp marks the build as complete.
    for (const f of [...STATIC_FILES, 'app.js']) await rename(join(tmp, f), join(DIST_DIR, f));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return performance.now() - started;
}

/** Loads the built page into memory, by URL path. */
export async function loadWebAssets(): Promise<Map<string, WebAsset>> {
  const out = new Map<string, WebAsset>();
  for (const [path, { file, type }] of Object.entries(ROUTES)) {
    const bytes = await readFile(join(DIST_DIR, file)).catch((cause: unknown) => {
      throw new FileFormatError('FILE_NOT_FOUND', `The dashboard page is missing '${file}' in ${DIST_DIR}.`, { cause, hint: "Run 'npm run build:web'." });
    });
    out.set(path, { type, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }
  return out;
}
