/** The attacks by name: CLI help, the scenario schema and "unknown attack" errors read their choices from here. */
import type { Attack } from '../types.js';
import { passive } from './passive.js';
import { trap } from './trap.js';

/**
 * Builds an attack from its options. Options come from the CLI or a scenario, so each factory checks its own at
 * the door (BAD_ARGUMENT for a bad or unknown one). Secrets stay opaque to callers: they only hand what `craft`
 * returned back to `reconstruct`. The parameter is `never` so that every factory fits whatever its own options
 * type is, while `attacks.trap` etc. keep their precise types for callers.
 * @example const factory: AttackFactory = attacks.trap; // any registered factory fits
 */
export type AttackFactory = (opts?: never) => Attack<unknown>;

/**
 * Every attack fedleak runs, by name. A new attack is one file plus one line here.
 * @example
 * const attack = attacks.trap({ scale: 0.7 });
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1 });
 */
export const attacks = { passive, trap } satisfies Record<string, AttackFactory>;

/**
 * A registered attack's name.
 * @example const name: AttackName = 'trap';
 */
export type AttackName = keyof typeof attacks;

/**
 * The registered names, in registry order.
 * @example attackNames.join(' | ') === 'passive | trap'
 */
export const attackNames = Object.keys(attacks) as AttackName[];

/**
 * True when `name` is a registered attack.
 * @example isAttackName('trap') === true; isAttackName('dlg') === false
 */
export function isAttackName(name: string): name is AttackName {
  return Object.hasOwn(attacks, name);
}
