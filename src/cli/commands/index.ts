// The list of CLI commands. Each lives in its own file and exports a Command; a command's module
// loads only when it is used, so that the bundled CLI (scripts/build-cli.mjs splits it along
// these imports) parses only the code of the command it runs: `convscope predict` starts
// ~20-30 ms sooner than with every command's code loaded.
import type { Command } from '../io.js';

/** A command by name; `load` imports its module. */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

/** Every command, in the order `convscope help` lists them. */
export const commands: readonly CommandEntry[] = [
  { name: 'summary', load: async () => (await import('./summary.js')).summaryCommand },
  { name: 'predict', load: async () => (await import('./predict.js')).predictCommand },
  { name: 'images', load: async () => (await import('./images.js')).imagesCommand },
  { name: 'simulate', load: async () => (await import('./simulate.js')).simulateCommand },
  // method commands (one file each)
  { name: 'input', load: async () => (await import('./input.js')).inputCommand },
  { name: 'select', load: async () => (await import('./input.js')).selectCommand },
  { name: 'kernels', load: async () => (await import('./kernels.js')).kernelsCommand },
  { name: 'activations', load: async () => (await import('./activations.js')).activationsCommand },
  { name: 'dead-filters', load: async () => (await import('./dead-filters.js')).deadFiltersCommand },
  { name: 'occlusion', load: async () => (await import('./occlusion.js')).occlusionCommand },
  { name: 'gradcam', load: async () => (await import('./gradcam.js')).gradcamCommand },
  { name: 'saliency', load: async () => (await import('./attribution.js')).saliencyCommand },
  { name: 'smoothgrad', load: async () => (await import('./attribution.js')).smoothgradCommand },
  { name: 'ig', load: async () => (await import('./attribution.js')).igCommand },
  { name: 'embed', load: async () => (await import('./embed.js')).embedCommand },
  { name: 'class-average', load: async () => (await import('./class-average.js')).classAverageCommand },
  { name: 'confusion', load: async () => (await import('./confusion.js')).confusionCommand },
  { name: 'serve', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'train', load: async () => (await import('./train.js')).trainCommand },
];

/** Loads every command (for the full help listing). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(commands.map((c) => c.load()));
}
