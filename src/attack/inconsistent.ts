/**
 * Model inconsistency through secure aggregation (PAPER.md §7; Pasquini et al., CCS 2022; Boenisch et al. 2023):
 * the server sends every client but the target a model whose first-layer neurons never fire, so their first-layer
 * gradients are exactly 0 and the aggregate's first layer is the target's alone.
 */
import type { NamedArrays } from '../types.js';
import { FedleakError } from '../errors.js';
import { findDense, replaceDense } from './layer.js';

/**
 * A copy of `params` whose `layer` (default `dense0`) never fires for any input with values in [−1, 1]:
 * each weight w_ji becomes −|w_ji| and each bias b_i becomes −(1 + Σ_j |w_ji|), so the pre-activation is at most
 * Σ_j |w_ji| − 1 − Σ_j |w_ji| = −1 < 0 for every such input. ReLU then passes 0 and its gradient is 0: the layer's
 * kernel and bias gradients are exactly 0 (no float rounding is involved: every term of their sums is ±0), and so
 * is every FedAvg weight change of the layer. The magnitudes of the weights are kept, so the model looks like the
 * target's (same shapes, same |w|); a client that checks signs or fires its own data through it can still tell
 * (PAPER.md §7, client-side checks). Other arrays are shared with `params`, not copied.
 * @throws FedleakError SHAPE_MISMATCH when `layer` is missing or misshapen.
 * @example
 * const dead = deadFirstLayer(crafted.params);
 * // a client training on `dead` sends dense0/kernel and dense0/bias updates that are all 0
 */
export function deadFirstLayer(params: NamedArrays, layer = 'dense0'): NamedArrays {
  const l = findDense(params, layer, 'params');
  const { inputDim: d, neurons: n } = l;
  const src = l.kernel.data;
  const kernel = new Float32Array(src.length);
  const mass = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0, k = j * n; i < n; i++, k++) {
      const w = Math.abs(src[k]);
      if (!Number.isFinite(w)) {
        throw new FedleakError('NOT_FINITE', `${layer}/kernel[${j}, ${i}] is ${src[k]}`, { path: `params.${layer}/kernel` });
      }
      kernel[k] = -w;
      mass[i] += w;
    }
  }
  const bias = new Float32Array(n);
  // The 2^-20 margin covers float32 rounding of the bias and of the pre-activation's sum for inputs in [−1, 1].
  for (let i = 0; i < n; i++) bias[i] = -Math.fround(1 + mass[i] * (1 + 2 ** -20));
  return replaceDense(params, layer, kernel, bias);
}

