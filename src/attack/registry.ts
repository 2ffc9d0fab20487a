/** The attacks by name: CLI help, the scenario schema and "unknown attack" errors read their choices from here. */
import type { Attack } from '../types.js';
import { degree } from './degree.js';
import { imprint } from './imprint.js';
import { passive } from './passive.js';
import { peel, withPeel, type PeelOptions } from './peel.js';
import { qbi } from './qbi.js';
import { trap } from './trap.js';
import { checkOptionKeys } from './options.js';

/**
 * Builds an attack from its options. Options come from the CLI or a scenario, so each factory checks its own at
 * the door (BAD_ARGUMENT for a bad or unknown one). Secrets stay opaque to callers: they only hand what `craft`
 * returned back to `reconstruct`. The parameter is `never` so that every factory fits whatever its own options
 * type is, while `attacks.trap` etc. keep their precise types for callers.
 * @example const factory: AttackFactory = attacks.trap; // any registered factory fits
 */
export type AttackFactory = (opts?: never) => Attack<unknown>;

/**
 * Every attack fedleak runs, by name. A new attack is one file plus one line here. Each design that is read row
 * by row also appears as `<design>+peel` (the design wrapped in `peel`; its options plus `peel: PeelOptions`), so
 * the CLI's list, `fedleak compare`'s lines and "unknown attack" errors show peeling as attacks of their own.
 * Imprint is read by differences of rows and has nothing to peel.
 * @example
 * const attack = attacks.trap({ scale: 0.7 });
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1 });
 * const peeling = attacks['qbi+peel']({ peel: { gridTolerance: 0.05 } });
 */
export const attacks = {
  passive,
  trap,
  qbi,
  degree,
  imprint,
  'passive+peel': passivePeel,
  'trap+peel': withPeel(trap),
  'qbi+peel': withPeel(qbi),
  'degree+peel': withPeel(degree),
} satisfies Record<string, AttackFactory>;

/**
 * A registered attack's name.
 * @example const name: AttackName = 'trap';
 */
export type AttackName = keyof typeof attacks;

/**
 * The registered names, in registry order.
 * @example attackNames.slice(0, 2).join(' | ') === 'passive | trap'
 */
export const attackNames = Object.keys(attacks) as AttackName[];

/**
 * True when `name` is a registered attack.
 * @example isAttackName('trap') === true; isAttackName('dlg') === false
 */
export function isAttackName(name: string): name is AttackName {
  return Object.hasOwn(attacks, name);
}

/** passive + peel: the passive design takes no options, so only `peel` is allowed. */
function passivePeel(opts: { peel?: PeelOptions } = {}) {
  checkOptionKeys('passive+peel', opts, ['peel']);
  return peel(passive({}), opts.peel ?? {});
}
