/** The read-out (CAH §2): every first-layer neuron i that fired gives x = (dL/dw_i) / (dL/db_i), in float64. */
import type { Candidate, Reconstruction, Update } from '../types.js';
import { FedleakError } from '../errors.js';
import { findDense } from './layer.js';

const TILE_ROWS = 128;
const TILE_COLS = 64;

/**
 * What {@link readOut} returns: one candidate per active neuron, in neuron order, and how many there were.
 * @example const { candidates, active }: ReadOut = readOut(kernel, bias, 784, 1000);
 */
export interface ReadOut {
  candidates: Candidate[];
  /** Neurons whose bias update is non-zero (each gives one candidate). */
  active: number;
}

/**
 * Reads one candidate input out of every neuron whose bias update is non-zero: x = kernel[:, i] / bias[i].
 *
 * `kernel` is the weight update of a dense layer in TF.js layout [inputDim, neurons] (row-major, so neuron i is
 * column i and element (j, i) sits at j·neurons + i); `bias` is its bias update [neurons]. Works the same on a
 * FedSGD gradient and on a FedAvg weight change: the learning rate (and a mean loss's 1/B) scale both rows alike
 * and cancel in the ratio.
 *
 * Exactness: each column is multiplied by the float64 reciprocal of its bias rather than divided by it. That adds
 * at most about one float64 ulp (~1e-16 relative) to each value, far below the float32 rounding already in the
 * gradient (~6e-8 relative), and far below the 1/510 it would take to change an 8-bit rounded pixel; the tests
 * check the bytes against true division.
 *
 * Speed: one tiled pass over the kernel. All candidates share one Float64Array [active × inputDim] (one allocation);
 * each `x` is a subarray view of it. The finiteness check rides on that pass (a running sum of the products turns
 * NaN or ±Infinity as soon as any value is not finite); columns of inactive neurons are summed in the same pass.
 *
 * `scratch`: an optional reused output buffer (at least active × inputDim long); without it each call allocates.
 *
 * @throws FedleakError SHAPE_MISMATCH when the lengths do not fit, NOT_FINITE when a value is NaN or ±Infinity.
 * @example
 * // one input x = [0.2, 0.4] fired neuron 1 (of 2) with dL/dy = 0.5
 * const { candidates, active } = readOut(new Float32Array([0, 0.1, 0, 0.2]), new Float32Array([0, 0.5]), 2, 2);
 * // active === 1, candidates[0].neuron === 1, candidates[0].x ≈ [0.2, 0.4]
 */
export function readOut(
  kernel: Float32Array,
  bias: Float32Array,
  inputDim: number,
  neurons: number,
  scratch?: Float64Array,
): ReadOut {
  checkDims(kernel, bias, inputDim, neurons);
  // slotOf[i]: the candidate neuron i gives (its row in `out`), or −1 when its bias update is 0.
  const slotOf = new Int32Array(neurons);
  const inv = new Float64Array(neurons);
  let active = 0;
  for (let i = 0; i < neurons; i++) {
    const b = bias[i];
    if (!Number.isFinite(b)) notFinite('bias', i, b);
    if (b !== 0) {
      slotOf[i] = active++;
      inv[i] = 1 / b; // finite: 1 / (smallest float32 denormal) ≈ 7e44
    } else {
      slotOf[i] = -1;
    }
  }

  // A fresh 6 MB buffer costs ~1 ms of page faults at 784 × 1000; a server reading many updates may pass a reused
  // `scratch` instead (the candidates are then views into it, valid until its next use).
  const out =
    scratch !== undefined && scratch.length >= active * inputDim
      ? scratch.subarray(0, active * inputDim)
      : new Float64Array(active * inputDim);
  // A strided gather (column i of a row-major kernel), tiled so that a tile's kernel rows and output runs stay in
  // cache (~1.7× faster than whole columns at 3072 × 1000). Inactive columns are only summed, for the finiteness
  // check. The tile is its own small function so V8 optimises it after a few calls instead of running the first
  // read-out of a process in the interpreter.
  let sum = 0;
  for (let j0 = 0; j0 < inputDim; j0 += TILE_ROWS) {
    const j1 = Math.min(inputDim, j0 + TILE_ROWS);
    for (let i0 = 0; i0 < neurons; i0 += TILE_COLS) {
      sum += tile(kernel, out, slotOf, inv, inputDim, neurons, j0, j1, i0, Math.min(neurons, i0 + TILE_COLS));
    }
  }
  // The sum of finite float32 values (times finite reciprocals) stays far below float64 overflow, so a non-finite
  // sum means a non-finite input value.
  if (!Number.isFinite(sum)) findNotFinite(kernel, neurons);

  const candidates: Candidate[] = new Array(active);
  for (let i = 0; i < neurons; i++) {
    const c = slotOf[i];
    if (c >= 0) candidates[c] = { neuron: i, x: out.subarray(c * inputDim, (c + 1) * inputDim), biasGrad: bias[i] };
  }
  return { candidates, active };
}

/**
 * The read-out applied to an update: finds `<layer>/kernel` and `<layer>/bias`, reads them out and times it.
 * Sees only the update, never ground truth.
 * @throws FedleakError SHAPE_MISMATCH naming a missing or misshapen array, NOT_FINITE as {@link readOut}.
 * @example
 * const rec = readOutUpdate(update, { attack: 'passive', layer: 'dense0' });
 * console.log(rec.activeNeurons, rec.candidates.length, rec.timings.readoutMs);
 */
export function readOutUpdate(update: Update, opts: { attack: string; layer: string }): Reconstruction {
  const t0 = performance.now();
  const layer = findDense(update.arrays, opts.layer, 'update');
  const { candidates, active } = readOut(layer.kernel.data, layer.bias.data, layer.inputDim, layer.neurons);
  const readoutMs = performance.now() - t0;
  return {
    attack: opts.attack,
    layer: opts.layer,
    candidates,
    activeNeurons: active,
    totalNeurons: layer.neurons,
    timings: { readoutMs },
  };
}

/** One tile of the read-out: rows [j0, j1) of columns [i0, i1). Returns the sum of what it read, for the check. */
function tile(
  kernel: Float32Array,
  out: Float64Array,
  slotOf: Int32Array,
  inv: Float64Array,
  d: number,
  n: number,
  j0: number,
  j1: number,
  i0: number,
  i1: number,
): number {
  let sum = 0;
  for (let i = i0; i < i1; i++) {
    const c = slotOf[i];
    if (c < 0) {
      for (let k = j0 * n + i, e = j1 * n; k < e; k += n) sum += kernel[k];
      continue;
    }
    const r = inv[i];
    for (let j = j0, k = j0 * n + i, o = c * d; j < j1; j++, k += n) {
      const v = kernel[k] * r;
      out[o + j] = v;
      sum += v;
    }
  }
  return sum;
}

function checkDims(kernel: Float32Array, bias: Float32Array, inputDim: number, neurons: number): void {
  for (const [name, v] of [
    ['inputDim', inputDim],
    ['neurons', neurons],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new FedleakError('BAD_ARGUMENT', `expected a positive integer, got ${v}`, { path: `readOut.${name}` });
    }
  }
  if (kernel.length !== inputDim * neurons) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `kernel holds ${kernel.length} values but inputDim × neurons = ${inputDim} × ${neurons} = ${inputDim * neurons}`,
      { path: 'readOut.kernel' },
    );
  }
  if (bias.length !== neurons) {
    throw new FedleakError('SHAPE_MISMATCH', `bias holds ${bias.length} values, expected neurons = ${neurons}`, {
      path: 'readOut.bias',
    });
  }
}

function findNotFinite(kernel: Float32Array, neurons: number): never {
  for (let k = 0; k < kernel.length; k++) {
    if (!Number.isFinite(kernel[k])) notFinite('kernel', k, kernel[k], neurons);
  }
  // Unreachable for float32 input (see readOut); kept so the function's type is honest.
  throw new FedleakError('NOT_FINITE', 'the read-out overflowed float64', { path: 'readOut.kernel' });
}

function notFinite(what: 'kernel' | 'bias', index: number, value: number, neurons = 1): never {
  const where = what === 'kernel' ? `[${Math.floor(index / neurons)}, ${index % neurons}]` : `[${index}]`;
  throw new FedleakError('NOT_FINITE', `${what}${where} is ${value}; the update must hold finite numbers`, {
    path: `readOut.${what}`,
  });
}
