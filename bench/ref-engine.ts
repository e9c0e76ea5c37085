// Throughput of the pure-TypeScript reference engine on the BaSe-shaped CNN (model/presets.ts,
// logit head as in bench/onnx.ts): forward images/s at batch 1 and 32, gradient images/s
// (saliency: d logit / d input; Grad-CAM: d logit / d last conv output) at batch 32, and the
// GEMM kernel alone. Reports wall-clock and CPU-time rates: on a shared machine the CPU-time
// rate is the steadier figure. Single thread (the engine does not use workers).
// Run: node --import tsx bench/ref-engine.ts [--seconds 4] [--json]

import { performance } from 'node:perf_hooks';
import { createReferenceEngine } from '../src/engine/ref/engine.js';
import { gemmNT } from '../src/engine/ref/gemm.js';
import { logitGraph } from '../src/model/logits.js';
import { baseCnnGraph } from '../src/model/presets.js';
import { createRng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';

const args = process.argv.slice(2);
const secondsArg = args.indexOf('--seconds');
const SECONDS = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 4;
const asJson = args.includes('--json');

function batchOf(n: number, seed: number): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(n * 128 * 128);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape: [n, 128, 128, 1], data };
}

interface Rate {
  /** Median units/s by wall clock. */
  readonly wall: number;
  /** Median units/s by process CPU time. */
  readonly cpu: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median rates over repeated calls for about SECONDS seconds (after one warm-up call). */
async function measure(units: number, call: () => unknown): Promise<Rate> {
  await call();
  const wall: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end || wall.length < 3) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call();
    const dt = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall.push(units / dt);
    cpu.push(units / ((c.user + c.system) / 1e6));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const rows: { what: string; batch: number; unit: string; rate: Rate }[] = [];

// 1. The GEMM kernel on the shapes of conv2d_1 (one im2col chunk) and the first Dense layer.
for (const [m, n, k, label] of [[224, 32, 288, 'conv2d_1 chunk'], [32, 128, 32768, 'dense, batch 32']] as const) {
  const rng = createRng(1);
  const a = Float32Array.from({ length: m * k }, () => rng.next() - 0.5);
  const b = Float32Array.from({ length: n * k }, () => rng.next() - 0.5);
  const c = new Float32Array(m * n);
  rows.push({ what: `gemmNT ${m}x${n}x${k} (${label})`, batch: 0, unit: 'GFLOP/s', rate: await measure(2 * m * n * k / 1e9, () => gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n)) });
}

// 2. The engine.
const { graph } = logitGraph(baseCnnGraph({ seed: 0 }));
const scoreNode = graph.outputs[0]!;
const lastConv = [...graph.nodes].reverse().find((node) => node.op.type === 'conv')!.name;
const engine = createReferenceEngine(graph);
for (const batch of [1, 32]) {
  const x = batchOf(batch, batch);
  rows.push({ what: 'forward', batch, unit: 'images/s', rate: await measure(batch, () => engine.run([x])) });
}
const x = batchOf(32, 7);
const seed = Float32Array.from([1]);
for (const [what, wrt] of [['saliency (d score / d input)', graph.inputs[0]!], [`Grad-CAM (d score / d ${lastConv})`, lastConv]] as const) {
  rows.push({ what, batch: 32, unit: 'images/s', rate: await measure(32, () => engine.gradients([x], { score: { node: scoreNode, seed }, wrt: [wrt] })) });
}
await engine.dispose();

if (asJson) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`reference engine (pure TypeScript, 1 thread), BaSe CNN 128x128x1, median of ~${SECONDS}s per row`);
  console.log('what | batch | wall | cpu-time | unit');
  for (const r of rows) console.log(`${r.what} | ${r.batch || '-'} | ${r.rate.wall.toFixed(2)} | ${r.rate.cpu.toFixed(2)} | ${r.unit}`);
}
