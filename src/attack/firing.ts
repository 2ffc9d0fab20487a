/** Which first-layer neurons a batch fires (ReLU(W x + b) > 0, in float64), and which inputs the read-out isolates. */
import { FedleakError } from '../errors.js';

/**
 * The firing pattern of a batch on a dense layer.
 * @example const { counts, lone } = firingPattern(kernel, bias, inputs, 100, 784, 1000); // lone[i] ≥ 0: neuron i isolates that input
 */
export interface FiringPattern {
  count: number;
  neurons: number;
  /** 1 where input b fires neuron i, at b·neurons + i (input-major). */
  fires: Uint8Array;
  /** How many inputs fire each neuron. */
  counts: Int32Array;
  /** The input that fires neuron i when it is the only one, else −1: the read-out recovers exactly these. */
  lone: Int32Array;
}

/**
 * Pre-activations W x + b of `count` inputs (flat, input after input) on a dense layer with kernel
 * [inputDim, neurons] (TF.js layout), in float64: a [count × neurons] matrix, input-major.
 * Loop order i-k-j over blocks of four inputs: each kernel row is streamed once per block and shared by four
 * accumulator rows, and a row is skipped when the four inputs are all 0 there (MNIST is ~80% zeros).
 * Inputs are trusted (checked by the caller, e.g. {@link firingPattern}).
 * @example
 * const pre = preactivations(kernel, bias, inputs, 100, 784, 1000); // pre[b * 1000 + i]
 */
export function preactivations(
  kernel: Float32Array,
  bias: Float32Array,
  inputs: Float32Array,
  count: number,
  inputDim: number,
  neurons: number,
): Float64Array {
  const d = inputDim;
  const n = neurons;
  const out = new Float64Array(count * n);
  for (let b = 0; b < count; b++) out.set(bias, b * n);
  let b = 0;
  for (; b + 3 < count; b += 4) {
    const o0 = b * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const xo = b * d;
    for (let j = 0; j < d; j++) {
      const x0 = inputs[xo + j];
      const x1 = inputs[xo + d + j];
      const x2 = inputs[xo + 2 * d + j];
      const x3 = inputs[xo + 3 * d + j];
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const r = j * n;
      for (let i = 0; i < n; i++) {
        const w = kernel[r + i];
        out[o0 + i] += x0 * w;
        out[o1 + i] += x1 * w;
        out[o2 + i] += x2 * w;
        out[o3 + i] += x3 * w;
      }
    }
  }
  for (; b < count; b++) {
    const o = b * n;
    const xo = b * d;
    for (let j = 0; j < d; j++) {
      const x = inputs[xo + j];
      if (x === 0) continue;
      const r = j * n;
      for (let i = 0; i < n; i++) out[o + i] += x * kernel[r + i];
    }
  }
  return out;
}

/**
 * Simulates which neurons of a dense layer a batch fires: input b fires neuron i when (W x_b + b)_i > 0, in
 * float64. This is what the server's read-out will see: a neuron fired by one input alone gives that input back.
 * @throws FedleakError SHAPE_MISMATCH when the lengths do not fit.
 * @example
 * const p = firingPattern(kernel, bias, batch.inputs, 100, 784, 1000);
 * const r = isolationRecall(p); // fraction of the batch the read-out would recover exactly
 */
export function firingPattern(
  kernel: Float32Array,
  bias: Float32Array,
  inputs: Float32Array,
  count: number,
  inputDim: number,
  neurons: number,
): FiringPattern {
  if (!Number.isInteger(count) || count < 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a count ≥ 0, got ${count}`, { path: 'firingPattern.count' });
  }
  const expect: [string, number, number][] = [
    ['kernel', kernel.length, inputDim * neurons],
    ['bias', bias.length, neurons],
    ['inputs', inputs.length, count * inputDim],
  ];
  for (const [name, got, want] of expect) {
    if (got !== want) {
      throw new FedleakError('SHAPE_MISMATCH', `${name} holds ${got} values, expected ${want}`, {
        path: `firingPattern.${name}`,
      });
    }
  }
  const pre = preactivations(kernel, bias, inputs, count, inputDim, neurons);
  const fires = new Uint8Array(count * neurons);
  for (let k = 0; k < fires.length; k++) fires[k] = pre[k] > 0 ? 1 : 0;
  const { counts, lone } = countFirers(fires, count, neurons);
  return { count, neurons, fires, counts, lone };
}

/**
 * Per-neuron firer counts and lone firers of a firing matrix [count × neurons] (1 = fires), input-major.
 * @example const { counts, lone } = countFirers(fires, 100, 1000);
 */
export function countFirers(fires: Uint8Array, count: number, neurons: number): { counts: Int32Array; lone: Int32Array } {
  const counts = new Int32Array(neurons);
  const lone = new Int32Array(neurons).fill(-1);
  for (let b = 0; b < count; b++) {
    const o = b * neurons;
    for (let i = 0; i < neurons; i++) {
      if (fires[o + i]) {
        counts[i]++;
        lone[i] = b;
      }
    }
  }
  for (let i = 0; i < neurons; i++) if (counts[i] !== 1) lone[i] = -1;
  return { counts, lone };
}

/**
 * The extraction-recall R the read-out achieves on this pattern: the fraction of inputs that are the only firer
 * of at least one neuron (0 for an empty batch).
 * @example isolationRecall(firingPattern(kernel, bias, inputs, 20, 784, 1000)); // e.g. 0.95
 */
export function isolationRecall(pattern: Pick<FiringPattern, 'count' | 'lone'>): number {
  if (pattern.count === 0) return 0;
  const hit = new Uint8Array(pattern.count);
  let n = 0;
  for (const b of pattern.lone) {
    if (b >= 0 && !hit[b]) {
      hit[b] = 1;
      n++;
    }
  }
  return n / pattern.count;
}
