import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hungarian } from './hungarian.js';
import { isFedleakError } from '../errors.js';

/** Minimum total cost over every one-to-one assignment of the shorter side, by enumeration. */
function bruteForce(cost: number[], rows: number, cols: number): number {
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  const at = (i: number, j: number) => (transpose ? cost[j * cols + i] : cost[i * cols + j]);
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number): number => {
    if (i === n) return 0;
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      best = Math.min(best, at(i, j) + go(i + 1));
      used[j] = false;
    }
    return best;
  };
  return go(0);
}

test('Hungarian finds the brute-force minimum on small random matrices, tall and wide', () => {
  const matrix = fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
    .chain(([rows, cols]) =>
      fc.tuple(fc.constant(rows), fc.constant(cols), fc.array(fc.integer({ min: -20, max: 50 }), { minLength: rows * cols, maxLength: rows * cols })),
    );
  fc.assert(
    fc.property(matrix, ([rows, cols, cost]) => {
      const a = hungarian(cost, rows, cols);
      assert.equal(a.cost, bruteForce(cost, rows, cols));
      // a valid one-to-one assignment of min(rows, cols) pairs, consistent both ways, summing to a.cost
      const pairs = Array.from(a.rowToCol).filter((c) => c >= 0);
      assert.equal(pairs.length, Math.min(rows, cols));
      assert.equal(new Set(pairs).size, pairs.length);
      let sum = 0;
      a.rowToCol.forEach((c, r) => {
        if (c >= 0) {
          assert.equal(a.colToRow[c], r);
          sum += cost[r * cols + c];
        }
      });
      assert.equal(sum, a.cost);
    }),
    { numRuns: 400, seed: 42 },
  );
});

test('Hungarian on real-valued costs agrees with brute force to float precision', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }), (cost) => {
      assert.ok(Math.abs(hungarian(cost, 4, 5).cost - bruteForce(cost, 4, 5)) < 1e-12);
      assert.ok(Math.abs(hungarian(cost, 5, 4).cost - bruteForce(cost, 5, 4)) < 1e-12);
    }),
    { numRuns: 100, seed: 7 },
  );
});

test('Hungarian: the documented example, empty sides, and bad input', () => {
  const a = hungarian(Float64Array.of(4, 1, 3, 2, 0, 1), 2, 3);
  assert.deepEqual(Array.from(a.rowToCol), [1, 2]);
  assert.deepEqual(Array.from(a.colToRow), [-1, 0, 1]);
  assert.equal(a.cost, 2);
  assert.equal(hungarian([], 0, 3).cost, 0);
  assert.deepEqual(Array.from(hungarian([], 2, 0).rowToCol), [-1, -1]);
  assert.throws(() => hungarian([1, 2, 3], 2, 2), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(() => hungarian([1, NaN], 1, 2), (e) => isFedleakError(e, 'NOT_FINITE'));
});
