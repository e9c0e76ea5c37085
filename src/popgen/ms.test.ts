import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'fflate';
import { fixture, haveFixtures } from '../../test/fixtures.js';
import { ConvscopeError } from '../errors.js';
import { readZip } from '../io/zip.js';
import { readNpy } from '../io/npy.js';
import { looksLikeMs, parseMsCommand, readMs, scanMs, type HaplotypeMatrix } from './ms.js';
import { writeMs } from './ms-write.js';
import { derivedCounts, harmonic, nucleotideDiversity } from './stats.js';

const skip = !haveFixtures;
const NEUTRAL = 'discoal_neutral_1.ms.gz';
const SWEEP = 'discoal_sweep_13.ms.gz';
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture('popgen', name)));
const textOf = (name: string): string => new TextDecoder().decode(gunzipSync(bytesOf(name)));

/** Asserts that `fn` throws a ConvscopeError with `code` whose message contains every `parts`. */
function throwsCode(fn: () => unknown, code: string, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConvscopeError, `expected a ConvscopeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const p of parts) assert.ok(err.message.includes(p), `message '${err.message}' lacks '${p}'`);
    return true;
  });
}

test('reads discoal output (gzip): header, sizes, positions and alleles', { skip }, () => {
  for (const [name, sites, seeds] of [
    [NEUTRAL, 3294, '576741918 748910790'],
    [SWEEP, 1224, '245255046 922825437'],
  ] as const) {
    const file = readMs(bytesOf(name), { fileName: name });
    assert.equal(file.program, 'discoal');
    assert.equal(file.nSamples, 216);
    assert.equal(file.nReplicates, 1);
    assert.equal(file.regionLength, 1_200_000);
    assert.equal(file.seeds, seeds);
    assert.equal(file.replicates.length, 1);
    const rep = file.replicates[0]!;
    assert.equal(rep.nSamples, 216);
    assert.equal(rep.nSites, sites);
    assert.equal(rep.line, 4);
    for (let j = 1; j < rep.nSites; j++) assert.ok(rep.positions[j]! >= rep.positions[j - 1]!, 'positions ascend');
    assert.ok(rep.positions[0]! >= 0 && rep.positions[sites - 1]! <= 1);
    // discoal writes segregating sites only
    for (const c of derivedCounts(rep)) assert.ok(c > 0 && c < 216);
    // rows match the text exactly (first and last row)
    const lines = textOf(name).split('\n');
    const rowText = (m: HaplotypeMatrix, i: number): string => Array.from(m.haplotypes.subarray(i * m.nSites, (i + 1) * m.nSites)).join('');
    assert.equal(rowText(rep, 0), lines[6]);
    assert.equal(rowText(rep, 215), lines[6 + 215]);
    assert.equal(rep.positions[0], Number(lines[5]!.split(' ')[1]));
  }
});

test('the real sweep replicate has far less diversity than the neutral one', { skip }, () => {
  const neutral = readMs(bytesOf(NEUTRAL));
  const sweep = readMs(bytesOf(SWEEP));
  const theta = (cmd: string | null): number => Number(cmd!.split(/\s+/)[cmd!.split(/\s+/).indexOf('-t') + 1]);
  // pi / theta: about 1 for neutral data; a sweep at the centre (discoal -x 0.5) removes most.
  const piN = nucleotideDiversity(neutral.replicates[0]!) / theta(neutral.command);
  const piS = nucleotideDiversity(sweep.replicates[0]!) / theta(sweep.command);
  assert.ok(piN > 0.0015 && piN < 0.01, `neutral pi/theta ${piN}`); // discoal's -en history changes the scale
  assert.ok(piS < 0.1 * piN, `sweep pi/theta ${piS} vs neutral ${piN}`);
});

test('write -> read round-trips the real replicates (positions to 1e-6)', { skip }, () => {
  const file = readMs(bytesOf(NEUTRAL));
  const text = writeMs(file.replicates, { command: file.command!, seeds: file.seeds! });
  const back = readMs(text);
  assert.equal(back.command, file.command);
  const a = file.replicates[0]!;
  const b = back.replicates[0]!;
  assert.deepEqual(b.haplotypes, a.haplotypes);
  for (let j = 0; j < a.nSites; j++) assert.ok(Math.abs(a.positions[j]! - b.positions[j]!) <= 5e-7);
});

test('ms haplotype matrices from pop_gen_cnn (real ms output): round trip and Watterson', { skip }, () => {
  // theta_sim.npz: xtest (1000, 489 sites padded with zeros, 40 chromosomes) int8, ytest theta.
  const entries = readZip(bytesOf('theta_sim.npz'), { fileName: 'theta_sim.npz', include: (n) => n === 'xtest.npy' || n === 'ytest.npy' });
  const x = readNpy(entries.get('xtest.npy')!, { fileName: 'xtest.npy' });
  const y = readNpy(entries.get('ytest.npy')!, { fileName: 'ytest.npy' });
  assert.deepEqual(x.shape, [1000, 489, 40]);
  const [, maxSites, n] = x.shape as [number, number, number];
  const reps = 500; // of 1000, to keep the test quick
  const data = x.data as Int8Array;
  const thetas = y.data as Float64Array;
  const matrices: HaplotypeMatrix[] = [];
  for (let r = 0; r < reps; r++) {
    const cols: number[] = [];
    for (let j = 0; j < maxSites; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += data[(r * maxSites + j) * n + i]!;
      if (c > 0) cols.push(j);
    }
    const s = cols.length;
    const hap = new Uint8Array(n * s);
    cols.forEach((j, k) => {
      for (let i = 0; i < n; i++) hap[i * s + k] = data[(r * maxSites + j) * n + i]!;
    });
    matrices.push({ nSamples: n, nSites: s, positions: Float64Array.from(cols, (_, k) => (k + 0.5) / s), haplotypes: hap });
  }
  // Round trip through ms text, gzip in two members (as concatenated .gz files are).
  const text = writeMs(matrices, { command: `ms ${n} ${reps} -t tbs`, seeds: '1 2 3' });
  const cut = text.indexOf('\n//', text.length >> 1);
  const enc = new TextEncoder();
  const gz = new Uint8Array([...gzipSync(enc.encode(text.slice(0, cut))), ...gzipSync(enc.encode(text.slice(cut)))]);
  const back = readMs(gz, { fileName: 'theta.ms.gz' });
  assert.equal(back.replicates.length, reps);
  back.replicates.forEach((rep, r) => {
    assert.equal(rep.nSites, matrices[r]!.nSites);
    assert.deepEqual(rep.haplotypes, matrices[r]!.haplotypes);
  });
  // Watterson: E[S] = theta a_n, Var[S] = theta a_n + theta^2 b_n (no recombination); the sum
  // over replicates must be within 4 standard errors of its expectation.
  const a = harmonic(n);
  let b = 0;
  for (let i = 1; i < n; i++) b += 1 / (i * i);
  let sumS = 0;
  let expS = 0;
  let varS = 0;
  back.replicates.forEach((rep, r) => {
    const t = thetas[r]!;
    sumS += rep.nSites;
    expS += t * a;
    varS += t * a + t * t * b;
  });
  assert.ok(Math.abs(sumS - expS) < 4 * Math.sqrt(varS), `S total ${sumS} vs ${expS.toFixed(0)} +- ${(4 * Math.sqrt(varS)).toFixed(0)}`);
});

test('a hand-written ms file: trees, zero sites, CRLF, several replicates, stopping early', () => {
  const text = [
    'ms 4 3 -t 2.0 -r 1.5 1000 -T',
    '1 2 3',
    '',
    '//',
    '((1:0.1,2:0.1):0.5,(3:0.2,4:0.2):0.4);',
    'segsites: 2',
    'positions: 0.1000 0.7000',
    '10',
    '11',
    '01',
    '00',
    '',
    '//',
    '[400](1:1,(2:1,(3:1,4:1):0.5):0.5);',
    '[600]((1:1,2:1):1,(3:1,4:1):1);',
    'segsites: 0',
    '',
    '//',
    'segsites: 3',
    'positions: 0.2 0.5 0.9',
    '100',
    '010',
    '001',
    '111',
  ].join('\r\n');
  assert.ok(looksLikeMs(text));
  const file = readMs(text, { fileName: 'hand.ms' });
  assert.equal(file.program, 'ms');
  assert.equal(file.regionLength, 1000);
  assert.equal(file.replicates.length, 3);
  const [r0, r1, r2] = file.replicates;
  assert.deepEqual(Array.from(r0!.haplotypes), [1, 0, 1, 1, 0, 1, 0, 0]);
  assert.deepEqual(r0!.extra, ['((1:0.1,2:0.1):0.5,(3:0.2,4:0.2):0.4);']);
  assert.equal(r1!.nSites, 0);
  assert.equal(r1!.nSamples, 4);
  assert.equal(r1!.extra.length, 2);
  assert.deepEqual(Array.from(r2!.positions), [0.2, 0.5, 0.9]);
  assert.equal(r2!.line, 18);
  const seen: number[] = [];
  scanMs(text, (rep) => {
    seen.push(rep.index);
    return rep.index < 1;
  });
  assert.deepEqual(seen, [0, 1]);
  assert.equal(readMs(text, { maxReplicates: 1 }).replicates.length, 1);
});

test('scrm output (verbatim from `scrm 4 2 -t 2 -r 1 1000 -seed 4 -T`, scrm 1.7.4)', () => {
  const text =
    'scrm 4 2 -t 2 -r 1 1000 -seed 4 -T\n4\n\n//\n[1000](((1:0.120687,2:0.120687):0.153643,3:0.27433):0.718471,4:0.992801);\n' +
    'segsites: 3\npositions: 0.683609 0.737137 0.90591 \n000\n000\n001\n110\n\n//\n' +
    '[398]((4:0.24033,1:0.24033):0.00593248,(3:0.0227905,2:0.0227905):0.223472);\n' +
    '[602]((4:0.24033,1:0.24033):0.00593248,(3:0.0227905,2:0.0227905):0.223472);\nsegsites: 0\n';
  const file = readMs(text, { fileName: 'scrm.out' });
  assert.equal(file.program, 'scrm');
  assert.equal(file.seeds, '4');
  assert.equal(file.regionLength, 1000);
  assert.equal(file.replicates.length, 2);
  assert.deepEqual(Array.from(file.replicates[0]!.positions), [0.683609, 0.737137, 0.90591]);
  assert.deepEqual(Array.from(file.replicates[0]!.haplotypes), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]);
  assert.equal(file.replicates[1]!.nSites, 0);
  assert.equal(file.replicates[1]!.extra.length, 2);
});

test("SLiM's output (no command line): the sample size comes from the rows", () => {
  const text = '//\nsegsites: 3\npositions: 0.1 0.5 0.9\n010\n110\n001\n\n//\nsegsites: 1\npositions: 0.5\n1\n0\n1\n';
  const file = readMs(text);
  assert.equal(file.command, null);
  assert.equal(file.nSamples, null);
  assert.deepEqual(
    file.replicates.map((r) => [r.nSamples, r.nSites]),
    [
      [3, 3],
      [3, 1],
    ],
  );
  assert.deepEqual(Array.from(file.replicates[1]!.haplotypes), [1, 0, 1]);
});

test('command lines of ms, msms, discoal and scrm', () => {
  assert.deepEqual(parseMsCommand('./ms 20 100 -t 5 -r 10 5000'), { program: 'ms', nSamples: 20, nReplicates: 100, regionLength: 5000 });
  assert.deepEqual(parseMsCommand('java -jar msms.jar -N 10000 -ms 40 7 -t 10'), { program: 'java', nSamples: 40, nReplicates: 7, regionLength: null });
  assert.deepEqual(parseMsCommand('/opt/discoal 216 1 1200000 -t 10 -r 5'), { program: 'discoal', nSamples: 216, nReplicates: 1, regionLength: 1200000 });
  assert.deepEqual(parseMsCommand('scrm 10 2 -t 1 -r 4 100000'), { program: 'scrm', nSamples: 10, nReplicates: 2, regionLength: 100000 });
});

test('malformed and truncated files fail with the file name, line number and a stable code', { skip }, () => {
  const lines = textOf(SWEEP).split('\n');
  const join = (ls: string[]): string => ls.join('\n');
  // lines: 1 command, 2 seeds, 3 blank, 4 //, 5 segsites, 6 positions, 7.. rows
  const shortRow = [...lines];
  shortRow[15] = shortRow[15]!.slice(1);
  throwsCode(() => readMs(join(shortRow), { fileName: 'short.ms' }), 'MS_PARSE', 'short.ms:16', 'row 10', '1223 characters', '1224');
  const badChar = [...lines];
  badChar[8] = `${badChar[8]!.slice(0, 99)}2${badChar[8]!.slice(100)}`;
  throwsCode(() => readMs(join(badChar), { fileName: 'bad.ms' }), 'MS_PARSE', 'bad.ms:9', 'column 100', "'2'");
  const fewPositions = [...lines];
  fewPositions[5] = fewPositions[5]!.trim().split(' ').slice(0, -1).join(' ');
  throwsCode(() => readMs(join(fewPositions), { fileName: 'pos.ms' }), 'MS_PARSE', 'pos.ms:6', '1223 positions', '1224');
  const noSegsites = [...lines];
  noSegsites[4] = 'segregating: 1224';
  throwsCode(() => readMs(join(noSegsites), { fileName: 'seg.ms' }), 'MS_PARSE', 'seg.ms:5', "'segsites: S'");
  const nanPosition = [...lines];
  nanPosition[5] = nanPosition[5]!.replace(' 0.000229 ', ' 0.0x0229 ');
  throwsCode(() => readMs(join(nanPosition), { fileName: 'nan.ms' }), 'MS_PARSE', 'nan.ms:6', 'position 2');
  // cut in the middle of the haplotype rows
  throwsCode(() => readMs(join(lines.slice(0, 106)), { fileName: 'cut.ms' }), 'FILE_TRUNCATED', 'cut.ms:106', '100 of 216');
  // cut before the rows, after '//'
  throwsCode(() => readMs(join(lines.slice(0, 4)), { fileName: 'cut2.ms' }), 'FILE_TRUNCATED', 'cut2.ms', "'segsites:'");
  // a replicate missing: the command line asks for 2
  throwsCode(() => readMs(join([lines[0]!.replace('216 1 ', '216 2 '), ...lines.slice(1)]), { fileName: 'two.ms' }), 'FILE_TRUNCATED', 'two.ms', '2 replicates', 'holds 1');
  // gzip cut short, and a gzip header alone
  const gz = bytesOf(SWEEP);
  throwsCode(() => readMs(gz.subarray(0, gz.length >> 1), { fileName: 'half.ms.gz' }), 'FILE_TRUNCATED', 'half.ms.gz');
  throwsCode(() => readMs(gz.subarray(0, 15), { fileName: 'head.ms.gz' }), 'FILE_TRUNCATED', 'head.ms.gz');
  // an error thrown by a replicate callback comes out unchanged, not as gzip damage
  const mine = new Error('stop here');
  assert.throws(() => scanMs(gz, () => {
    throw mine;
  }), (e: unknown) => e === mine);
  // not ms at all
  throwsCode(() => readMs('x,y\n1,2\n', { fileName: 'table.csv' }), 'FILE_UNRECOGNISED', 'table.csv');
  throwsCode(() => readMs(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), { fileName: 'a.png' }), 'FILE_UNRECOGNISED', 'a.png');
  assert.ok(!looksLikeMs('x,y\n1,2\n'));
  // the unmodified text reads fine
  assert.equal(readMs(join(lines)).replicates[0]!.nSites, 1224);
});
