/** The malicious server of CAH (Algorithm 1): trap weights in the first dense layer, then the read-out. */
import type { Attack } from '../types.js';
import { FedleakError } from '../errors.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { findDense, replaceDense } from './layer.js';
import { checkOptionKeys, describe } from './options.js';
import { readOutUpdate } from './readout.js';
import { checkScale, checkSigma, trapWeights } from './trap-weights.js';
import { tuneScale, type TuneResult } from './tuner.js';

export { trapWeights } from './trap-weights.js';

/**
 * Options of the trap attack. Give `scale`, or leave it out to tune it on the attacker's auxiliary data.
 * @example trap({ scale: 0.7 }); trap({ tune: { grid: [0.6, 0.7, 0.8] } }); trap(); // tuned on ctx.aux
 */
export interface TrapOptions {
  /** Scale s in (0, 1] of the positive half (CAH: MNIST 0.7, CIFAR-10 0.95, ImageNet 0.99). */
  scale?: number;
  /** σ (standard deviation) of the half-normal magnitudes. Default 0.5. */
  sigma?: number;
  /** Tune s by grid search (see `tuneScale`); the default when `scale` is left out. */
  tune?: { grid?: number[]; trials?: number };
}

/**
 * What the trap server remembers between crafting and reading.
 * @example const { secrets } = trap({ scale: 0.7 }).craft(spec, params, { seed: 1 }); // secrets.scale === 0.7
 */
export interface TrapSecrets {
  scale: number;
  sigma: number;
  layer: 'dense0';
  /** The tuner's table (R per scale tried) when the scale was tuned, else null. */
  tuning: TuneResult['table'] | null;
}

/**
 * The trap attack. `craft` replaces `dense0/kernel` and `dense0/bias` with trap weights (fresh arrays; the input
 * list is not changed and its other entries are passed through as they are) drawn from `ctx.seed`, with the given
 * scale or one tuned on `ctx.aux` for `ctx.batchSize` (tuning runs on every `craft`: to craft many rounds, tune once
 * with `tuneScale` and pass `scale`). `reconstruct` is the read-out of `dense0`.
 * @throws FedleakError BAD_ARGUMENT for a bad or unknown option (at once), or when `craft` must tune and has no
 *   auxiliary data or batch size; SHAPE_MISMATCH when the params have no `dense0` that fits `spec`.
 * @example
 * const attack = trap({ scale: 0.7 });
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1 });
 * // … a client trains on `params` and sends `update` …
 * const rec = attack.reconstruct(update, secrets);
 */
export function trap(opts: TrapOptions = {}): Attack<TrapSecrets> {
  checkOptionKeys('trap', opts, ['scale', 'sigma', 'tune']);
  if (opts.scale !== undefined) checkScale(opts.scale, 'trap.scale');
  const sigma = opts.sigma ?? 0.5;
  checkSigma(sigma, 'trap.sigma');
  const tune = checkTune(opts.tune);
  if (opts.scale !== undefined && opts.tune !== undefined) {
    throw new FedleakError('BAD_ARGUMENT', `got both a scale (${opts.scale}) and tuning options`, {
      path: 'trap.tune',
      hint: 'pass --scale to fix s, or omit it to let the tuner choose',
    });
  }

  return {
    name: 'trap',
    craft(spec, params, ctx) {
      const layer = findDense(params, 'dense0', 'params');
      if (layer.inputDim !== spec.inputDim || layer.neurons !== spec.neurons) {
        throw new FedleakError(
          'SHAPE_MISMATCH',
          `dense0/kernel is [${layer.inputDim}, ${layer.neurons}] but the model spec says ` +
            `[${spec.inputDim}, ${spec.neurons}]`,
          { path: 'params.dense0/kernel' },
        );
      }
      let scale = opts.scale;
      let tuning: TrapSecrets['tuning'] = null;
      if (scale === undefined) {
        if (!ctx.aux) {
          throw new FedleakError('BAD_ARGUMENT', 'no scale was given and there is no auxiliary data to tune it on', {
            path: 'trap.scale',
            hint: 'pass --scale, or give the attacker auxiliary data to tune on (--tune-on)',
          });
        }
        if (ctx.batchSize === undefined) {
          throw new FedleakError('BAD_ARGUMENT', 'tuning the scale needs the batch size the clients will use', {
            path: 'trap.batchSize',
            hint: 'pass the batch size in the attack context, or pass --scale',
          });
        }
        const tuned = tuneScale(ctx.aux, layer.neurons, ctx.batchSize, {
          grid: tune.grid,
          trials: tune.trials,
          sigma,
          seed: deriveSeed(ctx.seed, 'trap', 'tune'),
        });
        scale = tuned.scale;
        tuning = tuned.table;
      }
      const w = trapWeights(layer.inputDim, layer.neurons, { scale, sigma }, new Rng(deriveSeed(ctx.seed, 'trap')));
      return {
        params: replaceDense(params, 'dense0', w.kernel, w.bias),
        secrets: { scale, sigma, layer: 'dense0', tuning },
      };
    },
    reconstruct(update, secrets) {
      return readOutUpdate(update, { attack: 'trap', layer: secrets.layer });
    },
  };
}

const GRID_FIX = 'use scales in (0, 1] in the grid, or omit it for the default';

function checkTune(tune: unknown): { grid?: number[]; trials?: number } {
  if (tune === undefined) return {};
  checkOptionKeys('trap.tune', tune, ['grid', 'trials']);
  const t = tune as { grid?: unknown; trials?: unknown };
  if (t.grid !== undefined) {
    if (!Array.isArray(t.grid) || t.grid.length === 0) {
      throw new FedleakError('BAD_ARGUMENT', `expected a non-empty list of scales, got ${describe(t.grid)}`, {
        path: 'trap.tune.grid',
        hint: 'pass scales in (0, 1], or omit the grid to use the default',
      });
    }
    t.grid.forEach((s: unknown, k: number) => checkScale(s, `trap.tune.grid[${k}]`, GRID_FIX));
  }
  if (t.trials !== undefined && (typeof t.trials !== 'number' || !Number.isInteger(t.trials) || t.trials < 1)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a positive integer, got ${describe(t.trials)}`, {
      path: 'trap.tune.trials',
    });
  }
  return { grid: t.grid as number[] | undefined, trials: t.trials as number | undefined };
}
