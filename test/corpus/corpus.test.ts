// Runs the bad-input corpus (cases.ts) as one data-driven test: each case must fail with its
// typed error code and message fragment (or warn, or open, as stated), fast, and convscope must
// keep working afterwards. Prints the table of expected and actual codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvscopeError } from '../../src/errors.js';
import { openModel, referenceEngineFactory } from '../../src/model/open.js';
import { haveFixtures } from '../fixtures.js';
import { CASES, disposeCorpus, prepareCorpus, type CorpusCase } from './cases.js';
import { PICKLE_MARKER, handmadeFiles, HANDMADE_DIR } from './handmade.js';
import { source } from './generate.js';

/** Longest any one case may take (ms): a hang or a runaway loop fails the case, not the suite. */
const CASE_BUDGET_MS = 10_000;

interface Row {
  readonly id: string;
  readonly group: string;
  readonly source: string;
  readonly expected: string;
  readonly actual: string;
  readonly ms: number;
  readonly problem: string | null;
}

function expectedLabel(c: CorpusCase): string {
  return 'code' in c.expect ? c.expect.code : 'warn' in c.expect ? 'WARNING' : 'OPENS';
}

async function runCase(c: CorpusCase, tmp: string): Promise<Row> {
  const t0 = performance.now();
  let actual: string;
  let problem: string | null = null;
  try {
    const value = await c.run({ tmp });
    actual = 'warn' in c.expect ? 'WARNING' : 'OPENS';
    if ('code' in c.expect) problem = 'no error was thrown';
    else if ('warn' in c.expect && !(typeof value === 'string' && c.expect.warn.test(value))) problem = `warning did not match ${c.expect.warn}: ${String(value)}`;
  } catch (err) {
    if (err instanceof ConvscopeError) {
      actual = err.code;
      if (!('code' in c.expect)) problem = `unexpected ${err.name}: ${err.message}`;
      else if (err.code !== c.expect.code) problem = `${err.name} [${err.code}]: ${err.message}`;
      else if (!c.expect.fragment.test(err.message)) problem = `message did not match ${c.expect.fragment}: ${err.message}`;
      else if (/\bundefined\b|\[object Object\]|NaN bytes/.test(err.message)) problem = `message shows a raw value: ${err.message}`;
    } else {
      actual = `UNTYPED ${err instanceof Error ? err.constructor.name : typeof err}`;
      problem = `not a ConvscopeError: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    }
  }
  const ms = performance.now() - t0;
  if (problem === null && ms > CASE_BUDGET_MS) problem = `took ${Math.round(ms)} ms (budget ${CASE_BUDGET_MS} ms)`;
  return { id: c.id, group: c.group, source: c.source, expected: expectedLabel(c), actual, ms, problem };
}

function table(rows: readonly Row[]): string {
  const head = ['#', 'case', 'group', 'source', 'expected', 'actual', 'ms', ''];
  const body = rows.map((r, i) => [String(i + 1), r.id, r.group, r.source, r.expected, r.actual, String(Math.round(r.ms)), r.problem === null ? 'ok' : 'FAIL']);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

test('bad-input corpus: every case gets its typed error, in time, and convscope keeps working', { skip: !haveFixtures && 'shared fixtures not found' }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'convscope-corpus-'));
  const rows: Row[] = [];
  try {
    await prepareCorpus();
    for (const c of CASES) rows.push(await runCase(c, tmp));
    // Still working: a clean fixture opens and predicts after all that damage.
    const m = await openModel([{ name: 'cnn_batch_norm.h5', bytes: source('batchnormH5') }], { engine: referenceEngineFactory });
    const y = await m.predict({ shape: [1, 10, 10, 3], data: new Float32Array(300).fill(0.5) });
    await m.dispose();
    assert.ok(y.data.every(Number.isFinite), 'a clean model still predicts finite values after the corpus');
  } finally {
    await disposeCorpus();
    await rm(tmp, { recursive: true, force: true });
  }
  for (const line of table(rows).split('\n')) t.diagnostic(line);
  const ids = new Set(rows.map((r) => r.id));
  assert.equal(ids.size, rows.length, 'case ids are distinct');
  assert.ok(rows.length >= 50, `at least 50 distinct cases (have ${rows.length})`);
  const failures = rows.filter((r) => r.problem !== null).map((r) => `${r.id}: ${r.problem}`);
  assert.deepEqual(failures, [], failures.join('\n\n'));
  assert.equal(existsSync(PICKLE_MARKER), false, 'no pickle or header payload ran');
});

test('the committed hand-made corpus files are exactly what handmade.ts builds', async () => {
  const { readFile } = await import('node:fs/promises');
  const files = await handmadeFiles();
  for (const [name, bytes] of files) {
    const have = new Uint8Array(await readFile(join(HANDMADE_DIR, name)));
    // HDF5 records creation times; compare its length only.
    if (name.endsWith('.h5') && bytes.length > 16) assert.equal(have.length, bytes.length, name);
    else assert.deepEqual(have, bytes, `${name} differs: run node --import tsx test/corpus/handmade.ts`);
  }
});
