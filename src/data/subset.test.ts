/** Tests for subset, splitDisjoint and concatDatasets: copies, disjointness, shapes and errors. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFedleakError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import type { Dataset } from '../types.js';
import { concatDatasets, exampleSize, splitDisjoint, subset } from './subset.js';

/** n examples of shape [2, 1, 1]; example i holds [i, i + 0.5] / 1000 and label i % 3. */
function toy(n: number): Dataset {
  const inputs = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    inputs[2 * i] = i / 1000;
    inputs[2 * i + 1] = (i + 0.5) / 1000;
  }
  return {
    name: 'toy',
    kind: 'image',
    shape: [2, 1, 1],
    size: n,
    inputs,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    numClasses: 3,
    source: 'mem',
  };
}

/** Recovers example ids from a toy subset. */
const ids = (ds: Dataset) => Array.from({ length: ds.size }, (_, k) => Math.round(ds.inputs[2 * k] * 1000));

test('exampleSize multiplies the shape', () => {
  assert.equal(exampleSize({ shape: [28, 28, 1] }), 784);
  assert.equal(exampleSize({ shape: [32, 32, 3] }), 3072);
});

test('subset copies the chosen examples in order', () => {
  const ds = toy(10);
  const s = subset(ds, [7, 2, 7]);
  assert.equal(s.size, 3);
  assert.deepEqual(ids(s), [7, 2, 7]);
  assert.deepEqual([...s.labels], [1, 2, 1]);
  assert.equal(s.inputs[1], Math.fround(7.5 / 1000));
  s.inputs[0] = 99;
  assert.equal(ds.inputs[14], Math.fround(7 / 1000), 'the source must not change');
  assert.throws(() => subset(ds, [10]), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => subset(ds, [1.5]), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});

test('splitDisjoint: requested sizes, no example in two parts, seeded', () => {
  const ds = toy(50);
  const [a, b, c] = splitDisjoint(ds, [20, 25, 5], new Rng(3));
  assert.deepEqual([a.size, b.size, c.size], [20, 25, 5]);
  const all = [...ids(a), ...ids(b), ...ids(c)];
  assert.equal(new Set(all).size, 50);
  assert.notDeepEqual(ids(a), Array.from({ length: 20 }, (_, i) => i), 'should be random, not a prefix');
  assert.deepEqual(ids(splitDisjoint(ds, [20], new Rng(3))[0]), ids(a));
  assert.throws(() => splitDisjoint(ds, [40, 11], new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => splitDisjoint(ds, [-1], new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});

test('concatDatasets joins in order and refuses mismatched shapes', () => {
  const joined = concatDatasets([subset(toy(5), [4]), subset(toy(5), [0, 1])], 'j');
  assert.deepEqual(ids(joined), [4, 0, 1]);
  assert.equal(joined.name, 'j');
  assert.throws(() => concatDatasets([toy(2), { ...toy(2), shape: [1, 2, 1] }]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
