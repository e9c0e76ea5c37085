import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from './method.js';

const q = (text: string, keys: string[]): Query => new Query(new URLSearchParams(text), keys, 'occlusion');

test('Query refuses unknown and repeated keys', () => {
  assert.throws(() => q('i=1&x=2', ['i']), { code: 'BAD_ARGUMENT', message: /Unknown parameter 'x' for occlusion\. It takes: i\./ });
  assert.throws(() => q('i=1&i=2', ['i']), /given twice/);
  assert.throws(() => q('a=1', []), /It takes: no parameters/);
});

test('Query reads typed values and checks ranges', () => {
  const a = q('i=3&w=0.5&s=tsne&e=', ['i', 'w', 's', 'e', 'n']);
  assert.equal(a.int('i', 0, 9), 3);
  assert.equal(a.number('w', 0, 1), 0.5);
  assert.equal(a.oneOf('s', ['pca', 'tsne'] as const, 'pca'), 'tsne');
  assert.equal(a.int('n'), undefined);
  assert.equal(a.string('e'), undefined);
  assert.throws(() => a.int('i', 4, 9), /'i' must be an integer from 4 to 9, got '3'/);
  assert.throws(() => q('i=1.5', ['i']).int('i'), /must be an integer/);
  assert.throws(() => q('i=1e3', ['i']).int('i'), /must be an integer/);
  assert.throws(() => q('w=NaN', ['w']).number('w'), /must be a number/);
  assert.throws(() => q('s=umap', ['s']).oneOf('s', ['pca', 'tsne'] as const, 'pca'), /one of pca, tsne/);
  assert.throws(() => q('', ['i']).requiredInt('i'), /needs 'i'/);
});
