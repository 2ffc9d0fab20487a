/** Checks at the door of the privacy factories: options arrive from the CLI or a scenario, so they are checked at run time. */
import { FedleakError } from '../errors.js';

/**
 * A short description of a bad value for error messages: numbers as written, strings quoted, others by type.
 * @example describeValue(1.4) === '1.4'; describeValue('x') === '"x"'; describeValue(undefined) === 'undefined'
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * A BAD_ARGUMENT error that names the option (`path`), says what was expected and what arrived, and the fix.
 * @example throw badOption('dpNoise.noiseMultiplier', 'a finite number ≥ 0', -1, 'pass σ ≥ 0, e.g. 1.1');
 */
export function badOption(path: string, expected: string, got: unknown, hint: string): FedleakError {
  return new FedleakError('BAD_ARGUMENT', `expected ${expected}, got ${describeValue(got)}`, { path, hint });
}

/**
 * Throws BAD_ARGUMENT unless `opts` is a plain object whose keys are all in `allowed` (an `undefined` value counts
 * as absent), so a misspelt option (`noise` for `noiseMultiplier`) fails loudly instead of being ignored.
 * @example checkKeys('clip', { clippingNorm: 1 }, ['clippingNorm']);
 */
export function checkKeys(name: string, opts: unknown, allowed: readonly string[]): asserts opts is Record<string, unknown> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw badOption(name, 'an options object', opts, `call ${name}({ ${allowed.join(', ')} })`);
  }
  for (const [key, value] of Object.entries(opts)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new FedleakError('BAD_ARGUMENT', `unknown option "${key}"; ${name} takes ${allowed.join(', ')}`, {
        path: `${name}.${key}`,
        hint: `remove "${key}" or check its spelling`,
      });
    }
  }
}

/**
 * Returns `v` if it is a finite number > 0 (or ≥ 0 with `allowZero`), else throws BAD_ARGUMENT naming `path`.
 * @example const c = positiveNumber(opts.clippingNorm, 'clip.clippingNorm', 'pass the L2 bound C, e.g. 1');
 */
export function positiveNumber(v: unknown, path: string, hint: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw badOption(path, `a finite number ${allowZero ? '≥ 0' : '> 0'}`, v, hint);
  }
  return v;
}

/**
 * Returns `v` if it is an integer in [min, max], else throws BAD_ARGUMENT naming `path`.
 * @example const m = integerIn(opts.numClients, 1, Infinity, 'dpNoise.numClients', 'pass the clients per round');
 */
export function integerIn(v: unknown, min: number, max: number, path: string, hint: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw badOption(path, `an integer ${range}`, v, hint);
  }
  return v;
}
