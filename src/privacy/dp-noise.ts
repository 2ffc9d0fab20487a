/** Gaussian DP noise for FL updates: local and distributed (client mods) and central (server), PAPER.md §7. */
import type { NamedArrays, Update } from '../types.js';
import { addGaussianNoise } from './csprng.js';
import { badOption, checkKeys, integerIn, positiveNumber } from './check.js';
import type { ClientMod } from './mods.js';

/** Where the noise of a client mod is added: all of it on each client, or a 1/M share of its variance. @example dpModes.includes(flag) */
export const dpModes = ['local', 'distributed'] as const;

/** One of `dpModes`. @example const m: DpMode = 'distributed'; */
export type DpMode = (typeof dpModes)[number];

/**
 * Options of {@link dpNoise}.
 * @example const opts: DpNoiseOptions = { mode: 'distributed', noiseMultiplier: 1.1, clippingNorm: 1, numClients: 100 };
 */
export interface DpNoiseOptions {
  mode: DpMode;
  /** σ: the noise standard deviation in units of the clipping norm (dimensionless, ≥ 0). */
  noiseMultiplier: number;
  /** C: the L2 bound the update was clipped to by `clip` (same units as the update). */
  clippingNorm: number;
  /** M: the number of clients whose noisy updates are summed; required for 'distributed'. */
  numClients?: number;
}

/**
 * Options of {@link centralNoise}.
 * @example const opts: CentralNoiseOptions = { noiseMultiplier: 1.1, clippingNorm: 1, numClients: 100 };
 */
export interface CentralNoiseOptions {
  noiseMultiplier: number;
  clippingNorm: number;
  /** M: the number of clipped updates averaged into the aggregate. */
  numClients: number;
}

/**
 * The standard deviation per coordinate that {@link dpNoise} adds: σC for 'local' (variance σ²C²), σC/√M for
 * 'distributed' (variance σ²C²/M, so the M shares sum to variance σ²C², the central Gaussian mechanism on the sum).
 * Checks the options like `dpNoise`.
 * @example dpNoiseStd({ mode: 'distributed', noiseMultiplier: 3, clippingNorm: 2, numClients: 4 }) // 3
 */
export function dpNoiseStd(opts: DpNoiseOptions): number {
  const o = checkDpNoise(opts);
  return o.mode === 'local' ? o.noiseMultiplier * o.clippingNorm : (o.noiseMultiplier * o.clippingNorm) / Math.sqrt(o.numClients);
}

/**
 * A client mod that adds Gaussian noise from the CSPRNG to every coordinate of the (already clipped) update:
 * - 'local': N(0, σ²C²) on each client, so each update on its own is (ε, δ)-DP (and their mean carries
 *   noise of std σC/√M);
 * - 'distributed': N(0, σ²C²/M) on each of M clients, which protects only the sum (std σC, the central
 *   mechanism's noise) and only if the server cannot see single updates: pair it with secure aggregation.
 * Throws BAD_ARGUMENT naming the option for σ < 0, C ≤ 0, M not an integer ≥ 1 (or missing for 'distributed'),
 * an unknown mode or option. Put `clip({ clippingNorm: C })` before it (`applyMods` checks this).
 * @example
 * const mods = [clip({ clippingNorm: 1 }), dpNoise({ mode: 'local', noiseMultiplier: 1.1, clippingNorm: 1 })];
 * const sent = applyMods(update, mods);
 */
export function dpNoise(opts: DpNoiseOptions): ClientMod {
  const o = checkDpNoise(opts);
  const std = dpNoiseStd(o);
  const dpNoiseMod = (update: Update): Update =>
    std === 0 ? { ...update } : { ...update, arrays: noisy(update.arrays, std) };
  const options: Record<string, number | string> = {
    mode: o.mode, noiseMultiplier: o.noiseMultiplier, clippingNorm: o.clippingNorm };
  if (o.mode === 'distributed') options.numClients = o.numClients;
  return Object.assign(dpNoiseMod, { info: { stage: 'noise' as const, name: 'dpNoise', options } });
}

/**
 * The standard deviation per coordinate that {@link centralNoise} adds to the mean of M clipped updates: σC/M.
 * Why: adding or removing one client changes the sum of clipped updates by at most C (its L2 sensitivity), so
 * the Gaussian mechanism adds N(0, σ²C²) to the sum; dividing the sum by M divides that std by M.
 * @example centralNoiseStd({ noiseMultiplier: 3, clippingNorm: 2, numClients: 4 }) // 1.5
 */
export function centralNoiseStd(opts: CentralNoiseOptions): number {
  const o = checkCentral(opts);
  return (o.noiseMultiplier * o.clippingNorm) / o.numClients;
}

/**
 * Central DP on the server: a copy of `aggregate` (the unweighted mean of M clipped updates) with N(0, (σC/M)²)
 * added to every coordinate, from the CSPRNG. It protects the released model from other parties, never the clients
 * from the server that adds it (PAPER.md §7). `aggregate` is not changed.
 * @example const released = centralNoise(meanOfClipped, { noiseMultiplier: 1.1, clippingNorm: 1, numClients: 100 });
 */
export function centralNoise(aggregate: NamedArrays, opts: CentralNoiseOptions): NamedArrays {
  const std = centralNoiseStd(opts);
  return std === 0 ? aggregate.map(copy) : noisy(aggregate, std);
}

function noisy(arrays: NamedArrays, std: number): NamedArrays {
  return arrays.map((a) => ({ name: a.name, shape: [...a.shape], data: addGaussianNoise(a.data, std) }));
}

function copy(a: NamedArrays[number]): NamedArrays[number] {
  return { name: a.name, shape: [...a.shape], data: a.data.slice() };
}

type CheckedDpNoise = { mode: DpMode; noiseMultiplier: number; clippingNorm: number; numClients: number };

function checkDpNoise(opts: DpNoiseOptions): CheckedDpNoise {
  checkKeys('dpNoise', opts, ['mode', 'noiseMultiplier', 'clippingNorm', 'numClients']);
  if (!(dpModes as readonly unknown[]).includes(opts.mode)) {
    throw badOption('dpNoise.mode', `${dpModes.join(' or ')}`, opts.mode,
      (opts.mode as unknown) === 'central' ? 'central DP is added by the server: use centralNoise on the aggregate'
        : 'use mode: "local" or "distributed"');
  }
  const noiseMultiplier = positiveNumber(opts.noiseMultiplier, 'dpNoise.noiseMultiplier',
    'pass σ ≥ 0, the noise std in units of the clipping norm, e.g. noiseMultiplier: 1.1', true);
  const clippingNorm = positiveNumber(opts.clippingNorm, 'dpNoise.clippingNorm',
    'pass the C that clip() bounds the update to, e.g. clippingNorm: 1');
  let numClients = 1;
  if (opts.mode === 'distributed' || opts.numClients !== undefined) {
    numClients = integerIn(opts.numClients, 1, Infinity, 'dpNoise.numClients',
      'pass M, the number of clients whose updates are summed in a round, e.g. numClients: 100');
  }
  return { mode: opts.mode, noiseMultiplier, clippingNorm, numClients };
}

function checkCentral(opts: CentralNoiseOptions): Required<CentralNoiseOptions> {
  checkKeys('centralNoise', opts, ['noiseMultiplier', 'clippingNorm', 'numClients']);
  return {
    noiseMultiplier: positiveNumber(opts.noiseMultiplier, 'centralNoise.noiseMultiplier',
      'pass σ ≥ 0, e.g. noiseMultiplier: 1.1', true),
    clippingNorm: positiveNumber(opts.clippingNorm, 'centralNoise.clippingNorm',
      'pass the C every client update was clipped to, e.g. clippingNorm: 1'),
    numClients: integerIn(opts.numClients, 1, Infinity, 'centralNoise.numClients',
      'pass M, the number of clipped updates in the mean, e.g. numClients: 100'),
  };
}
