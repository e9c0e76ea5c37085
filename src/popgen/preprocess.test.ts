import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConvscopeError } from '../errors.js';
import type { HaplotypeMatrix } from './ms.js';
import { classFromFileName, parseLabelSpec } from './names.js';
import { findTargetSite, haplotypeImage, orderByFrequency, orderBySimilarity, recentre, sortRows, toRegion } from './preprocess.js';
import { resizeImage } from './resize.js';

/** A matrix from rows of '0'/'1' strings, with the given positions (fractions of the region). */
function matrix(rows: string[], positions?: number[]): HaplotypeMatrix {
  const s = rows[0]!.length;
  const haplotypes = Uint8Array.from(rows.join(''), (c) => Number(c));
  return { nSamples: rows.length, nSites: s, haplotypes, positions: Float64Array.from(positions ?? Array.from({ length: s }, (_, j) => (j + 0.5) / s)) };
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test("frequency order is BaSe's order_data: by count, ties in decreasing lexicographic order", () => {
  //            0      1      2      3      4      5      6      7
  const m = matrix(['101', '010', '110', '101', '000', '010', '101', '011']);
  // 101 x3, 010 x2, then the singletons 110 > 011 > 000 (checked against BaSe's numpy code)
  assert.deepEqual(orderByFrequency(m, all(8)), [0, 3, 6, 1, 5, 2, 7, 4]);
});

test("similarity order is BaSe's sort_min_diff: the medoid, then by Manhattan distance to it", () => {
  const m = matrix(['1100', '0000', '1110', '1000', '0011']);
  // total distances 8, 8, 9, 7, 12 -> medoid row 3; distances to it 1, 1, 2, 0, 3
  assert.deepEqual(orderBySimilarity(m, all(5)), [3, 0, 1, 2, 4]);
  assert.deepEqual(orderBySimilarity(m, [4]), [4]);
});

test('separate grouping puts non-carriers of the target allele first, each group sorted', () => {
  const m = matrix(['0110', '1010', '0010', '1011', '0110', '1010']);
  // column 0 is the target: rows 0, 2, 4 do not carry it
  assert.deepEqual(Array.from(sortRows(m, 'freq', 'separate', 0)), [0, 4, 2, 1, 5, 3]);
  assert.deepEqual(Array.from(sortRows(m, 'none', 'separate', 0)), [0, 2, 4, 1, 3, 5]);
  assert.deepEqual(Array.from(sortRows(m, 'freq', 'together')), [1, 5, 0, 4, 3, 2]);
  assert.throws(() => sortRows(m, 'freq', 'separate', -1), ConvscopeError);
});

test('the target is the site within the tolerance of the centre, the closest if several', () => {
  assert.equal(findTargetSite([100, 24999.5, 25000.2, 30000], 25000), 2);
  assert.equal(findTargetSite([100, 24999, 25001], 25000), -1); // strictly less than 1 bp
  assert.equal(findTargetSite([24999.2], 25000, 1), 0);
});

test("re-centring is BaSe's rearrange_neutral: the middle intermediate-frequency site, window open", () => {
  // 10 chromosomes; derived counts per site: 1, 5, 9, 4, 5, 6, 5 at 10, 20, ..., 70 bp of 100 bp
  const counts = [1, 5, 9, 4, 5, 6, 5];
  const rows = Array.from({ length: 10 }, (_, i) => counts.map((c) => (i < c ? '1' : '0')).join(''));
  const m = toRegion(matrix(rows, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), 100);
  // qualifying (0.4, 0.6): sites at 20, 50, 70 -> the middle one (index 1 of 3) is at 50 bp
  const r = recentre(m, { windowLength: 40 });
  assert.equal(r.centre, 50);
  // kept: 30 < p < 70 -> 40, 50, 60 (70 is on the open bound), shifted by -30
  assert.deepEqual(Array.from(r.matrix.positions), [10, 20, 30]);
  assert.equal(r.matrix.nSites, 3);
  assert.equal(r.matrix.length, 40);
  assert.equal(r.matrix.haplotypes[4 * 3 + 1], 1); // row 4 carries the 5-count site
  assert.equal(r.matrix.haplotypes[5 * 3 + 1], 0);
  assert.throws(
    () => recentre(m, { windowLength: 40, minFrequency: 0.95, maxFrequency: 0.99 }),
    (e: unknown) => e instanceof ConvscopeError && e.code === 'POPGEN_NO_TARGET',
  );
});

test('area resizing averages exactly over the covered source area', () => {
  const src = [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1];
  const out = resizeImage(src, 4, 4, 2, 2, { interpolation: 'area', quantize: 'none' });
  assert.deepEqual(Array.from(out), [0.25, 1, 1, 0.25]);
  // 3 -> 2 columns: output cell 0 covers source 0 and half of source 1: (1 + 0.5 * 0) / 1.5
  const three = resizeImage([1, 0, 0], 1, 3, 1, 2, { interpolation: 'area', quantize: 'none' });
  assert.ok(Math.abs(three[0]! - 2 / 3) < 1e-7 && Math.abs(three[1]! - 0) < 1e-7);
  // uint8: multiples of 1/255 (2/3 * 255 = 170)
  assert.equal(resizeImage([1, 0, 1], 1, 3, 1, 2, { interpolation: 'area' })[0], Math.fround(170 / 255));
});

test("nearest, bilinear and bicubic match Pillow's Image.resize exactly (8-bit)", () => {
  // Golden values: Pillow 9.4, Image.fromarray((1 - m) * 255, 'L').resize((4, 3), filter).
  const m = matrix(['1001101', '0011010', '1110000', '0101011', '1010100']);
  const src = Array.from(m.haplotypes, (v) => 1 - v);
  const golden = {
    bicubic: [182, 123, 77, 134, 91, 70, 207, 173, 121, 130, 126, 144],
    bilinear: [173, 127, 86, 125, 86, 80, 201, 177, 125, 127, 127, 144],
    nearest: [0, 255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 255],
  } as const;
  for (const [interpolation, want] of Object.entries(golden) as [keyof typeof golden, readonly number[]][]) {
    const got = resizeImage(src, 5, 7, 3, 4, { interpolation });
    assert.deepEqual(Array.from(got, (v) => Math.round(v * 255)), want, interpolation);
  }
  // enlarging (8 x 9), first row
  const up = resizeImage(src, 5, 7, 8, 9, { interpolation: 'bicubic' });
  assert.deepEqual(Array.from(up.subarray(0, 9), (v) => Math.round(v * 255)), [0, 167, 255, 226, 0, 0, 167, 200, 0]);
  // float path: the same kernels without Pillow's rounding and clipping to 0..255 between the
  // two passes (bicubic overshoots, so they differ by up to a few levels), clipped to [0, 1]
  const f = resizeImage(src, 5, 7, 3, 4, { interpolation: 'bicubic', quantize: 'none' });
  for (let i = 0; i < f.length; i++) assert.ok(Math.abs(f[i]! * 255 - golden.bicubic[i]!) < 8, `float ${f[i]! * 255}`);
  const fl = resizeImage(src, 5, 7, 3, 4, { interpolation: 'bilinear', quantize: 'none' });
  for (let i = 0; i < fl.length; i++) assert.ok(Math.abs(fl[i]! * 255 - golden.bilinear[i]!) < 1, `float ${fl[i]! * 255}`);
  // same size: unchanged
  assert.deepEqual(Array.from(resizeImage(src, 5, 7, 5, 7)), src);
});

test('haplotypeImage: target, grouping, sorting and image on a small matrix', () => {
  // 6 chromosomes, 4 sites at 10, 40, 50, 90 bp of 100 bp; the target (50 bp) is column 2
  const m = matrix(['0110', '1010', '0000', '1011', '0110', '0010'], [0.1, 0.4, 0.5, 0.9]);
  const img = haplotypeImage(m, { regionLength: 100, rows: 6, cols: 4, interpolation: 'area', quantize: 'none' });
  assert.equal(img.targetSite, 2);
  assert.equal(img.carriers, 5);
  // non-carriers: row 2; carriers: 0110 x2, then the singletons 1011 > 1010 > 0010
  assert.deepEqual(Array.from(img.rowOrder), [2, 0, 4, 3, 1, 5]);
  const expected = [2, 0, 4, 3, 1, 5].flatMap((r) => Array.from(m.haplotypes.subarray(r * 4, r * 4 + 4), (v) => 1 - v));
  assert.deepEqual(Array.from(img.image), expected);
  // no site within 1 bp of the centre -> POPGEN_NO_TARGET; 'together' needs none
  const off = matrix(['0110', '1010', '0000', '1011'], [0.1, 0.4, 0.52, 0.9]);
  assert.throws(
    () => haplotypeImage(off, { regionLength: 100 }),
    (e: unknown) => e instanceof ConvscopeError && e.code === 'POPGEN_NO_TARGET',
  );
  assert.equal(haplotypeImage(off, { regionLength: 100, group: 'together' }).targetSite, -1);
  // default output: 128 x 128 in [0, 1]
  const big = haplotypeImage(m, { regionLength: 100 });
  assert.equal(big.image.length, 128 * 128);
  assert.ok(big.image.every((v) => v >= 0 && v <= 1));
  // zero sites: all ancestral
  const empty = haplotypeImage({ nSamples: 3, nSites: 0, positions: new Float64Array(0), haplotypes: new Uint8Array(0) }, { regionLength: 100, group: 'together', rows: 2, cols: 2 });
  assert.deepEqual(Array.from(empty.image), [1, 1, 1, 1]);
});

test('label maps and class tokens from BaSe file names', () => {
  assert.deepEqual([...parseLabelSpec('NE=0,IS=1, OD=1,FD=1')], [
    ['NE', 0],
    ['IS', 1],
    ['OD', 1],
    ['FD', 1],
  ]);
  assert.throws(() => parseLabelSpec('NE:0'), ConvscopeError);
  assert.throws(() => parseLabelSpec('NE=0,NE=1'), ConvscopeError);
  assert.equal(classFromFileName('/data/sims/OD_20_1.txt'), 'OD');
  assert.equal(classFromFileName('NE_7.txt'), 'NE');
  assert.equal(classFromFileName('sims/NE.ms.gz'), 'NE');
  assert.equal(classFromFileName('neutral'), 'neutral');
});
