// Architectures that convscope can train: a plain chain of Keras layers (Conv2D, BatchNormalization,
// Activation, MaxPooling2D, Dropout, Flatten, Dense) on a channels_last image input, with the
// Keras 2 names and defaults. Plain data: resolving checks every layer and computes shapes.
// BaSe's CNN and a small custom stack are built here; training and saving live next door.

import { ArgumentError } from '../errors.js';
import { convOutLength } from '../model/shapes.js';

/** Activation functions a trained layer may use (Keras names). */
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

/**
 * Kernel initialisers (Keras names): `glorot_uniform` (Keras' default, U(+-sqrt(6 / (fan_in +
 * fan_out)))), `he_uniform` (U(+-sqrt(6 / fan_in))), `uniform` (Keras 2 RandomUniform(-0.05,
 * 0.05), BaSe's choice).
 */
export type Initializer = 'glorot_uniform' | 'he_uniform' | 'uniform';

/** One layer of a trainable chain. Options not given take the Keras default shown. */
export type LayerSpec =
  | {
      readonly type: 'conv2d';
      /** Layer name (default: Keras 2 style, `conv2d_1`, `conv2d_2`...). */
      readonly name?: string;
      readonly filters: number;
      /** Kernel rows and columns (default 3; a number means square). */
      readonly kernelSize?: number | readonly [number, number];
      /** Strides (default 1). */
      readonly strides?: number | readonly [number, number];
      /** Padding (default 'valid', as Keras). */
      readonly padding?: 'valid' | 'same';
      /** Fused activation (default 'linear'). */
      readonly activation?: ActivationName;
      /** Add a bias (default true). */
      readonly useBias?: boolean;
      /** Kernel initialiser (default 'glorot_uniform'). */
      readonly kernelInitializer?: Initializer;
      /** L2 penalty factor on the kernel, Keras `regularizers.l2(l2)`: adds l2 * sum(w^2) to the loss (default 0). */
      readonly l2?: number;
    }
  | {
      readonly type: 'batchNorm';
      readonly name?: string;
      /** Moving-average momentum (default 0.99). */
      readonly momentum?: number;
      /** Added to the variance (default 1e-3). */
      readonly epsilon?: number;
    }
  | { readonly type: 'activation'; readonly name?: string; readonly activation: ActivationName }
  | {
      readonly type: 'maxPool2d';
      readonly name?: string;
      /** Window (default 2). */
      readonly poolSize?: number | readonly [number, number];
      /** Strides (default: the pool size). */
      readonly strides?: number | readonly [number, number];
      /** Padding (default 'valid'). */
      readonly padding?: 'valid' | 'same';
    }
  | {
      readonly type: 'dropout';
      readonly name?: string;
      /** Fraction of units dropped in training, in [0, 1). */
      readonly rate: number;
    }
  | { readonly type: 'flatten'; readonly name?: string }
  | {
      readonly type: 'dense';
      readonly name?: string;
      readonly units: number;
      /** Fused activation (default 'linear'). */
      readonly activation?: ActivationName;
      readonly useBias?: boolean;
      /** Kernel initialiser (default 'glorot_uniform'). */
      readonly kernelInitializer?: Initializer;
      /** L2 penalty factor on the kernel (default 0). */
      readonly l2?: number;
    };

/** A trainable model: a chain of layers on one image input. */
export interface ArchitectureSpec {
  /** Model name written to the Keras config (default 'model_1'). */
  readonly name?: string;
  /** Input (rows, cols, channels), channels_last. */
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly LayerSpec[];
}

/** A layer with every option resolved and its shapes computed (batch axis excluded). */
export type ResolvedLayer =
  | {
      readonly type: 'conv2d'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[];
      readonly filters: number; readonly kernelSize: [number, number]; readonly strides: [number, number];
      readonly padding: 'valid' | 'same'; readonly activation: ActivationName; readonly useBias: boolean;
      readonly kernelInitializer: Initializer; readonly l2: number;
    }
  | {
      readonly type: 'batchNorm'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[];
      readonly momentum: number; readonly epsilon: number;
    }
  | { readonly type: 'activation'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[]; readonly activation: ActivationName }
  | {
      readonly type: 'maxPool2d'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[];
      readonly poolSize: [number, number]; readonly strides: [number, number]; readonly padding: 'valid' | 'same';
    }
  | { readonly type: 'dropout'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[]; readonly rate: number }
  | { readonly type: 'flatten'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[] }
  | {
      readonly type: 'dense'; readonly name: string; readonly inShape: readonly number[]; readonly outShape: readonly number[];
      readonly units: number; readonly activation: ActivationName; readonly useBias: boolean;
      readonly kernelInitializer: Initializer; readonly l2: number;
    };

/** What the network predicts, read from its last layer. */
export interface HeadSpec {
  /** 'sigmoid': one unit, p(class 1); 'softmax': one unit per class. */
  readonly kind: 'sigmoid' | 'softmax';
  /** Number of classes (2 for a sigmoid head). */
  readonly classes: number;
}

/** A checked architecture: resolved layers, the input node name and the head. */
export interface ResolvedArchitecture {
  readonly name: string;
  /** Name of the InputLayer (Keras 2: `input_1`). */
  readonly inputName: string;
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly ResolvedLayer[];
  readonly head: HeadSpec;
}

/** Keras 2 name stems by layer type (names are `<stem>_<k>`, k counting from 1 per stem). */
const STEMS: Readonly<Record<LayerSpec['type'], string>> = {
  conv2d: 'conv2d', batchNorm: 'batch_normalization', activation: 'activation', maxPool2d: 'max_pooling2d',
  dropout: 'dropout', flatten: 'flatten', dense: 'dense',
};

const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
const INITIALIZERS: readonly Initializer[] = ['glorot_uniform', 'he_uniform', 'uniform'];

function bad(where: string, message: string, hint?: string): ArgumentError {
  return new ArgumentError('BAD_ARGUMENT', `${where}: ${message}`, hint !== undefined ? { hint } : {});
}

function pair(where: string, label: string, v: number | readonly [number, number] | undefined, fallback: number): [number, number] {
  const p: [number, number] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= 1)) throw bad(where, `${label} must be positive integers, got [${p.join(', ')}].`);
  return p;
}

/** Output length along one axis (Keras' rule, model/shapes.ts). */
function outSize(size: number, k: number, stride: number, padding: 'valid' | 'same'): number {
  return convOutLength(size, k, stride, 1, padding)!;
}

function checkActivation(where: string, a: ActivationName): ActivationName {
  if (!ACTIVATIONS.includes(a)) throw bad(where, `unknown activation '${String(a)}'.`, `Use one of ${ACTIVATIONS.join(', ')}.`);
  return a;
}

function checkInit(where: string, i: Initializer): Initializer {
  if (!INITIALIZERS.includes(i)) throw bad(where, `unknown kernel initializer '${String(i)}'.`, `Use one of ${INITIALIZERS.join(', ')}.`);
  return i;
}

function checkL2(where: string, l2: number): number {
  if (!(Number.isFinite(l2) && l2 >= 0)) throw bad(where, `l2 must be a number >= 0, got ${l2}.`);
  return l2;
}

/**
 * Checks an architecture and resolves names, defaults and shapes. Throws ArgumentError
 * `BAD_ARGUMENT` naming the layer (index and name) for anything that does not fit: unknown
 * options, shapes that shrink to nothing, a 2-D layer after Flatten, a head that is neither one
 * sigmoid unit nor a softmax over two or more units.
 */
export function resolveArchitecture(spec: ArchitectureSpec): ResolvedArchitecture {
  const { name = 'model_1', inputShape, layers } = spec;
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw bad('architecture', `inputShape must be [rows, cols, channels] positive integers, got [${inputShape.join(', ')}].`);
  }
  if (layers.length === 0) throw bad('architecture', 'has no layers.');
  const counts = new Map<string, number>([['input', 1]]);
  const used = new Set<string>(['input_1']);
  let shape: number[] = [...inputShape];
  const out: ResolvedLayer[] = [];
  layers.forEach((l, i) => {
    const stem = STEMS[l.type];
    if (stem === undefined) throw bad(`layer ${i + 1}`, `unknown layer type '${String((l as { type: unknown }).type)}'.`);
    const k = (counts.get(stem) ?? 0) + 1;
    counts.set(stem, k);
    const lname = l.name ?? `${stem}_${k}`;
    const where = `layer ${i + 1} ('${lname}')`;
    if (!/^[A-Za-z0-9_.-]+$/.test(lname)) throw bad(where, 'names may use letters, digits, _ . - only.');
    if (used.has(lname)) throw bad(where, `the name '${lname}' is used twice.`);
    used.add(lname);
    const spatial = (): [number, number, number] => {
      if (shape.length !== 3) throw bad(where, `a ${l.type} layer needs a (rows, cols, channels) input, but gets (${shape.join(', ')}) after Flatten.`);
      return shape as [number, number, number];
    };
    const inShape = [...shape];
    switch (l.type) {
      case 'conv2d': {
        const [h, w] = spatial();
        if (!Number.isInteger(l.filters) || l.filters < 1) throw bad(where, `filters must be a positive integer, got ${l.filters}.`);
        const kernelSize = pair(where, 'kernelSize', l.kernelSize, 3);
        const strides = pair(where, 'strides', l.strides, 1);
        const padding = l.padding ?? 'valid';
        const ho = outSize(h, kernelSize[0], strides[0], padding);
        const wo = outSize(w, kernelSize[1], strides[1], padding);
        if (ho < 1 || wo < 1) throw bad(where, `a ${kernelSize.join('x')} '${padding}' window does not fit its ${h}x${w} input.`);
        shape = [ho, wo, l.filters];
        out.push({
          type: 'conv2d', name: lname, inShape, outShape: [...shape], filters: l.filters, kernelSize, strides, padding,
          activation: checkActivation(where, l.activation ?? 'linear'), useBias: l.useBias ?? true,
          kernelInitializer: checkInit(where, l.kernelInitializer ?? 'glorot_uniform'), l2: checkL2(where, l.l2 ?? 0),
        });
        break;
      }
      case 'batchNorm': {
        const { momentum = 0.99, epsilon = 1e-3 } = l;
        if (!(momentum >= 0 && momentum < 1)) throw bad(where, `momentum must be in [0, 1), got ${momentum}.`);
        if (!(epsilon > 0)) throw bad(where, `epsilon must be > 0, got ${epsilon}.`);
        out.push({ type: 'batchNorm', name: lname, inShape, outShape: [...shape], momentum, epsilon });
        break;
      }
      case 'activation':
        out.push({ type: 'activation', name: lname, inShape, outShape: [...shape], activation: checkActivation(where, l.activation) });
        break;
      case 'maxPool2d': {
        const [h, w, c] = spatial();
        const poolSize = pair(where, 'poolSize', l.poolSize, 2);
        const strides = l.strides === undefined ? poolSize : pair(where, 'strides', l.strides, 2);
        const padding = l.padding ?? 'valid';
        const ho = outSize(h, poolSize[0], strides[0], padding);
        const wo = outSize(w, poolSize[1], strides[1], padding);
        if (ho < 1 || wo < 1) throw bad(where, `a ${poolSize.join('x')} pool does not fit its ${h}x${w} input.`);
        shape = [ho, wo, c];
        out.push({ type: 'maxPool2d', name: lname, inShape, outShape: [...shape], poolSize, strides, padding });
        break;
      }
      case 'dropout':
        if (!(l.rate >= 0 && l.rate < 1)) throw bad(where, `rate must be in [0, 1), got ${l.rate}.`);
        out.push({ type: 'dropout', name: lname, inShape, outShape: [...shape], rate: l.rate });
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        out.push({ type: 'flatten', name: lname, inShape, outShape: [...shape] });
        break;
      case 'dense': {
        if (shape.length !== 1) throw bad(where, `Dense needs a flat input; add a Flatten layer before it (input is (${shape.join(', ')})).`);
        if (!Number.isInteger(l.units) || l.units < 1) throw bad(where, `units must be a positive integer, got ${l.units}.`);
        shape = [l.units];
        out.push({
          type: 'dense', name: lname, inShape, outShape: [...shape], units: l.units,
          activation: checkActivation(where, l.activation ?? 'linear'), useBias: l.useBias ?? true,
          kernelInitializer: checkInit(where, l.kernelInitializer ?? 'glorot_uniform'), l2: checkL2(where, l.l2 ?? 0),
        });
        break;
      }
    }
  });
  const last = out[out.length - 1]!;
  const lastAct = last.type === 'dense' || last.type === 'activation' || last.type === 'conv2d' ? last.activation : null;
  const units = last.outShape.length === 1 ? last.outShape[0]! : -1;
  let head: HeadSpec;
  if (lastAct === 'sigmoid' && units === 1) head = { kind: 'sigmoid', classes: 2 };
  else if (lastAct === 'softmax' && units >= 2) head = { kind: 'softmax', classes: units };
  else {
    throw bad('architecture', `the last layer ('${last.name}') must be Dense(1, sigmoid) for two classes or Dense(k, softmax) for k >= 2 classes; it outputs (${last.outShape.join(', ')}) with activation ${lastAct ?? 'none'}.`);
  }
  return { name, inputName: 'input_1', inputShape: [inputShape[0], inputShape[1], inputShape[2]], layers: out, head };
}

/** BaSe's tests (1: Neutral vs Selection, 2: Incomplete Sweep vs Balancing, 3: Overdominance vs Negative Freq-Dep.). */
export type BaseTest = 1 | 2 | 3;

/** Hyper-parameters of one BaSe test, from BaSe's `LoadCNN(test)` and `Reproduce/cnn.py`. */
export interface BaseHyperParameters {
  /** Adam learning rate. */
  readonly learningRate: number;
  /** Keras Adam `decay` (lr / (1 + decay * iterations)). */
  readonly decay: number;
  /** Adam epsilon (BaSe passes 1e-8). */
  readonly epsilon: number;
  /** L2 penalty on every Conv2D and Dense kernel. */
  readonly l2: number;
  /** Dropout after the 2nd and 3rd conv blocks. */
  readonly dropoutConv: number;
  /** Dropout after the Dense(128) block (0: no Dropout layer). */
  readonly dropoutDense: number;
  readonly batchSize: number;
  readonly epochs: number;
  /** Random horizontal flips of training images (Keras ImageDataGenerator(horizontal_flip=True)). */
  readonly flip: boolean;
}

/**
 * BaSe's per-test hyper-parameters (its final `LoadCNN`: Adam(lr, beta 0.9/0.999, epsilon 1e-8,
 * decay 1e-5), RandomUniform(-0.05, 0.05) kernels, L2 on every kernel; training as in its
 * `Reproduce/cnn.py`: batch 32, 10 epochs, horizontal-flip augmentation).
 */
export const BASE_TESTS: Readonly<Record<BaseTest, BaseHyperParameters>> = {
  1: { learningRate: 5e-5, decay: 1e-5, epsilon: 1e-8, l2: 0.005, dropoutConv: 0.5, dropoutDense: 0, batchSize: 32, epochs: 10, flip: true },
  2: { learningRate: 5e-5, decay: 1e-5, epsilon: 1e-8, l2: 0.005, dropoutConv: 0.5, dropoutDense: 0, batchSize: 32, epochs: 10, flip: true },
  3: { learningRate: 1e-4, decay: 1e-5, epsilon: 1e-8, l2: 0.001, dropoutConv: 0.5, dropoutDense: 0.5, batchSize: 32, epochs: 10, flip: true },
};

/** Options of {@link baseCnnArchitecture}. */
export interface BaseCnnArchitectureOptions {
  /** Which BaSe test's regularisation (default 1). */
  readonly test?: BaseTest;
  /** Input (rows, cols, channels) (default [128, 128, 1], BaSe's images). */
  readonly inputShape?: readonly [number, number, number];
  /** Override the test's L2 factor (default: the test's). */
  readonly l2?: number;
  /** Override the conv dropout rate (default: the test's). */
  readonly dropoutConv?: number;
  /** Override the dense dropout rate (default: the test's; 0 = no Dropout layer). */
  readonly dropoutDense?: number;
  /** Kernel initialiser (default 'uniform', BaSe's). */
  readonly kernelInitializer?: Initializer;
}

/**
 * BaSe's CNN as BaSe builds it (`LoadCNN`, functional model 'cnn'):
 *
 *     Input -> Conv2D(32, 3x3, same) -> BN -> ReLU -> MaxPool(2)
 *           -> Conv2D(32) -> BN -> ReLU -> MaxPool(2) -> Dropout(conv)
 *           -> Conv2D(32) -> BN -> ReLU -> Dropout(conv)
 *           -> Flatten -> Dense(128) -> ReLU [-> Dropout(dense), test 3] -> Dense(1, sigmoid)
 *
 * L2 on every kernel; layer names as Keras 2 gives them (conv2d_1, batch_normalization_1...).
 */
export function baseCnnArchitecture(options: BaseCnnArchitectureOptions = {}): ArchitectureSpec {
  const { test = 1, inputShape = [128, 128, 1], kernelInitializer = 'uniform' } = options;
  const hp = BASE_TESTS[test];
  if (hp === undefined) throw bad('base-cnn', `test must be 1, 2 or 3, got ${String(test)}.`);
  const l2 = options.l2 ?? hp.l2;
  const dropoutConv = options.dropoutConv ?? hp.dropoutConv;
  const dropoutDense = options.dropoutDense ?? hp.dropoutDense;
  const conv = (): LayerSpec => ({ type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', kernelInitializer, l2 });
  const layers: LayerSpec[] = [
    conv(), { type: 'batchNorm' }, { type: 'activation', activation: 'relu' }, { type: 'maxPool2d', poolSize: 2 },
    conv(), { type: 'batchNorm' }, { type: 'activation', activation: 'relu' }, { type: 'maxPool2d', poolSize: 2 },
    ...(dropoutConv > 0 ? [{ type: 'dropout', rate: dropoutConv } as const] : []),
    conv(), { type: 'batchNorm' }, { type: 'activation', activation: 'relu' },
    ...(dropoutConv > 0 ? [{ type: 'dropout', rate: dropoutConv } as const] : []),
    { type: 'flatten' },
    { type: 'dense', units: 128, kernelInitializer, l2 },
    { type: 'activation', activation: 'relu' },
    ...(dropoutDense > 0 ? [{ type: 'dropout', rate: dropoutDense } as const] : []),
    { type: 'dense', units: 1, activation: 'sigmoid', kernelInitializer, l2 },
  ];
  return { name: 'cnn', inputShape, layers };
}

/** Options of {@link customCnnArchitecture}. */
export interface CustomCnnOptions {
  /** Input (rows, cols, channels). */
  readonly inputShape: readonly [number, number, number];
  /** Filters of each conv block (default [16, 32]). */
  readonly convFilters?: readonly number[];
  /** Square kernel size of every conv (default 3). */
  readonly kernelSize?: number;
  /** BatchNormalization after each conv (default true). */
  readonly batchNorm?: boolean;
  /** MaxPooling2D size after each conv block (default 2; 1 = no pooling). */
  readonly poolSize?: number;
  /** Dropout after each conv block (default 0: none). */
  readonly dropoutConv?: number;
  /** Units of the hidden Dense layers (default [64]). */
  readonly denseUnits?: readonly number[];
  /** Dropout after each hidden Dense layer (default 0: none). */
  readonly dropoutDense?: number;
  /** Number of classes: 2 gives Dense(1, sigmoid), more give Dense(k, softmax) (default 2). */
  readonly classes?: number;
  /** L2 factor on every kernel (default 0). */
  readonly l2?: number;
  /** Kernel initialiser (default 'glorot_uniform'). */
  readonly kernelInitializer?: Initializer;
}

/**
 * A small CNN: per block Conv2D(f, k, same) [-> BN] -> ReLU [-> MaxPool] [-> Dropout], then
 * Flatten -> (Dense(u) -> ReLU [-> Dropout])* -> the head.
 */
export function customCnnArchitecture(options: CustomCnnOptions): ArchitectureSpec {
  const {
    inputShape, convFilters = [16, 32], kernelSize = 3, batchNorm = true, poolSize = 2, dropoutConv = 0,
    denseUnits = [64], dropoutDense = 0, classes = 2, l2 = 0, kernelInitializer = 'glorot_uniform',
  } = options;
  if (!Number.isInteger(classes) || classes < 2) throw bad('custom CNN', `classes must be an integer >= 2, got ${classes}.`);
  if (!Number.isInteger(poolSize) || poolSize < 1) throw bad('custom CNN', `poolSize must be an integer >= 1, got ${poolSize}.`);
  const layers: LayerSpec[] = [];
  for (const filters of convFilters) {
    layers.push({ type: 'conv2d', filters, kernelSize, padding: 'same', kernelInitializer, l2, useBias: true });
    if (batchNorm) layers.push({ type: 'batchNorm' });
    layers.push({ type: 'activation', activation: 'relu' });
    if (poolSize > 1) layers.push({ type: 'maxPool2d', poolSize });
    if (dropoutConv > 0) layers.push({ type: 'dropout', rate: dropoutConv });
  }
  layers.push({ type: 'flatten' });
  for (const units of denseUnits) {
    layers.push({ type: 'dense', units, kernelInitializer, l2 }, { type: 'activation', activation: 'relu' });
    if (dropoutDense > 0) layers.push({ type: 'dropout', rate: dropoutDense });
  }
  layers.push(classes === 2
    ? { type: 'dense', units: 1, activation: 'sigmoid', kernelInitializer, l2 }
    : { type: 'dense', units: classes, activation: 'softmax', kernelInitializer, l2 });
  return { name: 'model_1', inputShape, layers };
}
