// Adam as Keras 2 runs it (keras/optimizers.py, Keras 2.3; the same update as tf.keras'
// OptimizerV2 Adam): per step t, lr_t = lr / (1 + decay * (t - 1)) * sqrt(1 - beta2^t) / (1 - beta1^t),
// m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, w -= lr_t * m / (sqrt(v) + epsilon).
// Moments are float32 (Keras' variables); the arithmetic is double, rounded once per value.

import type { Arr } from '../engine/ref/common.js';
import { ArgumentError } from '../errors.js';
import type { Parameter } from './network.js';

/** Adam settings; defaults are Keras'. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  readonly learningRate?: number;
  /** Decay rate of the first moment (default 0.9). */
  readonly beta1?: number;
  /** Decay rate of the second moment (default 0.999). */
  readonly beta2?: number;
  /** Added to sqrt(v) (default 1e-7, Keras' K.epsilon()). */
  readonly epsilon?: number;
  /** Keras 2 time decay of the learning rate: lr / (1 + decay * iterations) (default 0). */
  readonly decay?: number;
}

/** Adam with every option resolved. */
export type ResolvedAdam = Required<AdamOptions>;

/** Fills in Keras' defaults and checks the ranges (ArgumentError BAD_ARGUMENT). */
export function resolveAdam(options: AdamOptions = {}): ResolvedAdam {
  const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0 } = options;
  const check = (name: string, ok: boolean, v: number, want: string): void => {
    if (!ok) throw new ArgumentError('BAD_ARGUMENT', `Adam ${name} must be ${want}, got ${v}.`);
  };
  check('learningRate', learningRate > 0 && Number.isFinite(learningRate), learningRate, '> 0');
  check('beta1', beta1 >= 0 && beta1 < 1, beta1, 'in [0, 1)');
  check('beta2', beta2 >= 0 && beta2 < 1, beta2, 'in [0, 1)');
  check('epsilon', epsilon > 0 && Number.isFinite(epsilon), epsilon, '> 0');
  check('decay', decay >= 0 && Number.isFinite(decay), decay, '>= 0');
  return { learningRate, beta1, beta2, epsilon, decay };
}

/** The optimiser state over a fixed list of parameters (updated in place by step()). */
export class Adam {
  readonly options: ResolvedAdam;
  /** Steps taken so far (Keras' `iterations`). */
  iterations = 0;
  private readonly params: readonly Parameter[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(parameters: readonly Parameter[], options: AdamOptions = {}) {
    this.options = resolveAdam(options);
    this.params = parameters;
    this.m = parameters.map((p) => new Float32Array(p.data.length));
    this.v = parameters.map((p) => new Float32Array(p.data.length));
  }

  /** The learning rate of the next step after time decay (before bias correction). */
  get currentLearningRate(): number {
    const { learningRate, decay } = this.options;
    return decay > 0 ? learningRate / (1 + decay * this.iterations) : learningRate;
  }

  /** One update with gradients aligned with the parameters. */
  step(grads: readonly Arr[]): void {
    const { beta1, beta2, epsilon } = this.options;
    const lr = this.currentLearningRate;
    this.iterations++;
    const t = this.iterations;
    const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      const w = p.data;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        w[i] = w[i]! - (lrT * m[i]!) / (Math.sqrt(v[i]!) + epsilon);
      }
    });
  }
}
