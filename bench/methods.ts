// Method throughput on a BaSe-shaped CNN (128x128x1, random weights, model/presets.ts) with
// the engine `auto` picks in Node: predict at batch 1 and 64, occlusion of one input (window 8,
// stride 8: 256 forward passes), and penultimate features of 1,000 inputs.
// Run: node --import tsx bench/methods.ts [--engine auto|onnx|reference] [--json]

import { performance } from 'node:perf_hooks';
import { baseCnnGraph } from '../src/model/presets.js';
import { modelFromGraph } from '../src/model/open.js';
import { nodeEngineFactory, type EngineChoice } from '../src/node/open.js';
import { occlusion } from '../src/methods/occlusion.js';
import { features } from '../src/methods/embed/features.js';
import { createRng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';

const args = process.argv.slice(2);
const engineArg = args.indexOf('--engine');
const choice = (engineArg >= 0 ? args[engineArg + 1] : 'auto') as EngineChoice;
const asJson = args.includes('--json');

function batchOf(n: number, seed: number): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(n * 128 * 128);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape: [n, 128, 128, 1], data };
}

async function timeIt(fn: () => Promise<unknown>, minSeconds = 2): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minSeconds * 1000 || times.length < 3) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const model = await modelFromGraph(baseCnnGraph({ seed: 1 }), { engine: nodeEngineFactory(choice, 2) });
const rows: { what: string; seconds: number; imagesPerSecond: number }[] = [];
const x1 = batchOf(1, 2);
const x64 = batchOf(64, 3);
let s = await timeIt(() => model.predict(x1, { batchSize: 1 }));
rows.push({ what: 'predict, batch 1', seconds: s, imagesPerSecond: 1 / s });
s = await timeIt(() => model.predict(x64, { batchSize: 64 }));
rows.push({ what: 'predict, batch 64', seconds: s, imagesPerSecond: 64 / s });
s = await timeIt(() => occlusion(model, x1, { targetClass: 1, window: 8, stride: 8, fill: 0 }));
rows.push({ what: 'occlusion 128x128, window 8, stride 8 (256 passes)', seconds: s, imagesPerSecond: 256 / s });
const x1000 = batchOf(1000, 4);
const idx = Array.from({ length: 1000 }, (_, i) => i);
s = await timeIt(() => features(model, x1000, { indices: idx }), 1);
rows.push({ what: 'features of 1,000 inputs (dense_1 input)', seconds: s, imagesPerSecond: 1000 / s });
await model.dispose();
if (asJson) console.log(JSON.stringify({ engine: model.engine.name, rows }));
else {
  console.log(`methods on a BaSe-shaped CNN, engine ${model.engine.name}`);
  for (const r of rows) console.log(`  ${r.what.padEnd(52)} ${r.seconds.toFixed(3).padStart(8)} s  ${r.imagesPerSecond.toFixed(1).padStart(8)} images/s`);
}
