/**
 * RDP accountant for the sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of
 * the Sampled Gaussian Mechanism", §3.3), the computation of TF Privacy / Opacus `compute_rdp`, and its conversion
 * to (ε, δ)-DP (`get_privacy_spent`).
 */
import { FedleakError } from '../errors.js';
import { badOption, checkKeys, integerIn, positiveNumber } from './check.js';
import { logAbsBinomial, logAdd, logErfc, logSub } from './log-math.js';

/**
 * Opacus's default RDP orders α: 1.1, 1.2, …, 10.9 (1 + x/10 for x = 1..99) and 12, 13, …, 63.
 * @example defaultOrders.length // 151
 */
export const defaultOrders: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, k) => 1 + (k + 1) / 10),
  ...Array.from({ length: 52 }, (_, k) => 12 + k),
]);

/**
 * How RDP becomes (ε, δ)-DP at each order α, before minimising over α:
 * - 'improved': ε = rdp + log(1 − 1/α) − log(δα)/(α − 1) (Canonne, Kamath & Steinke 2020, Prop. 12; Balle et al.
 *   2020, Thm. 21), as in Opacus ≥ 1.0 and Google's dp_accounting (whose edge rules it keeps: ε = 0 when
 *   δ² + expm1(−rdp) ≥ 0, no bound from orders α ≤ 1.01, ε ≥ 0). The default.
 * - 'classic': ε = rdp − log(δ)/(α − 1) (Mironov 2017, Prop. 3), as in TF Privacy before 2020; larger.
 * @example conversions.includes('classic') // true
 */
export const conversions = ['improved', 'classic'] as const;

/** One of `conversions`. @example const c: Conversion = 'improved'; */
export type Conversion = (typeof conversions)[number];

/**
 * Options of {@link rdpGaussian}.
 * @example const opts: RdpOptions = { noiseMultiplier: 1.1, sampleRate: 256 / 60000, steps: 14063 };
 */
export interface RdpOptions {
  /** σ: noise std divided by the L2 sensitivity (the clipping norm). 0 means no privacy (rdp = ∞). */
  noiseMultiplier: number;
  /** q: the probability that a given record (client) takes part in a step (Poisson sampling), in [0, 1]. */
  sampleRate: number;
  /** Number of steps (rounds) composed. */
  steps: number;
  /** RDP orders α > 1 (∞ allowed); default `defaultOrders`. */
  orders?: readonly number[];
}

/**
 * Options of {@link epsilon}.
 * @example const opts: EpsilonOptions = { noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000, delta: 1e-5 };
 */
export interface EpsilonOptions extends RdpOptions {
  /** δ in (0, 1). */
  delta: number;
  /** Default 'improved'. */
  conversion?: Conversion;
}

/**
 * An (ε, δ) guarantee and the order that gave it. `atBoundary` is true when the best order is the smallest or the
 * largest one tried (Opacus warns then): widening the orders may give a smaller ε.
 * @example const { epsilon, bestOrder } = epsilon({ noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000, delta: 1e-5 });
 */
export interface PrivacySpent {
  epsilon: number;
  bestOrder: number;
  atBoundary: boolean;
}

/**
 * The RDP of `steps` compositions of the sampled Gaussian mechanism at each order: steps · log(A_α)/(α − 1),
 * with A_α from the binomial expansion for integer α and the two-sided erfc series for fractional α (Mironov et
 * al. 2019, §3.3). Special cases: q = 0 → 0, σ = 0 → ∞, q = 1 → α/(2σ²) exactly, α = ∞ → ∞. An order whose
 * series loses all precision gives NaN, and the conversion skips it. Throws BAD_ARGUMENT for bad options.
 * @example
 * const { orders, rdp } = rdpGaussian({ noiseMultiplier: 2.5, sampleRate: 0.01, steps: 50, orders: [1.5, 2.5, 5] });
 */
export function rdpGaussian(opts: RdpOptions): { orders: number[]; rdp: number[] } {
  const o = checkRdp(opts, 'rdpGaussian');
  return { orders: o.orders, rdp: o.orders.map((a) => o.steps * rdpOneStep(o.sampleRate, o.noiseMultiplier, a)) };
}

/**
 * The smallest ε over the orders for which `steps` steps of the sampled Gaussian mechanism are (ε, δ)-DP.
 * Throws BAD_ARGUMENT for bad options.
 * @example
 * // Opacus's own test: σ = 1.5, q = 0.04, 2250 steps, δ = 1e-5 → ε ≈ 7.3291
 * epsilon({ noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250, delta: 1e-5 }).epsilon
 */
export function epsilon(opts: EpsilonOptions): PrivacySpent {
  checkKeys('epsilon', opts, ['noiseMultiplier', 'sampleRate', 'steps', 'orders', 'delta', 'conversion']);
  const { delta, conversion, ...rdpOpts } = opts;
  return rdpToEpsilon({ ...rdpGaussian(rdpOpts), delta, conversion });
}

/**
 * ε after each of `rounds` (e.g. [1, 2, …, R]) steps, for reports of ε per round; the RDP of one step is computed
 * once and scaled, so a long curve costs one accountant call.
 * @example epsilonByRound({ noiseMultiplier: 1, sampleRate: 0.1, delta: 1e-5, rounds: [1, 10, 100] })
 */
export function epsilonByRound(opts: Omit<EpsilonOptions, 'steps'> & { rounds: readonly number[] }): (PrivacySpent & { round: number })[] {
  const { rounds, delta, conversion, ...rest } = opts;
  if (!Array.isArray(rounds)) throw badOption('epsilonByRound.rounds', 'an array of step counts', rounds, 'pass e.g. rounds: [1, 2, 3]');
  const one = rdpGaussian({ ...rest, steps: 1 });
  return rounds.map((r, i) => {
    const steps = integerIn(r, 0, Number.MAX_SAFE_INTEGER, `epsilonByRound.rounds[${i}]`, 'pass whole numbers of steps');
    const rdp = one.rdp.map((v) => (steps === 0 ? 0 : steps * v));
    return { round: steps, ...rdpToEpsilon({ orders: one.orders, rdp, delta, conversion }) };
  });
}

/**
 * Converts RDP values (one per order, e.g. summed over several mechanisms) to the best (ε, δ) with the chosen
 * conversion (see `conversions`). NaN entries are skipped; if none is usable ε = ∞ and bestOrder = NaN.
 * @example rdpToEpsilon({ orders: [2, 32], rdp: [1.1, 1.1], delta: 1e-5 }) // ε ≈ 1.3278 at order 32
 */
export function rdpToEpsilon(
  opts: { orders: readonly number[]; rdp: readonly number[]; delta: number; conversion?: Conversion },
): PrivacySpent {
  checkKeys('rdpToEpsilon', opts, ['orders', 'rdp', 'delta', 'conversion']);
  const orders = checkOrders(opts.orders, 'rdpToEpsilon.orders');
  if (!Array.isArray(opts.rdp) || opts.rdp.length !== orders.length) {
    throw badOption('rdpToEpsilon.rdp', `an array of ${orders.length} RDP values (one per order)`, opts.rdp,
      'pass the rdp array that rdpGaussian returned for these orders');
  }
  const delta = opts.delta;
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) {
    throw badOption('delta', 'a number in (0, 1)', delta, 'pass δ, typically below 1/(number of clients), e.g. 1e-5');
  }
  const conversion = opts.conversion ?? 'improved';
  if (!(conversions as readonly unknown[]).includes(conversion)) {
    throw badOption('conversion', conversions.join(' or '), conversion, "use 'improved' (Opacus) or 'classic' (old TF Privacy)");
  }
  let best = Infinity;
  let bestIndex = -1;
  orders.forEach((a, i) => {
    const r = opts.rdp[i];
    if (typeof r !== 'number' || Number.isNaN(r)) return;
    if (r < 0) throw badOption(`rdpToEpsilon.rdp[${i}]`, 'an RDP value ≥ 0', r, 'RDP is never negative; check its source');
    const eps = conversion === 'classic' ? classicEps(a, r, delta) : improvedEps(a, r, delta);
    if (eps < best || bestIndex < 0) {
      best = eps;
      bestIndex = i;
    }
  });
  if (bestIndex < 0) return { epsilon: Infinity, bestOrder: NaN, atBoundary: false };
  return {
    epsilon: conversion === 'improved' ? Math.max(0, best) : best,
    bestOrder: orders[bestIndex],
    atBoundary: orders.length > 1 && (orders[bestIndex] === Math.min(...orders) || orders[bestIndex] === Math.max(...orders)),
  };
}

function classicEps(a: number, r: number, delta: number): number {
  if (r === Infinity) return Infinity;
  if (a === Infinity) return r;
  return r - Math.log(delta) / (a - 1);
}

function improvedEps(a: number, r: number, delta: number): number {
  if (r === Infinity) return Infinity;
  // When δ ≥ √(1 − e^(−rdp)), the KL bound already gives ε = 0 (dp_accounting's rule).
  if (delta * delta + Math.expm1(-r) >= 0) return 0;
  if (!(a > 1.01)) return Infinity; // the bound is unstable as α → 1 and useless there
  if (a === Infinity) return r;
  return r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
}

/** RDP of one step of the sampled Gaussian mechanism at order α. */
function rdpOneStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Infinity) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** log A_α = log Σ_{i=0}^{α} C(α, i) qⁱ (1−q)^{α−i} e^{(i²−i)/(2σ²)} for integer α (Mironov et al. 2019, eq. (3.3)). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  let logBinom = 0; // log C(α, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const s = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * log A_α for fractional α: A_α split at z₀ = σ² log(1/q − 1) + 1/2 into two series whose terms carry erfc tails,
 * summed until both terms fall below e^−30 (the stopping rule of TF Privacy and Opacus).
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const s2 = Math.SQRT2 * sigma;
  for (let i = 0; i < 1_000_000; i++) {
    const { log: logCoef, sign } = logAbsBinomial(alpha, i);
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / s2);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / s2);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Number.isNaN(logA0) || Number.isNaN(logA1)) return NaN;
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

type CheckedRdp = { noiseMultiplier: number; sampleRate: number; steps: number; orders: number[] };

function checkRdp(opts: RdpOptions, name: string): CheckedRdp {
  checkKeys(name, opts, ['noiseMultiplier', 'sampleRate', 'steps', 'orders']);
  const noiseMultiplier = positiveNumber(opts.noiseMultiplier, 'noiseMultiplier',
    'pass σ ≥ 0, the noise std in units of the clipping norm', true);
  const q = opts.sampleRate;
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
    throw badOption('sampleRate', 'a probability in [0, 1]', q, 'pass q = clients per round / total clients, e.g. 0.01');
  }
  const steps = integerIn(opts.steps, 0, Number.MAX_SAFE_INTEGER, 'steps', 'pass the number of rounds, e.g. 100');
  const orders = checkOrders(opts.orders ?? defaultOrders, 'orders');
  return { noiseMultiplier, sampleRate: q, steps, orders };
}

function checkOrders(orders: unknown, path: string): number[] {
  if (!Array.isArray(orders) || orders.length === 0) {
    throw badOption(path, 'a non-empty array of RDP orders α > 1', orders, 'omit orders to use defaultOrders');
  }
  orders.forEach((a, i) => {
    if (typeof a !== 'number' || Number.isNaN(a) || !(a > 1)) {
      throw new FedleakError('BAD_ARGUMENT', `expected an RDP order α > 1, got ${String(a)}`, {
        path: `${path}[${i}]`, hint: 'RDP orders are real numbers above 1, e.g. 1.5, 2, 32; ∞ is allowed' });
    }
  });
  return [...orders] as number[];
}
