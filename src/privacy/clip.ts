/** L2 clipping of a whole client update to norm ≤ C, the sensitivity bound of DP-FedAvg (McMahan et al. 2018, Alg. 1). */
import { FedleakError } from '../errors.js';
import type { NamedArrays, Update } from '../types.js';
import { checkKeys, positiveNumber } from './check.js';
import type { ClientMod } from './mods.js';

/** Options of {@link clip}. @example const opts: ClipOptions = { clippingNorm: 1 }; */
export interface ClipOptions {
  /** C: the largest L2 norm an update may have after clipping, over all its arrays together. */
  clippingNorm: number;
}

/**
 * The global L2 norm of all arrays together, √(Σ x²), summed in float64 (no overflow for any float32 input).
 * Returns NaN if a value is NaN and Infinity if one is infinite.
 * @example l2Norm([{ name: 'w', shape: [2], data: Float32Array.of(3, 4) }]) // 5
 */
export function l2Norm(arrays: NamedArrays): number {
  let sum = 0;
  for (const a of arrays) {
    const d = a.data;
    for (let j = 0; j < d.length; j++) sum += d[j] * d[j];
  }
  return Math.sqrt(sum);
}

/**
 * A client mod that scales the whole update by min(1, C / ‖u‖₂), where ‖u‖₂ is the norm of all arrays together,
 * so the update sent has norm ≤ C (checked after rounding to float32; if rounding pushed it above C it is scaled
 * down by one more ulp-sized step). Updates already within C pass unchanged. Throws BAD_ARGUMENT for a
 * clippingNorm that is not a finite number > 0, and NOT_FINITE (when applied) for an update holding NaN or ±∞.
 * @example
 * const mod = clip({ clippingNorm: 1 });
 * l2Norm(mod(update).arrays) <= 1 // true
 */
export function clip(opts: ClipOptions): ClientMod {
  checkKeys('clip', opts, ['clippingNorm']);
  const c = positiveNumber(opts.clippingNorm, 'clip.clippingNorm', 'pass the L2 bound C, e.g. clippingNorm: 1');
  const clipMod = (update: Update): Update => {
    const norm = l2Norm(update.arrays);
    if (!Number.isFinite(norm)) {
      throw new FedleakError('NOT_FINITE', `the update's L2 norm is ${norm}`, {
        path: `update(${update.clientId}).arrays`,
        hint: 'an array holds NaN or Infinity: lower the learning rate or check the input data',
      });
    }
    if (norm <= c) return { ...update };
    let factor = c / norm;
    for (;;) {
      const arrays = scale(update.arrays, factor);
      if (l2Norm(arrays) <= c) return { ...update, arrays };
      factor *= 1 - 2 ** -23; // float32 rounding can add up to 2^-24 of the norm; one step removes it
    }
  };
  return Object.assign(clipMod, { info: { stage: 'clip' as const, name: 'clip', options: { clippingNorm: c } } });
}

function scale(arrays: NamedArrays, factor: number): NamedArrays {
  return arrays.map((a) => {
    const data = new Float32Array(a.data.length);
    for (let j = 0; j < data.length; j++) data[j] = a.data[j] * factor;
    return { name: a.name, shape: [...a.shape], data };
  });
}
