// Opening hostile files never runs code: while Lambda models and pickled arrays are opened, no
// process or worker is started and neither eval nor the Function constructor is called; and the
// shipped sources contain no eval, new Function, vm, child_process or worker_threads outside an
// allowlist.

/* eslint-disable no-eval -- this test wraps globalThis.eval in a recorder (and calls it once to prove the recorder works) */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as childProcess from 'node:child_process';
import * as workerThreads from 'node:worker_threads';
import { ConvscopeError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { openModel, referenceEngineFactory } from '../../src/model/open.js';
import { openPath } from '../../src/node/open.js';
import { runCli } from '../cli-harness.js';
import { fixture, haveFixtures, repoRoot } from '../fixtures.js';
import { HANDMADE_DIR, PICKLE_MARKER } from '../corpus/handmade.js';

const require = createRequire(import.meta.url);
const CHILD_PROCESS_FUNCTIONS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

/**
 * Replaces every way to start a process or worker, and eval / Function, with recording
 * wrappers (the CommonJS objects, then synced into the ESM namespaces), runs `fn`, restores.
 */
async function recordingExecution(fn: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  const cp = require('node:child_process') as Record<string, unknown>;
  const wt = require('node:worker_threads') as { Worker: typeof workerThreads.Worker };
  const saved = { cp: Object.fromEntries(CHILD_PROCESS_FUNCTIONS.map((n) => [n, cp[n]])), Worker: wt.Worker, eval: globalThis.eval, Function: globalThis.Function };
  for (const name of CHILD_PROCESS_FUNCTIONS) {
    const original = cp[name] as (...a: unknown[]) => unknown;
    cp[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`child_process.${name}(${String(args[0])})`);
      return original.apply(this, args);
    };
  }
  const OriginalWorker = wt.Worker;
  wt.Worker = class extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      calls.push(`new Worker(${String(args[0])})`);
      super(...args);
    }
  };
  syncBuiltinESMExports();
  globalThis.eval = new Proxy(saved.eval, {
    apply(target, self, args: unknown[]) {
      calls.push('eval');
      return Reflect.apply(target, self, args) as unknown;
    },
  });
  globalThis.Function = new Proxy(saved.Function, {
    apply(target, self, args: unknown[]) {
      calls.push('Function()');
      return Reflect.apply(target, self, args) as unknown;
    },
    construct(target, args: unknown[], newTarget) {
      calls.push('new Function()');
      return Reflect.construct(target, args, newTarget === globalThis.Function ? target : newTarget) as object;
    },
  });
  try {
    await fn();
  } finally {
    for (const name of CHILD_PROCESS_FUNCTIONS) cp[name] = saved.cp[name];
    wt.Worker = saved.Worker;
    syncBuiltinESMExports();
    globalThis.eval = saved.eval;
    globalThis.Function = saved.Function;
  }
  return calls;
}

/** Runs `fn` expecting a ConvscopeError with `code`. */
async function refuses(code: string, fn: () => Promise<unknown>): Promise<void> {
  await assert.rejects(async () => fn(), (e: unknown) => e instanceof ConvscopeError && e.code === code);
}

test('the recorder sees processes, workers, eval and Function (it would catch them if they ran)', async () => {
  const calls = await recordingExecution(async () => {
    childProcess.execFileSync(process.execPath, ['-e', '0']);
    const indirectEval = globalThis.eval;
    indirectEval('1 + 1');
    const Ctor = globalThis.Function;
    new Ctor('return 1')();
    const w = new workerThreads.Worker('0', { eval: true });
    await w.terminate();
  });
  assert.deepEqual(
    calls.map((c) => c.replace(/\(.*\)$/, '')),
    ['child_process.execFileSync', 'eval', 'new Function', 'new Worker'],
  );
});

test('opening Lambda models and pickled .npy files runs no code: no process, worker, eval or Function', { skip: !haveFixtures && 'shared fixtures not found' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convscope-noexec-'));
  try {
    const hm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(HANDMADE_DIR, name)));
    await writeFile(join(dir, 'lambda.h5'), readFileSync(fixture('keras', 'keras2.0-carnd-p3-lambda', 'model.h5')));
    await writeFile(join(dir, 'x.npy'), hm('npy-object-hostile-pickle.npy'));
    const calls = await recordingExecution(async () => {
      // Lambda layers: a real Keras 2.0 model, a real Keras 1.2 JSON + weights, a hand-made payload.
      await refuses('KERAS_LAMBDA', () => openPath(join(dir, 'lambda.h5'), { engine: 'auto' }));
      await refuses('KERAS_LAMBDA', () =>
        openModel(
          [
            { name: 'model.json', bytes: readFileSync(fixture('keras', 'keras1.2-carnd-weights-json-lambda', 'model.json')) },
            { name: 'model.h5', bytes: readFileSync(fixture('keras', 'keras1.2-carnd-weights-json-lambda', 'model.h5')) },
          ],
          { engine: referenceEngineFactory },
        ),
      );
      await refuses('KERAS_LAMBDA', () =>
        openModel([{ name: 'json-lambda-hostile.json', bytes: hm('json-lambda-hostile.json') }, { name: 'w.h5', bytes: readFileSync(fixture('keras', 'keras2.8-cifar10-weights-json', 'cifar10_model.h5')) }], {
          engine: referenceEngineFactory,
        }),
      );
      // Skipping the Lambda opens the rest; the Lambda's bytecode is still never touched.
      (await openPath(join(dir, 'lambda.h5'), { engine: 'reference', startAfter: 'lambda_1' })).dispose();
      // Pickled object arrays: the real one and one whose pickle would call posix.system.
      await refuses('NPY_PICKLE', () => Promise.resolve(readNpy(readFileSync(fixture('npy', 'object_dtype_pickled.npy')))));
      await refuses('NPY_PICKLE', () => Promise.resolve(readNpy(hm('npy-object-hostile-pickle.npy'))));
      await refuses('NPY_BAD_HEADER', () => Promise.resolve(readNpy(hm('npy-header-python-code.npy'))));
      // And through the CLI.
      const r = await runCli(['summary', 'lambda.h5'], dir);
      assert.equal(r.code, 4);
      const p = await runCli(['predict', 'lambda.h5', 'x.npy', '--start-after', 'lambda_1', '--engine', 'reference', '--json'], dir);
      assert.equal(p.code, 3, p.stderr);
    });
    assert.deepEqual(calls, [], `code ran while opening hostile files: ${calls.join(', ')}`);
    assert.equal(existsSync(PICKLE_MARKER), false, 'the pickle payload never ran');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * Shipped files that may use a pattern, with the reason. Keep it short: each entry is a place
 * where convscope could run code it did not ship.
 */
const ALLOWLIST: Readonly<Record<string, { readonly patterns: readonly string[]; readonly why: string }>> = {
  'src/node/train-workers.ts': { patterns: ['worker_threads'], why: "starts worker threads running convscope's own training module (train-worker.ts), never file contents; not reached when opening files" },
  'src/node/train-worker.ts': { patterns: ['worker_threads'], why: 'the body of those training workers (parentPort, workerData)' },
  'src/node/tsne-parallel.ts': { patterns: ['worker_threads'], why: "starts worker threads running convscope's own t-SNE gradient module (tsne-worker.ts); not reached when opening files" },
  'src/node/tsne-worker.ts': { patterns: ['worker_threads'], why: 'the body of those t-SNE workers (parentPort, workerData)' },
};

const FORBIDDEN: readonly { readonly name: string; readonly re: RegExp }[] = [
  { name: 'eval(', re: /(^|[^\w.$])eval\s*\(/ },
  { name: 'new Function(', re: /new\s+Function\s*\(/ },
  { name: 'Function(code)', re: /(^|[^\w.$])Function\s*\(\s*['"`]/ },
  { name: 'child_process', re: /['"](node:)?child_process['"]/ },
  { name: 'worker_threads', re: /['"](node:)?worker_threads['"]/ },
  { name: 'vm', re: /['"](node:)?vm['"]/ },
  { name: 'setTimeout(string)', re: /set(Timeout|Interval)\s*\(\s*['"`]/ },
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(name) && !/\.test\.ts$|\.testutil\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Source without comments (so that a comment saying "never eval(" is no finding). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

test('static check: src/ has no eval, new Function, vm, child_process or worker_threads outside the allowlist', () => {
  const findings: string[] = [];
  const files = sourceFiles(join(repoRoot, 'src'));
  assert.ok(files.length > 50, `scanned ${files.length} files`);
  for (const path of files) {
    const rel = relative(repoRoot, path);
    const lines = stripComments(readFileSync(path, 'utf8')).split('\n');
    for (const { name, re } of FORBIDDEN) {
      if (ALLOWLIST[rel]?.patterns.includes(name) === true) continue;
      lines.forEach((line, i) => {
        if (re.test(line)) findings.push(`${rel}:${i + 1}: ${name}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(findings, [], `${findings.join('\n')}\nIf such a use is needed, add the file to ALLOWLIST in test/security/no-exec.test.ts with the reason, and make sure no file content can reach it.`);
  // Allowlisted workers may only start convscope's own modules, named relative to themselves.
  for (const rel of Object.keys(ALLOWLIST)) {
    const text = stripComments(readFileSync(join(repoRoot, rel), 'utf8'));
    for (const m of text.matchAll(/new\s+Worker\s*\(\s*(new URL\([^)]*\)|[^,)]*)/g)) {
      assert.match(m[1]!.trim(), /^new URL\(\s*'\.\/[\w.-]+'\s*,\s*import\.meta\.url\s*\)$/, `${rel}: a worker must run one of convscope's own modules, got ${m[1]}`);
    }
  }
});

test('static check: the check itself finds what it forbids', () => {
  const samples = ["const x = eval('1');", 'new Function("a", "return a")', "import { spawn } from 'node:child_process';", "const vm = await import('vm');", "new Worker(u); import('node:worker_threads')"];
  for (const s of samples) assert.ok(FORBIDDEN.some(({ re }) => re.test(stripComments(s))), s);
  assert.ok(!FORBIDDEN.some(({ re }) => re.test(stripComments('// never eval( this'))), 'comments are ignored');
});
