/** Tests for L2 clipping of whole updates (clip, l2Norm). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clip, l2Norm } from './clip.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays, Update } from '../types.js';

const update = (w: number[], b: number[]): Update => ({
  clientId: 'c0', round: 0, kind: 'gradient', numExamples: 1, arrays: [
    { name: 'dense0/kernel', shape: [w.length, 1], data: Float32Array.from(w) },
    { name: 'dense0/bias', shape: [b.length], data: Float32Array.from(b) },
  ],
});

test('l2Norm is the norm of all arrays together, in float64', () => {
  assert.equal(l2Norm(update([3], [4]).arrays), 5);
  // (3·2^66)² overflows float32 but not the float64 sum
  assert.equal(l2Norm(update([3 * 2 ** 66], [4 * 2 ** 66]).arrays), 5 * 2 ** 66);
  assert.ok(Number.isNaN(l2Norm(update([NaN], [0]).arrays)));
});

test('clip scales the whole update to norm C and keeps its direction', () => {
  const u = update([3, 0], [4]); // norm 5
  const out = clip({ clippingNorm: 2 })(u);
  assert.ok(Math.abs(l2Norm(out.arrays) - 2) < 1e-6);
  assert.deepEqual([...out.arrays[0].data, ...out.arrays[1].data].map((v) => Math.round(v * 1e6) / 1e6), [1.2, 0, 1.6]);
  assert.deepEqual(u.arrays[0].data, Float32Array.of(3, 0), 'the input is not changed');
  assert.deepEqual(out.arrays.map((a) => [a.name, a.shape]), u.arrays.map((a) => [a.name, a.shape]));
});

test('an update within C passes unchanged', () => {
  const u = update([0.3], [0.4]);
  const out = clip({ clippingNorm: 1 })(u);
  assert.deepEqual(out.arrays, u.arrays);
  assert.notEqual(out, u);
});

test('after clipping the float32 update has norm ≤ C (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }),
    fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
    (w, b, c) => {
      const out = clip({ clippingNorm: c })(update(w, [b]));
      const n = l2Norm(out.arrays);
      assert.ok(n <= c, `norm ${n} > C ${c}`);
      const before = l2Norm(update(w, [b]).arrays);
      if (before > c) assert.ok(n > c * (1 - 1e-6), `norm ${n} is not ≈ C ${c}`);
    }));
});

test('clip rejects a bad clippingNorm and a non-finite update with coded errors', () => {
  for (const bad of [0, -1, NaN, Infinity, '1' as unknown as number]) {
    assert.throws(() => clip({ clippingNorm: bad }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'clip.clippingNorm'
      && /> 0/.test(e.message));
  }
  assert.throws(() => clip({ clipNorm: 1 } as unknown as { clippingNorm: number }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => clip({ clippingNorm: 1 })(update([NaN], [1])), (e) => isFedleakError(e, 'NOT_FINITE'));
  assert.throws(() => clip({ clippingNorm: 1 })(update([Infinity], [1])), (e) => isFedleakError(e, 'NOT_FINITE'));
});

test('clip carries its stage and options for reports', () => {
  assert.deepEqual(clip({ clippingNorm: 0.5 }).info, { stage: 'clip', name: 'clip', options: { clippingNorm: 0.5 } });
  const arrays: NamedArrays = [];
  assert.equal(l2Norm(arrays), 0);
});
