import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmNT } from '../engine/ref/gemm.js';
import { createRng } from '../random.js';
import { simdGemm, simdGemmModuleBytes } from './simd.js';

test('the SIMD module validates and is tiny', () => {
  const bytes = simdGemmModuleBytes();
  assert.ok(WebAssembly.validate(bytes));
  assert.ok(bytes.length < 2048, `${bytes.length} bytes`);
});

test('SIMD C += A B^T matches the reference GEMM for odd sizes, offsets and strides (float32 sums: 2e-6 relative)', () => {
  const g = simdGemm();
  assert.ok(g !== null, 'Node 20 has WebAssembly SIMD');
  const rng = createRng(1);
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [4, 2, 4], [17, 9, 33], [130, 32, 288], [8, 129, 1025]] as const) {
    const lda = k + 3;
    const ldb = k + 1;
    const ldc = n + 2;
    const a = Float32Array.from({ length: 2 + m * lda }, () => rng.next() - 0.5);
    const b = Float32Array.from({ length: 5 + n * ldb }, () => rng.next() - 0.5);
    const c1 = Float32Array.from({ length: 1 + m * ldc }, () => rng.next());
    const c2 = c1.slice();
    gemmNT(m, n, k, a, 2, lda, b, 5, ldb, c1, 1, ldc);
    g.gemmNT(m, n, k, a, 2, lda, b, 5, ldb, c2, 1, ldc);
    let err = 0;
    for (let i = 0; i < c1.length; i++) err = Math.max(err, Math.abs(c1[i]! - c2[i]!));
    assert.ok(err <= 2e-6 * Math.sqrt(k) + 1e-7, `${m}x${n}x${k}: max error ${err}`);
    // Entries outside the m x n block (the stride gaps) are untouched.
    for (let i = 0; i < m; i++) assert.equal(c2[1 + i * ldc + n], c1[1 + i * ldc + n]);
  }
});
