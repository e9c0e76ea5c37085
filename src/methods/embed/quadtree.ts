// The 2-D Barnes-Hut quadtree of t-SNE's repulsive forces, stored in flat typed arrays (one
// slot per cell, no per-node objects) and rebuilt in place every iteration. Mirrors
// scikit-learn's _QuadTree: points closer than 1e-6 on both axes share a leaf (duplicates), a
// cell summarises its subtree when width^2 < theta^2 distance^2, and a point's own leaf is skipped.
// After each build the cells are copied in depth-first order with a skip link past each subtree,
// so a traversal is one forward scan without a stack (same cells, same order, same sums).

/** Points within this distance on every axis are duplicates (scikit-learn's EPSILON). */
const EPSILON = 1e-6;

/** A reusable quadtree over n 2-D points. */
export class QuadTree {
  private capacity = 0;
  private count = 0;
  /** Per cell, stride 4: centre x, centre y, half width x, half width y (used while building). */
  private geo: Float64Array = new Float64Array(0);
  /** Per cell, stride 4: barycentre x, barycentre y, points in the subtree, squared largest width. */
  private node: Float64Array = new Float64Array(0);
  private leaf: Uint8Array = new Uint8Array(0);
  /** Per cell, stride 4: child cell per quadrant, -1 = none. */
  private children: Int32Array = new Int32Array(0);
  private stack: Int32Array = new Int32Array(256);
  /** Depth-first copy, stride 4: barycentre x, barycentre y, points, squared largest width. */
  private dfs: Float64Array = new Float64Array(0);
  /** Depth-first copy: index of the first cell after each cell's subtree (c + 1 for a leaf). */
  private skip: Int32Array = new Int32Array(0);
  /** Cells in each cell's subtree (itself included), by build index. */
  private subtree: Int32Array = new Int32Array(0);

  /** Number of cells of the last build. */
  get cells(): number {
    return this.count;
  }

  /**
   * The depth-first copy the traversals read (valid until the next build): per cell, stride 4,
   * barycentre x, barycentre y, points, squared width; and the skip links. For sharing the tree
   * with other threads (see `adopt`).
   */
  get flat(): { readonly dfs: Float64Array; readonly skip: Int32Array; readonly cells: number } {
    return { dfs: this.dfs, skip: this.skip, cells: this.count };
  }

  /** Makes this tree a reader of a depth-first copy built elsewhere (same layout as `flat`). */
  adopt(dfs: Float64Array, skip: Int32Array, cells: number): void {
    this.dfs = dfs;
    this.skip = skip;
    this.count = cells;
  }

  private grow(min: number): void {
    if (min <= this.capacity) return;
    const cap = Math.max(min, this.capacity * 2, 64);
    const geo = new Float64Array(cap * 4);
    geo.set(this.geo.subarray(0, this.count * 4));
    const node = new Float64Array(cap * 4);
    node.set(this.node.subarray(0, this.count * 4));
    const leaf = new Uint8Array(cap);
    leaf.set(this.leaf.subarray(0, this.count));
    const children = new Int32Array(cap * 4);
    children.set(this.children.subarray(0, this.count * 4));
    this.geo = geo;
    this.node = node;
    this.leaf = leaf;
    this.children = children;
    this.capacity = cap;
  }

  private newCell(cx: number, cy: number, hx: number, hy: number): number {
    if (this.count === this.capacity) this.grow(this.count + 1);
    const c = this.count++;
    const o = c * 4;
    const geo = this.geo;
    geo[o] = cx;
    geo[o + 1] = cy;
    geo[o + 2] = hx;
    geo[o + 3] = hy;
    const w = 2 * Math.max(hx, hy);
    const node = this.node;
    node[o] = 0;
    node[o + 1] = 0;
    node[o + 2] = 0;
    node[o + 3] = w * w;
    this.leaf[c] = 1;
    const children = this.children;
    children[o] = -1;
    children[o + 1] = -1;
    children[o + 2] = -1;
    children[o + 3] = -1;
    return c;
  }

  /** Child slot of cell c for a point: bit 1 = x >= centre, bit 0 = y >= centre. */
  private quadrant(c: number, x: number, y: number): number {
    return (x >= this.geo[c * 4]! ? 2 : 0) + (y >= this.geo[c * 4 + 1]! ? 1 : 0);
  }

  /** Creates the child of c in quadrant q holding `size` points at (x, y). */
  private addChild(c: number, q: number, x: number, y: number, size: number): void {
    const o = c * 4;
    const hx = this.geo[o + 2]! / 2;
    const hy = this.geo[o + 3]! / 2;
    const child = this.newCell(this.geo[o]! + ((q & 2) !== 0 ? hx : -hx), this.geo[o + 1]! + ((q & 1) !== 0 ? hy : -hy), hx, hy);
    const node = this.node;
    node[child * 4] = x;
    node[child * 4 + 1] = y;
    node[child * 4 + 2] = size;
    this.children[o + q] = child;
    this.leaf[c] = 0;
  }

  /** The points' bounding box at the last build, [minX, minY, maxX, maxY] (before the root's stretch). */
  readonly bounds = new Float64Array(4);

  /** Rebuilds the tree over `pos` (n x 2, row-major). */
  build(pos: Float64Array, n: number): void {
    this.count = 0;
    this.grow(Math.max(64, 2 * n));
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = pos[2 * i]!;
      const y = pos[2 * i + 1]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    this.bounds.set([minX, minY, maxX, maxY]);
    // As scikit-learn: stretch the upper bound so every point lies strictly inside the root.
    maxX = Math.max(maxX * (1 + 1e-3 * Math.sign(maxX)), maxX + 1e-3);
    maxY = Math.max(maxY * (1 + 1e-3 * Math.sign(maxY)), maxY + 1e-3);
    this.newCell((minX + maxX) / 2, (minY + maxY) / 2, (maxX - minX) / 2, (maxY - minY) / 2);
    for (let i = 0; i < n; i++) this.insert(pos[2 * i]!, pos[2 * i + 1]!);
    this.flatten();
  }

  /** Copies the cells in depth-first order (children in slot order) with skip links. */
  private flatten(): void {
    const count = this.count;
    if (this.skip.length < count) {
      this.dfs = new Float64Array(this.capacity * 4);
      this.skip = new Int32Array(this.capacity);
      this.subtree = new Int32Array(this.capacity);
    }
    const { node, children, dfs, skip, subtree } = this;
    // Cells in each subtree, bottom up: a child is always created after its parent.
    for (let c = count - 1; c >= 0; c--) {
      let s = 1;
      for (let q = 0; q < 4; q++) {
        const ch = children[c * 4 + q]!;
        if (ch !== -1) s += subtree[ch]!;
      }
      subtree[c] = s;
    }
    let stack = this.stack;
    let top = 0;
    let out = 0;
    stack[top++] = 0;
    while (top > 0) {
      const c = stack[--top]!;
      const o = c * 4;
      const w = out * 4;
      dfs[w] = node[o]!;
      dfs[w + 1] = node[o + 1]!;
      dfs[w + 2] = node[o + 2]!;
      dfs[w + 3] = node[o + 3]!;
      skip[out] = out + subtree[c]!;
      out++;
      if (top + 4 > stack.length) {
        const bigger = new Int32Array(stack.length * 2);
        bigger.set(stack);
        stack = this.stack = bigger;
      }
      // Pushed in reverse so children come out in slot order.
      for (let q = 3; q >= 0; q--) {
        const ch = children[o + q]!;
        if (ch !== -1) stack[top++] = ch;
      }
    }
  }

  private insert(x: number, y: number): void {
    let c = 0;
    for (;;) {
      const node = this.node; // re-read: addChild may grow the arrays
      const o = c * 4;
      const s = node[o + 2]!;
      if (s === 0) {
        node[o] = x;
        node[o + 1] = y;
        node[o + 2] = 1;
        return;
      }
      if (this.leaf[c] === 1) {
        const bx = node[o]!;
        const by = node[o + 1]!;
        if (Math.abs(x - bx) <= EPSILON && Math.abs(y - by) <= EPSILON) {
          node[o + 2] = s + 1;
          return;
        }
        // Split: the leaf's point(s) move into a child; the cell becomes internal and the new
        // point is inserted into it below.
        this.addChild(c, this.quadrant(c, bx, by), bx, by, s);
      }
      const nd = this.node;
      nd[o] = (s * nd[o]! + x) / (s + 1);
      nd[o + 1] = (s * nd[o + 1]! + y) / (s + 1);
      nd[o + 2] = s + 1;
      const q = this.quadrant(c, x, y);
      const child = this.children[o + q]!;
      if (child === -1) {
        this.addChild(c, q, x, y, 1);
        return;
      }
      c = child;
    }
  }

  /**
   * Repulsion on the point (x, y): accumulates into out[0..1] the sum over summary cells of
   * size * q^2 * (p - barycentre) with q = 1 / (1 + |p - barycentre|^2), and returns
   * sum size * q (its share of the normalisation Z). Cells are visited depth first, children in
   * slot order (scikit-learn's recursion order).
   */
  repulsion(x: number, y: number, thetaSq: number, out: Float64Array): number {
    const dfs = this.dfs;
    const skip = this.skip;
    const count = this.count;
    let fx = 0;
    let fy = 0;
    let z = 0;
    let c = 0;
    while (c < count) {
      const o = c * 4;
      const dx = x - dfs[o]!;
      const dy = y - dfs[o + 1]!;
      const d2 = dx * dx + dy * dy;
      const next = skip[c]!;
      if (next === c + 1) {
        // A leaf: skip the point itself (and its duplicates).
        if (Math.abs(dx) <= EPSILON && Math.abs(dy) <= EPSILON) {
          c = next;
          continue;
        }
      } else if (!(dfs[o + 3]! < thetaSq * d2)) {
        c++; // open the cell: its first child follows it
        continue;
      }
      const q = 1 / (1 + d2);
      const s = dfs[o + 2]!;
      z += s * q;
      const m = s * q * q;
      fx += m * dx;
      fy += m * dy;
      c = next;
    }
    out[0] = fx;
    out[1] = fy;
    return z;
  }
}
