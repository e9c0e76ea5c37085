// Hand-made Keras artifacts for unit tests: small configs in each dialect and weights with
// predictable values (value i at flat index i, plus an offset), so layouts can be checked by hand.

import type { KerasArtifacts, KerasFormat, NamedWeight } from '../src/io/keras/artifacts.js';
import { sizeOf, type Tensor } from '../src/tensor.js';

/** A tensor whose flat element i is `offset + i`. */
export function ramp(shape: readonly number[], offset = 0): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = offset + i;
  return { shape: [...shape], data };
}

/** A named weight with ramp values. */
export function w(name: string, shape: readonly number[], offset = 0): NamedWeight {
  return { name, tensor: ramp(shape, offset) };
}

/** A Keras 2 style layer object (functional when `inbound` is given). */
export function layer(className: string, config: Record<string, unknown>, inbound?: string[][]): Record<string, unknown> {
  const base: Record<string, unknown> = { class_name: className, config };
  if (inbound !== undefined) {
    base['name'] = config['name'];
    base['inbound_nodes'] = inbound.map((call) => call.map((n) => [n, 0, 0, {}]));
  }
  return base;
}

export interface ArtifactOptions {
  kerasVersion?: string | null;
  backend?: string | null;
  format?: KerasFormat;
  fileName?: string;
}

/** KerasArtifacts from a model config and weights by layer name. */
export function artifacts(modelConfig: Record<string, unknown>, weights: Record<string, NamedWeight[]> = {}, o: ArtifactOptions = {}): KerasArtifacts {
  return {
    format: o.format ?? 'keras2-h5',
    kerasVersion: o.kerasVersion === undefined ? '2.3.1' : o.kerasVersion,
    backend: o.backend === undefined ? 'tensorflow' : o.backend,
    modelConfig: modelConfig as KerasArtifacts['modelConfig'],
    weights: new Map(Object.entries(weights)),
    fileName: o.fileName ?? 'test.h5',
  };
}

/** Keras 2 Sequential config `{name, layers}`. */
export function sequential(layers: Record<string, unknown>[], name = 'sequential_1'): Record<string, unknown> {
  return { class_name: 'Sequential', config: { name, layers } };
}

/** Keras 2 functional config. */
export function functional(layers: Record<string, unknown>[], inputs: string[], outputs: string[], name = 'model_1'): Record<string, unknown> {
  return {
    class_name: 'Model',
    config: { name, layers, input_layers: inputs.map((n) => [n, 0, 0]), output_layers: outputs.map((n) => [n, 0, 0]) },
  };
}

/** Keras 3 layer object with `module`, `registered_name` and keras-tensor inbound nodes. */
export function k3layer(className: string, config: Record<string, unknown>, inbound?: string[]): Record<string, unknown> {
  const tensor = (n: string): Record<string, unknown> => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [n, 0, 0] } });
  const dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const out: Record<string, unknown> = { module: 'keras.layers', class_name: className, config: { dtype, ...config }, registered_name: null };
  if (inbound !== undefined) {
    out['name'] = config['name'];
    out['inbound_nodes'] = inbound.length === 0 ? [] : [{ args: inbound.length === 1 ? [tensor(inbound[0]!)] : [inbound.map(tensor)], kwargs: {} }];
  }
  return out;
}
