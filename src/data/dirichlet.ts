/**
 * Seeded Gamma and Dirichlet sampling for non-IID partitions. Gamma: Marsaglia & Tsang, "A simple method for
 * generating gamma variables", ACM TOMS 26(3), 2000; shape < 1 via the boost Gamma(a) = Gamma(a+1)·U^(1/a).
 */

import { FedleakError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';

/**
 * log of a Gamma(shape, 1) draw. Logs, because for small shapes (α = 0.01) the boost factor U^(1/α)
 * underflows to 0 in float64 for most draws; the Dirichlet below normalises in log space instead.
 *
 * @example sampleLogGamma(0.5, new Rng(1)); // a finite number, often very negative
 */
export function sampleLogGamma(shape: number, rng: Rng): number {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a Gamma shape > 0, got ${shape}`, { path: 'shape' });
  }
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.uniform();
    return sampleLogGamma(shape + 1, rng) + Math.log(u) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    const x2 = x * x;
    // Squeeze test first: it accepts ~98% of draws without a log.
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    if (u > 0 && Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/**
 * A Gamma(shape, 1) draw.
 * @example sampleGamma(2, new Rng(1)); // mean 2 over many draws
 */
export function sampleGamma(shape: number, rng: Rng): number {
  return Math.exp(sampleLogGamma(shape, rng));
}

/**
 * A draw from the symmetric Dirichlet(α, …, α) over `k` outcomes: k non-negative proportions summing to 1.
 * Normalised as exp(log g_i − max) / Σ so tiny α gives a near one-hot vector rather than 0/0.
 *
 * @example sampleDirichlet(0.5, 4, new Rng(3)); // Float64Array of 4 proportions summing to 1
 */
export function sampleDirichlet(alpha: number, k: number, rng: Rng): Float64Array {
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a Dirichlet alpha > 0, got ${alpha}`, {
      path: 'alpha',
      hint: 'small alpha (0.1) gives skewed clients, large alpha (100) nearly IID ones',
    });
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new FedleakError('BAD_ARGUMENT', `expected a whole number of outcomes ≥ 1, got ${k}`, { path: 'k' });
  }
  const logs = new Float64Array(k);
  let max = -Infinity;
  for (let i = 0; i < k; i++) {
    logs[i] = sampleLogGamma(alpha, rng);
    if (logs[i] > max) max = logs[i];
  }
  let sum = 0;
  for (let i = 0; i < k; i++) {
    logs[i] = Math.exp(logs[i] - max);
    sum += logs[i];
  }
  for (let i = 0; i < k; i++) logs[i] /= sum;
  return logs;
}
