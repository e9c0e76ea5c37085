import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progressBar } from './progress.js';
import type { CliIO } from './io.js';

function io(isTTY: boolean): { io: CliIO; text: () => string } {
  let text = '';
  const stderr = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        text += String(chunk);
        cb();
      },
    }),
    { isTTY },
  );
  return { io: { stdout: stderr, stderr, cwd: '.' }, text: () => text };
}

test('progress bar: drawn on a terminal once work has run past the delay, never otherwise', async () => {
  const quick = io(true);
  const a = progressBar(quick.io, 'quick');
  a(1, 2);
  a(2, 2);
  a.finish();
  assert.equal(quick.text(), '', 'work under a second leaves no bar');

  const slow = io(true);
  const b = progressBar(slow.io, 'slow', { delayMs: 20 });
  await new Promise((r) => setTimeout(r, 30));
  b(1, 4);
  b(4, 4);
  b.finish();
  assert.match(slow.text(), /slow \[#+-*\] 1\/4 25%/);
  assert.match(slow.text(), /4\/4 100%/);
  assert.ok(slow.text().endsWith('\n'));

  const pipe = io(false);
  const c = progressBar(pipe.io, 'pipe', { delayMs: 0 });
  c(1, 1);
  c.finish();
  assert.equal(pipe.text(), '', 'not a terminal: no bar');
});
