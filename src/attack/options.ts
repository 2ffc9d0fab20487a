/** Checks done at an attack factory's door: options come from the CLI or a scenario, so they are checked at run time. */
import { FedleakError } from '../errors.js';

/**
 * Throws BAD_ARGUMENT unless `opts` is a plain object whose keys are all in `allowed` (an `undefined` value counts
 * as absent), so a misspelt option fails loudly instead of being ignored.
 * @example checkOptionKeys('trap', { scale: 0.9 }, ['scale', 'sigma', 'tune']);
 */
export function checkOptionKeys(attack: string, opts: unknown, allowed: readonly string[]): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new FedleakError('BAD_ARGUMENT', `expected an options object, got ${describe(opts)}`, { path: attack });
  }
  for (const [key, value] of Object.entries(opts)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new FedleakError(
        'BAD_ARGUMENT',
        `unknown option "${key}"; ${attack} takes ${allowed.length ? allowed.join(', ') : 'no options'}`,
        { path: `${attack}.${key}`, hint: `remove "${key}" or check its spelling` },
      );
    }
  }
}

/**
 * A short description of a bad value for error messages: numbers as written, strings quoted, others by type.
 * @example describe(1.4) === '1.4'; describe('x') === '"x"'; describe(null) === 'null'
 */
export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
