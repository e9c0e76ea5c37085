import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logitGraph } from './logits.js';
import type { Activation, Graph, Node, Op } from './ir.js';
import { ramp } from '../../test/keras-builders.js';

const input: Node = { name: 'in', className: 'InputLayer', op: { type: 'input' }, inputs: [], outputShape: [null, 3], params: 0 };
const dense = (name: string, units: number, activation: Activation, from = 'in'): Node => ({
  name,
  className: 'Dense',
  op: { type: 'dense', units, kernel: ramp([3, units]), bias: null, activation },
  inputs: [from],
  outputShape: [null, units],
  params: 3 * units,
});
const act = (name: string, activation: Activation, from: string, units: number): Node => ({ name, className: 'Activation', op: { type: 'activation', activation }, inputs: [from], outputShape: [null, units], params: 0 });
const graph = (...nodes: Node[]): Graph => ({ nodes, inputs: ['in'], outputs: [nodes[nodes.length - 1]!.name] });
const activationOf = (g: Graph, name: string): Activation => (g.nodes.find((n) => n.name === name)!.op as Extract<Op, { type: 'dense' }>).activation;

test('fused softmax: a new graph whose Dense is linear; the input graph is untouched', () => {
  const g = graph(input, dense('out', 10, { kind: 'softmax', axis: 1 }));
  const before = structuredClone(g);
  const { graph: lg, head } = logitGraph(g);
  assert.deepEqual(head, { kind: 'softmax', units: 10, outputNode: 'out', logitNode: 'out' });
  assert.deepEqual(activationOf(lg, 'out'), { kind: 'linear' });
  assert.notEqual(lg, g);
  assert.deepEqual(g, before);
  assert.deepEqual(activationOf(g, 'out'), { kind: 'softmax', axis: 1 });
});

test('a final Activation/Softmax layer is skipped; identities after it too', () => {
  const g = graph(input, dense('d', 4, { kind: 'linear' }), act('sm', { kind: 'softmax', axis: 1 }, 'd', 4));
  const { graph: lg, head } = logitGraph(g);
  assert.deepEqual(head, { kind: 'softmax', units: 4, outputNode: 'sm', logitNode: 'd' });
  assert.deepEqual(lg.outputs, ['d']);
  assert.deepEqual(lg.nodes.map((n) => n.name), ['in', 'd']);
  const drop: Node = { name: 'drop', className: 'Dropout', op: { type: 'identity' }, inputs: ['sm'], outputShape: [null, 4], params: 0 };
  const r = logitGraph(graph(input, dense('d', 4, { kind: 'linear' }), act('sm', { kind: 'softmax', axis: 1 }, 'd', 4), drop));
  assert.deepEqual(r.head, { kind: 'softmax', units: 4, outputNode: 'drop', logitNode: 'd' });
});

test('single sigmoid unit, linear output, several sigmoid units, tanh, pooling output', () => {
  assert.equal(logitGraph(graph(input, dense('o', 1, { kind: 'sigmoid' }))).head.kind, 'sigmoid');
  const lin = logitGraph(graph(input, dense('o', 1, { kind: 'linear' })));
  assert.deepEqual(lin.head, { kind: 'linear', units: 1, outputNode: 'o', logitNode: 'o' });
  const multi = logitGraph(graph(input, dense('o', 3, { kind: 'sigmoid' })));
  assert.equal(multi.head.kind, 'other');
  assert.deepEqual(activationOf(multi.graph, 'o'), { kind: 'linear' });
  assert.equal(logitGraph(graph(input, dense('o', 2, { kind: 'tanh' }))).head.kind, 'other');
  const gap: Node = { name: 'gap', className: 'GlobalAveragePooling1D', op: { type: 'globalPool', mode: 'avg', rank: 1, dataFormat: 'channels_last', keepDims: false }, inputs: ['in'], outputShape: [null, 3], params: 0 };
  assert.deepEqual(logitGraph(graph(input, gap)).head, { kind: 'other', units: 3, outputNode: 'gap', logitNode: 'gap' });
});

test('when another output still needs the activated node, the logit is a copy name/logits', () => {
  const g: Graph = { nodes: [input, dense('o', 2, { kind: 'softmax', axis: 1 }), act('r', { kind: 'tanh' }, 'o', 2)], inputs: ['in'], outputs: ['o', 'r'] };
  const { graph: lg, head } = logitGraph(g);
  assert.equal(head.logitNode, 'o/logits');
  assert.deepEqual(lg.outputs, ['o/logits', 'r']);
  assert.deepEqual(activationOf(lg, 'o'), { kind: 'softmax', axis: 1 });
  assert.deepEqual(activationOf(lg, 'o/logits'), { kind: 'linear' });
});
