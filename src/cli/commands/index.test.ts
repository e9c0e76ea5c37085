import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commands, loadCommands } from './index.js';

test('every command entry loads the command of its own name, each name once', async () => {
  const loaded = await loadCommands();
  assert.deepEqual(loaded.map((c) => c.name), commands.map((c) => c.name));
  assert.equal(new Set(commands.map((c) => c.name)).size, commands.length);
  for (const c of loaded) {
    assert.ok(c.summary.length > 0, `${c.name} has a summary`);
    assert.match(c.usage, new RegExp(`^convscope ${c.name}\\b`), `${c.name}'s usage starts with its name`);
  }
});
