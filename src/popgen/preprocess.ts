// BaSe's preprocessing of a haplotype matrix into a CNN image (Isildak, Stella & Fumagalli 2021,
// github.com/ulasisik/balancing-selection, BaSe/Preprocess.py), each step an option whose
// default is BaSe's behaviour. Isomorphic: matrices in, float32 images out.
//
//   matrix (positions as fractions of the region)
//     1. positions in bp: fraction x region length
//     2. [neutral replicates] re-centre on an intermediate-frequency site, cut to the window
//     3. target site: within `targetTolerance` bp of the centre
//     4. row order: by haplotype frequency or genetic similarity, together or per target allele
//     5. image: 1 = ancestral (white), 0 = derived (black), resized to rows x cols
//
// Where we differ from BaSe: several sites within the tolerance -> the closest wins (BaSe takes
// the first; the same whenever one site is that close); rows at equal distance in the
// similarity order keep their input order (BaSe's order there is scikit-learn's, unspecified);
// zero segregating sites give an all-ancestral image (BaSe fails).

import { ArgumentError } from '../errors.js';
import { derivedCounts } from './stats.js';
import type { HaplotypeMatrix } from './ms.js';
import { resizeImage, type Interpolation, type Quantize } from './resize.js';

/** Row orders: BaSe's `freq` and `gen_sim`, or the input order. */
export type RowSort = 'freq' | 'similarity' | 'none';
/** BaSe's methods: `t` (all rows together) and `s` (non-carriers, then carriers of the target). */
export type RowGroup = 'together' | 'separate';

export const ROW_SORTS: readonly RowSort[] = ['freq', 'similarity', 'none'];
export const ROW_GROUPS: readonly RowGroup[] = ['together', 'separate'];

/** A haplotype matrix whose positions are in bp from the start of its region. */
export interface RegionMatrix extends HaplotypeMatrix {
  /** Region length in bp; positions lie in [0, length]. */
  readonly length: number;
}

export interface RecentreOptions {
  /** Length in bp of the window to cut (BaSe: the selection simulations' L, 50 kb). */
  readonly windowLength: number;
  /** Sites qualify as the new centre when their derived frequency is > this. Default 0.4. */
  readonly minFrequency?: number;
  /** ... and < this. Default 0.6. */
  readonly maxFrequency?: number;
}

export interface ImageOptions {
  /** Region length in bp: positions are multiplied by it. Required. */
  readonly regionLength: number;
  /** Re-centre first (neutral simulations of a longer region); null = no. Default null. */
  readonly recentre?: RecentreOptions | null;
  /** Image rows. Default 128. */
  readonly rows?: number;
  /** Image columns. Default 128. */
  readonly cols?: number;
  /** Default 'freq'. */
  readonly sort?: RowSort;
  /** Default 'separate' (BaSe's `s`); needs a target site. */
  readonly group?: RowGroup;
  /** The target is the site within this many bp of the centre (strictly). Default 1 (BaSe). */
  readonly targetTolerance?: number;
  /** Default 'bicubic' (Pillow's default, which BaSe used). */
  readonly interpolation?: Interpolation;
  /** Default 'uint8' (BaSe saved 8-bit images). */
  readonly quantize?: Quantize;
}

/** A preprocessed replicate. */
export interface HaplotypeImage {
  /** rows x cols, row-major, float32 in [0, 1]: 1 = ancestral, 0 = derived. */
  readonly image: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** Sites in the (re-centred) region before resizing. */
  readonly nSites: number;
  /** Column of the target site before resizing, or -1 when none was needed. */
  readonly targetSite: number;
  /** Carriers of the target's derived allele (-1 when no target was needed). */
  readonly carriers: number;
  /** Input rows in image order, top to bottom. */
  readonly rowOrder: Int32Array;
  /** Where the re-centring put the centre, in bp of the original region (null if none). */
  readonly recentredAt: number | null;
}

/** Converts positions (fractions of the region) to bp. */
export function toRegion(m: HaplotypeMatrix, regionLength: number): RegionMatrix {
  if (!(regionLength > 0) || !Number.isFinite(regionLength)) {
    throw new ArgumentError('BAD_ARGUMENT', `The region length must be a positive number of bp, got ${regionLength}.`);
  }
  const positions = Float64Array.from(m.positions, (p) => p * regionLength);
  return { nSamples: m.nSamples, nSites: m.nSites, haplotypes: m.haplotypes, positions, length: regionLength };
}

/** Keeps the columns `keep` (ascending) of `m`, with new positions. */
function selectColumns(m: HaplotypeMatrix, keep: readonly number[], positions: Float64Array, length: number): RegionMatrix {
  const s = keep.length;
  const out = new Uint8Array(m.nSamples * s);
  for (let i = 0; i < m.nSamples; i++) {
    const row = i * m.nSites;
    for (let j = 0; j < s; j++) out[i * s + j] = m.haplotypes[row + keep[j]!]!;
  }
  return { nSamples: m.nSamples, nSites: s, haplotypes: out, positions, length };
}

/**
 * BaSe's `rearrange_neutral`: among sites with derived frequency in (minFrequency,
 * maxFrequency), take the middle one in position order (index floor(count / 2)); keep the sites
 * strictly within windowLength/2 of it, shifted so that it sits at windowLength/2.
 *
 * @throws ArgumentError `POPGEN_NO_TARGET` when no site has such a frequency
 */
export function recentre(m: RegionMatrix, options: RecentreOptions): { matrix: RegionMatrix; centre: number } {
  const { windowLength, minFrequency = 0.4, maxFrequency = 0.6 } = options;
  if (!(windowLength > 0)) throw new ArgumentError('BAD_ARGUMENT', `The re-centring window must be > 0 bp, got ${windowLength}.`);
  const counts = derivedCounts(m);
  const qualifying: number[] = [];
  for (let j = 0; j < m.nSites; j++) {
    const f = counts[j]! / m.nSamples;
    if (f > minFrequency && f < maxFrequency) qualifying.push(j);
  }
  if (qualifying.length === 0) {
    throw new ArgumentError('POPGEN_NO_TARGET', `No site has a derived frequency in (${minFrequency}, ${maxFrequency}) to re-centre on (${m.nSites} sites, ${m.nSamples} samples).`, {
      hint: 'Skip such replicates (--on-missing-target skip) or widen the frequency window.',
    });
  }
  const centre = m.positions[qualifying[Math.floor(qualifying.length / 2)]!]!;
  const lo = centre - windowLength / 2;
  const hi = centre + windowLength / 2;
  const keep: number[] = [];
  for (let j = 0; j < m.nSites; j++) {
    const p = m.positions[j]!;
    if (p > lo && p < hi) keep.push(j);
  }
  const positions = Float64Array.from(keep, (j) => m.positions[j]! + windowLength / 2 - centre);
  return { matrix: selectColumns(m, keep, positions, windowLength), centre };
}

/** Column of the site within `tolerance` bp (strictly) of `centre`, the closest if several; -1 if none. */
export function findTargetSite(positions: ArrayLike<number>, centre: number, tolerance = 1): number {
  let best = -1;
  let bestDist = Infinity;
  for (let j = 0; j < positions.length; j++) {
    const d = Math.abs(positions[j]! - centre);
    if (d < tolerance && d < bestDist) {
      best = j;
      bestDist = d;
    }
  }
  return best;
}

/** Row `i` of `m` as a string of '0'/'1' (a key whose string order is BaSe's row order). */
function rowKey(m: HaplotypeMatrix, i: number): string {
  let s = '';
  const row = m.haplotypes.subarray(i * m.nSites, (i + 1) * m.nSites);
  for (let start = 0; start < row.length; start += 4096) {
    s += String.fromCharCode(...Array.from(row.subarray(start, start + 4096), (v) => 48 + v));
  }
  return s;
}

/**
 * BaSe's `order_data`: identical rows grouped; groups by decreasing count, ties by decreasing
 * lexicographic order of the rows (what its bottom-up fill of numpy's unique rows gives).
 */
export function orderByFrequency(m: HaplotypeMatrix, rows: readonly number[]): number[] {
  const groups = new Map<string, number[]>();
  for (const i of rows) {
    const key = rowKey(m, i);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [i]);
    else g.push(i);
  }
  const entries = [...groups.entries()];
  entries.sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return entries.flatMap((e) => e[1]);
}

/**
 * BaSe's `sort_min_diff` (from pop_gen_cnn, Flagel et al. 2019): the row with the least total
 * Manhattan distance to all others first, then every row by increasing distance to it (ties:
 * input order).
 */
export function orderBySimilarity(m: HaplotypeMatrix, rows: readonly number[]): number[] {
  const k = rows.length;
  if (k <= 1) return [...rows];
  const words = Math.ceil(m.nSites / 32);
  const packed = new Uint32Array(k * words);
  rows.forEach((r, i) => {
    const row = m.haplotypes.subarray(r * m.nSites, (r + 1) * m.nSites);
    for (let j = 0; j < row.length; j++) if (row[j] === 1) packed[i * words + (j >>> 5)]! |= 1 << (j & 31);
  });
  const dist = new Int32Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let d = 0;
      for (let w = 0; w < words; w++) d += popcount(packed[a * words + w]! ^ packed[b * words + w]!);
      dist[a * k + b] = d;
      dist[b * k + a] = d;
    }
  }
  let medoid = 0;
  let best = Infinity;
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let b = 0; b < k; b++) s += dist[a * k + b]!;
    if (s < best) {
      best = s;
      medoid = a;
    }
  }
  const idx = Array.from({ length: k }, (_, i) => i);
  idx.sort((a, b) => dist[medoid * k + a]! - dist[medoid * k + b]! || (a === medoid ? -1 : b === medoid ? 1 : a - b));
  return idx.map((i) => rows[i]!);
}

function popcount(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Row order (top to bottom) for `sort` and `group`; `targetSite` is needed for 'separate'. */
export function sortRows(m: HaplotypeMatrix, sort: RowSort, group: RowGroup, targetSite = -1): Int32Array {
  if (!ROW_SORTS.includes(sort)) throw new ArgumentError('BAD_ARGUMENT', `Unknown row sort '${String(sort)}'.`, { hint: `Use one of: ${ROW_SORTS.join(', ')}.` });
  if (!ROW_GROUPS.includes(group)) throw new ArgumentError('BAD_ARGUMENT', `Unknown row grouping '${String(group)}'.`, { hint: `Use one of: ${ROW_GROUPS.join(', ')}.` });
  const order = (rows: number[]): number[] => (sort === 'freq' ? orderByFrequency(m, rows) : sort === 'similarity' ? orderBySimilarity(m, rows) : rows);
  const all = Array.from({ length: m.nSamples }, (_, i) => i);
  if (group === 'together') return Int32Array.from(order(all));
  if (targetSite < 0 || targetSite >= m.nSites) throw new ArgumentError('BAD_ARGUMENT', `Grouping rows by the target allele needs a target site (got column ${targetSite}).`);
  const non = all.filter((i) => m.haplotypes[i * m.nSites + targetSite] === 0);
  const car = all.filter((i) => m.haplotypes[i * m.nSites + targetSite] === 1);
  return Int32Array.from([...order(non), ...order(car)]);
}

/** The image of `m` with rows in `rowOrder`: 1 - allele, resized to rows x cols. */
export function matrixToImage(m: HaplotypeMatrix, rowOrder: Int32Array, rows: number, cols: number, interpolation?: Interpolation, quantize?: Quantize): Float32Array {
  if (m.nSites === 0 || m.nSamples === 0) return new Float32Array(rows * cols).fill(1);
  const s = m.nSites;
  const src = new Float64Array(rowOrder.length * s);
  for (let r = 0; r < rowOrder.length; r++) {
    const off = rowOrder[r]! * s;
    for (let j = 0; j < s; j++) src[r * s + j] = 1 - m.haplotypes[off + j]!;
  }
  return resizeImage(src, rowOrder.length, s, rows, cols, {
    ...(interpolation !== undefined ? { interpolation } : {}),
    ...(quantize !== undefined ? { quantize } : {}),
  });
}

/**
 * The whole pipeline for one replicate (steps in the module comment).
 *
 * @throws ArgumentError `POPGEN_NO_TARGET` when re-centring finds no intermediate-frequency
 *   site, or grouping needs a target and no site is within the tolerance of the centre
 */
export function haplotypeImage(m: HaplotypeMatrix, options: ImageOptions): HaplotypeImage {
  const { regionLength, recentre: rc = null, rows = 128, cols = 128, sort = 'freq', group = 'separate', targetTolerance = 1, interpolation, quantize } = options;
  for (const [name, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw new ArgumentError('BAD_ARGUMENT', `Image ${name} must be an integer in 1..4096, got ${v}.`);
  }
  if (!(targetTolerance > 0)) throw new ArgumentError('BAD_ARGUMENT', `The target tolerance must be > 0 bp, got ${targetTolerance}.`);
  let region = toRegion(m, regionLength);
  let recentredAt: number | null = null;
  if (rc !== null) {
    const r = recentre(region, rc);
    region = r.matrix;
    recentredAt = r.centre;
  }
  let targetSite = -1;
  let carriers = -1;
  if (group === 'separate') {
    targetSite = findTargetSite(region.positions, region.length / 2, targetTolerance);
    if (targetSite < 0) {
      throw new ArgumentError('POPGEN_NO_TARGET', `No site within ${targetTolerance} bp of the centre (${region.length / 2} bp) among ${region.nSites} sites, so rows cannot be grouped by the target allele.`, {
        hint: 'Check the region length (--length / --neutral-length), re-centre neutral files (--recentre), use --group together, or skip such replicates (--on-missing-target skip).',
      });
    }
    carriers = 0;
    for (let i = 0; i < region.nSamples; i++) carriers += region.haplotypes[i * region.nSites + targetSite]!;
  }
  const rowOrder = sortRows(region, sort, group, targetSite);
  const image = matrixToImage(region, rowOrder, rows, cols, interpolation, quantize);
  return { image, rows, cols, nSites: region.nSites, targetSite, carriers, rowOrder, recentredAt };
}
