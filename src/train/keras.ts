// A trained network as Keras saves it: the Keras 2.3 functional-model config of its architecture
// (every layer's get_config() with Keras 2.3's keys, order and float/int types), the compile
// settings (training_config), and the full-model .h5 bytes (io/keras/write.ts). The Keras 2
// format is the one BaSe's models use, and Keras 2.x, tf.keras and Keras 3 all load it.

import { writeKerasH5, pyFloat } from '../io/keras/write.js';
import type { Network } from './network.js';
import type { ResolvedAdam } from './optimizer.js';
import type { Initializer, ResolvedArchitecture, ResolvedLayer } from './spec.js';

/** The Keras version whose layout and configs we write. */
export const KERAS_VERSION = '2.3.1';

type Json = Record<string, unknown>;

/** Keras 2 serialises float32 hyper-parameters through numpy: 0.9 becomes 0.8999999761581421. */
function f32(v: number): unknown {
  return pyFloat(Math.fround(v));
}

function initializerConfig(init: Initializer): Json {
  switch (init) {
    case 'uniform':
      return { class_name: 'RandomUniform', config: { minval: pyFloat(-0.05), maxval: pyFloat(0.05), seed: null } };
    case 'he_uniform':
      return { class_name: 'VarianceScaling', config: { scale: pyFloat(2), mode: 'fan_in', distribution: 'uniform', seed: null } };
    case 'glorot_uniform':
      return { class_name: 'VarianceScaling', config: { scale: pyFloat(1), mode: 'fan_avg', distribution: 'uniform', seed: null } };
  }
}

function regularizerConfig(l2: number): Json | null {
  return l2 > 0 ? { class_name: 'L1L2', config: { l1: pyFloat(0), l2: f32(l2) } } : null;
}

function base(name: string): Json {
  return { name, trainable: true, dtype: 'float32' };
}

/** Keras 2.3 `layer.get_config()` of one layer. */
function layerConfig(l: ResolvedLayer): { className: string; config: Json } {
  switch (l.type) {
    case 'conv2d':
      return {
        className: 'Conv2D',
        config: {
          ...base(l.name), filters: l.filters, kernel_size: [...l.kernelSize], strides: [...l.strides], padding: l.padding,
          data_format: 'channels_last', dilation_rate: [1, 1], activation: l.activation, use_bias: l.useBias,
          kernel_initializer: initializerConfig(l.kernelInitializer), bias_initializer: { class_name: 'Zeros', config: {} },
          kernel_regularizer: regularizerConfig(l.l2), bias_regularizer: null, activity_regularizer: null,
          kernel_constraint: null, bias_constraint: null,
        },
      };
    case 'batchNorm':
      return {
        className: 'BatchNormalization',
        config: {
          ...base(l.name), axis: -1, momentum: pyFloat(l.momentum), epsilon: pyFloat(l.epsilon), center: true, scale: true,
          beta_initializer: { class_name: 'Zeros', config: {} }, gamma_initializer: { class_name: 'Ones', config: {} },
          moving_mean_initializer: { class_name: 'Zeros', config: {} }, moving_variance_initializer: { class_name: 'Ones', config: {} },
          beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
        },
      };
    case 'activation':
      return { className: 'Activation', config: { ...base(l.name), activation: l.activation } };
    case 'maxPool2d':
      return {
        className: 'MaxPooling2D',
        config: { ...base(l.name), pool_size: [...l.poolSize], padding: l.padding, strides: [...l.strides], data_format: 'channels_last' },
      };
    case 'dropout':
      return { className: 'Dropout', config: { ...base(l.name), rate: pyFloat(l.rate), noise_shape: null, seed: null } };
    case 'flatten':
      return { className: 'Flatten', config: { ...base(l.name), data_format: 'channels_last' } };
    case 'dense':
      return {
        className: 'Dense',
        config: {
          ...base(l.name), units: l.units, activation: l.activation, use_bias: l.useBias,
          kernel_initializer: initializerConfig(l.kernelInitializer), bias_initializer: { class_name: 'Zeros', config: {} },
          kernel_regularizer: regularizerConfig(l.l2), bias_regularizer: null, activity_regularizer: null,
          kernel_constraint: null, bias_constraint: null,
        },
      };
  }
}

/**
 * The `model_config` of a Keras 2.3 functional Model (`keras.models.Model(inp, out, name)`, as
 * BaSe builds its CNN): an InputLayer, then each layer called on the previous one.
 */
function kerasModelConfig(architecture: ResolvedArchitecture): Json {
  const a = architecture;
  const layers: Json[] = [{
    name: a.inputName, class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...a.inputShape], dtype: 'float32', sparse: false, name: a.inputName },
    inbound_nodes: [],
  }];
  let prev = a.inputName;
  for (const l of a.layers) {
    const { className, config } = layerConfig(l);
    layers.push({ name: l.name, class_name: className, config, inbound_nodes: [[[prev, 0, 0, {}]]] });
    prev = l.name;
  }
  return {
    class_name: 'Model',
    config: { name: a.name, layers, input_layers: [[a.inputName, 0, 0]], output_layers: [[prev, 0, 0]] },
  };
}

/**
 * The `training_config` Keras 2.3 writes for `compile(optimizer=Adam(...), loss, metrics=['accuracy'])`:
 * binary cross-entropy for a sigmoid head, sparse categorical cross-entropy (integer labels) for
 * a softmax head.
 */
function kerasTrainingConfig(architecture: ResolvedArchitecture, adam: ResolvedAdam): Json {
  return {
    optimizer_config: {
      class_name: 'Adam',
      config: {
        learning_rate: f32(adam.learningRate), beta_1: f32(adam.beta1), beta_2: f32(adam.beta2), decay: f32(adam.decay),
        epsilon: pyFloat(adam.epsilon), amsgrad: false,
      },
    },
    loss: architecture.head.kind === 'sigmoid' ? 'binary_crossentropy' : 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
    weighted_metrics: null,
    sample_weight_mode: null,
    loss_weights: null,
  };
}

/** Options of {@link saveKerasH5}. */
export interface SaveKerasOptions {
  /** The optimiser settings to record as training_config; null writes none (default null). */
  readonly optimizer?: ResolvedAdam | null;
}

/**
 * The network as a Keras 2 full-model `.h5` (bytes): what `model.save('model.h5')` writes in
 * Keras 2.3.1 (model_config, training_config, model_weights with every layer). Inference
 * weights: BatchNorm moving statistics as trained. Optimiser state is not stored (Keras does not
 * either before the first fit in a session; loading then starts a fresh Adam).
 */
export function saveKerasH5(network: Network, options: SaveKerasOptions = {}): Promise<Uint8Array> {
  const { optimizer = null } = options;
  const a = network.architecture;
  const weights = network.kerasWeights();
  return writeKerasH5({
    modelConfig: kerasModelConfig(a),
    trainingConfig: optimizer === null ? null : kerasTrainingConfig(a, optimizer),
    layers: [{ name: a.inputName, weights: [] }, ...a.layers.map((l) => ({ name: l.name, weights: weights.get(l.name) ?? [] }))],
    kerasVersion: KERAS_VERSION,
    backend: 'tensorflow',
  });
}
