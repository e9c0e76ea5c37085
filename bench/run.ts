// `npm run bench`: runs every benchmark script in turn, each in its own process, and prints
// their tables. Figures, not assertions: the test suite holds no timed tests.
// Options: --only name[,name] (speed, methods, onnx, ref-engine, embed, popgen, ...), --quick,
// --json <path> (where speed.ts writes its figures; default bench/results.json).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1]!.split(',')) : null;
const jsonArg = args.indexOf('--json');
const speedArgs = [...(args.includes('--quick') ? ['--quick'] : []), ...(jsonArg >= 0 ? ['--json', args[jsonArg + 1]!] : [])];

/** Bench scripts in the order they run, with the arguments each gets. */
const SCRIPTS: [name: string, argv: string[]][] = [
  // The speed targets against PyTorch, scikit-learn and umap-js (writes bench/results.json).
  ['speed', speedArgs],
  ['methods', []],
  ['onnx', []],
  ['ref-engine', []],
  ['embed', []],
  ['popgen', []],
  ['train', []],
  ['dashboard', []],
];

console.log(`convscope benchmarks on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
let failed = 0;
for (const [name, argv] of SCRIPTS) {
  if (only !== null && !only.has(name)) continue;
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`(${name} exited with ${r.status ?? r.signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
