// Node-only: the worker side of the parallel t-SNE gradient (tsne-parallel.ts). Waits on the
// shared control array; per iteration takes attraction chunks, then repulsion chunks over the
// main thread's shared tree (or over a tree of its own when that one did not fit).

import { parentPort, workerData } from 'node:worker_threads';
import { BarnesHutWorkspace } from '../methods/embed/barnes-hut.js';
import { CTRL, chunksLeft, workAttraction, workRepulsion, type TsneWorkerSetup } from './tsne-parallel.js';

const setup = workerData as TsneWorkerSetup;
const { n, chunk } = setup;
const ctrl = new Int32Array(setup.ctrl);
const params = new Float64Array(setup.params);
const pos = new Float64Array(setup.pos);
const p = { n, rowPtr: new Int32Array(setup.rowPtr), cols: new Int32Array(setup.cols), values: new Float64Array(setup.values) };
const out = { rep: new Float64Array(setup.rep), attr: new Float64Array(setup.attr), z: new Float64Array(setup.z) };
const dfs = new Float64Array(setup.dfs);
const skip = new Int32Array(setup.skip);
const order = new Int32Array(setup.order);
/** Reads the main thread's tree; `own` builds one when that did not fit. */
const reader = new BarnesHutWorkspace();
reader.resize(n, out);
const own = new BarnesHutWorkspace();
own.resize(n, out);
const chunks = Math.ceil(n / chunk);

let generation = Atomics.load(ctrl, CTRL.generation);
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(ctrl, CTRL.generation, generation);
  generation = Atomics.load(ctrl, CTRL.generation);
  if (Atomics.load(ctrl, CTRL.command) === 2) break;
  const thetaSq = params[0]!;
  workAttraction(own, ctrl, generation, p, pos, chunk, params[1]!);
  // Wait for the tree of this generation (unless the generation has moved on).
  let tree = Atomics.load(ctrl, CTRL.tree);
  while (tree !== generation && tree !== -generation && Atomics.load(ctrl, CTRL.generation) === generation && chunksLeft(ctrl, CTRL.repulsion, generation, chunks)) {
    Atomics.wait(ctrl, CTRL.tree, tree, 50);
    tree = Atomics.load(ctrl, CTRL.tree);
  }
  if (tree === generation) {
    reader.adoptTree(dfs, skip, Atomics.load(ctrl, CTRL.cells), order);
    workRepulsion(reader, ctrl, generation, n, pos, chunk, thetaSq);
  } else if (tree === -generation && chunksLeft(ctrl, CTRL.repulsion, generation, chunks)) {
    own.prepare(pos, n);
    workRepulsion(own, ctrl, generation, n, pos, chunk, thetaSq);
  }
}
