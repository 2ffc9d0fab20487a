/** Tests for the wasm MatMul-gradient fix: same gradients as TF.js's built-in one on cpu, for every transpose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.js';
import { matMulGradFixEnabled, setMatMulGradFix } from './matmul-grad.js';
import { Rng } from './rng.js';
import { FLOAT32_REL_TOL, assertClose, assertNoLeak, forEachBackend, uniformArray } from './testing.js';

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

// Shapes chosen so that each rewrite in plainMatMul is taken at least once (big vs small operands), plus rank 3.
const cases: Case[] = [
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [40, 6], b: [3, 6], transposeA: false, transposeB: true },
  { a: [4, 30], b: [20, 30], transposeA: false, transposeB: true },
  { a: [6, 5], b: [6, 9], transposeA: true, transposeB: false },
  { a: [6, 40], b: [3, 6], transposeA: true, transposeB: true },
  { a: [30, 2], b: [20, 30], transposeA: true, transposeB: true },
  { a: [2, 5, 7], b: [2, 7, 3], transposeA: false, transposeB: false },
  { a: [2, 7, 5], b: [2, 3, 7], transposeA: true, transposeB: true },
];

/** Gradients of Σ (op(a)·op(b)) ⊙ w for a random w. */
function grads(c: Case, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  return tf.tidy(() => {
    const a = tf.tensor(uniformArray(rng, size(c.a), -1, 1), c.a);
    const b = tf.tensor(uniformArray(rng, size(c.b), -1, 1), c.b);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.transposeA, c.transposeB);
    const shape = f(a, b).shape;
    const w = tf.tensor(uniformArray(rng, size(shape), -1, 1), shape);
    return tf.grads((x, y) => tf.sum(tf.mul(f(x, y), w)))([a, b]).map((g) => g.dataSync() as Float32Array);
  });
}

test('the fixed MatMul gradient equals the built-in one on cpu, on wasm and cpu', async () => {
  await setupBackend('cpu');
  setMatMulGradFix(false);
  assert.equal(matMulGradFixEnabled(), false);
  const expected = cases.map((c, i) => grads(c, i));
  setMatMulGradFix(true);
  assert.equal(matMulGradFixEnabled(), true);
  await forEachBackend(async (backend) => {
    cases.forEach((c, i) => {
      const got = grads(c, i);
      const what = `${backend} ${JSON.stringify(c)}`;
      assertClose(got[0], expected[i][0], FLOAT32_REL_TOL, `${what} da`);
      assertClose(got[1], expected[i][1], FLOAT32_REL_TOL, `${what} db`);
    });
  });
});

test('the fixed MatMul gradient leaves no tensor behind', async () => {
  await forEachBackend(async () => {
    await assertNoLeak(() => cases.forEach((c, i) => grads(c, i)), 'matMul gradient');
  });
});
