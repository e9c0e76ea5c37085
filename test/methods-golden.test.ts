// The interpretation methods against the goldens of the 3 method fixtures (goldens/README.md,
// "Interpretation methods"): occlusion, Grad-CAM and saliency of input 0, through the library
// functions (the CLI is checked in cli-methods.test.ts).
//
// Tolerance: |ours - golden| <= 1e-4 * max(1, max |golden|) per tensor (the README's suggested
// float32 bound). Classes: the goldens number output *units*; a single-unit model's unit 0 is our
// class 1 (the unit itself; class 0 is its complement).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture, haveFixtures } from './fixtures.js';
import { METHOD_FIXTURES, RELATIVE_TOLERANCE, compare, modelPath } from './method-fixtures.js';
import { openPath } from '../src/node/open.js';
import { readTensorFile } from '../src/node/arrays.js';
import { occlusion } from '../src/methods/occlusion.js';
import { gradCam } from '../src/methods/gradcam.js';
import { saliency } from '../src/methods/gradients.js';
import { defaultGradCamLayer } from '../src/methods/layers.js';
import type { Tensor } from '../src/tensor.js';

interface MethodGoldens {
  class: number;
  occlusion: { file: string; baseline_file: string; window: number; stride: number; fill: number; shape: number[] };
  gradcam: { file: string; layer: string; shape: number[]; score: number };
  saliency: { file: string; shape: number[]; score: number };
}

function goldens(id: string): MethodGoldens {
  return (JSON.parse(readFileSync(fixture('goldens', id, 'golden.json'), 'utf8')) as { methods: MethodGoldens }).methods;
}

async function input0(id: string): Promise<Tensor> {
  const x = await readTensorFile(fixture('goldens', id, 'inputs.npy'));
  const per = x.data.length / x.shape[0]!;
  return { shape: [1, ...x.shape.slice(1)], data: x.data.slice(0, per) };
}

for (const id of METHOD_FIXTURES) {
  test(`methods match the goldens: ${id}`, { skip: !haveFixtures && 'fixtures not available' }, async (t) => {
    const g = goldens(id);
    const model = await openPath(modelPath(id));
    try {
      const x = await input0(id);
      // Goldens number units; a single unit is our class 1.
      const c = model.head.units === 1 ? 1 : g.class;
      t.diagnostic(`engine ${model.engine.name}, class ${c} (golden unit ${g.class})`);

      const sal = await saliency(model, x, { targetClass: c });
      const salGold = await readTensorFile(fixture('goldens', id, g.saliency.file));
      assert.deepEqual(sal.shape, salGold.shape);
      const s = compare(sal.attribution, salGold.data);
      t.diagnostic(`saliency ${sal.shape.join('x')}: worst error ${s.worst.toExponential(2)} (tolerance ${s.tol.toExponential(2)}); score ${sal.score} vs ${g.saliency.score}`);
      assert.ok(s.worst <= s.tol, `saliency error ${s.worst}`);
      assert.ok(Math.abs(sal.score - g.saliency.score) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(g.saliency.score)));

      assert.equal(defaultGradCamLayer(model.graph).name, g.gradcam.layer, 'default Grad-CAM layer is the goldens\' layer');
      const cam = await gradCam(model, x, { targetClass: c, layer: g.gradcam.layer });
      const camGold = await readTensorFile(fixture('goldens', id, g.gradcam.file));
      assert.deepEqual([cam.height, cam.width], camGold.shape);
      const gc = compare(cam.map, camGold.data);
      t.diagnostic(`gradcam ${g.gradcam.layer} ${cam.height}x${cam.width}: worst error ${gc.worst.toExponential(2)} (tolerance ${gc.tol.toExponential(2)})`);
      assert.ok(gc.worst <= gc.tol, `gradcam error ${gc.worst}`);
      assert.ok(Math.abs(cam.score - g.gradcam.score) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(g.gradcam.score)));

      const o = g.occlusion;
      const occ = await occlusion(model, x, { targetClass: c, window: o.window, stride: o.stride, fill: o.fill });
      const occGold = await readTensorFile(fixture('goldens', id, o.file));
      assert.deepEqual([occ.rows, occ.cols], occGold.shape);
      const oc = compare(occ.probability, occGold.data);
      const base = (JSON.parse(readFileSync(fixture('goldens', id, o.baseline_file), 'utf8')) as { p_c_original: number }).p_c_original;
      t.diagnostic(`occlusion w${o.window} s${o.stride} ${occ.rows}x${occ.cols}: worst error ${oc.worst.toExponential(2)} (tolerance ${oc.tol.toExponential(2)}); baseline error ${Math.abs(occ.baseline - base).toExponential(2)}`);
      assert.ok(oc.worst <= oc.tol, `occlusion error ${oc.worst}`);
      assert.ok(Math.abs(occ.baseline - base) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(base)));
    } finally {
      await model.dispose();
    }
  });
}
