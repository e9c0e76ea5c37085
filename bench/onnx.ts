// Throughput of the onnxruntime-node engine on the BaSe-shaped CNN (model/presets.ts):
// forward images/s at batch 1, 32, 64 and gradient images/s (saliency: d logit / d input;
// Grad-CAM: d logit / d last conv output) at batch 32, each with 1 and 2 intra-op threads.
// Run: node --import tsx bench/onnx.ts [--seconds 2] [--json]
// Each row reports the median and the best images/s over repeated calls, and images per
// second of process CPU time (a load-robust figure for 1 thread on a shared machine).

import { performance } from 'node:perf_hooks';
import { createNodeOnnxEngine } from '../src/node/onnx.js';
import { baseCnnGraph } from '../src/model/presets.js';
import { logitGraph } from '../src/model/logits.js';
import { createRng } from '../src/random.js';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/tensor.js';

const args = process.argv.slice(2);
const secondsArg = args.indexOf('--seconds');
const SECONDS = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 2;
const asJson = args.includes('--json');

function batchOf(n: number, seed: number): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(n * 128 * 128);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape: [n, 128, 128, 1], data };
}

interface Rate {
  median: number;
  best: number;
  /** Images per second of process CPU time (user + system). */
  perCpuSecond: number;
}

/** Images/s over repeated calls for about SECONDS seconds (after 2 warm-up calls). */
async function measure(images: number, call: () => Promise<unknown>): Promise<Rate> {
  await call();
  await call();
  const rates: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end || rates.length < 3) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call();
    rates.push(images / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpu.push(images / ((c.user + c.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const mid = Math.floor(rates.length / 2);
  return { median: rates[mid]!, best: rates[rates.length - 1]!, perCpuSecond: cpu[mid]! };
}

const { graph } = logitGraph(baseCnnGraph({ seed: 0 }));
const scoreNode = graph.outputs[0]!;
const lastConv = [...graph.nodes].reverse().find((n) => n.op.type === 'conv')!.name;
const rows: ({ threads: number; what: string; batch: number } & Rate)[] = [];
for (const threads of [1, 2]) {
  const engine: Engine = await createNodeOnnxEngine(graph, { threads });
  for (const batch of [1, 32, 64]) {
    const x = batchOf(batch, batch);
    rows.push({ threads, what: 'forward', batch, ...(await measure(batch, () => engine.run([x]))) });
  }
  const x = batchOf(32, 7);
  const seed = Float32Array.from([1]);
  for (const [what, wrt] of [['saliency (d score / d input)', graph.inputs[0]!], [`Grad-CAM (d score / d ${lastConv})`, lastConv]] as const) {
    rows.push({ threads, what, batch: 32, ...(await measure(32, () => engine.gradients([x], { score: { node: scoreNode, seed }, wrt: [wrt] }))) });
  }
  await engine.dispose();
}
if (asJson) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
  console.log(`onnxruntime-node, BaSe CNN 128x128x1, ~${SECONDS}s per row, load average at the end ${load}`);
  console.log('threads | what | batch | images/s median | best | per CPU-second');
  for (const r of rows) console.log(`${r.threads} | ${r.what} | ${r.batch} | ${r.median.toFixed(0)} | ${r.best.toFixed(0)} | ${r.perCpuSecond.toFixed(0)}`);
}
