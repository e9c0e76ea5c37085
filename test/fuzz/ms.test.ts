// Fuzzing the ms-format reader: random bytes; files assembled from a grammar of ms lines (command
// and seed lines, //, segsites, positions, haplotype rows) with wrong counts, hostile numbers and
// garbage edited into well-formed files; gzip-compressed and cut; and valid files written by ms-write, mutated. Every input
// must parse (to consistent matrices) or throw a ConvscopeError, in bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { readMs, type MsFile } from '../../src/popgen/ms.js';
import { writeMs } from '../../src/popgen/ms-write.js';
import { Outcomes, assertProperty, expectParseOrTypedError, hex, params } from './harness.js';

const enc = new TextEncoder();

/** A number as the fields of ms files hold them, hostile ones included. */
const numberText = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-1', '1e3', '999999999999', '18446744073709551617', '0.5', 'NaN', 'Infinity', '', 'x', '4294967296') },
);
const row = fc.array(fc.constantFrom('0', '1'), { maxLength: 9 }).map((a) => a.join(''));
const msLine = fc.oneof(
  { weight: 3, arbitrary: fc.constant('//') },
  { weight: 3, arbitrary: numberText.map((n) => `segsites: ${n}`) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }).map((d) => d.toFixed(4)), fc.constantFrom('nan', '-', '1e999', '0x1')), { maxLength: 9 }).map((p) => `positions: ${p.join(' ')}`) },
  { weight: 6, arbitrary: row },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('ms', 'discoal', 'msms', 'scrm', './bin/ms'), numberText, numberText, numberText).map((t) => t.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('', '1 2 3', 'time: 0.5 0.1', 'prob: 0.2', '[4](1,2);', '((1:0.1,2:0.1):0.3);', 'positions:', 'segsites:', '0N1', '012', '\r', '\t//') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
/** A well-formed file (command line optional), then 0-3 line edits: the near misses a reader meets. */
const msText = fc
  .record({
    command: fc.boolean(),
    nSamples: fc.integer({ min: 1, max: 5 }),
    sites: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }),
    edits: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'insert', 'delete'), line: msLine }), { maxLength: 3 }),
    eol: fc.constantFrom('\n', '\r\n'),
  })
  .chain((f) => fc.array(row, { minLength: f.nSamples * f.sites.length, maxLength: f.nSamples * f.sites.length }).map((rows) => ({ ...f, rows })))
  .map(({ command, nSamples, sites, edits, eol, rows }) => {
    const lines: string[] = command ? [`ms ${nSamples} ${sites.length} -t 5`, '1 2 3'] : [];
    sites.forEach((s, r) => {
      lines.push('', '//', `segsites: ${s}`);
      if (s > 0) {
        lines.push(`positions: ${Array.from({ length: s }, (_, j) => ((j + 1) / (s + 1)).toFixed(4)).join(' ')}`);
        for (let i = 0; i < nSamples; i++) lines.push(rows[r * nSamples + i]!.padEnd(s, '0').slice(0, s));
      }
    });
    for (const e of edits) {
      const at = e.at % (lines.length + 1);
      if (e.op === 'replace') lines[Math.min(at, lines.length - 1)] = e.line;
      else if (e.op === 'insert') lines.splice(at, 0, e.line);
      else lines.splice(at, 1);
    }
    return lines.join(eol) + eol;
  });

function consistent(f: MsFile): void {
  for (const r of f.replicates) {
    assert.equal(r.haplotypes.length, r.nSamples * r.nSites, `replicate ${r.index}: ${r.haplotypes.length} cells for ${r.nSamples} x ${r.nSites}`);
    assert.equal(r.positions.length, r.nSites);
    assert.ok(r.haplotypes.every((v) => v === 0 || v === 1));
  }
}

test('fuzz ms: random bytes parse or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.boolean(), async (bytes, gz) => {
      const input = gz ? Uint8Array.from([0x1f, 0x8b, ...bytes]) : bytes;
      await expectParseOrTypedError(outcomes, () => hex(input), () => readMs(input, { fileName: 'fuzz.ms' }), consistent);
    }),
    params(1000),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz ms: grammar-built files (plain, gzip, cut) parse or throw a ConvscopeError', async (t) => {
  const outcomes = new Outcomes();
  await assertProperty(
    fc.asyncProperty(msText, fc.constantFrom('text', 'bytes', 'gzip', 'gzip-cut'), fc.nat(), async (text, form, cut) => {
      let input: string | Uint8Array = text;
      if (form === 'bytes') input = enc.encode(text);
      if (form === 'gzip' || form === 'gzip-cut') {
        const gz = gzipSync(enc.encode(text));
        input = form === 'gzip' ? gz : gz.subarray(0, cut % (gz.length + 1));
      }
      await expectParseOrTypedError(outcomes, () => `${form} ${JSON.stringify(text)}`, () => readMs(input, { fileName: 'fuzz.ms' }), consistent);
    }),
    params(2000),
  );
  t.diagnostic(outcomes.summary());
});

test('fuzz ms: written files read back exactly, and stay typed when mutated', async (t) => {
  const outcomes = new Outcomes();
  const matrix = fc.record({ nSamples: fc.integer({ min: 1, max: 6 }), nSites: fc.integer({ min: 0, max: 8 }) }).chain(({ nSamples, nSites }) =>
    fc.record({
      nSamples: fc.constant(nSamples),
      nSites: fc.constant(nSites),
      positions: fc.array(fc.integer({ min: 0, max: 9999 }), { minLength: nSites, maxLength: nSites }).map((p) => Float64Array.from(p.sort((a, b) => a - b), (v) => v / 10000)),
      haplotypes: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: nSamples * nSites, maxLength: nSamples * nSites }).map((h) => Uint8Array.from(h)),
    }),
  );
  await assertProperty(
    fc.asyncProperty(fc.array(matrix, { minLength: 1, maxLength: 3 }), fc.nat(), fc.constantFrom('\n', '0', '1', '/', ' ', 'x', ''), async (reps, at, ch) => {
      const sameSamples = reps.map((r) => ({ ...r, nSamples: reps[0]!.nSamples, haplotypes: fixRows(r, reps[0]!.nSamples) }));
      const text = writeMs(sameSamples);
      const back = readMs(text);
      assert.equal(back.replicates.length, sameSamples.length);
      back.replicates.forEach((r, i) => {
        assert.deepEqual(Array.from(r.haplotypes), Array.from(sameSamples[i]!.haplotypes));
        assert.equal(r.nSites, sameSamples[i]!.nSites);
      });
      const p = at % (text.length + 1);
      const mutated = text.slice(0, p) + ch + text.slice(p + 1);
      await expectParseOrTypedError(outcomes, () => JSON.stringify(mutated), () => readMs(mutated), consistent);
    }),
    params(500),
  );
  t.diagnostic(outcomes.summary());
});

/** Rows resized to `n` samples (cycling the given rows), so every replicate has the same sample size. */
function fixRows(r: { nSamples: number; nSites: number; haplotypes: Uint8Array }, n: number): Uint8Array {
  const out = new Uint8Array(n * r.nSites);
  for (let i = 0; i < n; i++) out.set(r.haplotypes.subarray((i % r.nSamples) * r.nSites, ((i % r.nSamples) + 1) * r.nSites), i * r.nSites);
  return out;
}
