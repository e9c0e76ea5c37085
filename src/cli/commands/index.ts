// The list of CLI commands. Each lives in its own file and exports a Command.
import type { Command } from '../io.js';

export const commands: Command[] = [];
