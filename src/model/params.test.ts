/** Tests for parameter helpers: spec checks with coded errors, copies, tensor round trips without leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkArraysMatch, cloneArrays, fromTensors, toTensors } from './params.js';
import { initParams } from './init.js';
import { modelSpec, paramShapes } from './spec.js';
import { Rng } from '../tensor/rng.js';
import { assertNoLeak, forEachBackend } from '../tensor/testing.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays } from '../types.js';

const spec = modelSpec('fc-small', 6, 3, 4);
const fresh = () => initParams(spec, new Rng(1));

test('checkArraysMatch accepts the params of the spec', () => {
  checkArraysMatch(spec, fresh());
});

test('checkArraysMatch names the array that does not fit (SHAPE_MISMATCH)', () => {
  const cases: [string, (p: NamedArrays) => NamedArrays, RegExp][] = [
    ['missing array', (p) => p.slice(0, 5), /^params$/],
    ['wrong name', (p) => (p[2].name = 'dense1/weights', p), /params\[2\] dense1\/kernel/],
    ['wrong shape', (p) => (p[0].shape = [4, 6], p), /params\[0\] dense0\/kernel/],
    ['short data', (p) => (p[3].data = new Float32Array(3), p), /params\[3\] dense1\/bias/],
    ['not a Float32Array', (p) => (p[1].data = new Float64Array(4) as never, p), /params\[1\] dense0\/bias/],
  ];
  for (const [what, mutate, path] of cases) {
    assert.throws(
      () => checkArraysMatch(spec, mutate(fresh())),
      (e) => isFedleakError(e, 'SHAPE_MISMATCH') && path.test(e.path ?? ''),
      what,
    );
  }
  assert.throws(
    () => checkArraysMatch(spec, fresh().slice(0, 5), { path: 'update.arrays' }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.path === 'update.arrays',
  );
});

test('checkArraysMatch finds NaN and Infinity (NOT_FINITE) unless told not to look', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    const p = fresh();
    p[4].data[7] = bad;
    assert.throws(
      () => checkArraysMatch(spec, p),
      (e) => isFedleakError(e, 'NOT_FINITE') && /dense2\/kernel/.test(e.path ?? '') && /value 7/.test(e.message),
    );
    checkArraysMatch(spec, p, { finite: false });
  }
});

test('cloneArrays copies data and shapes', () => {
  const a = fresh();
  const b = cloneArrays(a);
  assert.deepEqual(b, a);
  b[0].data[0] = 42;
  b[0].shape[0] = 1;
  assert.notEqual(a[0].data[0], 42);
  assert.equal(a[0].shape[0], 6);
});

test('toTensors → fromTensors round-trips into arrays the caller owns, without leaks', async () => {
  await forEachBackend(async (backend) => {
    const a = fresh();
    const back = await assertNoLeak(() => {
      const ts = toTensors(a);
      try {
        return fromTensors(paramShapes(spec), ts);
      } finally {
        tf.dispose(ts);
      }
    });
    assert.deepEqual(back, a, backend);
    back[0].data[0] = 42;
    assert.notEqual(a[0].data[0], 42, `${backend}: the result shares memory with the input`);
  });
});
