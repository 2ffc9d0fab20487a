/** Tests for Shamir sharing: any t shares reconstruct; t − 1 shares are independent of the secret. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeShare, encodeShare, MERSENNE_127, primeField, reconstructBytes, reconstructElement, shareBytes, shareElement,
} from './shamir.js';
import { isFedleakError } from '../../errors.js';

test('the default field is 2^127 − 1, holding 15 secret bytes per 16-byte element', () => {
  const f = primeField();
  assert.equal(f.prime, MERSENNE_127);
  assert.equal(f.chunkBytes, 15);
  assert.equal(f.elementBytes, 16);
});

test('reconstructElement interpolates at 0: f(x) = 3 + 2x over F_11 from (1, 5) and (2, 7)', () => {
  assert.equal(reconstructElement([{ x: 1, y: 5n }, { x: 2, y: 7n }], primeField(11n)), 3n);
});

test('any t of n shares reconstruct a 32-byte secret (property)', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
    fc.integer({ min: 0, max: 1_000_000 }),
    (secret, [n, t], pick) => {
      const xs = Array.from({ length: n }, (_, i) => i + 1);
      const shares = shareBytes(secret, t, xs);
      // a pseudo-random subset of size t, chosen by `pick`
      const order = [...shares].sort((a, b) => ((a.x * 7919 + pick) % 101) - ((b.x * 7919 + pick) % 101));
      assert.deepEqual(reconstructBytes(order.slice(0, t), 32), secret);
      assert.deepEqual(reconstructBytes(shares, 32), secret, 'more than t shares work too');
    }), { numRuns: 60 });
});

test('t − 1 shares do not determine the secret: over F_7 with t = 3, every secret is consistent with every pair of shares', () => {
  // Enumerate all polynomials f(x) = s + a₁x + a₂x² over F_7. For the share points x = 1, 2, each secret s maps
  // its 49 coefficient pairs one-to-one onto the 49 possible share pairs: whatever two shares are seen, each of
  // the 7 secrets is explained by exactly one polynomial, so the shares carry no information about s.
  const field = primeField(7n);
  for (let s = 0n; s < 7n; s++) {
    const seen = new Map<string, number>();
    for (let a1 = 0n; a1 < 7n; a1++) {
      for (let a2 = 0n; a2 < 7n; a2++) {
        const key = shareElement(s, 3, [1, 2], field, [a1, a2]).map((sh) => sh.y).join(',');
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    assert.equal(seen.size, 49, `secret ${s}: every pair of share values occurs`);
    assert.ok([...seen.values()].every((c) => c === 1), `secret ${s}: each exactly once`);
  }
  // and the third share pins it down
  assert.equal(reconstructElement(shareElement(5n, 3, [1, 2, 3], field, [4n, 6n]), field), 5n);
});

test('with random coefficients, one share of a 2-of-n sharing is uniform whatever the secret (F_11, chi-square)', () => {
  const field = primeField(11n);
  for (const secret of [0n, 7n]) {
    const counts = new Array(11).fill(0);
    const runs = 5500;
    for (let k = 0; k < runs; k++) counts[Number(shareElement(secret, 2, [4], field)[0].y)]++;
    const chi2 = counts.reduce((s, c) => s + (c - runs / 11) ** 2 / (runs / 11), 0);
    assert.ok(chi2 < 29.6, `secret ${secret}: χ² = ${chi2.toFixed(1)} over 10 degrees of freedom (p = 0.001 cut-off 29.6)`);
  }
});

test('t − 1 shares of a 32-byte secret over 2^127 − 1 give a different value', () => {
  const secret = new Uint8Array(32).fill(0xab);
  const shares = shareBytes(secret, 5, [1, 2, 3, 4, 5, 6]);
  assert.notDeepEqual(reconstructBytes(shares.slice(0, 4), 32), secret);
});

test('shares travel as fixed-width bytes; decoding rejects a wrong length or a value ≥ p', () => {
  const [share] = shareBytes(new Uint8Array(32).fill(7), 2, [1, 2]);
  const bytes = encodeShare(share.y);
  assert.equal(bytes.length, 48);
  assert.deepEqual(decodeShare(bytes, 3), share.y);
  assert.equal(decodeShare(bytes.subarray(1), 3), null);
  assert.equal(decodeShare(new Uint8Array(48).fill(0xff), 3), null);
});

test('bad thresholds and points fail with BAD_ARGUMENT', () => {
  const bad = (f: () => unknown) => assert.throws(f, (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  bad(() => shareElement(1n, 0, [1, 2]));
  bad(() => shareBytes(new Uint8Array(32), 3, [1, 2]));
  bad(() => shareElement(1n, 2, [1, 1]));
  bad(() => shareElement(1n, 2, [0, 1]));
  bad(() => shareElement(MERSENNE_127, 2, [1, 2]));
  bad(() => reconstructBytes([], 32));
});
