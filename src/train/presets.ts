// Named training set-ups: an architecture and its fit settings. `base-cnn-test1..3` are BaSe's
// tuned CNNs (spec.ts BASE_TESTS); `base-cnn` is test 1; `custom` is a small stack built from
// options. Callers override any setting afterwards.

import { ArgumentError } from '../errors.js';
import type { AdamOptions } from './optimizer.js';
import { BASE_TESTS, baseCnnArchitecture, customCnnArchitecture, type ArchitectureSpec, type BaseTest, type CustomCnnOptions, type Initializer } from './spec.js';

/** Preset names accepted by presetPlan (and `convscope train --preset`). */
export const TRAINING_PRESETS = ['base-cnn', 'base-cnn-test1', 'base-cnn-test2', 'base-cnn-test3', 'custom'] as const;

/** A preset name. */
export type TrainingPreset = (typeof TRAINING_PRESETS)[number];

/** An architecture with the settings to train it. */
export interface TrainingPlan {
  readonly preset: TrainingPreset;
  readonly architecture: ArchitectureSpec;
  readonly epochs: number;
  readonly batchSize: number;
  readonly flip: boolean;
  readonly optimizer: Required<AdamOptions>;
}

/** Options of {@link presetPlan}. */
export interface PresetPlanOptions {
  /** Input (rows, cols, channels) of the images. */
  readonly inputShape: readonly [number, number, number];
  /** Classes in the labels (default 2). BaSe's presets take exactly 2. */
  readonly classes?: number;
  /** For 'custom': the stack (input shape and classes come from above). */
  readonly custom?: Omit<CustomCnnOptions, 'inputShape' | 'classes'>;
  /** Override the L2 factor (any preset; over custom.l2 too). */
  readonly l2?: number;
  /** Override dropout after conv / dense blocks (any preset; over custom's). */
  readonly dropoutConv?: number;
  readonly dropoutDense?: number;
  /** Override the kernel initialiser (BaSe presets: 'uniform'; custom: 'glorot_uniform'). */
  readonly kernelInitializer?: Initializer;
}

/** The architecture and fit settings of a preset. Throws ArgumentError BAD_ARGUMENT for an unknown name or a misfit. */
export function presetPlan(name: string, options: PresetPlanOptions): TrainingPlan {
  const { inputShape, classes = 2 } = options;
  if (!(TRAINING_PRESETS as readonly string[]).includes(name)) {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown training preset '${name}'.`, { hint: `Use one of ${TRAINING_PRESETS.join(', ')}.` });
  }
  const preset = name as TrainingPreset;
  // The overrides, for either kind of network.
  const overrides = {
    ...(options.l2 !== undefined ? { l2: options.l2 } : {}),
    ...(options.dropoutConv !== undefined ? { dropoutConv: options.dropoutConv } : {}),
    ...(options.dropoutDense !== undefined ? { dropoutDense: options.dropoutDense } : {}),
    ...(options.kernelInitializer !== undefined ? { kernelInitializer: options.kernelInitializer } : {}),
  };
  if (preset === 'custom') {
    return {
      preset,
      architecture: customCnnArchitecture({ ...options.custom, inputShape, classes, ...overrides }),
      epochs: 10,
      batchSize: 32,
      flip: false,
      optimizer: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 },
    };
  }
  if (classes !== 2) {
    throw new ArgumentError('BAD_ARGUMENT', `The preset '${preset}' is BaSe's binary CNN (one sigmoid unit), but the labels have ${classes} classes.`, {
      hint: "Use --preset custom for more than two classes.",
    });
  }
  const test: BaseTest = preset === 'base-cnn-test2' ? 2 : preset === 'base-cnn-test3' ? 3 : 1;
  const hp = BASE_TESTS[test];
  return {
    preset,
    architecture: baseCnnArchitecture({ test, inputShape, ...overrides }),
    epochs: hp.epochs,
    batchSize: hp.batchSize,
    flip: hp.flip,
    optimizer: { learningRate: hp.learningRate, beta1: 0.9, beta2: 0.999, epsilon: hp.epsilon, decay: hp.decay },
  };
}
