// Coalescent with recombination (Hudson 1983; the algorithm of ms, Hudson 2002), optionally
// structured by the allele at a selected site whose frequency trajectory is given (the
// approach of msms, Ewing & Hermisson 2010, and discoal, Kern & Schrider 2016). Isomorphic.
//
// Model and units. A region of length 1 (positions are fractions of it) in a panmictic
// population of constant size. Time runs backwards in units of 2N generations, so a pair of
// lineages coalesces at rate 1. theta = 4 N mu L and rho = 4 N r L are per region, as in ms's
// `-t theta -r rho nsites`: a lineage gains mutations at rate theta/2 per unit of ancestral
// material and recombines at rate rho/2 per unit of the span from its first to its last
// ancestral position. Mutations are infinitely many sites at continuous positions.
//
// Selection (structured coalescent). Going back from the sample, each lineage sits on the
// derived (B) or the ancestral (A) allele at the selected position. In generation g back the
// derived frequency is x = trajectory[g]; pairs coalesce at rate 1/x within B and 1/(1-x)
// within A. At a recombination, the piece on the selected site's side of the breakpoint keeps
// its background and the other piece joins B with probability x (its new partner's allele).
// At the origin (trajectory.length generations back) all B lineages merge into the single
// mutant copy, which becomes an A lineage; from there on the coalescent is neutral.
//
// Differences from ms/msms/discoal: positions are continuous (no finite nsites); the trajectory
// is piecewise constant per generation; no demography, migration, gene conversion or
// recurrent mutation at the selected site.

import { ArgumentError, LimitError } from '../errors.js';
import { createRng, type Rng } from '../random.js';
import { exponential, hypergeometric } from './distributions.js';
import type { HaplotypeMatrix } from './ms.js';

/** A site under selection whose derived-allele frequency path is known. */
export interface SelectedSite {
  /** Position as a fraction of the region. Default 0.5 (the centre). */
  readonly position?: number;
  /**
   * Derived-allele frequency in each generation going back from the sample: element 0 at
   * sampling, the last element in the generation after the mutation arose. Every value must be
   * in (0, 1). Produced by `wrightFisherTrajectory`.
   */
  readonly trajectory: Float64Array;
  /** Number of gene copies 2N; one generation is 1/(2N) time units. */
  readonly copies: number;
  /**
   * Carriers of the derived allele in the sample. Default: drawn from the sampled copies
   * without replacement (hypergeometric), redrawn until 0 < carriers < nSamples.
   */
  readonly carriers?: number;
}

export interface CoalescentOptions {
  /** Chromosomes sampled (>= 2). */
  readonly nSamples: number;
  /** Scaled mutation rate 4 N mu L for the whole region (>= 0). */
  readonly theta: number;
  /** Scaled recombination rate 4 N r L for the whole region (>= 0). Default 0. */
  readonly rho?: number;
  /** Seed of the random source (ignored when `rng` is given). Default 0. */
  readonly seed?: number;
  /** Random source to draw from (for callers that chain simulations). */
  readonly rng?: Rng;
  /** Structure the coalescent by a selected site (see module comment). Default: neutral. */
  readonly selection?: SelectedSite;
  /** Also return the time to the most recent common ancestor along the region. Default false. */
  readonly recordTmrca?: boolean;
  /** Stop with a LimitError after this many coalescence + recombination events. Default 5e7. */
  readonly maxEvents?: number;
}

/** A simulated replicate. Positions are fractions of the region, ascending. */
export interface CoalescentResult extends HaplotypeMatrix {
  /** Column of the selected site, or -1 when neutral. */
  readonly selectedSite: number;
  /** 1 for samples carrying the derived allele at the selected site; null when neutral. */
  readonly carriers: Uint8Array | null;
  /** Marginal TMRCA (units of 2N generations) on intervals [left, right), when asked for. */
  readonly tmrca: { readonly left: Float64Array; readonly right: Float64Array; readonly time: Float64Array } | null;
  /** Events simulated. */
  readonly coalescences: number;
  readonly recombinations: number;
}

interface Segment {
  l: number;
  r: number;
  /** Samples below this segment, as a bitset; never modified once made. */
  readonly bits: Uint32Array;
  readonly cnt: number;
}

interface Lineage {
  readonly segs: Segment[];
  readonly mat: number;
  readonly span: number;
  bg: number;
}

/** Simulates one replicate. */
export function simulateCoalescent(options: CoalescentOptions): CoalescentResult {
  const { nSamples: n, theta, rho = 0, seed = 0, selection, recordTmrca = false, maxEvents = 5e7 } = options;
  if (!Number.isInteger(n) || n < 2) throw new ArgumentError('BAD_ARGUMENT', `nSamples must be an integer >= 2, got ${n}.`);
  if (!(theta >= 0) || !Number.isFinite(theta)) throw new ArgumentError('BAD_ARGUMENT', `theta must be finite and >= 0, got ${theta}.`);
  if (!(rho >= 0) || !Number.isFinite(rho)) throw new ArgumentError('BAD_ARGUMENT', `rho must be finite and >= 0, got ${rho}.`);
  const rng = options.rng ?? createRng(seed);
  const sim = new Simulation(n, theta, rho, rng, recordTmrca, maxEvents);
  if (selection !== undefined) sim.setSelection(selection);
  return sim.run();
}

class Simulation {
  private readonly words: number;
  private readonly pops: [Lineage[], Lineage[]] = [[], []];
  private totalSpan = 0;
  private totalMat = 0;
  private readonly mutPos: number[] = [];
  private readonly mutBits: Uint32Array[] = [];
  private toNextMutation: number;
  private readonly tmrcaL: number[] = [];
  private readonly tmrcaR: number[] = [];
  private readonly tmrcaT: number[] = [];
  private t = 0;
  private coalescences = 0;
  private recombinations = 0;
  private trajectory: Float64Array | null = null;
  private copies = 1;
  private selPos = 0.5;
  private carriers: Uint8Array | null = null;

  constructor(
    private readonly n: number,
    private readonly theta: number,
    private readonly rho: number,
    private readonly rng: Rng,
    private readonly recordTmrca: boolean,
    private readonly maxEvents: number,
  ) {
    this.words = Math.ceil(n / 32);
    this.toNextMutation = this.nextMutationGap();
  }

  setSelection(sel: SelectedSite): void {
    const { trajectory, copies } = sel;
    const position = sel.position ?? 0.5;
    if (!(position > 0 && position < 1)) throw new ArgumentError('BAD_ARGUMENT', `selection.position must be in (0, 1), got ${position}.`);
    if (!Number.isInteger(copies) || copies < 2) throw new ArgumentError('BAD_ARGUMENT', `selection.copies (2N) must be an integer >= 2, got ${copies}.`);
    if (trajectory.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'selection.trajectory is empty.');
    for (let g = 0; g < trajectory.length; g++) {
      const x = trajectory[g]!;
      if (!(x > 0 && x < 1)) {
        throw new ArgumentError('BAD_ARGUMENT', `selection.trajectory[${g}] = ${x}: frequencies must be in (0, 1) until the mutation's origin.`, {
          hint: 'Trajectories that fix or are lost before the sample cannot carry a segregating selected site.',
        });
      }
    }
    const inSample = Math.round(trajectory[0]! * copies);
    let k = sel.carriers;
    if (k === undefined) {
      for (let tries = 0; tries < 1000; tries++) {
        k = hypergeometric(this.rng, copies, inSample, Math.min(this.n, copies));
        if (k > 0 && k < this.n) break;
      }
    }
    if (k === undefined || !Number.isInteger(k) || k <= 0 || k >= this.n) {
      throw new ArgumentError('BAD_ARGUMENT', `The selected allele must be carried by 1..${this.n - 1} of the ${this.n} samples (got ${k ?? 'none'}).`, {
        hint: 'Use a frequency at sampling further from 0 and 1, or more samples.',
      });
    }
    // A random subset of the samples carries the allele, so row order says nothing.
    const order = Array.from({ length: this.n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.int(this.n - i);
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    const carriers = new Uint8Array(this.n);
    for (let i = 0; i < k; i++) carriers[order[i]!] = 1;
    this.carriers = carriers;
    this.trajectory = trajectory;
    this.copies = copies;
    this.selPos = position;
  }

  private nextMutationGap(): number {
    return this.theta > 0 ? exponential(this.rng, this.theta / 2) : Infinity;
  }

  run(): CoalescentResult {
    const { n } = this;
    for (let i = 0; i < n; i++) {
      const bits = new Uint32Array(this.words);
      bits[i >>> 5] = 1 << (i & 31);
      this.add({ segs: [{ l: 0, r: 1, bits, cnt: 1 }], mat: 1, span: 1, bg: this.carriers?.[i] ?? 0 });
    }
    const traj = this.trajectory;
    let structured = traj !== null;
    let g = 0;
    const rng = this.rng;
    while (this.pops[0].length + this.pops[1].length > 0) {
      const kA = this.pops[0].length;
      const kB = this.pops[1].length;
      let rateA: number;
      let rateB = 0;
      let x = 0;
      let limit = Infinity;
      if (structured) {
        x = traj![g]!;
        rateA = (kA * (kA - 1)) / 2 / (1 - x);
        rateB = (kB * (kB - 1)) / 2 / x;
        limit = (g + 1) / this.copies;
      } else {
        rateA = (kA * (kA - 1)) / 2;
      }
      const rateRec = (this.rho / 2) * this.totalSpan;
      const total = rateA + rateB + rateRec;
      const wait = total > 0 ? exponential(rng, total) : Infinity;
      if (this.t + wait >= limit) {
        this.mutate(limit - this.t);
        this.t = limit;
        g++;
        if (g >= traj!.length) {
          this.origin();
          structured = false;
        }
        continue;
      }
      if (wait === Infinity) throw new Error('coalescent: no event possible with lineages left (internal error)');
      this.mutate(wait);
      this.t += wait;
      if (this.coalescences + this.recombinations >= this.maxEvents) {
        throw new LimitError('LIMIT_EXCEEDED', `The coalescent simulation passed ${this.maxEvents} events (rho = ${this.rho}, nSamples = ${n}).`, {
          hint: 'Lower rho or the sample size, or raise maxEvents.',
        });
      }
      const u = rng.next() * total;
      if (u < rateRec) this.recombine(structured ? x : -1);
      else if (u < rateRec + rateA) this.coalesce(0);
      else this.coalesce(1);
    }
    return this.result();
  }

  private add(lin: Lineage): void {
    this.pops[lin.bg]!.push(lin);
    this.totalSpan += lin.span;
    this.totalMat += lin.mat;
  }

  private removeAt(bg: number, i: number): Lineage {
    const pop = this.pops[bg]!;
    const lin = pop[i]!;
    const last = pop.pop()!;
    if (i < pop.length) pop[i] = last;
    this.totalSpan -= lin.span;
    this.totalMat -= lin.mat;
    return lin;
  }

  /** Places the mutations of `dt` time units on the current ancestral material. */
  private mutate(dt: number): void {
    if (this.theta === 0 || this.totalMat <= 0) return;
    let area = this.totalMat * dt;
    while (this.toNextMutation <= area) {
      area -= this.toNextMutation;
      this.placeMutation();
      this.toNextMutation = this.nextMutationGap();
    }
    this.toNextMutation -= area;
  }

  private placeMutation(): void {
    let u = this.rng.next() * this.totalMat;
    let lin: Lineage | undefined;
    outer: for (const pop of this.pops) {
      for (const candidate of pop) {
        lin = candidate;
        if (u < candidate.mat) break outer;
        u -= candidate.mat;
      }
    }
    // Rounding can leave u a hair past the last lineage's material: clamp into it.
    let seg = lin!.segs[lin!.segs.length - 1]!;
    for (const s of lin!.segs) {
      const len = s.r - s.l;
      if (u < len) {
        seg = s;
        break;
      }
      u -= len;
    }
    const pos = seg.l + Math.min(Math.max(u, 0), (seg.r - seg.l) * 0.999999);
    this.mutPos.push(pos);
    this.mutBits.push(seg.bits);
  }

  private recombine(x: number): void {
    let u = this.rng.next() * this.totalSpan;
    let bg = 0;
    let idx = -1;
    outer: for (let p = 0; p < 2; p++) {
      const pop = this.pops[p]!;
      for (let i = 0; i < pop.length; i++) {
        bg = p;
        idx = i;
        if (u < pop[i]!.span) break outer;
        u -= pop[i]!.span;
      }
    }
    const lin = this.removeAt(bg, idx);
    const first = lin.segs[0]!.l;
    const lastR = lin.segs[lin.segs.length - 1]!.r;
    let b = first + this.rng.next() * (lastR - first);
    while (b <= first) b = first + this.rng.next() * (lastR - first);
    const left: Segment[] = [];
    const right: Segment[] = [];
    for (const s of lin.segs) {
      if (s.r <= b) left.push(s);
      else if (s.l >= b) right.push(s);
      else {
        left.push({ l: s.l, r: b, bits: s.bits, cnt: s.cnt });
        right.push({ l: b, r: s.r, bits: s.bits, cnt: s.cnt });
      }
    }
    let bgLeft = lin.bg;
    let bgRight = lin.bg;
    if (x >= 0) {
      // The piece away from the selected site now descends from a chromosome drawn at random.
      const fresh = this.rng.next() < x ? 1 : 0;
      if (b > this.selPos) bgRight = fresh;
      else bgLeft = fresh;
    }
    this.add(makeLineage(left, bgLeft));
    this.add(makeLineage(right, bgRight));
    this.recombinations++;
  }

  private coalesce(bg: number): void {
    const pop = this.pops[bg]!;
    const k = pop.length;
    const i = this.rng.int(k);
    let j = this.rng.int(k - 1);
    if (j >= i) j++;
    const hi = Math.max(i, j);
    const lo = Math.min(i, j);
    const a = this.removeAt(bg, hi);
    const b = this.removeAt(bg, lo);
    const merged = this.merge(a.segs, b.segs);
    if (merged.length > 0) this.add(makeLineage(merged, bg));
    this.coalescences++;
  }

  /** All derived-background lineages merge into the mutant copy, which was an A chromosome. */
  private origin(): void {
    const pop = this.pops[1];
    while (pop.length > 1) this.coalesce(1);
    if (pop.length === 1) {
      const lin = this.removeAt(1, 0);
      lin.bg = 0;
      this.add(lin);
    }
  }

  private merge(xs: Segment[], ys: Segment[]): Segment[] {
    const out: Segment[] = [];
    const push = (s: Segment): void => {
      const last = out[out.length - 1];
      if (last !== undefined && last.r === s.l && sameBits(last.bits, s.bits)) last.r = s.r;
      else out.push({ l: s.l, r: s.r, bits: s.bits, cnt: s.cnt });
    };
    let i = 0;
    let j = 0;
    let x: Segment | undefined = xs[0];
    let y: Segment | undefined = ys[0];
    while (x !== undefined || y !== undefined) {
      if (y === undefined || (x !== undefined && x.r <= y.l)) {
        push(x!);
        x = xs[++i];
        continue;
      }
      if (x === undefined || y.r <= x.l) {
        push(y);
        y = ys[++j];
        continue;
      }
      // Overlap: first the part where only one of them has material.
      if (x.l < y.l) {
        push({ l: x.l, r: y.l, bits: x.bits, cnt: x.cnt });
        x = { l: y.l, r: x.r, bits: x.bits, cnt: x.cnt };
      } else if (y.l < x.l) {
        push({ l: y.l, r: x.l, bits: y.bits, cnt: y.cnt });
        y = { l: x.l, r: y.r, bits: y.bits, cnt: y.cnt };
      }
      const e = Math.min(x.r, y.r);
      const cnt = x.cnt + y.cnt;
      if (cnt < this.n) push({ l: x.l, r: e, bits: orBits(x.bits, y.bits), cnt });
      else if (this.recordTmrca) {
        this.tmrcaL.push(x.l);
        this.tmrcaR.push(e);
        this.tmrcaT.push(this.t);
      }
      if (x.r === e) x = xs[++i];
      else x = { l: e, r: x.r, bits: x.bits, cnt: x.cnt };
      if (y.r === e) y = ys[++j];
      else y = { l: e, r: y.r, bits: y.bits, cnt: y.cnt };
    }
    return out;
  }

  private result(): CoalescentResult {
    const { n } = this;
    const order = Array.from({ length: this.mutPos.length }, (_, i) => i).sort((a, b) => this.mutPos[a]! - this.mutPos[b]!);
    const hasSel = this.carriers !== null;
    const s = order.length + (hasSel ? 1 : 0);
    const positions = new Float64Array(s);
    const haplotypes = new Uint8Array(n * s);
    let col = 0;
    let selectedSite = -1;
    const putSelected = (): void => {
      positions[col] = this.selPos;
      for (let i = 0; i < n; i++) haplotypes[i * s + col] = this.carriers![i]!;
      selectedSite = col++;
    };
    for (const m of order) {
      const pos = this.mutPos[m]!;
      if (hasSel && selectedSite < 0 && pos > this.selPos) putSelected();
      positions[col] = pos;
      const bits = this.mutBits[m]!;
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          haplotypes[(w * 32 + bit) * s + col] = 1;
          word &= word - 1;
        }
      }
      col++;
    }
    if (hasSel && selectedSite < 0) putSelected();
    let tmrca: CoalescentResult['tmrca'] = null;
    if (this.recordTmrca) {
      const idx = Array.from({ length: this.tmrcaL.length }, (_, i) => i).sort((a, b) => this.tmrcaL[a]! - this.tmrcaL[b]!);
      tmrca = {
        left: Float64Array.from(idx, (i) => this.tmrcaL[i]!),
        right: Float64Array.from(idx, (i) => this.tmrcaR[i]!),
        time: Float64Array.from(idx, (i) => this.tmrcaT[i]!),
      };
    }
    return {
      nSamples: n,
      nSites: s,
      positions,
      haplotypes,
      selectedSite,
      carriers: this.carriers,
      tmrca,
      coalescences: this.coalescences,
      recombinations: this.recombinations,
    };
  }
}

function makeLineage(segs: Segment[], bg: number): Lineage {
  let mat = 0;
  for (const s of segs) mat += s.r - s.l;
  const span = segs.length > 0 ? segs[segs.length - 1]!.r - segs[0]!.l : 0;
  return { segs, mat, span, bg };
}

function orBits(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! | b[i]!;
  return out;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
