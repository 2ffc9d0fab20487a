/** Tests for FedAvg aggregation (weighted by numExamples) and the server step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyUpdate, fedAvgAggregate } from './aggregate.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays, Update } from '../types.js';

const arrays = (w: number[], b: number[]): NamedArrays => [
  { name: 'dense0/kernel', shape: [w.length, 1], data: Float32Array.from(w) },
  { name: 'dense0/bias', shape: [1], data: Float32Array.from(b) },
];
const update = (n: number, a: NamedArrays, kind: Update['kind'] = 'gradient'): Update => ({
  clientId: `c${n}`, round: 0, kind, numExamples: n, arrays: a,
});

test('fedAvgAggregate weights each update by its numExamples', () => {
  const agg = fedAvgAggregate([update(1, arrays([1, 2], [10])), update(3, arrays([5, 6], [-2]))]);
  // (1·1 + 3·5) / 4 = 4, (1·2 + 3·6) / 4 = 5, (1·10 + 3·(−2)) / 4 = 1
  assert.deepEqual(agg, arrays([4, 5], [1]));
});

test('aggregating copies of one update gives that update back exactly', () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 20 }),
      fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom<Update['kind']>('gradient', 'delta'),
      (w, b, counts, kind) => {
        const a = arrays(w, [b]);
        const agg = fedAvgAggregate(counts.map((n) => update(n, a, kind)));
        assert.deepEqual(agg.map((x) => [x.name, x.shape]), a.map((x) => [x.name, x.shape]));
        // === rather than deepEqual: a −0 may come back as +0, which is the same number
        agg.forEach((x, i) => x.data.forEach((v, j) => assert.ok(v === a[i].data[j], `${x.name}[${j}]: ${v} vs ${a[i].data[j]}`)));
      },
    ),
  );
});

test('fedAvgAggregate refuses mixed kinds, names or shapes (SHAPE_MISMATCH) and empty input (BAD_ARGUMENT)', () => {
  const a = arrays([1, 2], [0]);
  const mismatch = (updates: Update[], path: RegExp) =>
    assert.throws(() => fedAvgAggregate(updates), (e) => isFedleakError(e, 'SHAPE_MISMATCH') && path.test(e.path ?? ''));
  mismatch([update(1, a), update(1, a, 'delta')], /updates\[1\]\.kind/);
  mismatch([update(1, a), update(1, arrays([1, 2, 3], [0]))], /updates\[1\]\.arrays\[0\] dense0\/kernel/);
  mismatch([update(1, a), update(1, [a[0], { ...a[1], name: 'dense1/bias' }])], /updates\[1\]\.arrays\[1\]/);
  mismatch([update(1, a), update(1, a.slice(0, 1))], /updates\[1\]\.arrays/);
  assert.throws(() => fedAvgAggregate([]), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => fedAvgAggregate([update(0, a)]), (e) => isFedleakError(e, 'BAD_ARGUMENT') && /numExamples/.test(e.path ?? ''));
});

test('applyUpdate steps against a gradient and along a delta, without changing params', () => {
  const p = arrays([1, 2], [3]);
  assert.deepEqual(applyUpdate(p, arrays([10, -20], [5]), 'gradient', 0.5), arrays([-4, 12], [0.5]));
  assert.deepEqual(applyUpdate(p, arrays([0.5, -1], [2]), 'delta', 1), arrays([1.5, 1], [5]));
  assert.deepEqual(applyUpdate(p, arrays([0.5, -1], [2]), 'delta', 2), arrays([2, 0], [7]));
  assert.deepEqual(p, arrays([1, 2], [3]));
  assert.throws(() => applyUpdate(p, arrays([1, 2], [3]), 'gradient', 0), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => applyUpdate(p, arrays([1], [3]), 'gradient', 1), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
