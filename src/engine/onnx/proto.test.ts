// The protobuf encoder: wire bytes checked by hand and with a small independent decoder, field
// numbers against onnx.proto, and a hand-built model run by onnxruntime-node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { DataType, encodeModel, floatBytes, int64Bytes, type ModelProto } from './proto.js';

type Field = { field: number; wire: number; value: bigint | Uint8Array | number };

/** Decodes one message level into fields (varint as bigint, fixed32 as float, LEN as bytes). */
function decode(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 5) {
      out.push({ field, wire, value: new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getFloat32(0, true) });
      pos += 4;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, value: bytes.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  assert.equal(pos, bytes.length, 'message ends exactly');
  return out;
}

const get = (fs: Field[], field: number): Field[] => fs.filter((f) => f.field === field);
const text = (f: Field): string => new TextDecoder().decode(f.value as Uint8Array);

const weights = Float32Array.from({ length: 40 }, (_, i) => i / 8 - 2); // > 64 bytes: stored by reference

const model: ModelProto = {
  irVersion: 8,
  opsetImports: [{ domain: '', version: 17 }],
  producerName: 'convscope-test',
  graph: {
    name: 'g',
    nodes: [
      { opType: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: [{ name: 'perm', type: 'ints', ints: [1, 0] }] },
      { opType: 'Gemm', inputs: ['t', 'w'], outputs: ['y'], attributes: [{ name: 'alpha', type: 'float', f: 0.5 }, { name: 'transB', type: 'int', i: 0 }] },
      { opType: 'Slice', inputs: ['y', 'starts', 'ends', 'axes'], outputs: ['s'] },
      { opType: 'Pad', inputs: ['s', 'pads'], outputs: ['z'], attributes: [{ name: 'mode', type: 'string', s: 'constant' }] },
    ],
    initializers: [
      { name: 'w', dataType: DataType.FLOAT, dims: [4, 10], rawData: floatBytes(weights) },
      { name: 'starts', dataType: DataType.INT64, dims: [1], rawData: int64Bytes([1]) },
      { name: 'ends', dataType: DataType.INT64, dims: [1], rawData: int64Bytes([9223372036854775807n]) },
      { name: 'axes', dataType: DataType.INT64, dims: [1], rawData: int64Bytes([-1]) },
      { name: 'pads', dataType: DataType.INT64, dims: [4], rawData: int64Bytes([0, 2, 0, 0]) },
    ],
    inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [4, 'N'] }],
    outputs: [{ name: 'z', elemType: DataType.FLOAT }],
  },
};

test('field numbers and values follow onnx.proto', () => {
  const top = decode(encodeModel(model));
  assert.equal(get(top, 1)[0]!.value, 8n); // ir_version
  assert.equal(text(get(top, 2)[0]!), 'convscope-test'); // producer_name
  const opset = decode(get(top, 8)[0]!.value as Uint8Array); // opset_import
  assert.equal(get(opset, 2)[0]!.value, 17n); // version
  assert.equal(get(opset, 1).length, 0); // default domain left out
  const graph = decode(get(top, 7)[0]!.value as Uint8Array);
  assert.equal(text(get(graph, 2)[0]!), 'g');
  const nodes = get(graph, 1).map((f) => decode(f.value as Uint8Array));
  assert.deepEqual(nodes.map((n) => text(get(n, 4)[0]!)), ['Transpose', 'Gemm', 'Slice', 'Pad']); // op_type
  assert.deepEqual(get(nodes[2]!, 1).map(text), ['y', 'starts', 'ends', 'axes']); // input
  assert.deepEqual(get(nodes[2]!, 2).map(text), ['s']); // output
  const perm = decode(get(nodes[0]!, 5)[0]!.value as Uint8Array); // attribute
  assert.equal(text(get(perm, 1)[0]!), 'perm');
  assert.deepEqual(get(perm, 8).map((f) => f.value), [1n, 0n]); // ints, unpacked
  assert.equal(get(perm, 20)[0]!.value, 7n); // type INTS
  const [alpha, transB] = get(nodes[1]!, 5).map((f) => decode(f.value as Uint8Array));
  assert.equal(get(alpha!, 2)[0]!.value, 0.5); // f as fixed32
  assert.equal(get(alpha!, 20)[0]!.value, 1n); // FLOAT
  assert.equal(get(transB!, 3)[0]!.value, 0n); // i
  const mode = decode(get(nodes[3]!, 5)[0]!.value as Uint8Array);
  assert.equal(text(get(mode, 4)[0]!), 'constant'); // s
  assert.equal(get(mode, 20)[0]!.value, 3n); // STRING
  const w = decode(get(graph, 5)[0]!.value as Uint8Array); // initializer
  assert.deepEqual(get(w, 1).map((f) => f.value), [4n, 10n]); // dims
  assert.equal(get(w, 2)[0]!.value, 1n); // data_type FLOAT
  assert.equal(text(get(w, 8)[0]!), 'w'); // name
  assert.deepEqual(new Float32Array((get(w, 9)[0]!.value as Uint8Array).slice().buffer), weights); // raw_data
  const input = decode(get(graph, 11)[0]!.value as Uint8Array);
  const tensorType = decode(get(decode(get(input, 2)[0]!.value as Uint8Array), 1)[0]!.value as Uint8Array);
  assert.equal(get(tensorType, 1)[0]!.value, 1n); // elem_type
  const dims = get(decode(get(tensorType, 2)[0]!.value as Uint8Array), 1).map((f) => decode(f.value as Uint8Array));
  assert.equal(get(dims[0]!, 1)[0]!.value, 4n); // dim_value
  assert.equal(text(get(dims[1]!, 2)[0]!), 'N'); // dim_param
  assert.equal(get(graph, 12).length, 1); // output
});

test('varints: multi-byte, and negative int64 as 10-byte two\'s complement', () => {
  const bytes = encodeModel({ ...model, irVersion: 300 });
  assert.deepEqual([...bytes.subarray(0, 3)], [0x08, 0xac, 0x02]); // field 1 varint 300
  const m = encodeModel({
    ...model,
    graph: { ...model.graph, nodes: [{ opType: 'X', inputs: [], outputs: [], attributes: [{ name: 'a', type: 'ints', ints: [-1, 2 ** 40] }] }] },
  });
  const graph = decode(get(decode(m), 7)[0]!.value as Uint8Array);
  const attr = decode(get(decode(get(graph, 1)[0]!.value as Uint8Array), 5)[0]!.value as Uint8Array);
  const ints = get(attr, 8).map((f) => BigInt.asIntN(64, f.value as bigint));
  assert.deepEqual(ints, [-1n, 2n ** 40n]);
  assert.throws(() => encodeModel({ ...model, irVersion: 0.5 }), RangeError);
});

test('onnxruntime runs the hand-built model', async () => {
  const s = await ort.InferenceSession.create(encodeModel(model));
  const x = Float32Array.from({ length: 8 }, (_, i) => i); // (4, 2)
  const out = await s.run({ x: new ort.Tensor('float32', x, [4, 2]) });
  // t = x^T (2, 4); y = 0.5 * t @ w (2, 10); s = y[:, 1:]; z = pad 2 zeros before axis 1.
  const z = out['z']!;
  assert.deepEqual(z.dims, [2, 11]);
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 11; j++) {
      let want = 0;
      if (j >= 2) for (let k = 0; k < 4; k++) want += 0.5 * x[k * 2 + r]! * weights[k * 10 + (j - 1)]!;
      assert.ok(Math.abs((z.data as Float32Array)[r * 11 + j]! - want) <= 1e-5, `z[${r}, ${j}]`);
    }
  }
  await s.release();
});
