/** Tests for IID and Dirichlet partitions: exact cover (property test), determinism, label skew that follows alpha. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isFedleakError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import { partitionDirichlet, partitionIid } from './partition.js';

/** Asserts the parts hold every index in [0, n) exactly once. */
function assertExactCover(parts: Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const part of parts) {
    for (const i of part) {
      assert.ok(i >= 0 && i < n, `index ${i} out of range`);
      assert.equal(seen[i], 0, `index ${i} assigned twice`);
      seen[i] = 1;
    }
  }
  assert.equal(seen.reduce((a, b) => a + b, 0), n, 'some index was not assigned');
}

/** Labels 0..k-1 repeated, n of them. */
function cyclicLabels(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i % k);
}

/** Mean over clients of the largest share one class has of the client's data (1 = every client single-class). */
function meanDominantShare(parts: Int32Array[], labels: Int32Array, k: number): number {
  let sum = 0;
  let counted = 0;
  for (const part of parts) {
    if (part.length === 0) continue;
    const h = new Array(k).fill(0);
    for (const i of part) h[labels[i]]++;
    sum += Math.max(...h) / part.length;
    counted++;
  }
  return sum / counted;
}

test('partitionIid: disjoint cover with sizes differing by at most one', () => {
  const parts = partitionIid(103, 10, new Rng(5));
  assert.equal(parts.length, 10);
  assertExactCover(parts, 103);
  assert.deepEqual(parts.map((p) => p.length), [11, 11, 11, 10, 10, 10, 10, 10, 10, 10]);
  // Shuffled, not contiguous blocks.
  assert.notDeepEqual([...parts[0]], Array.from({ length: 11 }, (_, i) => i));
  assert.deepEqual(partitionIid(103, 10, new Rng(5)), parts);
  assert.notDeepEqual(partitionIid(103, 10, new Rng(6)), parts);
});

test('partitionIid: more clients than examples leaves some empty; bad arguments refused', () => {
  const parts = partitionIid(3, 5, new Rng(1));
  assertExactCover(parts, 3);
  assert.equal(parts.filter((p) => p.length === 0).length, 2);
  assert.throws(() => partitionIid(10, 0, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => partitionIid(-1, 2, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});

test('partitionDirichlet: every index exactly once, for any n, clients, alpha (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 1, max: 25 }),
      fc.integer({ min: 1, max: 12 }),
      fc.double({ min: 0.001, max: 1000, noNaN: true }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (n, clients, k, alpha, seed) => {
        const labelRng = new Rng(seed ^ 0x5bd1e995);
        const labels = Int32Array.from({ length: n }, () => labelRng.int(k));
        const parts = partitionDirichlet(labels, k, clients, alpha, new Rng(seed));
        assert.equal(parts.length, clients);
        assertExactCover(parts, n);
      },
    ),
    { numRuns: 200 },
  );
});

test('partitionDirichlet: same seed, same partition; another seed, another', () => {
  const labels = cyclicLabels(1000, 10);
  const a = partitionDirichlet(labels, 10, 8, 0.5, new Rng(42));
  const b = partitionDirichlet(labels, 10, 8, 0.5, new Rng(42));
  const c = partitionDirichlet(labels, 10, 8, 0.5, new Rng(43));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('partitionDirichlet: small alpha skews label histograms, large alpha is near IID', () => {
  const labels = cyclicLabels(5000, 10);
  const skewed = meanDominantShare(partitionDirichlet(labels, 10, 10, 0.05, new Rng(1)), labels, 10);
  const mild = meanDominantShare(partitionDirichlet(labels, 10, 10, 1, new Rng(1)), labels, 10);
  const iid = meanDominantShare(partitionDirichlet(labels, 10, 10, 1000, new Rng(1)), labels, 10);
  assert.ok(skewed > 0.6, `alpha 0.05: dominant class share ${skewed}`);
  assert.ok(mild > iid && mild < skewed, `alpha 1: ${mild}`);
  assert.ok(iid < 0.15, `alpha 1000: dominant class share ${iid}`);
});

test('partitionDirichlet: bad alpha, client count or labels are BAD_ARGUMENT', () => {
  const labels = cyclicLabels(10, 2);
  for (const alpha of [0, -1, NaN, Infinity]) {
    assert.throws(() => partitionDirichlet(labels, 2, 3, alpha, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'alpha');
  }
  assert.throws(() => partitionDirichlet(labels, 2, 0, 1, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'numClients');
  assert.throws(() => partitionDirichlet(labels, 1, 3, 1, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'labels');
});
