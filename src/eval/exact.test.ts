import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isExact, matchExact, maxAbsError, toBytes, unmatchedCount } from './exact.js';

test('toBytes rounds v · 255 and clamps to 0..255', () => {
  assert.deepEqual(Array.from(toBytes([0, 0.5, 1, -0.2, 1.7, NaN, 51 / 255 + 1e-8])), [0, 128, 255, 0, 255, 0, 51]);
});

test('exact means every value rounds to the same byte; anything under half a step away still counts', () => {
  const x = Float32Array.of(0, 10 / 255, 200 / 255, 1);
  const near = Array.from(x, (v) => v + 0.49 / 255);
  const off = Array.from(x, (v, k) => (k === 2 ? v + 0.51 / 255 : v));
  assert.ok(isExact(near, x));
  assert.ok(!isExact(off, x));
  assert.ok(!isExact([0, 0, 0], x));
  assert.ok(Math.abs(maxAbsError(off, x) - 0.51 / 255) < 1e-7);
  assert.equal(maxAbsError([], []), 0);
});

test('matchExact pairs candidates with inputs by their bytes, groups identical inputs, ignores misfits', () => {
  const dim = 3;
  const inputs = Float32Array.of(0.1, 0.2, 0.3, /* 1 */ 0.5, 0.5, 0.5, /* 2 */ 0.1, 0.2, 0.3, /* 3 */ 1, 0, 1);
  const cands = [
    [0.5, 0.5, 0.5 + 1e-9], // input 1
    [0.1, 0.2, 0.3], // inputs 0 and 2 (identical)
    [0.3, 0.2, 0.1], // nothing
    [0.1, 0.2], // wrong length: nothing
    [0.1 + 1e-12, 0.2, 0.3], // inputs 0 and 2 again
  ];
  const m = matchExact(inputs, 4, dim, cands);
  assert.deepEqual(Array.from(m.inputGroup), [0, 1, 0, 3]);
  assert.deepEqual(Array.from(m.candidateGroup), [1, 0, -1, -1, 0]);
  assert.deepEqual(Array.from(m.inputCandidate), [1, 0, 1, -1]);
  // the reversed input and the short one reproduce nothing
  assert.equal(unmatchedCount(inputs, 4, dim, cands), 2);
  assert.equal(unmatchedCount(inputs, 4, dim, []), 0);
});
