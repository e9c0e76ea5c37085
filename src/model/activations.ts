// Keras activation names (and Keras 3 serialised activation objects) -> IR activations, with the
// dialect differences: hard_sigmoid is clip(0.2 x + 0.5) before Keras 3 and clip(x / 6 + 0.5) in it.

import type { Activation } from './ir.js';
import type { Dialect, LayerConfig } from './layer-config.js';
import { unsupportedOption } from './translate-messages.js';

const relu = (maxValue: number | null = null, negativeSlope = 0, threshold = 0): Activation => ({ kind: 'relu', maxValue, negativeSlope, threshold });

/** Activation builders by Keras name; `rank` is the output rank (for softmax's last axis). */
const ACTIVATIONS: Readonly<Record<string, (rank: number, dialect: Dialect) => Activation>> = {
  linear: () => ({ kind: 'linear' }),
  relu: () => relu(),
  relu6: () => relu(6),
  leaky_relu: () => relu(null, 0.2), // Keras 3 activations.leaky_relu default negative_slope
  sigmoid: () => ({ kind: 'sigmoid' }),
  hard_sigmoid: (_r, d) => (d === 3 ? { kind: 'hard_sigmoid', slope: 1 / 6, offset: 0.5 } : { kind: 'hard_sigmoid', slope: 0.2, offset: 0.5 }),
  tanh: () => ({ kind: 'tanh' }),
  softmax: (rank) => ({ kind: 'softmax', axis: rank - 1 }),
  elu: () => ({ kind: 'elu', alpha: 1 }),
  selu: () => ({ kind: 'selu' }),
  softplus: () => ({ kind: 'softplus' }),
  softsign: () => ({ kind: 'softsign' }),
  swish: () => ({ kind: 'swish' }),
  silu: () => ({ kind: 'swish' }),
  gelu: () => ({ kind: 'gelu', approximate: false }),
  exponential: () => ({ kind: 'exponential' }),
};

/** Names accepted by `activationByName`. */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

/** The name inside a Keras 3 serialised function object, or the string itself. */
function activationName(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o['config'] === 'string') return o['config'];
    if (typeof o['class_name'] === 'string' && o['class_name'] !== 'function') return o['class_name'];
  }
  return null;
}

/** An activation by Keras name for an output of the given rank (batch included). */
export function activationByName(name: string, rank: number, dialect: Dialect): Activation | null {
  const make = ACTIVATIONS[name.toLowerCase()];
  return make !== undefined ? make(rank, dialect) : null;
}

/**
 * The layer's `activation` option (default linear) as an IR activation; unknown names throw
 * UnsupportedError KERAS_UNSUPPORTED_LAYER listing the known ones.
 */
export function parseActivation(cfg: LayerConfig, rank: number, dialect: Dialect, key = 'activation'): Activation {
  const v = cfg.raw[key];
  if (v === undefined || v === null) return { kind: 'linear' };
  const name = activationName(v);
  const act = name !== null ? activationByName(name, rank, dialect) : null;
  if (act === null) {
    throw unsupportedOption(cfg.where, `has activation ${JSON.stringify(name ?? v)}, which convscope does not implement (known: ${ACTIVATION_NAMES.join(', ')})`);
  }
  return act;
}
