/**
 * Checks of a decoded message against the deployment: the model's names and shapes, finite values in range, the
 * round, and a revealed batch's size. The schemas (protocol.ts) check types; these check meaning. Each returns
 * null when the message is good, or the error to reply with.
 */
import type { ModelSpec, NamedArrays } from '../types.js';
import { paramShapes } from '../model/spec.js';
import { limits, sizeOf, type NetErrorCode, type RevealMessage, type TrainingConfig, type UpdateMessage } from './protocol.js';

/** A refused message: the code of the error reply and what was wrong. @example { code: 'NOT_FINITE', message: '…' } */
export interface Refusal {
  code: NetErrorCode;
  message: string;
}

/**
 * Null when `arrays` are exactly the parameters of `spec` (names in order, shapes) with every value finite and
 * |v| ≤ `maxAbs`; else SHAPE_MISMATCH, NOT_FINITE or OUT_OF_RANGE naming the array and the index.
 * @example const bad = checkArrays(spec, msg.arrays, 'update.arrays'); if (bad) reply(bad);
 */
export function checkArrays(spec: ModelSpec, arrays: NamedArrays, path: string, maxAbs: number = limits.maxAbsValue): Refusal | null {
  const expected = paramShapes(spec);
  if (arrays.length !== expected.length) {
    return { code: 'SHAPE_MISMATCH', message: `${path}: expected ${expected.length} arrays (${expected.map((p) => p.name).join(', ')}), got ${arrays.length}` };
  }
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got = arrays[i];
    const where = `${path}[${i}]`;
    if (got.name !== want.name) {
      return { code: 'SHAPE_MISMATCH', message: `${where}: expected an array named ${want.name}, got ${got.name.slice(0, 64)}` };
    }
    if (got.shape.length !== want.shape.length || got.shape.some((d, k) => d !== want.shape[k])) {
      return { code: 'SHAPE_MISMATCH', message: `${where} ${want.name}: expected shape [${want.shape.join(', ')}], got [${got.shape.join(', ')}]` };
    }
    if (got.data.length !== sizeOf(want.shape)) {
      return { code: 'SHAPE_MISMATCH', message: `${where} ${want.name}: expected ${sizeOf(want.shape)} values, got ${got.data.length}` };
    }
  }
  for (let i = 0; i < arrays.length; i++) {
    const bad = firstOutOfRange(arrays[i].data, -maxAbs, maxAbs);
    if (bad >= 0) {
      const v = arrays[i].data[bad];
      return {
        code: Number.isFinite(v) ? 'OUT_OF_RANGE' : 'NOT_FINITE',
        message: `${path}[${i}] ${arrays[i].name}: value ${bad} is ${v}${Number.isFinite(v) ? `, beyond ±${maxAbs}` : ''}`,
      };
    }
  }
  return null;
}

/**
 * Index of the first value outside [lo, hi] or NaN, or −1. One branch-light pass: NaN fails both comparisons.
 * @example firstOutOfRange(new Float32Array([0, NaN]), -1, 1) === 1
 */
export function firstOutOfRange(data: Float32Array, lo: number, hi: number): number {
  for (let j = 0; j < data.length; j++) {
    const v = data[j];
    if (!(v >= lo && v <= hi)) return j;
  }
  return -1;
}

/**
 * What the server expects of an update: the round it is collecting and the kind its algorithm produces.
 * @example checkUpdate(msg, { spec, config, round: 2 })
 */
export function checkUpdate(msg: UpdateMessage, ctx: { spec: ModelSpec; config: TrainingConfig; round: number }): Refusal | null {
  if (msg.round !== ctx.round) {
    return { code: 'WRONG_ROUND', message: `update.round: the server is collecting round ${ctx.round}, got ${msg.round}` };
  }
  const kind = ctx.config.algorithm === 'fedsgd' ? 'gradient' : 'delta';
  if (msg.kind !== kind) {
    return { code: 'BAD_MESSAGE', message: `update.kind: ${ctx.config.algorithm} clients send '${kind}', got '${msg.kind}'` };
  }
  return checkArrays(ctx.spec, msg.arrays, 'update.arrays');
}

/**
 * A revealed batch must be the examples behind the client's update of that round: `numExamples` examples of the
 * model's input size, pixels in [0, 1], labels in [0, numClasses).
 * @example checkReveal(msg, { spec, round: 2, numExamples: 10 })
 */
export function checkReveal(msg: RevealMessage, ctx: { spec: ModelSpec; round: number; numExamples: number }): Refusal | null {
  if (msg.round !== ctx.round) {
    return { code: 'WRONG_ROUND', message: `reveal.round: the last update was for round ${ctx.round}, got ${msg.round}` };
  }
  if (msg.count !== ctx.numExamples) {
    return { code: 'SHAPE_MISMATCH', message: `reveal.count: the update was computed on ${ctx.numExamples} examples, got ${msg.count}` };
  }
  if (msg.inputs.length !== msg.count * ctx.spec.inputDim) {
    return { code: 'SHAPE_MISMATCH', message: `reveal.inputs: expected ${msg.count} × ${ctx.spec.inputDim} values, got ${msg.inputs.length}` };
  }
  const bad = firstOutOfRange(msg.inputs, 0, 1);
  if (bad >= 0) {
    const v = msg.inputs[bad];
    return { code: Number.isFinite(v) ? 'OUT_OF_RANGE' : 'NOT_FINITE', message: `reveal.inputs: value ${bad} is ${v}, expected [0, 1]` };
  }
  for (let i = 0; i < msg.labels.length; i++) {
    const y = msg.labels[i];
    if (y < 0 || y >= ctx.spec.numClasses) {
      return { code: 'OUT_OF_RANGE', message: `reveal.labels: label ${i} is ${y}, expected [0, ${ctx.spec.numClasses})` };
    }
  }
  return null;
}
