/** An honest FL client's local step: a FedSGD gradient of one mini-batch, or FedAvg's local SGD and its weight change. */
import * as tf from '@tensorflow/tfjs';
import { FedleakError } from '../errors.js';
import { checkArraysMatch, fromTensors, toTensors } from '../model/params.js';
import { paramShapes } from '../model/spec.js';
import type { Rng } from '../tensor/rng.js';
import type { ModelSpec, NamedArrays, Update } from '../types.js';
import { checkBatch, computeGradient, gradientTensors } from './gradient.js';

/** The FL algorithms a client runs (CAH §1): one gradient, or several local SGD steps. @example flAlgorithms.includes(flag) */
export const flAlgorithms = ['fedsgd', 'fedavg'] as const;

/** One of `flAlgorithms`. @example const a: FlAlgorithm = 'fedavg'; */
export type FlAlgorithm = (typeof flAlgorithms)[number];

/**
 * A client's local data: the first `count` examples of `inputs` (flat, inputDim values each) and `labels`.
 * @example const data: LocalData = { inputs: ds.inputs, labels: ds.labels, count: 100 };
 */
export interface LocalData {
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
}

/**
 * How a client trains in one round.
 * @example const opts: LocalUpdateOptions = { algorithm: 'fedsgd', batchSize: 100, clientId: 'c0', round: 0 };
 */
export interface LocalUpdateOptions {
  algorithm: FlAlgorithm;
  /** Examples per mini-batch. */
  batchSize: number;
  /** FedAvg: K, the number of mini-batches (consecutive slices of the data); default: as many as fit. FedSGD ignores it. */
  batches?: number;
  /** FedAvg: passes over the K mini-batches; default 1. FedSGD ignores it. */
  localEpochs?: number;
  /** FedAvg: the client's SGD learning rate; required for FedAvg, ignored by FedSGD. */
  learningRate?: number;
  clientId: string;
  round: number;
  /** FedAvg: when given, the K·batchSize examples are reshuffled before every epoch (DataLoader shuffle=True). */
  rng?: Rng;
}

/**
 * What one client sends back for the server's `params`.
 * - fedsgd: the gradient of the mean loss over the first `batchSize` examples → kind 'gradient'.
 * - fedavg: `localEpochs` passes of plain SGD over K mini-batches of `batchSize` (consecutive slices of the
 *   data, reshuffled each epoch when `rng` is given) → kind 'delta' = new − old weights, in float32 as a real
 *   client computes it; numExamples = K·batchSize.
 * FedAvg-only options are still checked when FedSGD is given them (a simulator may pass one set of options to
 * both). Parameters stay on the backend between local steps. Throws BAD_ARGUMENT naming the bad option and the
 * fix, SHAPE_MISMATCH when the data does not fit the model.
 * @example
 * const update = localUpdate(spec, params, client.data, { algorithm: 'fedavg', batchSize: 10, batches: 5,
 *   localEpochs: 1, learningRate: 0.1, clientId: 'c3', round: 0 });
 */
export function localUpdate(spec: ModelSpec, params: NamedArrays, data: LocalData, opts: LocalUpdateOptions): Update {
  const o = checkOptions(spec, data, opts);
  checkArraysMatch(spec, params, { finite: false });
  if (o.algorithm === 'fedsgd') {
    const arrays = computeGradient(spec, params, data.inputs, data.labels, o.batchSize);
    return { clientId: o.clientId, round: o.round, kind: 'gradient', numExamples: o.batchSize, arrays };
  }
  const arrays = localSgdDelta(spec, params, data, o);
  return { clientId: o.clientId, round: o.round, kind: 'delta', numExamples: o.batches * o.batchSize, arrays };
}

type CheckedOptions = Required<Omit<LocalUpdateOptions, 'rng' | 'learningRate'>> & {
  learningRate: number;
  rng?: Rng;
};

/** Local SGD on backend tensors; returns new − old weights. */
function localSgdDelta(spec: ModelSpec, params: NamedArrays, data: LocalData, o: CheckedOptions): NamedArrays {
  const { batchSize: b, batches: k, learningRate: lr } = o;
  const d = spec.inputDim;
  const n = k * b;
  let vars = toTensors(params);
  let updated: NamedArrays;
  try {
    for (let epoch = 0; epoch < o.localEpochs; epoch++) {
      const order = o.rng ? o.rng.permutation(n) : null;
      const xs = order ? gatherRows(data.inputs, d, order) : data.inputs.subarray(0, n * d);
      const ys = order ? order.map((i) => data.labels[i]) : data.labels.subarray(0, n);
      for (let step = 0; step < k; step++) {
        const current = vars;
        const next = tf.tidy(() => {
          const x = tf.tensor2d(xs.subarray(step * b * d, (step + 1) * b * d), [b, d]);
          const y = tf.tensor1d(ys.subarray(step * b, (step + 1) * b), 'int32');
          const grads = gradientTensors(spec, current, x, y);
          return current.map((v, i) => tf.sub(v, tf.mul(grads[i], lr)));
        });
        tf.dispose(current);
        vars = next;
      }
    }
    updated = fromTensors(paramShapes(spec), vars);
  } finally {
    tf.dispose(vars);
  }
  // fromTensors returned fresh arrays: turn them into the delta in place.
  updated.forEach((u, i) => {
    const old = params[i].data;
    const w = u.data;
    for (let j = 0; j < w.length; j++) w[j] = w[j] - old[j];
  });
  return updated;
}

/** The rows `order` of a flat [rows, d] array, in that order. */
function gatherRows(src: Float32Array, d: number, order: Int32Array): Float32Array {
  const out = new Float32Array(order.length * d);
  order.forEach((row, i) => out.set(src.subarray(row * d, (row + 1) * d), i * d));
  return out;
}

/** Validates options and data once, at the door, and fills the defaults. */
function checkOptions(spec: ModelSpec, data: LocalData, opts: LocalUpdateOptions): CheckedOptions {
  const bad = (path: string, message: string, hint: string) => new FedleakError('BAD_ARGUMENT', message, { path, hint });
  if (!(flAlgorithms as readonly string[]).includes(opts.algorithm)) {
    throw bad('algorithm', `expected ${flAlgorithms.join(' or ')}, got ${String(opts.algorithm)}`, 'use fedsgd or fedavg');
  }
  if (typeof opts.clientId !== 'string' || opts.clientId === '') {
    throw bad('clientId', `expected a non-empty string, got ${JSON.stringify(opts.clientId)}`, 'give every client an id');
  }
  if (!Number.isInteger(opts.round) || opts.round < 0) {
    throw bad('round', `expected a non-negative integer, got ${String(opts.round)}`, 'count rounds from 0');
  }
  positiveInt(opts.batchSize, 'batchSize', 'pass a whole number of examples per mini-batch, such as 100');
  if (!Number.isInteger(data.count) || data.count < 0 || data.count > data.labels.length ||
      data.count * spec.inputDim > data.inputs.length) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `count ${data.count} does not fit ${data.labels.length} labels and ${data.inputs.length} input values`,
      { path: 'data.count', hint: `each example needs ${spec.inputDim} input values and one label` },
    );
  }
  const b = opts.batchSize;
  // FedAvg's options are checked whenever given, so a bad value fails the same way for both algorithms.
  if (opts.batches !== undefined) {
    positiveInt(opts.batches, 'batches', `pass the number of local mini-batches K, with K · batchSize ≤ ${data.count}`);
  }
  if (opts.localEpochs !== undefined) {
    positiveInt(opts.localEpochs, 'localEpochs', 'pass a whole number of local passes, such as 1');
  }
  const lr = opts.learningRate;
  if (lr !== undefined && (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0)) {
    throw bad('learningRate', `expected a finite learning rate > 0, got ${String(lr)}`, 'pass learningRate, e.g. 0.1');
  }
  if (data.count < b) {
    throw bad('batchSize', `the client holds ${data.count} examples, fewer than batchSize ${b}`,
      `lower batchSize to at most ${data.count} or give the client more data`);
  }
  if (opts.algorithm === 'fedsgd') {
    checkBatch(spec, data.inputs, data.labels, b, 1);
    return { algorithm: 'fedsgd', batchSize: b, batches: 1, localEpochs: 1, learningRate: 0,
      clientId: opts.clientId, round: opts.round };
  }
  const batches = opts.batches ?? Math.floor(data.count / b);
  if (batches * b > data.count) {
    throw bad('batches', `${batches} mini-batches of ${b} need ${batches * b} examples, the client holds ${data.count}`,
      `lower batches to at most ${Math.floor(data.count / b)} or lower batchSize`);
  }
  const localEpochs = opts.localEpochs ?? 1;
  if (lr === undefined) {
    throw bad('learningRate', 'fedavg needs the clients\' learning rate, got none', 'pass learningRate, e.g. 0.1');
  }
  checkBatch(spec, data.inputs, data.labels, b, batches);
  return { algorithm: 'fedavg', batchSize: b, batches, localEpochs, learningRate: lr,
    clientId: opts.clientId, round: opts.round, rng: opts.rng };
}

function positiveInt(value: unknown, path: string, hint: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a positive integer, got ${String(value)}`, { path, hint });
  }
}
