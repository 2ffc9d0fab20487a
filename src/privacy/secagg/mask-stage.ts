/** The mask stage of a client pipeline (clip → noise → mask): secure aggregation's options, checked when built. */
import { checkKeys } from '../check.js';
import type { MaskStage } from '../mods.js';
import { secAggConfig } from './config.js';

/**
 * Options of {@link secAggMask}.
 * @example const opts: SecAggMaskOptions = { threshold: 67, clipRange: 1, numClients: 100 };
 */
export interface SecAggMaskOptions {
  /** t: see `secAggConfig`. */
  threshold: number;
  /** R: updates are clamped to [−R, R] and encoded in fixed point. */
  clipRange: number;
  /** n: clients in the round. */
  numClients: number;
  /** SecAgg+: k neighbours per client (even, ≥ t); omit for the original protocol. */
  neighbours?: number;
}

/**
 * The mask stage for a pipeline: rejects bad options at once with a coded error (t outside [1, n], R ≤ 0, n < 2,
 * an odd k or t > k)
 * and gives `describeMods` its report line. The masking itself runs in the SecAgg protocol (`runSecAgg` or
 * `SecAggClient`), which needs the round's keys; `applyMods` leaves it there.
 * @example
 * const pipeline = [clip({ clippingNorm: 1 }), dpNoise({ mode: 'distributed', noiseMultiplier: 1, clippingNorm: 1,
 *   numClients: 100 }), secAggMask({ threshold: 67, clipRange: 1, numClients: 100 })];
 * describeMods(pipeline).text
 */
export function secAggMask(opts: SecAggMaskOptions): MaskStage & { options: SecAggMaskOptions } {
  checkKeys('secAggMask', opts, ['threshold', 'clipRange', 'numClients', 'neighbours']);
  const c = secAggConfig({ numClients: opts.numClients, threshold: opts.threshold, vectorLength: 1, clipRange: opts.clipRange,
    sessionId: 'check', neighbours: opts.neighbours });
  const options: SecAggMaskOptions = { threshold: c.threshold, clipRange: c.clipRange, numClients: c.numClients };
  if (c.neighbours !== null) options.neighbours = c.neighbours;
  return { info: { stage: 'mask', name: 'secAggMask', options: { ...options } }, options };
}
