// Building blocks of ONNX graph construction shared by the forward export and the backward
// graphs: fresh value names, constants, operator nodes, and a tensor tracked in two layouts
// (Keras' stored layout and channels-first), with the Transposes between them made on demand.

import type { AttributeProto, NodeProto, TensorProto } from './proto.js';
import { DataType, floatBytes, int64Bytes } from './proto.js';

/** An attribute value; build with `int`, `ints`, `float`, `floats`, `str`. */
export type Attr =
  | { readonly kind: 'int'; readonly v: number | bigint }
  | { readonly kind: 'ints'; readonly v: readonly (number | bigint)[] }
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'floats'; readonly v: readonly number[] }
  | { readonly kind: 'str'; readonly v: string };

/** An int64 attribute. */
export const int = (v: number | bigint): Attr => ({ kind: 'int', v });
/** A list-of-int64 attribute. */
export const ints = (v: readonly (number | bigint)[]): Attr => ({ kind: 'ints', v });
/** A float32 attribute. */
export const float = (v: number): Attr => ({ kind: 'float', v });
/** A list-of-float32 attribute. */
export const floats = (v: readonly number[]): Attr => ({ kind: 'floats', v });
/** A string attribute. */
export const str = (v: string): Attr => ({ kind: 'str', v });

/** Largest int64, used as an open Slice end. */
export const INT64_MAX = 9223372036854775807n;

function toAttribute(name: string, a: Attr): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: 'int', i: a.v };
    case 'ints':
      return { name, type: 'ints', ints: a.v };
    case 'float':
      return { name, type: 'float', f: a.v };
    case 'floats':
      return { name, type: 'floats', floats: a.v };
    case 'str':
      return { name, type: 'string', s: a.v };
  }
}

/** Accumulates the nodes and initializers of one ONNX graph. */
export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken: Set<string>;
  private counter = 0;
  private readonly constCache = new Map<string, string>();
  private readonly renamed = new Map<string, string>();

  /** `reserved`: names that fresh names must avoid (the Keras node names, used for graph I/O). */
  constructor(reserved: Iterable<string>) {
    this.taken = new Set(reserved);
  }

  /** A value name not used before. */
  fresh(hint: string): string {
    for (;;) {
      const name = `${hint}::${this.counter++}`;
      if (!this.taken.has(name)) {
        this.taken.add(name);
        return name;
      }
    }
  }

  /** Adds a node; returns its output names (`nOutputs` fresh names, first named after `hint`). */
  opN(opType: string, inputs: readonly string[], attrs: Record<string, Attr>, nOutputs: number, hint = opType): string[] {
    const outputs = Array.from({ length: nOutputs }, (_, i) => this.fresh(i === 0 ? hint : `${hint}.${i}`));
    const attributes = Object.entries(attrs).map(([k, a]) => toAttribute(k, a));
    this.nodes.push({ opType, inputs, outputs, ...(attributes.length > 0 ? { attributes } : {}) });
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, hint = opType): string {
    return this.opN(opType, inputs, attrs, 1, hint)[0]!;
  }

  /** A float32 initializer. */
  f32(hint: string, dims: readonly number[], data: Float32Array): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims: [...dims], rawData: floatBytes(data) });
    return name;
  }

  /** A (cached) 1-D int64 constant, e.g. a shape or an axes list. */
  i64(values: readonly (number | bigint)[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      name = this.fresh('const_i64');
      this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], rawData: int64Bytes(values) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** An int64 initializer of any shape (e.g. precomputed indices). */
  i64Tensor(hint: string, dims: readonly number[], data: BigInt64Array): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.INT64, dims: [...dims], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** A (cached) 0-D int64 constant. */
  i64Scalar(value: number): string {
    const key = `i64s:${value}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      name = this.fresh('const_i64');
      this.initializers.push({ name, dataType: DataType.INT64, dims: [], rawData: int64Bytes([value]) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A (cached) float32 constant of the given shape filled with one value (default: a 0-D scalar). */
  scalar(value: number, dims: readonly number[] = []): string {
    const key = `f32:${value}:${dims.join(',')}`;
    let name = this.constCache.get(key);
    if (name === undefined) {
      let n = 1;
      for (const d of dims) n *= d;
      name = this.f32('const_f32', dims, new Float32Array(n).fill(value));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** Replaces every use and definition of value `from` by `to` (to name a graph output). */
  rename(from: string, to: string): void {
    const swap = (xs: readonly string[]): string[] => xs.map((x) => (x === from ? to : x));
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      if (n.inputs.includes(from) || n.outputs.includes(from)) {
        this.nodes[i] = { ...n, inputs: swap(n.inputs), outputs: swap(n.outputs) };
      }
    }
    this.taken.add(to);
    this.renamed.set(from, to);
  }

  /** The current name of a value that `rename` may have renamed. */
  resolve(name: string): string {
    let n = name;
    for (let next = this.renamed.get(n); next !== undefined; next = this.renamed.get(n)) n = next;
    return n;
  }

  /** True when some node produces `name` (as opposed to a graph input or an initializer). */
  isNodeOutput(name: string): boolean {
    return this.nodes.some((n) => n.outputs.includes(name));
  }
}

/** Which layout a tensor is held in: 'k' = as Keras stores it; 't' = last axis moved to axis 1. */
export type Form = 'k' | 't';

/** Permutation taking the Keras layout to the 't' layout: [0, r-1, 1, ..., r-2]. */
export function toTPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Permutation taking the 't' layout back to Keras': [0, 2, ..., r-1, 1]. */
export function fromTPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Where Keras axis `axis` sits in form `form` of a rank-`rank` tensor. */
export function axisIn(form: Form, rank: number, axis: number): number {
  if (form === 'k' || rank <= 2) return axis;
  return toTPerm(rank).indexOf(axis);
}

/**
 * One tensor of the Keras graph inside the ONNX graph. For a channels_last image tensor
 * (N, H, W, C) the 't' form is (N, C, H, W), the layout ONNX convolutions and pools need; a
 * chain of such layers stays in 't' and is transposed back only where the Keras layout is
 * needed. For rank <= 2 both forms are the same value.
 */
export class Value {
  readonly rank: number;
  private readonly forms: { k?: string; t?: string } = {};

  constructor(rank: number, form: Form, name: string) {
    this.rank = rank;
    if (rank <= 2) {
      this.forms.k = name;
      this.forms.t = name;
    } else {
      this.forms[form] = name;
    }
  }

  /** Is the value already present in this form (no Transpose needed)? */
  has(form: Form): boolean {
    return this.forms[form] !== undefined;
  }

  /** The preferred existing form: 't' when present (keeps channels-first chains), else 'k'. */
  get natural(): Form {
    return this.forms.t !== undefined ? 't' : 'k';
  }

  /** The value's name in `form`, adding (once) a Transpose when it only exists in the other. */
  get(b: OnnxBuilder, form: Form): string {
    const have = this.forms[form];
    if (have !== undefined) return have;
    const src = form === 't' ? this.forms.k! : this.forms.t!;
    const perm = form === 't' ? toTPerm(this.rank) : fromTPerm(this.rank);
    const name = b.op('Transpose', [src], { perm: ints(perm) }, form === 't' ? 'to_nchw' : 'to_keras');
    this.forms[form] = name;
    return name;
  }
}

/**
 * Picks the form for an op that works in either layout on several same-rank inputs: the one
 * that needs the fewest Transposes, 't' on ties.
 */
export function commonForm(values: readonly Value[]): Form {
  const missingT = values.filter((v) => !v.has('t')).length;
  const missingK = values.filter((v) => !v.has('k')).length;
  return missingT <= missingK ? 't' : 'k';
}

/** Permutes a row-major array: out[i_perm[0], i_perm[1], ...] = in[i_0, i_1, ...] along `perm`. */
export function transposeArray(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const stridesForOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      src += stridesForOut[a]!;
      if (idx[a]! < outShape[a]!) break;
      src -= stridesForOut[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
  return { data: out, shape: outShape };
}
