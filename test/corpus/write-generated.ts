// Writes every input the corpus generates from the fixtures to a folder, to inspect them or feed
// them to other tools: `node --import tsx test/corpus/write-generated.ts [dir]` (default
// test/corpus/generated/, git-ignored). Names are `<case id>--<file name>`.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, prepareCorpus } from './cases.js';
import { writeAll } from './generate.js';

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'generated');
await prepareCorpus();
const files = new Map<string, Uint8Array>();
for (const c of CASES) {
  if (c.source !== 'fixture') continue;
  for (const f of c.files?.() ?? []) files.set(`${c.id}--${f.name.replace(/[^A-Za-z0-9._-]/g, '_')}`, f.bytes);
}
await writeAll(dir, files);
process.stdout.write(`wrote ${files.size} generated files to ${dir}\n`);
