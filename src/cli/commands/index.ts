// The list of CLI commands. Each lives in its own file and exports a Command.
import type { Command } from '../io.js';
import { summaryCommand } from './summary.js';
import { predictCommand } from './predict.js';

export const commands: Command[] = [summaryCommand, predictCommand];
