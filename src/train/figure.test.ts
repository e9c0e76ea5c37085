import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTrainingHistory } from './figure.js';
import type { TrainingHistory } from './fit.js';

const history: TrainingHistory = {
  loss: [0.9, 0.6, 0.5], accuracy: [0.55, 0.7, 0.78], val_loss: [0.8, 0.65, 0.7], val_accuracy: [0.6, 0.75, 0.72],
  seconds: [10, 9, 9], learningRate: [1e-3, 1e-3, 1e-3], epochs: 3, stoppedEarly: true, keptEpoch: 2,
};

test('the history figure has a loss and an accuracy panel, training and validation lines, the kept epoch', () => {
  const svg = renderTrainingHistory(history, { title: 'History' });
  assert.match(svg, /^<svg[^>]*width="[\d.]+"[^>]*height="[\d.]+"/);
  for (const s of ['History', 'Loss', 'Accuracy', 'Training', 'Validation', 'Epoch', 'weights kept from epoch 2', '(stopped early)']) assert.ok(svg.includes(s), s);
  // Two panels, each with two lines.
  assert.equal((svg.match(/<svg /g) ?? []).length, 3);
  assert.throws(() => renderTrainingHistory({ ...history, loss: [] }), { code: 'BAD_ARGUMENT' });
});
