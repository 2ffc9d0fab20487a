/** Test helpers for numeric specs: run one spec on every backend, compare arrays with a named tolerance. */
// No node:assert here: this file sits in the platform-free core; a thrown Error fails a node:test test the same way.
import * as tf from '@tensorflow/tfjs';
import { backendNames, setupBackend, type BackendName } from './backend.js';
import type { Rng } from './rng.js';

/**
 * Relative tolerance for float32 results of the same computation on two backends (or float32 against float64):
 * XNNPACK and the cpu backend sum in different orders, which moves results by ~1e-6 of their scale.
 * @example assertClose(wasmGrad, cpuGrad, FLOAT32_REL_TOL, 'dense0/kernel');
 */
export const FLOAT32_REL_TOL = 1e-4;

/**
 * Runs `spec` once per backend (wasm and cpu), with that backend selected. Backends are global state, so the
 * callers' tests must not run concurrently inside one file (node:test runs them in sequence by default).
 * @example
 * test('adds', () => forEachBackend(async (backend) => { assert.equal(tf.add(1, 2).dataSync()[0], 3); }));
 */
export async function forEachBackend(spec: (backend: BackendName) => void | Promise<void>): Promise<void> {
  for (const name of backendNames) {
    await setupBackend(name);
    await spec(name);
  }
}

/**
 * max |a − b| divided by max |b| (the scale of the expected values), or by 1 when b is all zeros.
 * @example relativeDiff([1, 2.0001], [1, 2]) // 5e-5
 */
export function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`arrays differ in length: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale > 0 ? scale : 1);
}

/**
 * Asserts `relativeDiff(actual, expected) <= relTol`, naming what was compared.
 * @example assertClose(grad, expected, FLOAT32_REL_TOL, 'dense0/kernel');
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relTol: number, what: string): void {
  const d = relativeDiff(actual, expected);
  if (!(d <= relTol)) throw new Error(`${what}: relative difference ${d.toExponential(2)} > ${relTol}`);
}

/**
 * `n` values uniform in [lo, hi) from a seeded Rng.
 * @example const x = uniformArray(new Rng(1), 784, 0, 1);
 */
export function uniformArray(rng: Rng, n: number, lo = 0, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/**
 * Asserts that `f` leaves no tensor behind (tf.memory().numTensors before = after) and returns its result.
 * @example const g = await assertNoLeak(() => computeGradient(spec, params, x, y, 4));
 */
export async function assertNoLeak<T>(f: () => T | Promise<T>, what = 'call'): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await f();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what} leaked ${after - before} tensors on ${tf.getBackend()}`);
  return result;
}
