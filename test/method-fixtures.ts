// The 3 fixtures with method goldens (goldens/README.md, "Interpretation methods"): where their
// model files are, and the comparison the goldens suggest.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fixture } from './fixtures.js';

/** |ours - golden| <= RELATIVE_TOLERANCE * max(1, max |golden|) per tensor. */
export const RELATIVE_TOLERANCE = 1e-4;

/** The fixtures with method goldens. */
export const METHOD_FIXTURES = ['keras2.3-mnist-functional', 'tfkeras2.3-genomatnn-nea-ceu', 'keras2.1-dl4j-cnn-batchnorm'] as const;

/** Path of the model file of a fixture (the .h5/.hdf5 in keras/<id>/). */
export function modelPath(id: string): string {
  const name = readdirSync(fixture('keras', id)).find((f) => f.endsWith('.h5') || f.endsWith('.hdf5'));
  if (name === undefined) throw new Error(`no model file for ${id}`);
  return fixture('keras', id, name);
}

/** Worst absolute error and the tolerance for a tensor; asserts equal lengths first. */
export function compare(ours: ArrayLike<number>, golden: ArrayLike<number>): { worst: number; tol: number } {
  assert.equal(ours.length, golden.length, 'length');
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < golden.length; i++) {
    worst = Math.max(worst, Math.abs((ours[i] as number) - (golden[i] as number)));
    scale = Math.max(scale, Math.abs(golden[i] as number));
  }
  return { worst, tol: RELATIVE_TOLERANCE * Math.max(1, scale) };
}
