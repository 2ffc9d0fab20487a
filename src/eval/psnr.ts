/** Peak signal-to-noise ratio for data range 1: PSNR = 10 · log10(1 / MSE), in dB. */
import { FedleakError } from '../errors.js';

/**
 * Mean squared error of two equally long arrays, summed in float64.
 * @throws FedleakError SHAPE_MISMATCH when the lengths differ or are 0.
 * @example mse([0, 1], [0.1, 0.9]) // 0.01
 */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) {
    throw new FedleakError('SHAPE_MISMATCH', `cannot compare arrays of ${a.length} and ${b.length} values`, {
      path: 'mse',
    });
  }
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const e = a[k] - b[k];
    s += e * e;
  }
  return s / a.length;
}

/**
 * PSNR in dB from an MSE, data range 1. Identical images (MSE 0) give `Infinity`, not a cap: a capped figure
 * would look like a measurement. Reports print it as "∞" and the JSON writer as the string "Infinity".
 * @example psnrFromMse(0.01) // 20
 */
export function psnrFromMse(meanSquaredError: number): number {
  return meanSquaredError === 0 ? Infinity : 10 * Math.log10(1 / meanSquaredError);
}

/**
 * PSNR in dB of `a` against `b`, data range 1 (values in [0, 1]; clip a candidate first). Identical → Infinity.
 * @throws FedleakError SHAPE_MISMATCH when the lengths differ or are 0.
 * @example psnr([0, 1], [0.1, 0.9]) // 20 (MSE 0.01)
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return psnrFromMse(mse(a, b));
}
