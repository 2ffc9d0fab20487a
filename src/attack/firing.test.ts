import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countFirers, firingPattern, isolationRecall, preactivations } from './firing.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';

test('preactivations match a direct triple loop, for counts that are and are not multiples of four', () => {
  const rng = new Rng(2);
  const d = 13;
  const n = 7;
  const kernel = Float32Array.from({ length: d * n }, () => rng.normal());
  const bias = Float32Array.from({ length: n }, () => rng.normal());
  for (const count of [1, 4, 6, 9]) {
    // zeros included, so the skip of all-zero rows is exercised
    const inputs = Float32Array.from({ length: count * d }, () => (rng.uniform() < 0.5 ? 0 : rng.uniform()));
    const pre = preactivations(kernel, bias, inputs, count, d, n);
    for (let b = 0; b < count; b++) {
      for (let i = 0; i < n; i++) {
        let s = bias[i];
        for (let j = 0; j < d; j++) s += inputs[b * d + j] * kernel[j * n + i];
        assert.ok(Math.abs(pre[b * n + i] - s) < 1e-12, `b=${b} i=${i}`);
      }
    }
  }
});

test('firing pattern: counts, lone firers and the recall the read-out would get', () => {
  // 2 inputs of 2 values, 3 neurons: neuron 0 fires for input 0 only, neuron 1 for both, neuron 2 for none.
  const kernel = Float32Array.of(1, 1, -1, -1, 1, -1); // rows: x0 weights, x1 weights
  const bias = Float32Array.of(0, 0, 0);
  const inputs = Float32Array.of(1, 0, /* input 1 */ 0.5, 1);
  const p = firingPattern(kernel, bias, inputs, 2, 2, 3);
  // input 0: pre = [1, 1, -1]; input 1: [0.5 - 1, 0.5 + 1, -0.5 - 1] = [-0.5, 1.5, -1.5]
  assert.deepEqual(Array.from(p.fires), [1, 1, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(p.counts), [1, 2, 0]);
  assert.deepEqual(Array.from(p.lone), [0, -1, -1]);
  assert.equal(isolationRecall(p), 0.5);
  assert.equal(isolationRecall({ count: 0, lone: new Int32Array(0) }), 0);
});

test('countFirers: an input that is lone firer of two neurons counts once in the recall', () => {
  const fires = Uint8Array.of(1, 1, 0, /* b1 */ 0, 0, 1, /* b2 */ 0, 0, 1);
  const { counts, lone } = countFirers(fires, 3, 3);
  assert.deepEqual(Array.from(counts), [1, 1, 2]);
  assert.deepEqual(Array.from(lone), [0, 0, -1]);
  assert.equal(isolationRecall({ count: 3, lone }), 1 / 3);
});

test('firingPattern refuses arrays that do not fit', () => {
  assert.throws(
    () => firingPattern(new Float32Array(6), new Float32Array(3), new Float32Array(5), 2, 2, 3),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.message.includes('inputs'),
  );
});
