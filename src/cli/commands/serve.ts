// `convscope serve <model> --x x.npy [--y y.npy] [--port P]`: the dashboard. Opens the model
// and data as every method command does, starts the local web server, prints its address and
// runs until Ctrl-C. `--demo` opens the embedded demo (demo/ in the package).

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, bool, num, str, formatFlags, type ParsedArgs } from '../args.js';
import { modelFlags } from '../common.js';
import { loadData } from '../data.js';
import type { CliIO, Command } from '../io.js';
import { ArgumentError, FileFormatError } from '../../errors.js';
import { createServer, DEFAULT_MAX_UPLOAD_BYTES, type DashboardServer } from '../../server/server.js';
import { isLoopback } from '../../server/http.js';
import type { EngineChoice } from '../../node/open.js';

/** Port tried when --port is not given; any free port when it is taken. */
export const DEFAULT_PORT = 8765;

/** The embedded demo: package root/demo. */
export const DEMO_DIR = fileURLToPath(new URL('../../../demo/', import.meta.url));

const flags = {
  ...modelFlags,
  x: { kind: 'string', description: '--x <x.npy>  inputs, shaped (N, ...model input)' },
  y: { kind: 'string', description: '--y <y.npy>  labels: integers (N,) or one-hot (N, k); without them, views that need the true class say so' },
  classes: { kind: 'string', description: '--classes "A,B"  class names in class order' },
  test: { kind: 'integer', description: '--test 1|2|3  BaSe preset class names' },
  port: { kind: 'integer', description: `--port <P>  port to listen on (default ${DEFAULT_PORT}, or any free port when it is taken; 0 = any free port)` },
  host: { kind: 'string', description: '--host <address>  address to listen on (default 127.0.0.1: this machine only)' },
  out: { kind: 'string', description: '--out <folder>  folder the page may save figures and numbers into (default: none, downloads only)' },
  'max-upload-bytes': { kind: 'integer', description: `--max-upload-bytes <n>  largest file opened from the page (default ${DEFAULT_MAX_UPLOAD_BYTES})` },
  demo: { kind: 'boolean', description: '--demo  open the embedded demo model and data (npm start)' },
} as const;

/** The flags with the demo's files filled in; a clear error when the demo is not there. */
function demoArgs(args: ParsedArgs): ParsedArgs {
  if (args.positionals.length > 0 || str(args, 'x') !== undefined || str(args, 'y') !== undefined) {
    throw new ArgumentError('BAD_ARGUMENT', '--demo opens the embedded demo; do not also give a model, --x or --y.');
  }
  const model = resolve(DEMO_DIR, 'model.h5');
  const x = resolve(DEMO_DIR, 'x.npy');
  const y = resolve(DEMO_DIR, 'y.npy');
  const missing = [model, x].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new FileFormatError('FILE_NOT_FOUND', `The embedded demo is not installed: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing.`, {
      hint: 'Run the dashboard on your own files: convscope serve <model.h5> --x <x.npy> [--y <y.npy>].',
      details: { missing },
    });
  }
  const map = new Map(args.flags);
  map.set('x', x);
  if (existsSync(y)) map.set('y', y);
  const classesFile = resolve(DEMO_DIR, 'classes.txt');
  if (!map.has('classes') && !map.has('test') && existsSync(classesFile)) {
    const names = readFileSync(classesFile, 'utf8').split(/[\n,]/).map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length > 0) map.set('classes', names.join(','));
  }
  return { positionals: [model], flags: map };
}

/** Waits for Ctrl-C, SIGTERM or the CLI's abort signal. */
function untilStopped(io: CliIO): Promise<void> {
  return new Promise((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted === true) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Open the dashboard: every view of the model, linked, in the browser',
  usage: `convscope serve <model> --x <x.npy> [--y <y.npy>] [--classes "A,B" | --test N] [--port P] [--host H] [--out DIR]
convscope serve --demo

Starts a local web app and prints its address. It listens on 127.0.0.1 only unless --host says
otherwise, answers only requests addressed to it, serves only the page and the files named here
or opened in the page, and writes only into the --out folder.

${formatFlags(flags)}`,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    let args = parseArgs(argv, flags, 'serve');
    if (bool(args, 'demo')) args = demoArgs(args);
    const host = str(args, 'host') ?? '127.0.0.1';
    const port = num(args, 'port');
    const { data, provenanceBase } = await loadData(args, io, 'serve');
    let server: DashboardServer;
    const common = {
      data,
      provenance: provenanceBase,
      host,
      ...(str(args, 'out') !== undefined ? { outDir: resolve(io.cwd, str(args, 'out')!) } : {}),
      ...(num(args, 'max-upload-bytes') !== undefined ? { maxUploadBytes: num(args, 'max-upload-bytes')! } : {}),
      ...(str(args, 'engine') !== undefined ? { engine: str(args, 'engine') as EngineChoice } : {}),
      ...(num(args, 'threads') !== undefined ? { threads: num(args, 'threads')! } : {}),
    };
    try {
      try {
        server = await createServer({ ...common, port: port ?? DEFAULT_PORT });
      } catch (err) {
        // The default port is only a preference.
        if (port !== undefined || !(err instanceof ArgumentError)) throw err;
        server = await createServer({ ...common, port: 0 });
      }
    } catch (err) {
      await data.model.dispose();
      throw err;
    }
    if (!isLoopback(host)) {
      io.stderr.write(
        `warning: --host ${host} makes the dashboard reachable from other machines: anyone who can reach ${server.url} can run the model on your data and read the results. Use it on trusted networks only.\n`,
      );
    }
    io.stdout.write(`convscope dashboard: ${server.url}\n`);
    io.stderr.write(`${args.positionals[0]} with ${data.describe()}; engine ${data.model.engine.name}. Press Ctrl-C to stop.\n`);
    await untilStopped(io);
    await server.close();
    return 0;
  },
};
