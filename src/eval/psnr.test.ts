import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mse, psnr, psnrFromMse } from './psnr.js';
import { isFedleakError } from '../errors.js';

test('PSNR by hand: data range 1, so MSE 0.01 → 20 dB, 0.0001 → 40 dB, identical → Infinity', () => {
  assert.ok(Math.abs(psnr([0, 1], [0.1, 0.9]) - 20) < 1e-9);
  assert.ok(Math.abs(psnrFromMse(1e-4) - 40) < 1e-9);
  assert.equal(psnrFromMse(1), 0);
  // MSE 0.03 (not 0.0009 or 0.173): a mixed-up square root or range would show
  assert.ok(Math.abs(psnr([0.3, 0.3, 0.3], [0, 0.3, 0.3 + 0.3]) - 10 * Math.log10(1 / 0.06)) < 1e-9);
  assert.equal(psnr([0.2, 0.4], [0.2, 0.4]), Infinity);
  assert.ok(Math.abs(mse([1, 2, 3], [1, 2, 5]) - 4 / 3) < 1e-15);
});

test('PSNR refuses arrays of different or zero length', () => {
  assert.throws(() => psnr([1], [1, 2]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(() => psnr([], []), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
