/** Tests for the fixed-point code in Z_2^32: the stated error bound, and sums of n clients that never wrap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addInto, quantizer } from './quantize.js';
import { isFedleakError } from '../../errors.js';

test('bound and scale: B = ⌊(2^31 − 1)/n⌋, s = B/R, error per value ≤ R/(2B) (+ float slack)', () => {
  const qz = quantizer({ clipRange: 2, numClients: 100 });
  assert.equal(qz.bound, 21_474_836);
  assert.equal(qz.scale, 21_474_836 / 2);
  assert.ok(qz.errorPerValue >= 2 / (2 * 21_474_836) && qz.errorPerValue < 1.00001 * (2 / (2 * 21_474_836)));
});

test('|x − decode(encode(x))| ≤ errorPerValue for every x in [−R, R] (property)', () => {
  fc.assert(fc.property(
    fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    fc.integer({ min: 1, max: 10_000 }),
    fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
    (R, n, unit) => {
      const qz = quantizer({ clipRange: R, numClients: n });
      const x = unit.map((u) => u * R);
      const back = qz.dequantizeSum(qz.quantize(x).values);
      x.forEach((v, i) => assert.ok(Math.abs(v - back[i]) <= qz.errorPerValue, `${v} → ${back[i]}, bound ${qz.errorPerValue}`));
    }));
});

test('a sum of m ≤ n encodings decodes within m·errorPerValue of the float sum, with no wrap-around (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 40 }),
    fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 40 }),
    (extra, rows) => {
      const n = rows.length + extra - 1;
      const qz = quantizer({ clipRange: 1, numClients: n });
      const sum = new Uint32Array(8);
      const plain = new Float64Array(8);
      for (const r of rows) {
        addInto(sum, qz.quantize(r).values);
        r.forEach((v, j) => { plain[j] += v; });
      }
      const back = qz.dequantizeSum(sum);
      plain.forEach((v, j) => assert.ok(Math.abs(v - back[j]) <= qz.sumErrorBound(rows.length), `${v} vs ${back[j]}`));
    }));
});

test('the extremes do not wrap: n clients all at +R or all at −R decode to ±nR', () => {
  for (const n of [1, 2, 3, 100, 1000, 65_537]) {
    const qz = quantizer({ clipRange: 0.5, numClients: n });
    const hi = new Uint32Array(2);
    const one = qz.quantize([0.5, -0.5]).values;
    for (let k = 0; k < n; k++) addInto(hi, one);
    const back = qz.dequantizeSum(hi);
    assert.ok(Math.abs(back[0] - 0.5 * n) <= qz.sumErrorBound(n), `n = ${n}: ${back[0]}`);
    assert.ok(Math.abs(back[1] + 0.5 * n) <= qz.sumErrorBound(n), `n = ${n}: ${back[1]}`);
  }
});

test('values outside [−R, R] are clamped and counted; NaN and ±∞ fail with NOT_FINITE', () => {
  const qz = quantizer({ clipRange: 1, numClients: 4 });
  const { values, clamped } = qz.quantize([3, -7, 0.5]);
  assert.equal(clamped, 2);
  const back = qz.dequantizeSum(values);
  assert.ok(Math.abs(back[0] - 1) < 1e-8 && Math.abs(back[1] + 1) < 1e-8);
  assert.throws(() => qz.quantize([NaN]), (e) => isFedleakError(e, 'NOT_FINITE'));
  assert.throws(() => qz.quantize([Infinity]), (e) => isFedleakError(e, 'NOT_FINITE'));
});

test('bad options fail with BAD_ARGUMENT naming the option', () => {
  assert.throws(() => quantizer({ clipRange: 0, numClients: 2 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'clipRange');
  assert.throws(() => quantizer({ clipRange: 1, numClients: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'numClients');
  assert.throws(() => quantizer({ clipRange: 1, numClients: 2 ** 31 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});
