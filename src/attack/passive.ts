/** The honest-but-curious server (CAH §2, Table 1): sends the model unchanged and reads out what arrives. */
import type { Attack } from '../types.js';
import { readOutUpdate } from './readout.js';
import { checkOptionKeys } from './options.js';

/**
 * What the passive server remembers between crafting and reading: only which layer it reads.
 * @example const secrets: PassiveSecrets = passive().craft(spec, params, { seed: 1 }).secrets; // { layer: 'dense0' }
 */
export interface PassiveSecrets {
  layer: 'dense0';
}

/**
 * The passive attack takes no options.
 * @example passive({}); // the only valid options object
 */
export type PassiveOptions = Record<string, never>;

/**
 * The passive attack: `craft` returns the parameters as they are (the same list, not a copy); `reconstruct` reads
 * every active neuron of `dense0` out of the update (see `readOut`).
 * @throws FedleakError BAD_ARGUMENT for any option (it takes none).
 * @example
 * const attack = passive();
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1 }); // params === params0
 * const rec = attack.reconstruct(update, secrets); // rec.candidates: one per active neuron
 */
export function passive(opts: PassiveOptions = {}): Attack<PassiveSecrets> {
  checkOptionKeys('passive', opts, []);
  return {
    name: 'passive',
    craft(_spec, params) {
      return { params, secrets: { layer: 'dense0' } };
    },
    reconstruct(update, secrets) {
      return readOutUpdate(update, { attack: 'passive', layer: secrets.layer });
    },
  };
}
