/** Tests for conv2dWithGrad: values and both gradients against the cpu backend's own tf.conv2d gradients. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { conv2dWithGrad, type ConvPad } from './conv.js';
import { setupBackend } from './backend.js';
import { Rng } from './rng.js';
import { FLOAT32_REL_TOL, assertClose, assertNoLeak, forEachBackend, uniformArray } from './testing.js';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: ConvPad;
}

const cases: Case[] = [
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  // stride 2 over 8 rows with a 3-row filter never reaches the last row: the filter gradient must crop it
  { x: [1, 8, 9, 2], filter: [3, 3, 2, 2], strides: 2, pad: 'valid' },
  { x: [3, 5, 5, 1], filter: [2, 3, 1, 5], strides: [2, 1], pad: 'valid' },
  { x: [2, 6, 6, 2], filter: [3, 3, 2, 3], strides: 1, pad: 1 },
  { x: [2, 4, 4, 3], filter: [1, 1, 3, 2], strides: 1, pad: 'valid' },
];

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dFilter: Float32Array;
}

/** Loss = Σ y ⊙ w with a random w, so dy is not all ones and a transposed index would show. */
function run(c: Case, conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D, seed: number): Result {
  const rng = new Rng(seed);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor4d(uniformArray(rng, size(c.x), -1, 1), c.x);
    const f = tf.tensor4d(uniformArray(rng, size(c.filter), -1, 1), c.filter);
    const y = conv(x, f);
    const w = tf.tensor(uniformArray(rng, y.size, -1, 1), y.shape);
    const [dx, dFilter] = tf.grads((a, b) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), w)))([x, f]);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dFilter: dFilter.dataSync() as Float32Array };
  });
}

test('conv2dWithGrad matches the cpu backend’s tf.conv2d values and gradients, on wasm and cpu', async () => {
  await setupBackend('cpu');
  const expected = cases.map((c, i) => run(c, (x, f) => tf.conv2d(x, f, c.strides, c.pad), i));
  await forEachBackend(async (backend) => {
    cases.forEach((c, i) => {
      const what = `${backend} case ${i} (${c.x} * ${c.filter}, stride ${c.strides}, ${c.pad})`;
      const got = run(c, (x, f) => conv2dWithGrad(x, f, c.strides, c.pad), i);
      assertClose(got.y, expected[i].y, FLOAT32_REL_TOL, `${what} value`);
      assertClose(got.dx, expected[i].dx, FLOAT32_REL_TOL, `${what} dx`);
      assertClose(got.dFilter, expected[i].dFilter, FLOAT32_REL_TOL, `${what} dFilter`);
    });
  });
});

test('conv2dWithGrad leaves no tensor behind after a gradient', async () => {
  await forEachBackend(async () => {
    const x = tf.ones([2, 5, 5, 2]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 2, 3]) as tf.Tensor4D;
    await assertNoLeak(() => {
      const grads = tf.grads((a, b) => tf.sum(conv2dWithGrad(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, f]);
      assert.deepEqual(grads[1].shape, [3, 3, 2, 3]);
      tf.dispose(grads);
    }, 'conv2dWithGrad gradient');
    tf.dispose([x, f]);
  });
});
