import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pca, type PcaResult } from './pca.js';
import { readNpy, toFloat32 } from '../../io/npy.js';
import { ArgumentError } from '../../errors.js';
import { createRng } from '../../random.js';
import { fixture, haveFixtures } from '../../../test/fixtures.js';

const METHODS_FIXTURES = ['keras2.3-mnist-functional', 'tfkeras2.3-genomatnn-nea-ceu', 'keras2.1-dl4j-cnn-batchnorm'];

function npy(...parts: string[]): { shape: number[]; data: Float32Array } {
  const arr = readNpy(new Uint8Array(readFileSync(fixture(...parts))), { fileName: parts.join('/') });
  return { shape: arr.shape, data: toFloat32(arr) };
}

interface PcaGolden {
  n_samples: number;
  feature_dim: number;
  explained_variance_ratio: number[];
  explained_variance: number[];
  components_sign_normalised: number[][];
  projection: number[][];
  pca256?: { explained_variance_ratio: number[]; explained_variance: number[]; mean: number[] };
}

function golden(id: string): PcaGolden {
  return JSON.parse(readFileSync(fixture('goldens', id, 'methods', 'pca_evr.json'), 'utf8')) as PcaGolden;
}

/** Pearson correlation of two equal-length vectors. */
function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function row(m: ArrayLike<number>, r: number, d: number): number[] {
  return Array.from({ length: d }, (_, t) => m[r * d + t]!);
}

test('pca256 (MNIST penultimate features, 256 x 100) matches scikit-learn', { skip: !haveFixtures }, () => {
  const id = 'keras2.3-mnist-functional';
  const feats = npy('goldens', id, 'methods', 'pca256_features.npy');
  const comps = npy('goldens', id, 'methods', 'pca256_components.npy');
  const proj = npy('goldens', id, 'methods', 'pca256_projection.npy');
  const g = golden(id).pca256!;
  const [n, d] = feats.shape as [number, number];
  const r = pca(feats.data, n, d, { nComponents: 2 });
  assert.equal(r.solver, 'covariance');
  assert.ok(r.constantColumns > 0, 'the MNIST features have dead ReLU units');
  for (let c = 0; c < 2; c++) {
    // Tolerances from the brief: |corr| >= 0.9999 for components, 1e-4 for ratios.
    const k = corr(row(r.components, c, d), row(comps.data, c, d));
    assert.ok(k >= 0.9999, `component ${c}: corr ${k}`);
    assert.ok(Math.abs(r.explainedVarianceRatio[c]! - g.explained_variance_ratio[c]!) <= 1e-4, `ratio ${c}: ${r.explainedVarianceRatio[c]} vs ${g.explained_variance_ratio[c]}`);
    assert.ok(Math.abs(r.explainedVariance[c]! - g.explained_variance[c]!) <= 1e-4 * g.explained_variance[c]!, `variance ${c}`);
    const kp = corr(
      Array.from({ length: n }, (_, i) => r.projection[i * 2 + c]!),
      Array.from({ length: n }, (_, i) => proj.data[i * 2 + c]!),
    );
    assert.ok(kp >= 0.9999, `projection ${c}: corr ${kp}`);
  }
  // Same sign convention as the golden: the projections agree in value, not just up to sign.
  for (let i = 0; i < n * 2; i++) assert.ok(Math.abs(r.projection[i]! - proj.data[i]!) <= 1e-4, `projection[${i}]`);
  for (let t = 0; t < d; t++) assert.ok(Math.abs(r.mean[t]! - g.mean[t]!) <= 1e-6, `mean[${t}]`);
  // Dead units get exactly zero loadings, and the result is finite everywhere.
  for (let t = 0; t < d; t++) if (g.mean[t] === 0) assert.equal(r.components[t], 0);
  assert.ok(r.components.every(Number.isFinite) && r.projection.every(Number.isFinite));
});

for (const id of METHODS_FIXTURES) {
  test(`4-sample pca_evr.json of ${id} (Gram path, d > n)`, { skip: !haveFixtures }, () => {
    const feats = npy('goldens', id, 'methods', 'penultimate_features.npy');
    const g = golden(id);
    const [n, d] = feats.shape as [number, number];
    assert.equal(n, g.n_samples);
    assert.equal(d, g.feature_dim);
    const r = pca(feats.data, n, d);
    assert.equal(r.solver, 'gram');
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(r.explainedVarianceRatio[c]! - g.explained_variance_ratio[c]!) <= 1e-4, `ratio ${c}: ${r.explainedVarianceRatio[c]} vs ${g.explained_variance_ratio[c]}`);
      const k = corr(row(r.components, c, d), g.components_sign_normalised[c]!);
      assert.ok(k >= 0.9999, `component ${c}: corr ${k}`);
      // The golden was fitted on the float64 features; ours are their float32 rounding.
      const scale = Math.max(...g.projection.map((p) => Math.abs(p[c]!)));
      for (let i = 0; i < n; i++) assert.ok(Math.abs(r.projection[i * 2 + c]! - g.projection[i]![c]!) <= 1e-4 * scale, `projection ${i},${c}`);
    }
  });
}

test('full eigendecomposition and Lanczos (matrix and row operators, both sides) agree', () => {
  const rng = createRng(7);
  const n = 60;
  const d = 40;
  const x = new Float64Array(n * d);
  // Anisotropic data: column scale decays, so the leading eigen-gaps are clear.
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] = rng.normal() * (1 + 5 / (t + 1)) + 3;
  const k = 3;
  const close = (a: PcaResult, b: PcaResult, what: string, dd: number): void => {
    for (let c = 0; c < a.nComponents; c++) {
      for (let t = 0; t < dd; t++) assert.ok(Math.abs(a.components[c * dd + t]! - b.components[c * dd + t]!) <= 1e-8, `${what}: component ${c}[${t}]`);
      assert.ok(Math.abs(a.explainedVariance[c]! - b.explainedVariance[c]!) <= 1e-10 * a.explainedVariance[c]!, `${what}: variance ${c}`);
    }
  };
  // Covariance side (d <= n).
  const full = pca(x, n, d, { nComponents: k });
  assert.equal(full.solver, 'covariance');
  const lzMatrix = pca(x, n, d, { nComponents: k, exactLimit: 10 });
  const lzRows = pca(x, n, d, { nComponents: k, exactLimit: 10, matrixLimit: 10 });
  assert.equal(lzMatrix.solver, 'lanczos');
  close(full, lzMatrix, 'covariance, matrix', d);
  close(full, lzRows, 'covariance, rows', d);
  // Gram side (d > n): the first 30 rows.
  const x30 = x.subarray(0, 30 * d);
  const gram = pca(x30, 30, d, { nComponents: k });
  assert.equal(gram.solver, 'gram');
  close(gram, pca(x30, 30, d, { nComponents: k, exactLimit: 10 }), 'gram, matrix', d);
  close(gram, pca(x30, 30, d, { nComponents: k, exactLimit: 10, matrixLimit: 10 }), 'gram, rows', d);
  // Components are orthonormal.
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += lzRows.components[a * d + t]! * lzRows.components[b * d + t]!;
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) <= 1e-12);
    }
  }
  // Rank-deficient data through Lanczos: the Krylov space closes early; the result stays exact.
  const low = new Float64Array(50 * 20);
  for (let i = 0; i < 50; i++) for (let t = 0; t < 20; t++) low[i * 20 + t] = (i % 7) * (t + 1) + (i % 3) * (t % 4);
  close(pca(low, 50, 20, { nComponents: 2 }), pca(low, 50, 20, { nComponents: 2, exactLimit: 5, matrixLimit: 5 }), 'rank 2', 20);
});

test('constant columns and constant data are guarded', () => {
  // Column 1 is constant 0.1 (a value whose mean is inexact in floating point), column 3 dead (0).
  const x = Float32Array.from([1, 0.1, 2, 0, 2, 0.1, 1, 0, 3, 0.1, 5, 0, 4, 0.1, 3, 0]);
  const r = pca(x, 4, 4);
  assert.equal(r.constantColumns, 2);
  assert.equal(r.components[1], 0);
  assert.equal(r.components[3], 0);
  assert.equal(r.components[4 + 1], 0);
  assert.ok(r.projection.every(Number.isFinite));
  assert.ok(Math.abs(r.explainedVarianceRatio[0]! + r.explainedVarianceRatio[1]! - 1) <= 1e-12, 'two active columns: two components explain everything');

  const flat = pca(new Float32Array(12).fill(0.5), 4, 3);
  assert.equal(flat.solver, 'none');
  assert.deepEqual(Array.from(flat.explainedVarianceRatio), [0, 0]);
  assert.deepEqual(Array.from(flat.projection), new Array(8).fill(0));

  // Rank 1 data asked for 2 components: the second is a completing unit vector with variance 0.
  const line = Float64Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
  const r1 = pca(line, 4, 2);
  assert.ok(Math.abs(r1.components[0]! - Math.SQRT1_2) <= 1e-12 && Math.abs(r1.components[1]! - Math.SQRT1_2) <= 1e-12);
  assert.equal(r1.explainedVariance[1], 0);
  assert.ok(Math.abs(r1.components[0]! * r1.components[2]! + r1.components[1]! * r1.components[3]!) <= 1e-12);
});

test('bad arguments throw ArgumentError', () => {
  assert.throws(() => pca(new Float32Array(3), 1, 3), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => pca(new Float32Array(5), 2, 3), (e: unknown) => e instanceof ArgumentError && e.code === 'SHAPE_MISMATCH');
  assert.throws(() => pca(new Float32Array(6), 2, 3, { nComponents: 3 }), (e: unknown) => e instanceof ArgumentError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => pca(Float32Array.from([1, 2, NaN, 4]), 2, 2), (e: unknown) => e instanceof ArgumentError && e.code === 'NON_FINITE_INPUT');
});
