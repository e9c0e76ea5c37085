// The Barnes-Hut t-SNE gradient (van der Maaten 2014, as scikit-learn computes it) over the
// joint probabilities P: a quadtree of the points, repulsion from its cells (theta), attraction
// along P's sparse rows, in per-point slots summed in point order so that any split of the work
// (src/node/tsne-parallel.ts runs ranges on worker threads) gives the same result. Used by tsne.ts.

import { QuadTree } from './quadtree.js';

/** Smallest positive normal float32, scikit-learn's floor inside the KL logarithm. */
const FLOAT32_TINY = 1.1754943508222875e-38;

/** A sparse symmetric matrix in CSR form (columns sorted within rows). */
export interface SparseSymmetric {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float64Array;
}

/**
 * Scratch memory of the Barnes-Hut gradient for n points, reused across iterations: the tree,
 * the visiting order, and per-point repulsion, attraction and share of Z.
 */
export class BarnesHutWorkspace {
  readonly tree = new QuadTree();
  n = 0;
  /** Points in Morton (Z-curve) order of their positions: neighbours in the plane, neighbours here. */
  order: Int32Array = new Int32Array(0);
  private codes: Uint32Array = new Uint32Array(0);
  private tmpOrder: Int32Array = new Int32Array(0);
  private tmpCodes: Uint32Array = new Uint32Array(0);
  private readonly counts = new Int32Array(65537);
  /** Per point, stride 2: repulsive force (before division by Z). */
  rep: Float64Array = new Float64Array(0);
  /** Per point, stride 2: attractive force. */
  attr: Float64Array = new Float64Array(0);
  /** Per point: its share of the normalisation Z. */
  z: Float64Array = new Float64Array(0);

  /** Sizes the arrays for n points (views over `shared` buffers when given: rep, attr, z). */
  resize(n: number, shared?: { rep: Float64Array; attr: Float64Array; z: Float64Array }): void {
    if (this.n !== n) {
      this.order = new Int32Array(n);
      this.codes = new Uint32Array(n);
      this.tmpOrder = new Int32Array(n);
      this.tmpCodes = new Uint32Array(n);
      this.n = n;
    }
    if (shared !== undefined) {
      this.rep = shared.rep;
      this.attr = shared.attr;
      this.z = shared.z;
    } else if (this.rep.length !== 2 * n) {
      this.rep = new Float64Array(2 * n);
      this.attr = new Float64Array(2 * n);
      this.z = new Float64Array(n);
    }
  }

  /**
   * Reads a tree and an order built by another thread's workspace (copies of its `tree.flat`
   * and `order`) instead of building its own; the next `prepare` builds again.
   */
  adoptTree(dfs: Float64Array, skip: Int32Array, cells: number, order: Int32Array): void {
    this.tree.adopt(dfs, skip, cells);
    this.order = order;
  }

  /** Rebuilds the tree over `pos` and the Morton order of the points (stable: ties by index). */
  prepare(pos: Float64Array, n: number): void {
    this.resize(n);
    this.tree.build(pos, n);
    const b = this.tree.bounds; // the points' bounding box, found by the build
    const minX = b[0]!;
    const minY = b[1]!;
    const maxX = b[2]!;
    const maxY = b[3]!;
    const sx = maxX > minX ? 65535 / (maxX - minX) : 0;
    const sy = maxY > minY ? 65535 / (maxY - minY) : 0;
    const { codes, order } = this;
    for (let i = 0; i < n; i++) {
      codes[i] = ((spreadBits(Math.floor((pos[2 * i]! - minX) * sx)) << 1) | spreadBits(Math.floor((pos[2 * i + 1]! - minY) * sy))) >>> 0;
      order[i] = i;
    }
    // Stable least-significant-digit radix sort, two passes of 16 bits.
    let srcO = order;
    let srcC = codes;
    let dstO = this.tmpOrder;
    let dstC = this.tmpCodes;
    const counts = this.counts;
    for (let shift = 0; shift < 32; shift += 16) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[((srcC[i]! >>> shift) & 0xffff) + 1]!++;
      for (let b = 0; b < 65536; b++) counts[b + 1]! += counts[b]!;
      for (let i = 0; i < n; i++) {
        const at = counts[(srcC[i]! >>> shift) & 0xffff]!++;
        dstO[at] = srcO[i]!;
        dstC[at] = srcC[i]!;
      }
      [srcO, dstO] = [dstO, srcO];
      [srcC, dstC] = [dstC, srcC];
    }
    // After an even number of passes the sorted order is back in `order`.
  }
}

/** Spreads the low 16 bits of v to the even bit positions (Morton interleaving). */
function spreadBits(v: number): number {
  let x = v & 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/**
 * Repulsion of the points order[start..end) from the tree of `ws` (built by `ws.prepare`):
 * writes each point's force into ws.rep and its share of Z into ws.z (indexed by point).
 */
export function repulsionRange(ws: BarnesHutWorkspace, pos: Float64Array, start: number, end: number, thetaSq: number): void {
  const { tree, order, rep, z } = ws;
  const f = new Float64Array(2);
  for (let t = start; t < end; t++) {
    const i = order[t]!;
    z[i] = tree.repulsion(pos[2 * i]!, pos[2 * i + 1]!, thetaSq, f);
    rep[2 * i] = f[0]!;
    rep[2 * i + 1] = f[1]!;
  }
}

/** Attraction along the kNN graph of the points start..end-1 (by index), into ws.attr. */
export function attractionRange(ws: BarnesHutWorkspace, p: SparseSymmetric, pos: Float64Array, start: number, end: number, exaggeration: number): void {
  const { rowPtr, cols, values } = p;
  const attr = ws.attr;
  for (let i = start; i < end; i++) {
    const xi = pos[2 * i]!;
    const yi = pos[2 * i + 1]!;
    let ax = 0;
    let ay = 0;
    for (let s = rowPtr[i]!; s < rowPtr[i + 1]!; s++) {
      const j = cols[s]!;
      const dx = xi - pos[2 * j]!;
      const dy = yi - pos[2 * j + 1]!;
      const q = 1 / (1 + dx * dx + dy * dy);
      const m = exaggeration * values[s]! * q;
      ax += m * dx;
      ay += m * dy;
    }
    attr[2 * i] = ax;
    attr[2 * i + 1] = ay;
  }
}

/**
 * Combines the per-point forces of `ws` into the gradient (grad = 4 (attraction - repulsion /
 * Z), Z summed in point order) and returns KL(P || Q) when `computeError`, else NaN.
 */
export function finishGradient(ws: BarnesHutWorkspace, p: SparseSymmetric, pos: Float64Array, exaggeration: number, grad: Float64Array, computeError: boolean): number {
  const { n, rowPtr, cols, values } = p;
  const { rep, attr, z: zs } = ws;
  let z = 0;
  for (let i = 0; i < n; i++) z += zs[i]!;
  for (let t = 0; t < 2 * n; t++) grad[t] = 4 * (attr[t]! - rep[t]! / z);
  if (!computeError) return NaN;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    const xi = pos[2 * i]!;
    const yi = pos[2 * i + 1]!;
    for (let s = rowPtr[i]!; s < rowPtr[i + 1]!; s++) {
      const j = cols[s]!;
      const dx = xi - pos[2 * j]!;
      const dy = yi - pos[2 * j + 1]!;
      const q = 1 / (1 + dx * dx + dy * dy);
      const pij = exaggeration * values[s]!;
      kl += pij * Math.log(Math.max(pij, FLOAT32_TINY) / Math.max(q / z, FLOAT32_TINY));
    }
  }
  return kl;
}

/**
 * The t-SNE gradient dKL/dy (written to `grad`, n x 2) at positions `pos` for joint
 * probabilities `p` times `exaggeration`, with Barnes-Hut repulsion at angle `theta` (0 = exact).
 * Returns KL(P || Q) when `computeError`, else NaN. `ws` may be passed to reuse its memory.
 * Every point's force is computed on its own and Z is summed in point order, so splitting the
 * points among threads (src/node/tsne-parallel.ts) gives bit-identical results.
 */
export function barnesHutGradient(
  p: SparseSymmetric,
  pos: Float64Array,
  theta: number,
  exaggeration: number,
  grad: Float64Array,
  computeError: boolean,
  ws: BarnesHutWorkspace = new BarnesHutWorkspace(),
): number {
  const n = p.n;
  ws.prepare(pos, n);
  repulsionRange(ws, pos, 0, n, theta * theta);
  attractionRange(ws, p, pos, 0, n, exaggeration);
  return finishGradient(ws, p, pos, exaggeration, grad, computeError);
}

/**
 * Computes the t-SNE gradient: the contract of {@link barnesHutGradient} (same arguments, same
 * result). Injected to run it elsewhere, e.g. on worker threads (src/node/tsne-parallel.ts).
 */
export type TsneGradient = (p: SparseSymmetric, pos: Float64Array, theta: number, exaggeration: number, grad: Float64Array, computeError: boolean) => number;

/** A gradient with a life cycle: `prepare` once the affinities are known, `close` at the end. */
export interface TsneGradientRunner {
  /** Called by `tsne()` before the first iteration (may start threads). */
  prepare(p: SparseSymmetric): Promise<void>;
  readonly gradient: TsneGradient;
  /** Frees what `prepare` started. Safe to call twice. */
  close(): Promise<void>;
}
