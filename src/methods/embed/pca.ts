// Principal component analysis of a feature matrix, matching scikit-learn's PCA (ddof = 1):
// covariance (or Gram) matrix in float64 + a symmetric eigendecomposition (ml-matrix), or
// deterministic Lanczos iterations when both dimensions are large. Plain typed arrays in and out.
//
// Differences from scikit-learn: components are sign-normalised so that each one's entry of
// largest |value| is positive (scikit-learn flips by the scores' signs); constant columns (dead
// ReLU units) are left out of the decomposition and get exactly zero loadings.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { ArgumentError } from '../../errors.js';
import { createRng } from '../../random.js';
import { checkFinite, checkMatrix, type FeatureMatrix } from './util.js';

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Number of components to keep, 1 <= nComponents <= min(n, d). Default 2. */
  readonly nComponents?: number;
  /**
   * Largest min(n, active d) solved by a full eigendecomposition; above it the top components
   * are found by Lanczos iterations (converged to a residual of 1e-10 of the largest variance).
   * Default 256.
   */
  readonly exactLimit?: number;
  /**
   * Largest min(n, active d) for which the Lanczos iterations use the formed covariance (or
   * Gram) matrix (size^2 float64 values); above it they work from the rows. Default 1024.
   */
  readonly matrixLimit?: number;
}

/** How the components were computed. */
export type PcaSolver = 'covariance' | 'gram' | 'lanczos' | 'none';

/** Result of {@link pca}; everything float64. */
export interface PcaResult {
  readonly n: number;
  readonly d: number;
  readonly nComponents: number;
  /** (nComponents x d) unit vectors, row-major, sign-normalised (largest |entry| positive). */
  readonly components: Float64Array;
  /** Variance along each component (eigenvalues of the covariance with ddof = 1). */
  readonly explainedVariance: Float64Array;
  /** explainedVariance / total variance (0 when the total variance is 0). */
  readonly explainedVarianceRatio: Float64Array;
  /** Sum of the column variances (ddof = 1). */
  readonly totalVariance: number;
  /** Column means (d). */
  readonly mean: Float64Array;
  /** (n x nComponents) scores: (features - mean) @ components^T, row-major. */
  readonly projection: Float64Array;
  /** Columns with a single value across all rows (they carry no variance). */
  readonly constantColumns: number;
  readonly solver: PcaSolver;
}

/** Eigenpairs of a symmetric matrix (size s, row-major), largest eigenvalue first. */
function symmetricEigen(a: Float64Array, s: number): { values: Float64Array; vectors: Float64Array[] } {
  const rows: number[][] = [];
  for (let i = 0; i < s; i++) rows.push(Array.from(a.subarray(i * s, (i + 1) * s)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix;
  const order = Array.from({ length: s }, (_, i) => i).sort((x, y) => vals[y]! - vals[x]! || x - y);
  const values = new Float64Array(s);
  const vectors: Float64Array[] = [];
  order.forEach((o, r) => {
    values[r] = vals[o]!;
    vectors.push(Float64Array.from(vecs.getColumn(o)));
  });
  return { values, vectors };
}

/** Centred active columns of row r into buf. */
function centreRow(x: FeatureMatrix, r: number, d: number, active: Int32Array, mean: Float64Array, buf: Float64Array): void {
  const o = r * d;
  for (let t = 0; t < active.length; t++) {
    const c = active[t]!;
    buf[t] = x[o + c]! - mean[c]!;
  }
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  const nrm = Math.sqrt(s);
  if (nrm > 0) for (let i = 0; i < v.length; i++) v[i]! /= nrm;
  return nrm;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let t = 0; t < a.length; t++) s += a[t]! * b[t]!;
  return s;
}

/** out = A v for a symmetric positive semi-definite operator of size s. */
type Operator = (v: Float64Array, out: Float64Array) => void;

/** Covariance (da x da) of the centred active columns, ddof = 1. */
function covarianceMatrix(x: FeatureMatrix, n: number, d: number, active: Int32Array, mean: Float64Array): Float64Array {
  const da = active.length;
  const buf = new Float64Array(da);
  const cov = new Float64Array(da * da);
  for (let r = 0; r < n; r++) {
    centreRow(x, r, d, active, mean, buf);
    for (let a = 0; a < da; a++) {
      const va = buf[a]!;
      if (va === 0) continue; // dead units are often exactly 0
      const o = a * da;
      for (let b = a; b < da; b++) cov[o + b]! += va * buf[b]!;
    }
  }
  for (let a = 0; a < da; a++) {
    for (let b = a; b < da; b++) {
      const v = cov[a * da + b]! / (n - 1);
      cov[a * da + b] = v;
      cov[b * da + a] = v;
    }
  }
  return cov;
}

/** Gram matrix (n x n) Xc Xc^T / (n - 1) of the centred active columns, 16 rows at a time. */
function gramMatrix(x: FeatureMatrix, n: number, d: number, active: Int32Array, mean: Float64Array): Float64Array {
  const da = active.length;
  const B = 16;
  const blk = new Float64Array(B * da);
  const buf = new Float64Array(da);
  const gram = new Float64Array(n * n);
  for (let i0 = 0; i0 < n; i0 += B) {
    const rows = Math.min(B, n - i0);
    for (let r = 0; r < rows; r++) centreRow(x, i0 + r, d, active, mean, blk.subarray(r * da, (r + 1) * da));
    for (let j = i0; j < n; j++) {
      centreRow(x, j, d, active, mean, buf);
      for (let r = 0; r < rows && i0 + r <= j; r++) {
        let s = 0;
        const o = r * da;
        for (let t = 0; t < da; t++) s += blk[o + t]! * buf[t]!;
        gram[(i0 + r) * n + j] = s / (n - 1);
        gram[j * n + i0 + r] = s / (n - 1);
      }
    }
  }
  return gram;
}

/** v -> Xc^T Xc v / (n - 1) (size da), two passes over the rows, nothing stored. */
function covarianceOperator(x: FeatureMatrix, n: number, d: number, active: Int32Array, mean: Float64Array): Operator {
  const buf = new Float64Array(active.length);
  return (v, out) => {
    out.fill(0);
    for (let r = 0; r < n; r++) {
      centreRow(x, r, d, active, mean, buf);
      const c = dot(buf, v) / (n - 1);
      if (c !== 0) for (let t = 0; t < buf.length; t++) out[t]! += c * buf[t]!;
    }
  };
}

/** u -> Xc Xc^T u / (n - 1) (size n), two passes over the rows, nothing stored. */
function gramOperator(x: FeatureMatrix, n: number, d: number, active: Int32Array, mean: Float64Array): Operator {
  const buf = new Float64Array(active.length);
  const xt = new Float64Array(active.length);
  return (u, out) => {
    xt.fill(0);
    for (let r = 0; r < n; r++) {
      centreRow(x, r, d, active, mean, buf);
      const ur = u[r]!;
      if (ur !== 0) for (let t = 0; t < buf.length; t++) xt[t]! += ur * buf[t]!;
    }
    for (let r = 0; r < n; r++) {
      centreRow(x, r, d, active, mean, buf);
      out[r] = dot(buf, xt) / (n - 1);
    }
  };
}

/** The operator of an explicit symmetric matrix (size s, row-major). */
function matrixOperator(a: Float64Array, s: number): Operator {
  return (v, out) => {
    for (let i = 0; i < s; i++) out[i] = dot(a.subarray(i * s, (i + 1) * s), v);
  };
}

/**
 * Top-k eigenpairs of a symmetric positive semi-definite operator of size s by Lanczos with full
 * reorthogonalisation, from a fixed pseudo-random start (deterministic). Stops when every kept
 * Ritz pair's residual is below 1e-10 of the largest Ritz value, when the Krylov space is
 * invariant (the remaining directions then carry no variance), or after s steps (exact).
 */
function lanczosTop(apply: Operator, s: number, k: number): { values: Float64Array; vectors: Float64Array[] } {
  const rng = createRng(0x9ca);
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q = Float64Array.from({ length: s }, () => rng.normal());
  normalise(q);
  const w = new Float64Array(s);
  let nextCheck = Math.min(s, 2 * k + 20);
  for (;;) {
    basis.push(q);
    apply(q, w);
    alpha.push(dot(q, w));
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot(b, w);
        for (let t = 0; t < s; t++) w[t]! -= c * b[t]!;
      }
    }
    const b = Math.sqrt(dot(w, w));
    const m = basis.length;
    const scale = Math.max(...alpha.map(Math.abs), Number.MIN_VALUE);
    const invariant = b <= 1e-13 * scale;
    if (invariant || m >= s || m >= nextCheck) {
      const t = new Float64Array(m * m);
      for (let i = 0; i < m; i++) {
        t[i * m + i] = alpha[i]!;
        if (i + 1 < m) t[i * m + i + 1] = t[(i + 1) * m + i] = beta[i]!;
      }
      const ritz = symmetricEigen(t, m);
      const keep = Math.min(k, m);
      let converged = true;
      for (let i = 0; i < keep; i++) if (b * Math.abs(ritz.vectors[i]![m - 1]!) > 1e-10 * Math.max(ritz.values[0]!, Number.MIN_VALUE)) converged = false;
      if (converged || invariant || m >= s) {
        const vectors = ritz.vectors.slice(0, keep).map((y) => {
          const v = new Float64Array(s);
          for (let j = 0; j < m; j++) {
            const c = y[j]!;
            const bj = basis[j]!;
            for (let t2 = 0; t2 < s; t2++) v[t2]! += c * bj[t2]!;
          }
          normalise(v);
          return v;
        });
        return { values: ritz.values.slice(0, keep), vectors };
      }
      nextCheck = Math.min(s, m + Math.max(10, Math.floor(m / 4)));
    }
    beta.push(b);
    q = Float64Array.from(w, (v) => v / b);
  }
}

/** Covariance eigenvectors (length da, unit) from Gram eigenvectors u: Xc^T u, normalised. */
function gramToComponents(x: FeatureMatrix, n: number, d: number, active: Int32Array, mean: Float64Array, us: Float64Array[]): Float64Array[] {
  const da = active.length;
  const buf = new Float64Array(da);
  const out = us.map(() => new Float64Array(da));
  for (let r = 0; r < n; r++) {
    centreRow(x, r, d, active, mean, buf);
    us.forEach((u, c) => {
      const ur = u[r]!;
      const v = out[c]!;
      if (ur !== 0) for (let t = 0; t < da; t++) v[t]! += ur * buf[t]!;
    });
  }
  for (const v of out) normalise(v);
  return out;
}

/**
 * PCA of `features` (n x d, row-major). See the module comment for how it relates to
 * scikit-learn's `PCA(n_components).fit(X)`: same components (up to sign convention),
 * explained variance (ddof = 1) and ratios.
 *
 * Steps: 1. column means and variances, constant columns found; 2. covariance (d <= n) or Gram
 * (d > n) matrix of the centred active columns, in float64; 3. symmetric eigendecomposition
 * (or Lanczos above `exactLimit`); 4. sign normalisation and projection.
 *
 * Throws ArgumentError for n < 2, a bad nComponents, or non-finite values.
 */
export function pca(features: FeatureMatrix, n: number, d: number, options: PcaOptions = {}): PcaResult {
  const { nComponents = 2, exactLimit = 256, matrixLimit = 1024 } = options;
  checkMatrix('pca', features, n, d);
  if (n < 2) {
    throw new ArgumentError('BAD_ARGUMENT', `PCA needs at least 2 samples, got ${n}.`, { hint: 'Embed more samples (option n).' });
  }
  if (!Number.isInteger(nComponents) || nComponents < 1 || nComponents > Math.min(n, d)) {
    throw new ArgumentError('BAD_ARGUMENT', `nComponents must be an integer in [1, min(n, d)] = [1, ${Math.min(n, d)}], got ${nComponents}.`, {
      details: { n, d, nComponents },
    });
  }
  checkFinite('pca features', features, d);
  const k = nComponents;

  // 1. Means (float64), constant columns, total variance.
  const mean = new Float64Array(d);
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let c = 0; c < d; c++) {
      const v = features[o + c]!;
      mean[c]! += v;
      if (v < lo[c]!) lo[c] = v;
      if (v > hi[c]!) hi[c] = v;
    }
  }
  const activeList: number[] = [];
  for (let c = 0; c < d; c++) {
    if (lo[c] === hi[c]) mean[c] = lo[c]!; // exact, so centred values are exactly 0
    else {
      mean[c]! /= n;
      activeList.push(c);
    }
  }
  const active = Int32Array.from(activeList);
  const da = active.length;
  const buf = new Float64Array(da);
  let totalVariance = 0;
  for (let r = 0; r < n; r++) {
    centreRow(features, r, d, active, mean, buf);
    for (let t = 0; t < da; t++) totalVariance += buf[t]! * buf[t]!;
  }
  totalVariance /= n - 1;

  // 2-3. Eigenpairs of the covariance of the active columns (vectors of length da). The smaller
  // side is decomposed: the covariance (da <= n) or the Gram matrix (da > n), whose eigenvectors
  // u give the covariance's as Xc^T u.
  const size = Math.min(n, da);
  const gramSide = da > n;
  const keep = Math.min(k, size);
  let solver: PcaSolver = 'none';
  let values: Float64Array = new Float64Array(0);
  let vectors: Float64Array[] = [];
  if (da > 0 && totalVariance > 0) {
    let eig: { values: Float64Array; vectors: Float64Array[] };
    if (size <= exactLimit) {
      solver = gramSide ? 'gram' : 'covariance';
      eig = symmetricEigen(gramSide ? gramMatrix(features, n, d, active, mean) : covarianceMatrix(features, n, d, active, mean), size);
      eig = { values: eig.values.slice(0, keep), vectors: eig.vectors.slice(0, keep) };
    } else {
      solver = 'lanczos';
      const op =
        size <= matrixLimit
          ? matrixOperator(gramSide ? gramMatrix(features, n, d, active, mean) : covarianceMatrix(features, n, d, active, mean), size)
          : gramSide
            ? gramOperator(features, n, d, active, mean)
            : covarianceOperator(features, n, d, active, mean);
      eig = lanczosTop(op, size, keep);
    }
    values = eig.values;
    vectors = gramSide ? gramToComponents(features, n, d, active, mean, eig.vectors) : eig.vectors;
  }

  // 4. Full-length components; directions without variance (rank deficiency) are completed
  // with orthonormal basis vectors so that the k components always form an orthonormal set.
  const tiny = 1e-12 * Math.max(totalVariance, Number.MIN_VALUE);
  const comps: Float64Array[] = [];
  const explainedVariance = new Float64Array(k);
  for (let c = 0; c < k && c < vectors.length; c++) {
    const ev = values[c]!;
    if (!(ev > tiny)) break;
    const full = new Float64Array(d);
    const v = vectors[c]!;
    for (let t = 0; t < da; t++) full[active[t]!] = v[t]!;
    comps.push(full);
    explainedVariance[c] = ev;
  }
  for (let e = 0; comps.length < k && e < d; e++) {
    const cand = new Float64Array(d);
    cand[e] = 1;
    for (const p of comps) {
      const dot = p[e]!;
      for (let t = 0; t < d; t++) cand[t]! -= dot * p[t]!;
    }
    if (normalise(cand) > 1e-6) comps.push(cand);
  }
  const components = new Float64Array(k * d);
  comps.forEach((v, c) => {
    let best = 0;
    for (let t = 1; t < d; t++) if (Math.abs(v[t]!) > Math.abs(v[best]!)) best = t;
    const sign = v[best]! < 0 ? -1 : 1;
    for (let t = 0; t < d; t++) components[c * d + t] = sign * v[t]! + 0; // + 0 turns -0 into 0
  });
  const explainedVarianceRatio = explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0));

  const projection = new Float64Array(n * k);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < d; t++) row[t] = features[r * d + t]! - mean[t]!;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += row[t]! * components[c * d + t]!;
      projection[r * k + c] = s;
    }
  }
  return {
    n,
    d,
    nComponents: k,
    components,
    explainedVariance,
    explainedVarianceRatio,
    totalVariance,
    mean,
    projection,
    constantColumns: d - da,
    solver,
  };
}
