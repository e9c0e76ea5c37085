// Node-only: the Barnes-Hut t-SNE gradient (methods/embed/tsne.ts) split among this thread and
// worker threads over shared memory. Per iteration the workers start on the attractive forces
// (no tree needed) while this thread builds the tree, which it then shares; then every thread
// takes chunks of the repulsive forces. Every point's force is written to its own slot and Z is
// summed in point order, so results are bit-identical to the one-thread gradient.

import { Worker } from 'node:worker_threads';
import { ConvscopeError } from '../errors.js';
import {
  BarnesHutWorkspace,
  attractionRange,
  barnesHutGradient,
  finishGradient,
  repulsionRange,
  type SparseSymmetric,
  type TsneGradientRunner,
} from '../methods/embed/barnes-hut.js';

/** Slots of the shared control array. */
export const CTRL = {
  /** Bumped by the main thread to start a gradient (or to stop). */
  generation: 0,
  /** Work tickets: (generation & 0x7fff) << 16 | next chunk, attraction then repulsion. */
  attraction: 1,
  repulsion: 2,
  /** Chunks (of both kinds) finished in the current generation. */
  completed: 3,
  /** 1 = compute, 2 = exit. */
  command: 4,
  /** The generation whose tree is in shared memory; minus it when the tree did not fit (build your own). */
  tree: 5,
  /** Cells of the shared tree. */
  cells: 6,
} as const;

/** Generation bits kept in a ticket. */
const GEN_MASK = 0x7fff;

/** Shared buffers handed to each worker once. */
export interface TsneWorkerSetup {
  readonly n: number;
  readonly chunk: number;
  readonly ctrl: SharedArrayBuffer;
  /** Float64: theta^2, exaggeration. */
  readonly params: SharedArrayBuffer;
  readonly pos: SharedArrayBuffer;
  readonly rep: SharedArrayBuffer;
  readonly attr: SharedArrayBuffer;
  readonly z: SharedArrayBuffer;
  readonly rowPtr: SharedArrayBuffer;
  readonly cols: SharedArrayBuffer;
  readonly values: SharedArrayBuffer;
  /** The main thread's tree (depth-first copy, skip links) and Morton order, for `capacity` cells. */
  readonly dfs: SharedArrayBuffer;
  readonly skip: SharedArrayBuffer;
  readonly order: SharedArrayBuffer;
  readonly capacity: number;
}

/** Options of {@link createParallelTsneGradient}. */
export interface ParallelTsneOptions {
  /** Threads in all, this one included. Default 2. 1 computes everything here. */
  readonly threads?: number;
  /** Points per chunk of work. Default 256. */
  readonly chunk?: number;
  /** Longest wait for a worker's part of one gradient, in ms, before failing. Default 120,000. */
  readonly timeoutMs?: number;
  /**
   * Cells of the tree shared with the workers; an iteration whose tree has more (near-duplicate
   * points) lets each thread build its own. Default 4 n + 64.
   */
  readonly sharedTreeCells?: number;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/**
 * Takes the next chunk from ticket `slot` for generation `generation`, or returns -1 when none
 * is left or the generation has moved on (a late thread then leaves the work alone).
 */
export function claimChunk(ctrl: Int32Array, slot: number, generation: number, chunks: number): number {
  const g = generation & GEN_MASK;
  for (;;) {
    const v = Atomics.load(ctrl, slot);
    if (v >>> 16 !== g) return -1;
    const c = v & 0xffff;
    if (c >= chunks) return -1;
    if (Atomics.compareExchange(ctrl, slot, v, v + 1) === v) return c;
  }
}

/** Whether ticket `slot` of `generation` still has chunks to take. */
export function chunksLeft(ctrl: Int32Array, slot: number, generation: number, chunks: number): boolean {
  const v = Atomics.load(ctrl, slot);
  return v >>> 16 === (generation & GEN_MASK) && (v & 0xffff) < chunks;
}

function finished(ctrl: Int32Array, total: number): void {
  if (Atomics.add(ctrl, CTRL.completed, 1) + 1 === total) Atomics.notify(ctrl, CTRL.completed);
}

/** Attractive forces of chunks (by point index) until none are left. */
export function workAttraction(ws: BarnesHutWorkspace, ctrl: Int32Array, generation: number, p: SparseSymmetric, pos: Float64Array, chunk: number, exaggeration: number): void {
  const n = p.n;
  const chunks = Math.ceil(n / chunk);
  for (let c = claimChunk(ctrl, CTRL.attraction, generation, chunks); c >= 0; c = claimChunk(ctrl, CTRL.attraction, generation, chunks)) {
    attractionRange(ws, p, pos, c * chunk, Math.min(n, (c + 1) * chunk), exaggeration);
    finished(ctrl, 2 * chunks);
  }
}

/** Repulsive forces of chunks (in the Morton order of `ws`, whose tree is built) until none are left. */
export function workRepulsion(ws: BarnesHutWorkspace, ctrl: Int32Array, generation: number, n: number, pos: Float64Array, chunk: number, thetaSq: number): void {
  const chunks = Math.ceil(n / chunk);
  for (let c = claimChunk(ctrl, CTRL.repulsion, generation, chunks); c >= 0; c = claimChunk(ctrl, CTRL.repulsion, generation, chunks)) {
    repulsionRange(ws, pos, c * chunk, Math.min(n, (c + 1) * chunk), thetaSq);
    finished(ctrl, 2 * chunks);
  }
}

/**
 * A t-SNE gradient on `threads` threads, for `tsne(..., { gradient })`. `prepare` copies the
 * affinities into shared memory and starts the workers; before that (or with threads = 1) the
 * gradient runs in this thread alone. The main thread blocks (Atomics.wait) while the workers
 * finish their chunks of an iteration, a few tens of milliseconds.
 */
export function createParallelTsneGradient(options: ParallelTsneOptions = {}): TsneGradientRunner {
  const { threads = 2, chunk = 256, timeoutMs = 120_000 } = options;
  const ws = new BarnesHutWorkspace();
  const workers: Worker[] = [];
  let state: {
    p: SparseSymmetric;
    setup: TsneWorkerSetup;
    ctrl: Int32Array;
    params: Float64Array;
    pos: Float64Array;
    p2: SparseSymmetric;
    dfs: Float64Array;
    skip: Int32Array;
    order: Int32Array;
  } | null = null;
  let failure: Error | null = null;

  const fallback = (p: SparseSymmetric, pos: Float64Array, theta: number, exaggeration: number, grad: Float64Array, computeError: boolean): number => {
    ws.resize(p.n);
    return barnesHutGradient(p, pos, theta, exaggeration, grad, computeError, ws);
  };

  return {
    async prepare(p: SparseSymmetric): Promise<void> {
      if (threads <= 1 || state !== null) return;
      const n = p.n;
      // Trees hold about 1.3 n cells for spread-out points; near-duplicates make more (then
      // each thread builds its own tree for that iteration).
      const capacity = options.sharedTreeCells ?? 4 * n + 64;
      const setup: TsneWorkerSetup = {
        n,
        chunk,
        ctrl: shared(8 * 4),
        params: shared(2 * 8),
        pos: shared(2 * n * 8),
        rep: shared(2 * n * 8),
        attr: shared(2 * n * 8),
        z: shared(n * 8),
        rowPtr: shared(p.rowPtr.byteLength),
        cols: shared(p.cols.byteLength),
        values: shared(p.values.byteLength),
        dfs: shared(capacity * 4 * 8),
        skip: shared(capacity * 4),
        order: shared(n * 4),
        capacity,
      };
      const rowPtr = new Int32Array(setup.rowPtr, 0, p.rowPtr.length);
      const cols = new Int32Array(setup.cols, 0, p.cols.length);
      const values = new Float64Array(setup.values, 0, p.values.length);
      rowPtr.set(p.rowPtr);
      cols.set(p.cols);
      values.set(p.values);
      const ctrl = new Int32Array(setup.ctrl);
      const started = Array.from({ length: threads - 1 }, () => {
        const w = new Worker(new URL('./tsne-worker-boot.mjs', import.meta.url), { workerData: setup });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.once('message', () => {
            w.unref(); // referenced until ready, so the process waits for it to start
            resolve();
          });
          w.once('error', (e) => {
            failure = e;
            reject(new ConvscopeError('ENGINE_FAILURE', `A t-SNE worker thread failed to start: ${e.message}`, { cause: e }));
          });
        });
      });
      await Promise.all(started);
      ws.resize(n, { rep: new Float64Array(setup.rep), attr: new Float64Array(setup.attr), z: new Float64Array(setup.z) });
      state = {
        p, setup, ctrl, params: new Float64Array(setup.params), pos: new Float64Array(setup.pos), p2: { n, rowPtr, cols, values },
        dfs: new Float64Array(setup.dfs), skip: new Int32Array(setup.skip), order: new Int32Array(setup.order),
      };
    },

    gradient(p, pos, theta, exaggeration, grad, computeError): number {
      if (failure !== null) throw new ConvscopeError('ENGINE_FAILURE', `A t-SNE worker thread failed: ${failure.message}`, { cause: failure });
      if (state === null || state.p !== p) return fallback(p, pos, theta, exaggeration, grad, computeError);
      const s = state;
      const thetaSq = theta * theta;
      const n = p.n;
      const chunks = Math.ceil(n / chunk);
      s.pos.set(pos);
      s.params[0] = thetaSq;
      s.params[1] = exaggeration;
      const generation = Atomics.load(s.ctrl, CTRL.generation) + 1;
      const g = (generation & GEN_MASK) << 16;
      Atomics.store(s.ctrl, CTRL.completed, 0);
      Atomics.store(s.ctrl, CTRL.attraction, g);
      Atomics.store(s.ctrl, CTRL.repulsion, g);
      Atomics.store(s.ctrl, CTRL.tree, 0);
      Atomics.store(s.ctrl, CTRL.command, 1);
      Atomics.store(s.ctrl, CTRL.generation, generation);
      Atomics.notify(s.ctrl, CTRL.generation);
      // The workers take attraction chunks while this thread builds the tree and shares it.
      ws.prepare(s.pos, n);
      const { dfs, skip, cells } = ws.tree.flat;
      if (cells <= s.setup.capacity) {
        s.dfs.set(dfs.subarray(0, 4 * cells));
        s.skip.set(skip.subarray(0, cells));
        s.order.set(ws.order);
        Atomics.store(s.ctrl, CTRL.cells, cells);
        Atomics.store(s.ctrl, CTRL.tree, generation);
      } else Atomics.store(s.ctrl, CTRL.tree, -generation);
      Atomics.notify(s.ctrl, CTRL.tree);
      workAttraction(ws, s.ctrl, generation, s.p2, s.pos, chunk, exaggeration);
      workRepulsion(ws, s.ctrl, generation, n, s.pos, chunk, thetaSq);
      // Wait only for chunks other threads took: a worker that woke late takes none.
      const deadline = Date.now() + timeoutMs;
      for (let v = Atomics.load(s.ctrl, CTRL.completed); v < 2 * chunks; v = Atomics.load(s.ctrl, CTRL.completed)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new ConvscopeError('ENGINE_FAILURE', `A t-SNE worker thread did not finish its part within ${timeoutMs} ms.`);
        Atomics.wait(s.ctrl, CTRL.completed, v, left);
      }
      return finishGradient(ws, s.p2, s.pos, exaggeration, grad, computeError);
    },

    async close(): Promise<void> {
      if (state !== null) {
        Atomics.store(state.ctrl, CTRL.command, 2);
        Atomics.add(state.ctrl, CTRL.generation, 1);
        Atomics.notify(state.ctrl, CTRL.generation);
        state = null;
      }
      const ws2 = workers.splice(0);
      await Promise.all(ws2.map((w) => w.terminate()));
    },
  };
}
