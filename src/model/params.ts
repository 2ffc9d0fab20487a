/** Parameter arrays: checks against a spec, copies, and conversion to and from TF.js tensors. */
import * as tf from '@tensorflow/tfjs';
import { FedleakError } from '../errors.js';
import type { ModelSpec, NamedArrays } from '../types.js';
import { paramShapes, type ParamShape } from './spec.js';

/**
 * Checks that `arrays` are exactly the parameters of `spec`: same names in the same order, same shapes, data of
 * the right length and (unless `finite: false`) no NaN or ±Infinity. Throws SHAPE_MISMATCH or NOT_FINITE with a
 * path naming the array, e.g. `params[2] dense1/kernel`.
 * @example checkArraysMatch(spec, update.arrays, { path: 'update' });
 */
export function checkArraysMatch(
  spec: ModelSpec,
  arrays: NamedArrays,
  opts: { path?: string; finite?: boolean } = {},
): void {
  checkArraysShapes(paramShapes(spec), arrays, opts.path ?? 'params');
  if (opts.finite ?? true) checkFinite(arrays, opts.path ?? 'params');
}

/**
 * Checks `arrays` against a list of expected names and shapes (see `checkArraysMatch`); SHAPE_MISMATCH if not.
 * @example checkArraysShapes(toShapes(first.arrays), other.arrays, 'updates[1]');
 */
export function checkArraysShapes(expected: readonly ParamShape[], arrays: NamedArrays, path = 'params'): void {
  if (!Array.isArray(arrays) || arrays.length !== expected.length) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `expected ${expected.length} arrays (${expected.map((p) => p.name).join(', ')}), got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`,
      { path },
    );
  }
  expected.forEach((want, i) => {
    const got = arrays[i];
    const where = `${path}[${i}] ${want.name}`;
    if (got?.name !== want.name) {
      throw new FedleakError('SHAPE_MISMATCH', `expected an array named ${want.name}, got ${String(got?.name)}`, {
        path: where,
      });
    }
    if (!sameShape(got.shape, want.shape)) {
      throw new FedleakError('SHAPE_MISMATCH', `expected shape [${want.shape}], got [${String(got.shape)}]`, {
        path: where,
      });
    }
    const size = want.shape.reduce((a, b) => a * b, 1);
    if (!(got.data instanceof Float32Array) || got.data.length !== size) {
      throw new FedleakError(
        'SHAPE_MISMATCH',
        `expected a Float32Array of ${size} values, got ${got.data instanceof Float32Array ? `${got.data.length} values` : typeof got.data}`,
        { path: where },
      );
    }
  });
}

/**
 * Throws NOT_FINITE naming the first array and index that holds NaN or ±Infinity.
 * @example checkFinite(update.arrays, 'update');
 */
export function checkFinite(arrays: NamedArrays, path = 'params'): void {
  arrays.forEach((a, i) => {
    const d = a.data;
    for (let j = 0; j < d.length; j++) {
      // x − x is NaN exactly for NaN and ±Infinity, and this loop stays cheap on 20M values.
      if (d[j] - d[j] !== 0) {
        throw new FedleakError('NOT_FINITE', `value ${j} is ${d[j]}`, { path: `${path}[${i}] ${a.name}` });
      }
    }
  });
}

/**
 * The names and shapes of some arrays (to check other arrays against them).
 * @example checkArraysShapes(toShapes(a), b, 'b');
 */
export function toShapes(arrays: NamedArrays): ParamShape[] {
  return arrays.map((a) => ({ name: a.name, shape: [...a.shape] }));
}

/**
 * A deep copy: new Float32Arrays, new shape arrays.
 * @example const local = cloneArrays(params);
 */
export function cloneArrays(arrays: NamedArrays): NamedArrays {
  return arrays.map((a) => ({ name: a.name, shape: [...a.shape], data: a.data.slice() }));
}

/**
 * One float32 tensor per array, created straight from its Float32Array (the cpu backend keeps a reference, the
 * wasm backend copies into its heap). The caller disposes them (or calls this inside tf.tidy), and must not
 * change the arrays while the tensors live.
 * @example const vars = tf.tidy(() => logits(spec, toTensors(params), x));
 */
export function toTensors(arrays: NamedArrays): tf.Tensor[] {
  return arrays.map((a) => tf.tensor(a.data, a.shape, 'float32'));
}

/**
 * Reads tensors back into NamedArrays with the given names, as Float32Arrays the caller owns. It does not
 * dispose the tensors.
 * @example const grads = fromTensors(paramShapes(spec), gradTensors);
 */
export function fromTensors(shapes: readonly ParamShape[], tensors: readonly tf.Tensor[]): NamedArrays {
  // wasm's dataSync already returns a copy out of its heap; other backends (cpu) may return the array they keep
  // for the tensor, which another tensor sharing its data could still see, so those get copied.
  const copies = tf.getBackend() !== 'wasm';
  return shapes.map((p, i) => {
    const t = tensors[i];
    if (!sameShape(t.shape, p.shape)) {
      throw new FedleakError('SHAPE_MISMATCH', `expected shape [${p.shape}], got [${t.shape}]`, { path: p.name });
    }
    const values = t.dataSync() as Float32Array;
    return { name: p.name, shape: [...p.shape], data: copies ? values.slice() : values };
  });
}

function sameShape(a: unknown, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}
