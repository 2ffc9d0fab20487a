/** Client mods in a visible order (clip → noise → mask), as in Flower's client mods: compose, check and describe them. */
import { FedleakError } from '../errors.js';
import type { Update } from '../types.js';

/**
 * The stages a client update passes through after local training, in the only order that keeps the DP guarantee:
 * clipping bounds the sensitivity, the noise is calibrated to that bound, and masking (secure aggregation) comes
 * last because it hides the noisy update, not the raw one.
 * @example modStages.indexOf('noise') > modStages.indexOf('clip') // true
 */
export const modStages = ['clip', 'noise', 'mask'] as const;

/** One of `modStages`. @example const s: ModStage = 'clip'; */
export type ModStage = (typeof modStages)[number];

/**
 * What a report prints about one stage: its stage, its factory's name and its (already checked) options.
 * @example const info: ModInfo = { stage: 'clip', name: 'clip', options: { clippingNorm: 1 } };
 */
export interface ModInfo {
  stage: ModStage;
  name: string;
  options: Readonly<Record<string, number | string>>;
}

/**
 * A client mod: a function from an update to a new update (it never changes its input; it may share arrays it
 * leaves unchanged), plus its `info` for reports. Built by factories that check their options, e.g. `clip`.
 * @example const mod: ClientMod = clip({ clippingNorm: 1 }); const clipped = mod(update);
 */
export type ClientMod = ((update: Update) => Update) & { readonly info: ModInfo & { stage: 'clip' | 'noise' } };

/**
 * The mask stage of a pipeline. Masking needs the round's keys and several message rounds with the server, so
 * it is carried out by the SecAgg protocol (`runSecAgg`, `SecAggClient`), not by `applyMods`; in a pipeline it
 * fixes the order and the report line. Built by `secAggMask`.
 * @example const stage: MaskStage = secAggMask({ threshold: 67, clipRange: 1, numClients: 100 });
 */
export interface MaskStage {
  readonly info: ModInfo & { stage: 'mask' };
}

/** A pipeline entry: a client mod or the mask stage. @example const p: PipelineStage[] = [clip({ clippingNorm: 1 })]; */
export type PipelineStage = ClientMod | MaskStage;

/**
 * Throws BAD_ARGUMENT unless the stages follow clip → noise → mask, each at most once, and every noise stage is
 * preceded by a clip to a norm no larger than the one the noise is calibrated to (otherwise the noise is too
 * small for the sensitivity and the DP guarantee does not hold).
 * @example checkModOrder([clip({ clippingNorm: 1 }), dpNoise({ mode: 'local', noiseMultiplier: 1, clippingNorm: 1 })]);
 */
export function checkModOrder(stages: readonly PipelineStage[]): void {
  if (!Array.isArray(stages)) {
    throw new FedleakError('BAD_ARGUMENT', 'expected an array of client mods', { path: 'mods', hint: 'pass [] for no mods' });
  }
  let last = -1;
  let clippedTo: number | null = null;
  stages.forEach((s, i) => {
    const info = (s as Partial<PipelineStage> | null)?.info;
    const rank = info ? modStages.indexOf(info.stage) : -1;
    if (!info || rank < 0) {
      throw new FedleakError('BAD_ARGUMENT', 'expected a mod built by clip, dpNoise or secAggMask', {
        path: `mods[${i}]`,
        hint: 'build mods with their factories, which check the options',
      });
    }
    if (rank <= last) {
      throw new FedleakError('BAD_ARGUMENT',
        `${info.name} (stage ${info.stage}) comes after stage ${modStages[last]}; the order must be ${modStages.join(' → ')}, each once`,
        { path: `mods[${i}]`, hint: `list the mods as ${modStages.join(' → ')}` });
    }
    last = rank;
    if (info.stage === 'clip') clippedTo = Number(info.options.clippingNorm);
    if (info.stage === 'noise') {
      const c = Number(info.options.clippingNorm);
      if (clippedTo === null || clippedTo > c) {
        throw new FedleakError('BAD_ARGUMENT',
          clippedTo === null
            ? `${info.name} is calibrated to clippingNorm ${c} but no clip comes before it`
            : `${info.name} is calibrated to clippingNorm ${c} but the update is clipped to ${clippedTo}`,
          { path: `mods[${i}]`, hint: `put clip({ clippingNorm: ${c} }) before the noise` });
      }
    }
  });
}

/**
 * Applies the client mods to `update` in the listed order, after checking the order with `checkModOrder`. A mask
 * stage, which must be last, is left to the SecAgg protocol: the result is the update that the protocol masks.
 * @example const sent = applyMods(update, [clip({ clippingNorm: 1 }), dpNoise({ mode: 'local', noiseMultiplier: 1, clippingNorm: 1 })]);
 */
export function applyMods(update: Update, stages: readonly PipelineStage[]): Update {
  checkModOrder(stages);
  let out = update;
  for (const s of stages) if (typeof s === 'function') out = s(out);
  return out;
}

/**
 * The pipeline as data and as one line for reports, e.g.
 * `clip(clippingNorm=1) → dpNoise(mode=local, noiseMultiplier=3, clippingNorm=1)`; an empty pipeline reads `none`.
 * @example console.log(describeMods([clip({ clippingNorm: 1 })]).text); // clip(clippingNorm=1)
 */
export function describeMods(stages: readonly PipelineStage[]): { order: ModInfo[]; text: string } {
  checkModOrder(stages);
  const order = stages.map((s) => ({ stage: s.info.stage, name: s.info.name, options: { ...s.info.options } }));
  const text = order.length === 0 ? 'none' : order
    .map((m) => `${m.name}(${Object.entries(m.options).map(([k, v]) => `${k}=${v}`).join(', ')})`)
    .join(' → ');
  return { order, text };
}
