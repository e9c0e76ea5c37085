// The list of CLI commands. Each lives in its own file and exports a Command.
import type { Command } from '../io.js';
import { summaryCommand } from './summary.js';
import { predictCommand } from './predict.js';
import { imagesCommand } from './images.js';
import { simulateCommand } from './simulate.js';
import { inputCommand, selectCommand } from './input.js';
import { kernelsCommand } from './kernels.js';
import { activationsCommand } from './activations.js';
import { deadFiltersCommand } from './dead-filters.js';
import { occlusionCommand } from './occlusion.js';
import { gradcamCommand } from './gradcam.js';
import { saliencyCommand, smoothgradCommand, igCommand } from './attribution.js';
import { embedCommand } from './embed.js';
import { classAverageCommand } from './class-average.js';
import { confusionCommand } from './confusion.js';
import { serveCommand } from './serve.js';
import { trainCommand } from './train.js';

export const commands: Command[] = [
  summaryCommand,
  predictCommand,
  imagesCommand,
  simulateCommand,
  // method commands (one file each)
  inputCommand,
  selectCommand,
  kernelsCommand,
  activationsCommand,
  deadFiltersCommand,
  occlusionCommand,
  gradcamCommand,
  saliencyCommand,
  smoothgradCommand,
  igCommand,
  embedCommand,
  classAverageCommand,
  confusionCommand,
  serveCommand,
  trainCommand,
];
