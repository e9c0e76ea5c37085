// A minimal protobuf ENCODER for the subset of onnx.proto that graph export writes (model,
// graph, node, attribute, tensor with raw_data, value info, opset id). Encoding only: nothing
// here parses ONNX. Field numbers follow onnx/onnx.proto (proto2; repeated scalars unpacked).

/** ONNX TensorProto.DataType values used by the exporter. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
} as const;

/** A constant tensor (an initializer or a tensor attribute); values as little-endian raw bytes. */
export interface TensorProto {
  readonly name: string;
  /** One of `DataType`. */
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Little-endian bytes of the values in row-major order (ONNX `raw_data`). */
  readonly rawData: Uint8Array;
}

/** A node attribute; `type` picks which value field is written. */
export type AttributeProto =
  | { readonly name: string; readonly type: 'float'; readonly f: number }
  | { readonly name: string; readonly type: 'int'; readonly i: number | bigint }
  | { readonly name: string; readonly type: 'string'; readonly s: string }
  | { readonly name: string; readonly type: 'tensor'; readonly t: TensorProto }
  | { readonly name: string; readonly type: 'floats'; readonly floats: readonly number[] }
  | { readonly name: string; readonly type: 'ints'; readonly ints: readonly (number | bigint)[] }
  | { readonly name: string; readonly type: 'strings'; readonly strings: readonly string[] };

/** One operator application. */
export interface NodeProto {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** Operator set domain; '' (default) is the standard ai.onnx domain. */
  readonly domain?: string;
  readonly attributes?: readonly AttributeProto[];
}

/** A typed graph input or output. `shape` entries are sizes or symbolic names; omitted = unknown rank. */
export interface ValueInfoProto {
  readonly name: string;
  /** One of `DataType`. */
  readonly elemType: number;
  readonly shape?: readonly (number | string)[];
}

/** A graph: nodes in topological order, constant initializers, typed inputs and outputs. */
export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
}

/** An operator set the model imports. */
export interface OperatorSetId {
  /** '' for the standard ai.onnx domain. */
  readonly domain: string;
  readonly version: number;
}

/** A whole model, as written to an `.onnx` file. */
export interface ModelProto {
  /** ONNX IR version (8 goes with opset 17). */
  readonly irVersion: number;
  readonly opsetImports: readonly OperatorSetId[];
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly graph: GraphProto;
}

// Wire types.
const VARINT = 0;
const FIXED32 = 5;
const LEN = 2;

const utf8 = new TextEncoder();

/**
 * Accumulates one message as a list of byte parts: small fields go through a scratch buffer,
 * large byte strings (weights) and finished child messages are appended by reference, so a
 * model's weights are copied once, in `finish()`.
 */
class Message {
  private readonly parts: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private pos = 0;
  private flushed = 0;

  /** Total encoded length in bytes. */
  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    this.flush();
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.parts.push(this.scratch.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** Unsigned varint of a non-negative safe integer, or any int64 given as bigint (two's complement). */
  varint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v >= 0x80) {
        this.scratch[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.scratch[this.pos++] = v;
      return;
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf: ${value} is not an integer that can be encoded exactly`);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.ensure(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(value.length);
    if (value.length <= 64) {
      this.ensure(value.length);
      this.scratch.set(value, this.pos);
      this.pos += value.length;
    } else {
      this.flush();
      this.parts.push(value);
      this.flushed += value.length;
    }
  }

  string(field: number, value: string): void {
    this.bytes(field, utf8.encode(value));
  }

  message(field: number, child: Message): void {
    child.flush();
    this.tag(field, LEN);
    this.varint(child.length);
    this.flush();
    for (const p of child.parts) this.parts.push(p);
    this.flushed += child.length;
  }

  finish(): Uint8Array {
    this.flush();
    if (this.parts.length === 1) return this.parts[0]!;
    const out = new Uint8Array(this.flushed);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

// Field numbers (onnx.proto).
const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 },
  opset: { domain: 1, version: 2 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, strings: 9, type: 20 },
  tensor: { dims: 1, dataType: 2, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2 },
  typeProto: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;

/** AttributeProto.AttributeType values. */
const AttrType = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

function encodeTensor(t: TensorProto): Message {
  const m = new Message();
  for (const d of t.dims) m.int(F.tensor.dims, d);
  m.int(F.tensor.dataType, t.dataType);
  if (t.name !== '') m.string(F.tensor.name, t.name);
  m.bytes(F.tensor.rawData, t.rawData);
  return m;
}

function encodeAttribute(a: AttributeProto): Message {
  const m = new Message();
  m.string(F.attr.name, a.name);
  switch (a.type) {
    case 'float':
      m.float(F.attr.f, a.f);
      break;
    case 'int':
      m.int(F.attr.i, a.i);
      break;
    case 'string':
      m.string(F.attr.s, a.s);
      break;
    case 'tensor':
      m.message(F.attr.t, encodeTensor(a.t));
      break;
    case 'floats':
      for (const v of a.floats) m.float(F.attr.floats, v);
      break;
    case 'ints':
      for (const v of a.ints) m.int(F.attr.ints, v);
      break;
    case 'strings':
      for (const v of a.strings) m.string(F.attr.strings, v);
      break;
  }
  m.int(F.attr.type, AttrType[a.type]);
  return m;
}

function encodeNode(n: NodeProto): Message {
  const m = new Message();
  for (const i of n.inputs) m.string(F.node.input, i);
  for (const o of n.outputs) m.string(F.node.output, o);
  if (n.name !== undefined) m.string(F.node.name, n.name);
  m.string(F.node.opType, n.opType);
  for (const a of n.attributes ?? []) m.message(F.node.attribute, encodeAttribute(a));
  if (n.domain !== undefined && n.domain !== '') m.string(F.node.domain, n.domain);
  return m;
}

function encodeValueInfo(v: ValueInfoProto): Message {
  const tensorType = new Message();
  tensorType.int(F.tensorType.elemType, v.elemType);
  if (v.shape !== undefined) {
    const shape = new Message();
    for (const d of v.shape) {
      const dim = new Message();
      if (typeof d === 'number') dim.int(F.dim.value, d);
      else dim.string(F.dim.param, d);
      shape.message(F.shape.dim, dim);
    }
    tensorType.message(F.tensorType.shape, shape);
  }
  const type = new Message();
  type.message(F.typeProto.tensorType, tensorType);
  const m = new Message();
  m.string(F.valueInfo.name, v.name);
  m.message(F.valueInfo.type, type);
  return m;
}

function encodeGraph(g: GraphProto): Message {
  const m = new Message();
  for (const n of g.nodes) m.message(F.graph.node, encodeNode(n));
  m.string(F.graph.name, g.name);
  for (const t of g.initializers) m.message(F.graph.initializer, encodeTensor(t));
  for (const v of g.inputs) m.message(F.graph.input, encodeValueInfo(v));
  for (const v of g.outputs) m.message(F.graph.output, encodeValueInfo(v));
  return m;
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const m = new Message();
  m.int(F.model.irVersion, model.irVersion);
  if (model.producerName !== undefined) m.string(F.model.producerName, model.producerName);
  if (model.producerVersion !== undefined) m.string(F.model.producerVersion, model.producerVersion);
  if (model.docString !== undefined) m.string(F.model.docString, model.docString);
  m.message(F.model.graph, encodeGraph(model.graph));
  for (const o of model.opsetImports) {
    const op = new Message();
    if (o.domain !== '') op.string(F.opset.domain, o.domain);
    op.int(F.opset.version, o.version);
    m.message(F.model.opsetImport, op);
  }
  return m.finish();
}

/** Little-endian bytes of float32 values (a view when the array is aligned; no copy). */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Little-endian bytes of int64 values. */
export function int64Bytes(values: readonly (number | bigint)[]): Uint8Array {
  const a = new BigInt64Array(values.length);
  values.forEach((v, i) => (a[i] = BigInt(v)));
  return new Uint8Array(a.buffer);
}
