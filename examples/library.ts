// The library face of convscope, end to end on the embedded demo: open a Keras model and its
// data, pick an input by class with a seed, explain it, embed the penultimate features, and
// write a figure. Run: node --import tsx examples/library.ts [model.h5 x.npy y.npy] [out-folder]
// (test/examples.test.ts runs it). Every result is plain data: numbers and typed arrays.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dataset, embed, gradCam, inputImage, occlusion, openPath, readNpy, readTensorFile, render, saliency, toLabels, writeFigure } from '../src/node.js';

const [modelPath = 'demo/model.h5', xPath = 'demo/x.npy', yPath = 'demo/y.npy', outDir] = process.argv.slice(2);

const model = await openPath(modelPath); // any Keras .h5 / .keras / .json + weights / model.json
try {
  const x = await readTensorFile(xPath); // float32 (N, H, W, C)
  const labels = toLabels(readNpy(new Uint8Array(await readFile(yPath))));
  const data = new Dataset(model, x, { labels, classNames: ['Neutral', 'Selection'] });
  const summary = model.summary();
  console.log(`${summary.format}, Keras ${summary.kerasVersion ?? '?'}: ${summary.layers.length} layers, ${summary.totalParams} parameters`);

  // An input of class 1 drawn with seed 3: the same one every time.
  const pick = await data.selectInput({ class: 1, seed: 3 });
  console.log(`input ${pick.index}: true ${pick.trueClass}, predicted ${pick.predictedClass}, p = ${pick.probabilities.map((p) => p.toFixed(3)).join(' / ')}`);

  const xi = data.input(pick.index);
  const cam = await gradCam(model, xi, { targetClass: pick.predictedClass });
  const occ = await occlusion(model, xi, { targetClass: pick.predictedClass, window: 8 });
  const sal = await saliency(model, xi, { targetClass: pick.predictedClass });
  let worst = 0;
  for (let k = 1; k < occ.drop.length; k++) if (occ.drop[k]! > occ.drop[worst]!) worst = k;
  console.log(`Grad-CAM on ${cam.layer} (${cam.height}x${cam.width}), score ${cam.score.toFixed(3)}; occlusion baseline ${occ.baseline.toFixed(3)}, largest drop ${occ.drop[worst]!.toFixed(3)}; saliency of ${sal.attribution.length} pixels`);

  // PCA of the penultimate dense layer's input over 200 inputs balanced by class.
  const map = await embed(model, x, { method: 'pca', n: 200, labels, seed: 0 });
  console.log(`PCA of ${map.layer} (${map.n} x ${map.d}), k-NN accuracy in the map ${map.knnAccuracy?.toFixed(3) ?? 'n/a'}`);

  if (outDir !== undefined) {
    // Figures are SVG strings; writeFigure writes SVG or PNG (by extension), atomically, never over a file.
    const svg = render.renderGradCamFigure(cam, inputImage(model, xi), { verdict: pick });
    console.log(`wrote ${join(outDir, 'gradcam.png')} (${await writeFigure(svg, join(outDir, 'gradcam.png'))})`);
  }
} finally {
  await model.dispose();
}
