// Test helper (not a test file): builds small IR graphs with seeded random weights and the
// output shapes Keras would report, so the ONNX engine can be compared with the reference one.

import type { Activation, DataFormat, Graph, Node, Op, Padding, Shape } from '../../model/ir.js';
import { createRng, type Rng } from '../../random.js';
import type { Tensor } from '../../tensor.js';

const linear: Activation = { kind: 'linear' };

function outSize(size: number, k: number, s: number, d: number, padding: Padding): number {
  const eff = (k - 1) * d + 1;
  return padding === 'valid' ? Math.floor((size - eff) / s) + 1 : Math.ceil(size / s);
}

/** Builds a Graph node by node; every method returns the new node's name. */
export class GraphMaker {
  readonly nodes: Node[] = [];
  readonly rng: Rng;
  private readonly inputNames: string[] = [];
  private counter = 0;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  private shape(name: string): Shape {
    return this.nodes.find((n) => n.name === name)!.outputShape;
  }

  private add(op: Op, inputs: string[], outputShape: Shape, className: string, name?: string): string {
    const n = name ?? `${op.type}_${this.counter++}`;
    this.nodes.push({ name: n, className, op, inputs, outputShape, params: 0 });
    return n;
  }

  /** Uniform values in [-scale, scale). */
  random(shape: readonly number[], scale = 1): Tensor {
    let n = 1;
    for (const d of shape) n *= d;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (this.rng.next() * 2 - 1) * scale;
    return { shape: [...shape], data };
  }

  input(shape: readonly number[], name?: string): string {
    const n = this.add({ type: 'input' }, [], [null, ...shape], 'InputLayer', name ?? `input_${this.counter++}`);
    this.inputNames.push(n);
    return n;
  }

  private spatial(x: string, rank: number, df: DataFormat): { n: number[]; c: number } {
    const s = this.shape(x) as number[];
    return df === 'channels_last' ? { n: s.slice(1, 1 + rank), c: s[rank + 1]! } : { n: s.slice(2, 2 + rank), c: s[1]! };
  }

  private spatialShape(sizes: number[], c: number, df: DataFormat): Shape {
    return df === 'channels_last' ? [null, ...sizes, c] : [null, c, ...sizes];
  }

  conv(
    x: string,
    o: { filters: number; kernel: number[]; strides?: number[]; dilation?: number[]; padding?: Padding; dataFormat?: DataFormat; groups?: number; activation?: Activation; bias?: boolean },
  ): string {
    const rank = o.kernel.length as 1 | 2;
    const { strides = o.kernel.map(() => 1), dilation = o.kernel.map(() => 1), padding = 'valid', dataFormat = 'channels_last', groups = 1, activation = linear, bias = true } = o;
    const { n, c } = this.spatial(x, rank, dataFormat);
    const sizes = n.map((s, i) => outSize(s, o.kernel[i]!, strides[i]!, dilation[i]!, padding));
    const fan = o.kernel.reduce((a, k) => a * k, c / groups);
    const kernel = this.random([...o.kernel, c / groups, o.filters], 1 / Math.sqrt(fan));
    const op: Op = {
      type: 'conv', rank, filters: o.filters, kernelSize: o.kernel, strides, dilation, padding, dataFormat, groups, kernel,
      bias: bias ? this.random([o.filters], 0.1) : null, activation,
    };
    return this.add(op, [x], this.spatialShape(sizes, o.filters, dataFormat), rank === 1 ? 'Conv1D' : 'Conv2D');
  }

  depthwise(x: string, o: { kernel: number[]; multiplier?: number; strides?: number[]; dilation?: number[]; padding?: Padding; dataFormat?: DataFormat; activation?: Activation }): string {
    const rank = o.kernel.length as 1 | 2;
    const { multiplier = 1, strides = o.kernel.map(() => 1), dilation = o.kernel.map(() => 1), padding = 'valid', dataFormat = 'channels_last', activation = linear } = o;
    const { n, c } = this.spatial(x, rank, dataFormat);
    const sizes = n.map((s, i) => outSize(s, o.kernel[i]!, strides[i]!, dilation[i]!, padding));
    const op: Op = {
      type: 'depthwiseConv', rank, kernelSize: o.kernel, strides, dilation, padding, dataFormat, depthMultiplier: multiplier,
      kernel: this.random([...o.kernel, c, multiplier], 0.5), bias: this.random([c * multiplier], 0.1), activation,
    };
    return this.add(op, [x], this.spatialShape(sizes, c * multiplier, dataFormat), 'DepthwiseConv2D');
  }

  dense(x: string, units: number, activation: Activation = linear): string {
    const s = this.shape(x);
    const inDim = s[s.length - 1] as number;
    const op: Op = { type: 'dense', units, kernel: this.random([inDim, units], 1 / Math.sqrt(inDim)), bias: this.random([units], 0.1), activation };
    return this.add(op, [x], [...s.slice(0, -1), units], 'Dense');
  }

  batchNorm(x: string, axis: number, o: { center?: boolean; scale?: boolean } = {}): string {
    const c = this.shape(x)[axis] as number;
    const pos = (n: number): Tensor => {
      const t = this.random([n], 0.5);
      for (let i = 0; i < n; i++) t.data[i] = 0.5 + Math.abs(t.data[i]!) * 2;
      return t;
    };
    const op: Op = {
      type: 'batchNorm', axis, epsilon: 1e-3,
      gamma: o.scale === false ? null : pos(c), beta: o.center === false ? null : this.random([c], 0.5),
      mean: this.random([c], 0.5), variance: pos(c),
    };
    return this.add(op, [x], this.shape(x), 'BatchNormalization');
  }

  activation(x: string, activation: Activation): string {
    return this.add({ type: 'activation', activation }, [x], this.shape(x), 'Activation');
  }

  pool(x: string, o: { mode: 'max' | 'avg'; size: number[]; strides?: number[]; padding?: 'valid' | 'same'; dataFormat?: DataFormat }): string {
    const rank = o.size.length as 1 | 2;
    const { strides = o.size, padding = 'valid', dataFormat = 'channels_last' } = o;
    const { n, c } = this.spatial(x, rank, dataFormat);
    const sizes = n.map((s, i) => outSize(s, o.size[i]!, strides[i]!, 1, padding));
    const op: Op = { type: 'pool', mode: o.mode, rank, poolSize: o.size, strides, padding, dataFormat };
    return this.add(op, [x], this.spatialShape(sizes, c, dataFormat), o.mode === 'max' ? 'MaxPooling2D' : 'AveragePooling2D');
  }

  globalPool(x: string, o: { mode: 'max' | 'avg'; rank: 1 | 2; dataFormat?: DataFormat; keepDims?: boolean }): string {
    const { dataFormat = 'channels_last', keepDims = false } = o;
    const { c } = this.spatial(x, o.rank, dataFormat);
    const shape: Shape = keepDims ? this.spatialShape(new Array<number>(o.rank).fill(1), c, dataFormat) : [null, c];
    return this.add({ type: 'globalPool', mode: o.mode, rank: o.rank, dataFormat, keepDims }, [x], shape, 'GlobalPooling');
  }

  flatten(x: string, dataFormat: DataFormat = 'channels_last'): string {
    const s = this.shape(x) as number[];
    return this.add({ type: 'flatten', dataFormat }, [x], [null, s.slice(1).reduce((a, d) => a * d, 1)], 'Flatten');
  }

  reshape(x: string, targetShape: number[]): string {
    return this.add({ type: 'reshape', targetShape }, [x], [null, ...targetShape], 'Reshape');
  }

  permute(x: string, dims: number[]): string {
    const s = this.shape(x);
    return this.add({ type: 'permute', dims }, [x], [null, ...dims.map((d) => s[d]!)], 'Permute');
  }

  identity(x: string): string {
    return this.add({ type: 'identity' }, [x], this.shape(x), 'Dropout');
  }

  zeroPad(x: string, padding: [number, number][], dataFormat: DataFormat = 'channels_last'): string {
    const rank = padding.length as 1 | 2;
    const { n, c } = this.spatial(x, rank, dataFormat);
    return this.add({ type: 'zeroPad', rank, padding, dataFormat }, [x], this.spatialShape(n.map((s, i) => s + padding[i]![0] + padding[i]![1]), c, dataFormat), 'ZeroPadding2D');
  }

  crop(x: string, cropping: [number, number][], dataFormat: DataFormat = 'channels_last'): string {
    const rank = cropping.length as 1 | 2;
    const { n, c } = this.spatial(x, rank, dataFormat);
    return this.add({ type: 'crop', rank, cropping, dataFormat }, [x], this.spatialShape(n.map((s, i) => s - cropping[i]![0] - cropping[i]![1]), c, dataFormat), 'Cropping2D');
  }

  upsample(x: string, size: number[], o: { dataFormat?: DataFormat; interpolation?: 'nearest' | 'bilinear' } = {}): string {
    const rank = size.length as 1 | 2;
    const { dataFormat = 'channels_last', interpolation = 'nearest' } = o;
    const { n, c } = this.spatial(x, rank, dataFormat);
    return this.add({ type: 'upsample', rank, size, dataFormat, interpolation }, [x], this.spatialShape(n.map((s, i) => s * size[i]!), c, dataFormat), 'UpSampling2D');
  }

  concat(xs: string[], axis: number): string {
    const shapes = xs.map((x) => this.shape(x));
    const out = [...shapes[0]!];
    out[axis] = shapes.reduce((a, s) => a + (s[axis] as number), 0);
    return this.add({ type: 'concat', axis }, xs, out, 'Concatenate');
  }

  merge(xs: string[], mode: Extract<Op, { type: 'merge' }>['mode']): string {
    return this.add({ type: 'merge', mode }, xs, this.shape(xs[0]!), 'Add');
  }

  rescale(x: string, scale: number, offset: number): string {
    return this.add({ type: 'rescale', scale, offset }, [x], this.shape(x), 'Rescaling');
  }

  graph(outputs: string[]): Graph {
    return { nodes: [...this.nodes], inputs: [...this.inputNames], outputs };
  }

  /** A random input batch for every graph input. */
  inputs(batch: number, scale = 1): Tensor[] {
    return this.inputNames.map((name) => this.random([batch, ...(this.shape(name).slice(1) as number[])], scale));
  }
}

/** max |a - b| / max |b| (b the reference): the relative error the engine tests bound. */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let mag = 1e-30;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    mag = Math.max(mag, Math.abs(b[i]!));
  }
  return diff / mag;
}
