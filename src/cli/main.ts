// CLI dispatcher: finds the command, runs it, maps errors to exit codes. Thin by design.

import { ConvscopeError } from '../errors.js';
import { exitCodeFor, formatError, EXIT } from './exit.js';
import type { CliIO, Command } from './io.js';
import { commands, loadCommands } from './commands/index.js';

async function help(io: CliIO): Promise<void> {
  const all = await loadCommands();
  const lines = [
    'convscope: open a trained Keras CNN and see why it decides what it decides.',
    '',
    'Usage: convscope <command> [options]   (convscope help <command> for details)',
    '',
    'Commands:',
    ...all.map((c: Command) => `  ${c.name.padEnd(14)} ${c.summary}`),
    '',
    'Global options: --debug (show stack traces)',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Runs the CLI with argv (without `node convscope`), returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const name = args[0];
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const sub = commands.find((c) => c.name === args[1]);
    if (sub !== undefined) io.stdout.write(`${(await sub.load()).usage}\n`);
    else await help(io);
    return EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    const { VERSION } = await import('../version.js');
    io.stdout.write(`convscope ${VERSION}\n`);
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    io.stderr.write(`ArgumentError [BAD_ARGUMENT]: Unknown command '${name}'. Run 'convscope help' for the list.\n`);
    return EXIT.usage;
  }
  try {
    const command = await entry.load();
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(args.slice(1), io);
  } catch (err) {
    io.stderr.write(formatError(err, debug));
    if (err instanceof ConvscopeError && err.cause !== undefined && debug) io.stderr.write(`caused by: ${String(err.cause)}\n`);
    return exitCodeFor(err);
  }
}
