/** Picking examples out of a Dataset: copies by index, and disjoint random splits (client data vs attacker auxiliary data). */

import { FedleakError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { Dataset } from '../types.js';

/**
 * Number of values in one example: the product of `ds.shape` (784 for MNIST, 3072 for CIFAR).
 * @example exampleSize(loadMnistNpm()); // 784
 */
export function exampleSize(ds: Pick<Dataset, 'shape'>): number {
  return ds.shape.reduce((a, b) => a * b, 1);
}

/**
 * A new Dataset holding copies of the examples at `indices`, in that order (repeats allowed). Copies, so a
 * client that mutates its data cannot change the pool it came from.
 *
 * @example
 * const firstTen = subset(ds, Int32Array.from({ length: 10 }, (_, i) => i));
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const per = exampleSize(ds);
  const inputs = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.size) {
      throw new FedleakError('BAD_ARGUMENT', `expected an example index in [0, ${ds.size}), got ${i} at position ${k}`, {
        path: 'indices',
      });
    }
    inputs.set(ds.inputs.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = ds.labels[i];
  }
  return { ...ds, shape: [...ds.shape], size: indices.length, inputs, labels };
}

/**
 * Splits `ds` into datasets of the given sizes whose examples are disjoint and drawn at random (a seeded
 * permutation, then consecutive chunks). Use it to keep the attacker's auxiliary data apart from the clients'.
 * The sizes may sum to less than `ds.size`; the rest is left out.
 *
 * @example
 * const [clientPool, aux] = splitDisjoint(ds, [8000, 2000], new Rng(7));
 */
export function splitDisjoint(ds: Dataset, sizes: readonly number[], rng: Rng): Dataset[] {
  let total = 0;
  sizes.forEach((s, k) => {
    if (!Number.isInteger(s) || s < 0) {
      throw new FedleakError('BAD_ARGUMENT', `expected a whole number ≥ 0, got ${s}`, { path: `sizes[${k}]` });
    }
    total += s;
  });
  if (total > ds.size) {
    throw new FedleakError('BAD_ARGUMENT', `the sizes sum to ${total} but ${ds.name} holds only ${ds.size} examples`, {
      path: 'sizes',
      hint: 'ask for fewer examples or use a larger dataset',
    });
  }
  const order = rng.permutation(ds.size);
  const out: Dataset[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(subset(ds, order.subarray(start, start + s)));
    start += s;
  }
  return out;
}

/**
 * Joins datasets with the same example shape into one, in order (e.g. the train and test splits).
 * `numClasses` is the largest of the parts'; class names come from the first part that has them.
 *
 * @example const all = concatDatasets([train, test], 'mnist', 'data/mnist');
 */
export function concatDatasets(parts: readonly Dataset[], name?: string, source?: string): Dataset {
  if (parts.length === 0) {
    throw new FedleakError('BAD_ARGUMENT', 'expected at least one dataset to join, got none', { path: 'parts' });
  }
  const first = parts[0];
  const per = exampleSize(first);
  let size = 0;
  for (const p of parts) {
    if (p.shape.join('x') !== first.shape.join('x')) {
      throw new FedleakError(
        'SHAPE_MISMATCH',
        `cannot join ${p.name} [${p.shape.join(', ')}] to ${first.name} [${first.shape.join(', ')}]`,
        { path: p.source },
      );
    }
    size += p.size;
  }
  const inputs = new Float32Array(size * per);
  const labels = new Int32Array(size);
  let at = 0;
  for (const p of parts) {
    inputs.set(p.inputs.subarray(0, p.size * per), at * per);
    labels.set(p.labels.subarray(0, p.size), at);
    at += p.size;
  }
  const classNames = parts.find((p) => p.classNames)?.classNames;
  return {
    name: name ?? first.name,
    kind: first.kind,
    shape: [...first.shape],
    size,
    inputs,
    labels,
    numClasses: Math.max(...parts.map((p) => p.numClasses)),
    ...(classNames ? { classNames } : {}),
    source: source ?? parts.map((p) => p.source).join(','),
  };
}
