// The method commands, run in-process through runCli on the method fixtures and the goldens'
// inputs: exit codes, JSON fields and shapes (the acceptance contract), numbers against the
// goldens, figure files (PNG and SVG with provenance), refusing to overwrite, and bad arguments.
//
// Tolerance against goldens: |ours - golden| <= 1e-4 * max(1, max |golden|) (goldens/README.md).
// Occlusion is compared through the CLI for the MNIST (7x7) and DL4J (2x2) fixtures; the
// genomatnn map (32x53 = 1696 forward passes of a 256x418 input, ~30 s) is checked once, in
// methods-golden.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-harness.js';
import { fixture, haveFixtures } from './fixtures.js';
import { METHOD_FIXTURES, compare, modelPath } from './method-fixtures.js';
import { readTensorFile } from '../src/node/arrays.js';
import { writeNpy } from '../src/io/npy.js';
import { readPngProvenance, readSvgProvenance } from '../src/render/provenance.js';

const skip = !haveFixtures && 'fixtures not available';
const MNIST = 'keras2.3-mnist-functional';
const GENOMATNN = 'tfkeras2.3-genomatnn-nea-ceu';
const DL4J = 'keras2.1-dl4j-cnn-batchnorm';
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Json {
  [k: string]: unknown;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'convscope-methods-'));
}

function inputs(id: string): string {
  return fixture('goldens', id, 'inputs.npy');
}

function methods(id: string): Json {
  return (JSON.parse(readFileSync(fixture('goldens', id, 'golden.json'), 'utf8')) as { methods: Json }).methods;
}

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

/** Shape of a nested array (first element at each level); checks every row has the same length. */
function shapeOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  const inner = v.map(shapeOf);
  for (const s of inner) assert.deepEqual(s, inner[0], 'ragged nested array');
  return [v.length, ...(inner[0] ?? [])];
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/** Runs a command expecting success; fails with its stderr otherwise. */
async function ok(argv: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const r = await runCli(argv, cwd);
  assert.equal(r.code, 0, `convscope ${argv.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r;
}

/** Class of the goldens in our numbering (a single unit's unit 0 is our class 1). */
function ourClass(id: string): number {
  return id === MNIST ? (methods(id)['class'] as number) : 1;
}

function checkProvenance(p: Json, method: string, id: string): void {
  assert.equal(p['tool'], 'convscope');
  assert.equal(p['method'], method);
  assert.match((p['model'] as Json)['sha256'] as string, /^[0-9a-f]{64}$/);
  assert.match((p['data'] as Json)['sha256'] as string, /^[0-9a-f]{64}$/);
  assert.ok(((p['model'] as Json)['file'] as string).includes(id));
  assert.equal(typeof p['version'], 'string');
  assert.equal(typeof p['options'], 'object');
}

for (const id of [MNIST, DL4J]) {
  test(`occlusion --json: probability and baseline match the goldens (${id})`, { skip }, async (t) => {
    const dir = tempDir();
    try {
      const g = methods(id)['occlusion'] as { window: number; stride: number; file: string; baseline_file: string; shape: number[] };
      const c = ourClass(id);
      await ok(['occlusion', modelPath(id), '--x', inputs(id), '--index', '0', '--window', String(g.window), '--stride', String(g.stride), '--fill', '0', '--class', String(c), '--json', 'o.json'], dir);
      const j = readJson(join(dir, 'o.json'));
      assert.deepEqual(shapeOf(j['probability']), g.shape);
      const gold = await readTensorFile(fixture('goldens', id, g.file));
      const e = compare(flat(j['probability']), gold.data);
      const base = (JSON.parse(readFileSync(fixture('goldens', id, g.baseline_file), 'utf8')) as { p_c_original: number }).p_c_original;
      t.diagnostic(`occlusion worst error ${e.worst.toExponential(2)} (tolerance ${e.tol.toExponential(2)})`);
      assert.ok(e.worst <= e.tol);
      assert.equal(typeof j['baseline'], 'number');
      assert.ok(Math.abs((j['baseline'] as number) - base) <= 1e-4 * Math.max(1, Math.abs(base)));
      assert.deepEqual(shapeOf(j['drop']), g.shape);
      checkProvenance(j['provenance'] as Json, 'occlusion', id);
      assert.deepEqual(((j['provenance'] as Json)['options'] as Json)['window'], g.window);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const id of METHOD_FIXTURES) {
  test(`gradcam, saliency and embed --json match the goldens (${id})`, { skip }, async (t) => {
    const dir = tempDir();
    try {
      const m = methods(id);
      const c = String(ourClass(id));
      const gc = m['gradcam'] as { layer: string; file: string; shape: number[] };
      await ok(['gradcam', modelPath(id), '--x', inputs(id), '--index', '0', '--layer', gc.layer, '--class', c, '--json', 'g.json'], dir);
      const g = readJson(join(dir, 'g.json'));
      assert.deepEqual(shapeOf(g['map']), gc.shape);
      const eg = compare(flat(g['map']), (await readTensorFile(fixture('goldens', id, gc.file))).data);
      t.diagnostic(`gradcam worst error ${eg.worst.toExponential(2)} (tolerance ${eg.tol.toExponential(2)})`);
      assert.ok(eg.worst <= eg.tol);
      checkProvenance(g['provenance'] as Json, 'gradcam', id);

      const sal = m['saliency'] as { file: string; shape: number[] };
      await ok(['saliency', modelPath(id), '--x', inputs(id), '--index', '0', '--class', c, '--json', 's.json'], dir);
      const s = readJson(join(dir, 's.json'));
      assert.deepEqual(shapeOf(s['saliency']), sal.shape);
      const es = compare(flat(s['saliency']), (await readTensorFile(fixture('goldens', id, sal.file))).data);
      t.diagnostic(`saliency worst error ${es.worst.toExponential(2)} (tolerance ${es.tol.toExponential(2)})`);
      assert.ok(es.worst <= es.tol);

      await ok(['embed', modelPath(id), '--x', inputs(id), '--method', 'pca', '--json', 'e.json'], dir);
      const e = readJson(join(dir, 'e.json'));
      const pca = JSON.parse(readFileSync(fixture('goldens', id, 'methods', 'pca_evr.json'), 'utf8')) as { explained_variance_ratio: number[]; projection: number[][]; feature_dim: number; layer: string };
      assert.equal(e['layer'], pca.layer);
      assert.deepEqual(shapeOf(e['features']), [4, pca.feature_dim]);
      assert.deepEqual(shapeOf(e['coordinates']), [4, 2]);
      const evr = e['explainedVarianceRatio'] as number[];
      evr.forEach((v, k) => assert.ok(Math.abs(v - pca.explained_variance_ratio[k]!) <= 1e-4, `ratio ${k}: ${v} vs ${pca.explained_variance_ratio[k]}`));
      const feats = await readTensorFile(fixture('goldens', id, 'methods', 'penultimate_features.npy'));
      const ef = compare(flat(e['features']), feats.data);
      assert.ok(ef.worst <= ef.tol, `features error ${ef.worst}`);
      // Coordinates equal the projection up to the sign of each axis.
      const coords = e['coordinates'] as number[][];
      for (let k = 0; k < 2; k++) {
        const ours = coords.map((r) => r[k]!);
        const gold = pca.projection.map((r) => r[k]!);
        const sign = Math.sign(ours.reduce((a, v, i) => a + v * gold[i]!, 0)) || 1;
        const ec = compare(ours.map((v) => v * sign), gold);
        assert.ok(ec.worst <= ec.tol, `PC${k + 1} error ${ec.worst}`);
      }
      t.diagnostic(`PCA ratios ${evr.map((v) => v.toFixed(6)).join(', ')} (goldens ${pca.explained_variance_ratio.map((v) => v.toFixed(6)).join(', ')})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('figures: -o writes PNG (with provenance) and SVG, by extension', { skip }, async () => {
  const dir = tempDir();
  try {
    const m = modelPath(MNIST);
    const x = inputs(MNIST);
    await ok(['occlusion', m, '--x', x, '--index', '1', '--window', '7', '-o', 'occ.png'], dir);
    const png = new Uint8Array(readFileSync(join(dir, 'occ.png')));
    assert.deepEqual([...png.subarray(0, 8)], PNG_MAGIC);
    const p = readPngProvenance<Json>(png);
    assert.equal(p?.['method'], 'occlusion');
    await ok(['gradcam', m, '--x', x, '--index', '2', '-o', 'cam.svg'], dir);
    const svg = readFileSync(join(dir, 'cam.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    assert.match(svg, /Grad-CAM \(conv2d_2\)/);
    assert.equal(readSvgProvenance<Json>(svg)?.['method'], 'gradcam');
    const bad = await runCli(['gradcam', m, '--x', x, '-o', 'cam.jpg'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /extension '\.jpg'/);
    assert.ok(!existsSync(join(dir, 'cam.jpg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an existing output is refused without --overwrite (exit 2, FILE_EXISTS), before any work', { skip }, async () => {
  const dir = tempDir();
  try {
    const argv = ['saliency', modelPath(DL4J), '--x', inputs(DL4J), '--json', 's.json', '-o', 's.png'];
    await ok(argv, dir);
    const before = readFileSync(join(dir, 's.json'), 'utf8');
    const again = await runCli(argv, dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /FILE_EXISTS.*Output 's\.png' \(-o\) already exists/, 'names the output as given, with its flag');
    assert.match(again.stderr, /--overwrite/);
    assert.equal(again.stdout, '', 'nothing computed or printed');
    assert.equal(readFileSync(join(dir, 's.json'), 'utf8'), before);
    await ok([...argv, '--class', '1', '--overwrite'], dir);
    assert.notEqual(readFileSync(join(dir, 's.json'), 'utf8'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an output into a missing folder is refused before any work (exit 3, OUTPUT_NOT_WRITABLE), for methods and predict', { skip }, async () => {
  const dir = tempDir();
  try {
    for (const argv of [
      ['saliency', modelPath(DL4J), '--x', inputs(DL4J), '-o', join('missing', 's.png')],
      ['gradcam', modelPath(DL4J), '--x', inputs(DL4J), '--json', join('missing', 'g.json')],
      ['predict', modelPath(DL4J), inputs(DL4J), '-o', join('missing', 'p.npy')],
    ]) {
      const r = await runCli(argv, dir);
      assert.equal(r.code, 3, argv[0]);
      assert.match(r.stderr, /OUTPUT_NOT_WRITABLE.*missing' does not exist.*mkdir -p/s, argv[0]);
      assert.equal(r.stdout, '', `${argv[0]}: nothing computed or printed`);
      assert.doesNotMatch(r.stderr, /bug in convscope/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments: exit code 2 and a message naming the problem', { skip }, async () => {
  const dir = tempDir();
  try {
    const m = modelPath(MNIST);
    const x = inputs(MNIST);
    writeFileSync(join(dir, 'y3.npy'), writeNpy({ dtype: 'int64', shape: [3], data: new BigInt64Array([1n, 2n, 3n]) }));
    const cases: [string[], RegExp][] = [
      [['occlusion', m, '--x', x, '--windw', '4'], /Unknown option '--windw'/],
      [['gradcam', m, '--x', x, '--class', '10'], /Class 10 does not exist: this model has 10 classes \(0 to 9\)/],
      [['saliency', modelPath(DL4J), '--x', inputs(DL4J), '--class', '2'], /Class 2 does not exist: this model has 2 classes/],
      [['saliency', m], /needs --x <x\.npy>/],
      [['occlusion', m, '--x', inputs(DL4J)], /SHAPE_MISMATCH.*x has shape \(4, 10, 10, 3\) but the model expects \(None, 28, 28, 1\)/],
      [['confusion', m, '--x', x, '--y', 'y3.npy'], /LABEL_MISMATCH.*x has 4 inputs but y has 3 labels/],
      [['occlusion', m, '--x', x, '--window', '0'], /--window must be an integer >= 1; got 0/],
      [['occlusion', m, '--x', x, '--fill', 'grey'], /--fill must be a number, 'image-mean' or 'dataset-mean'; got 'grey'/],
      [['gradcam', m, '--x', x, '--layer', 'dense_1'], /Layer 'dense_1' \(Dense\) has no spatial output/],
      [['kernels', m, '--layer-index', '9'], /Convolution index 9 is out of range: the model has 2 convolution layers/],
      [['kernels', m, '--filter', '0'], /--filter counts from 1/],
      [['saliency', m, '--x', x, '--index', '4'], /Input index 4 is out of range: x holds 4 inputs \(0 to 3\)/],
      [['saliency', m, '--x', x, '--index', '1', '--pick-class', '2'], /Give --index \(1\) or --pick-class \(2\), not both/],
      [['saliency', m, '--x', x, '--pick-class', '2'], /needs labels \(y\)/],
      [['embed', m, '--x', x, '--method', 'lda'], /--method must be pca, tsne or umap; got 'lda'/],
      [['class-average', m, '--x', x], /need labels \(y\)/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv, dir);
      assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, argv.join(' '));
    }
    const missing = await runCli(['saliency', m, '--x', 'nope.npy'], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /FILE_NOT_FOUND/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('single-unit heads: class 1 is the unit, class 0 its complement', { skip }, async () => {
  const dir = tempDir();
  try {
    const m = modelPath(GENOMATNN);
    const x = inputs(GENOMATNN);
    await ok(['saliency', m, '--x', x, '--class', '1', '--json', 's1.json'], dir);
    await ok(['saliency', m, '--x', x, '--class', '0', '--json', 's0.json'], dir);
    const s1 = readJson(join(dir, 's1.json'));
    const s0 = readJson(join(dir, 's0.json'));
    assert.ok(Math.abs((s1['score'] as number) + (s0['score'] as number)) < 1e-6, 'score of class 0 is the negated logit');
    const a1 = flat(s1['saliency']);
    const a0 = flat(s0['saliency']);
    assert.ok(a1.every((v, i) => Math.abs(v + a0[i]!) < 1e-9), 'saliency of class 0 is the negated saliency of class 1');
    const input = s1['input'] as Json;
    const p = input['probabilities'] as number[];
    assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-6);
    assert.ok(Math.abs(p[1]! - 0.8947421542955096) < 1e-5, 'p(class 1) is the sigmoid output');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the other method commands run and write their JSON and figures', { skip }, async () => {
  const dir = tempDir();
  try {
    const m = modelPath(MNIST);
    const x = inputs(MNIST);
    writeFileSync(join(dir, 'y.npy'), writeNpy({ dtype: 'int64', shape: [4], data: new BigInt64Array([8n, 1n, 8n, 3n]) }));
    const data = ['--x', x, '--y', 'y.npy'];

    const sel = await ok(['input', m, ...data, '--pick-class', '8', '--seed', '3', '--json', 'in.json', '-o', 'in.svg'], dir);
    const j = readJson(join(dir, 'in.json'));
    const picked = j['input'] as Json;
    assert.equal(picked['trueClass'], 8);
    assert.ok([0, 2].includes(picked['index'] as number));
    assert.match(sel.stdout, /drawn from class 8 with seed 3/);
    assert.match(readFileSync(join(dir, 'in.svg'), 'utf8'), /Input.*True: 8, Predicted: /s);
    const again = await ok(['select', m, ...data, '--pick-class', '8', '--seed', '3', '--json', '-'], dir);
    assert.equal((JSON.parse(again.stdout) as { input: Json }).input['index'], picked['index'], 'same seed, same input');

    await ok(['kernels', m, '--layer-index', '2', '--filter', '3', '--json', 'k.json', '-o', 'k.png'], dir);
    const k = readJson(join(dir, 'k.json'));
    assert.deepEqual(shapeOf(k['weights']), [1, 32, 3, 3]);
    assert.deepEqual(k['filters'], [2]);
    assert.equal((k['provenance'] as Json)['data'], null);

    await ok(['activations', m, ...data, '--index', '0', '--layer-index', '2', '--json', 'a.json', '-o', 'a.png'], dir);
    assert.deepEqual(shapeOf(readJson(join(dir, 'a.json'))['maps']), [64, 11, 11]);

    await ok(['dead-filters', m, ...data, '--n', '4', '--json', 'd.json', '-o', 'd.svg'], dir);
    const d = readJson(join(dir, 'd.json'));
    assert.equal(d['nSamples'], 4);
    assert.deepEqual((d['layers'] as Json[]).map((l) => l['layer']), ['conv2d_1', 'conv2d_2']);

    const sg = await ok(['smoothgrad', m, ...data, '--index', '0', '--n', '4', '--noise', '0.1', '--seed', '7', '--json', 'sg.json', '-o', 'sg.png'], dir);
    assert.match(sg.stdout, /4 copies/);
    const sgj = readJson(join(dir, 'sg.json'));
    assert.deepEqual(shapeOf(sgj['smoothgrad']), [28, 28, 1]);
    assert.equal((sgj['provenance'] as Json)['seed'], 7);

    const ig = await ok(['ig', m, ...data, '--index', '0', '--steps', '16', '--json', 'ig.json', '-o', 'ig.png'], dir);
    assert.match(ig.stdout, /Completeness error: sum of attributions - \(score - baseline score\) = /);
    const igj = readJson(join(dir, 'ig.json'));
    assert.equal(typeof igj['completenessError'], 'number');
    assert.deepEqual(shapeOf(igj['integratedGradients']), [28, 28, 1]);

    await ok(['class-average', m, ...data, '--method', 'saliency', '--n-per-class', '2', '--json', 'ca.json', '-o', 'ca.png'], dir);
    const ca = readJson(join(dir, 'ca.json'));
    const groups = ca['groups'] as Json[];
    assert.ok(groups.length >= 3, 'one group per class present at least');
    assert.deepEqual(shapeOf(groups[0]!['mean']), [28, 28]);

    const conf = await ok(['confusion', m, ...data, '--json', 'c.json', '-o', 'c.png'], dir);
    assert.match(conf.stdout, /Accuracy \d+(\.\d+)?% on 4 inputs/);
    const cj = readJson(join(dir, 'c.json'));
    assert.deepEqual(shapeOf(cj['counts']), [10, 10]);
    assert.equal(flat(cj['counts']).reduce((a, b) => a + b, 0), 4);

    await ok(['embed', m, ...data, '--method', 'tsne', '--n', '4', '--perplexity', '1', '--iterations', '250', '-o', 'ts.png', '--json', 'ts.json'], dir);
    assert.deepEqual(readJson(join(dir, 'ts.json'))['axisLabels'], ['t-SNE 1', 't-SNE 2']);

    for (const f of ['k.png', 'a.png', 'sg.png', 'ig.png', 'ca.png', 'c.png', 'ts.png']) {
      assert.deepEqual([...new Uint8Array(readFileSync(join(dir, f))).subarray(0, 8)], PNG_MAGIC, f);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('help lists every method command', async () => {
  const r = await runCli(['help']);
  for (const name of ['input', 'select', 'kernels', 'activations', 'dead-filters', 'occlusion', 'gradcam', 'saliency', 'smoothgrad', 'ig', 'embed', 'class-average', 'confusion']) {
    assert.match(r.stdout, new RegExp(`\\n  ${name} `), name);
  }
  const h = await runCli(['help', 'occlusion']);
  assert.match(h.stdout, /--window/);
});
