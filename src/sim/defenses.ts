/** The scenario's defenses as the simulator applies them: client mods, SecAgg parameters, dropouts, ε per round. */
import type { Scenario } from './scenario.js';
import { honestPerRound, secAggThreshold } from './scenario.js';
import { clip, dpNoise, dpNoiseStd, describeMods, epsilonByRound, secAggMask, type ModInfo, type PipelineStage } from '../privacy/index.js';
import type { SecAggDropout, SecAggRound } from '../privacy/index.js';
import type { Rng } from '../tensor/rng.js';

/**
 * Noise std each honest client adds to every coordinate: σC (local), σC/√M (distributed, M = clients per round,
 * sybils included: an honest client cannot tell them apart), 0 otherwise (central noise is the server's).
 * @example clientNoiseStd(parseScenario({ dp: 'local', noiseMultiplier: 3, clippingNorm: 2 })) === 6
 */
export function clientNoiseStd(s: Scenario): number {
  if (s.dp !== 'local' && s.dp !== 'distributed') return 0;
  return dpNoiseStd({ mode: s.dp, noiseMultiplier: s.noiseMultiplier ?? 0, clippingNorm: s.clippingNorm ?? 1,
    ...(s.dp === 'distributed' ? { numClients: s.clientsPerRound } : {}) });
}

/**
 * R of SecAgg's fixed-point code: R₀ + 6 × the honest clients' noise std, so that noise pushes a coordinate beyond R
 * with probability about 2e-9. R₀ is `secaggRange`, by default the clipping norm C, which bounds every coordinate of
 * a clipped update (the worst case: one coordinate holding the whole norm). The code's step is R·n/2^31 for n
 * clients, so R₀ = C spends bits on a worst case that real updates never reach (their largest coordinate is a few
 * percent of C); a server that states a smaller R₀ reads the first layer more precisely and clamps the rare
 * larger coordinates (counted in `clampedValues`).
 * @example secAggClipRange(parseScenario({ secagg: true, numClients: 2, clientsPerRound: 2, clippingNorm: 1 })) === 1
 */
export function secAggClipRange(s: Scenario): number {
  return (s.secaggRange ?? s.clippingNorm ?? 1) + 6 * clientNoiseStd(s);
}

/**
 * The honest clients' pipeline, in the enforced order clip → noise → mask: clip when a clipping norm is given,
 * local or distributed noise, and the SecAgg mask stage with its options.
 * @example describeMods(honestPipeline(s)).text // 'clip(clippingNorm=1) → dpNoise(mode=distributed, …) → secAggMask(…)'
 */
export function honestPipeline(s: Scenario): PipelineStage[] {
  const stages: PipelineStage[] = [];
  if (s.clippingNorm !== undefined) stages.push(clip({ clippingNorm: s.clippingNorm }));
  if (s.dp === 'local' || s.dp === 'distributed') {
    stages.push(dpNoise({ mode: s.dp, noiseMultiplier: s.noiseMultiplier ?? 0, clippingNorm: s.clippingNorm ?? 1,
      ...(s.dp === 'distributed' ? { numClients: s.clientsPerRound } : {}) }));
  }
  if (s.secagg) stages.push(maskStage(s));
  return stages;
}

/** The sybils' pipeline: clip (so their updates fit the SecAgg code like everyone's) and mask; never noise. */
export function sybilPipeline(s: Scenario): PipelineStage[] {
  const stages: PipelineStage[] = [];
  if (s.clippingNorm !== undefined) stages.push(clip({ clippingNorm: s.clippingNorm }));
  if (s.secagg) stages.push(maskStage(s));
  return stages;
}

function maskStage(s: Scenario): PipelineStage {
  return secAggMask({ threshold: secAggThreshold(s), clipRange: secAggClipRange(s), numClients: s.clientsPerRound,
    ...(s.secaggNeighbours !== undefined ? { neighbours: s.secaggNeighbours } : {}) });
}

/**
 * Which participants drop out of SecAgg: round(p · n) of the `ids` other than `target`, drawn with `rng` and
 * dealt to rounds 1, 2, 3, 4, 1, … so that every round loses some. The target never drops: the server measures
 * the rounds its target takes part in (one that drops is attacked in a later round).
 * @example planDropouts([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0, 0.2, rng) // e.g. [{ round: 1, clientIds: [7] }, { round: 2, clientIds: [3] }, …]
 */
export function planDropouts(ids: readonly number[], target: number, p: number, rng: Rng): SecAggDropout[] {
  const others = ids.filter((id) => id !== target);
  const count = Math.min(others.length, Math.round(p * ids.length));
  const order = rng.permutation(others.length);
  const out: SecAggDropout[] = ([1, 2, 3, 4] as SecAggRound[]).map((round) => ({ round, clientIds: [] as number[] }));
  for (let k = 0; k < count; k++) out[k % 4].clientIds.push(others[order[k]]);
  return out.filter((d) => d.clientIds.length > 0);
}

/**
 * The defenses of a run, as results report them.
 * @example privacyReport(s).byRound[0].epsilon
 */
export interface PrivacyReport {
  /** The honest clients' pipeline, e.g. `clip(clippingNorm=1) → dpNoise(…) → secAggMask(…)`, or `none`. */
  mods: string;
  order: ModInfo[];
  dp: Scenario['dp'];
  noiseMultiplier: number | null;
  clippingNorm: number | null;
  delta: number;
  /** q: the chance an honest client takes part in a round, (clients per round − sybils) / clients. */
  sampleRate: number;
  /** Per-coordinate noise std each honest client adds. */
  clientNoiseStd: number;
  /** ε after each round (RDP accountant, sampled Gaussian, improved conversion); null without DP noise. */
  byRound: { round: number; epsilon: number }[] | null;
  secagg: { threshold: number; clipRange: number; statedRange: number; neighbours: number | null } | null;
}

/**
 * Describes the scenario's defenses and the nominal ε the deployment claims after each round: the RDP accountant
 * for σ, q = honest clients per round / clients, δ. What the deployment claims is not what a malicious server
 * faces: results add, per extraction, the noise the isolated update really carries (sybils add none).
 * @example const p = privacyReport(parseScenario({ dp: 'local', noiseMultiplier: 1, clippingNorm: 1 }));
 */
export function privacyReport(s: Scenario): PrivacyReport {
  const stages = honestPipeline(s);
  const { order, text } = describeMods(stages);
  const sampleRate = Math.min(1, honestPerRound(s) / s.numClients);
  const sigma = s.noiseMultiplier ?? null;
  return {
    mods: text,
    order,
    dp: s.dp,
    noiseMultiplier: sigma,
    clippingNorm: s.clippingNorm ?? null,
    delta: s.delta,
    sampleRate,
    clientNoiseStd: clientNoiseStd(s),
    byRound: s.dp === 'none' || sigma === null ? null : epsilonCurve(sigma, sampleRate, s.delta, s.rounds),
    secagg: s.secagg
      ? { threshold: secAggThreshold(s), clipRange: secAggClipRange(s), statedRange: s.secaggRange ?? s.clippingNorm ?? 1,
        neighbours: s.secaggNeighbours ?? null }
      : null,
  };
}

/**
 * ε after rounds 1..R for noise multiplier σ and sample rate q (∞ when σ = 0).
 * @example epsilonCurve(1, 0.1, 1e-5, 3).map((e) => e.epsilon)
 */
export function epsilonCurve(sigma: number, q: number, delta: number, rounds: number): { round: number; epsilon: number }[] {
  const all = Array.from({ length: rounds }, (_, r) => r + 1);
  if (sigma === 0) return all.map((round) => ({ round, epsilon: Infinity }));
  return epsilonByRound({ noiseMultiplier: sigma, sampleRate: q, delta, rounds: all }).map((e) => ({ round: e.round, epsilon: e.epsilon }));
}
