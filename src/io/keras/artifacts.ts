// What the Keras file readers produce: the parsed architecture config and the weights, by
// layer, before any translation. No engine, no DOM, no file system.

import type { Tensor } from '../../tensor.js';

/** The formats we recognise, by their bytes. */
export type KerasFormat =
  | 'keras1-h5'
  | 'keras2-h5'
  | 'tfkeras-h5'
  | 'keras3-h5'
  | 'keras3-zip'
  | 'tfkeras-zip'
  | 'weights-h5+json'
  | 'tfjs-layers';

/** One stored weight array, named as in the file (e.g. `conv2d_1/kernel:0`). */
export interface NamedWeight {
  readonly name: string;
  readonly tensor: Tensor;
}

/** A model as read from disk: raw config + weights grouped by Keras layer name. */
export interface KerasArtifacts {
  readonly format: KerasFormat;
  /** `keras_version` as recorded by the file, or null when it records none. */
  readonly kerasVersion: string | null;
  /** `backend` as recorded (`tensorflow`, `theano`...), or null. */
  readonly backend: string | null;
  /**
   * The model config: `{class_name, config}` exactly as Keras serialised it (already JSON-parsed,
   * double-encoded JSON unwrapped). Keras snake_case stays inside this object.
   */
  readonly modelConfig: { class_name: string; config: unknown; [k: string]: unknown };
  /**
   * Weights by layer name, each list in the order Keras stores them for that layer (the order of
   * `weight_names`, or `vars/0, vars/1...`). For `.keras` files whose weight groups are keyed by
   * class-name counters rather than layer names, the reader maps them back to layer names.
   */
  readonly weights: ReadonlyMap<string, readonly NamedWeight[]>;
  /** File name(s) the model came from, for messages. */
  readonly fileName: string;
}
