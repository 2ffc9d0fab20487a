/** Trap weights for one dense layer, CAH Algorithm 1: per neuron, a negative half and a slightly smaller positive mirror. */
import type { Rng } from '../tensor/rng.js';
import { FedleakError } from '../errors.js';

/**
 * A dense layer's kernel [inputDim, neurons] (TF.js layout, neuron i is column i) and bias [neurons].
 * @example const { kernel, bias }: DenseWeights = trapWeights(784, 1000, { scale: 0.7 }, new Rng(1));
 */
export interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

/**
 * Options of {@link trapWeights}: the scale s of the positive half and the σ of the half-normal magnitudes.
 * @example const opts: TrapWeightOptions = { scale: 0.95, sigma: 0.5 };
 */
export interface TrapWeightOptions {
  scale: number;
  /** Standard deviation σ of N(0, σ²) the magnitudes are drawn from (not the variance). Default 0.5. */
  sigma?: number;
}

/**
 * One trap column as {@link drawTrapColumns} hands it over: the indices N with their magnitudes (the weights there
 * are −negMag) and the indices P with theirs (the weights there are scale × posMag). The arrays are reused for the
 * next column: copy what must outlive the callback.
 * @example drawTrapColumns(784, 1000, 0.5, new Rng(1), (i, col) => console.log(i, col.negIndex.length));
 */
export interface TrapColumn {
  negIndex: Int32Array;
  negMag: Float32Array;
  posIndex: Int32Array;
  posMag: Float32Array;
}

/**
 * CAH Algorithm 1, per neuron (kernel column), for inputs in [0, 1]:
 * 1. a random half N of the input indices (⌈d/2⌉ of them when d is odd) and the rest P;
 * 2. magnitudes m = |N(0, σ²)| (drawn as float32, redrawn if 0 so every entry of N is strictly negative);
 * 3. w[N] = −m in random order, w[P] = s · m in an independent random order (for odd d, P takes ⌊d/2⌋ of them);
 * 4. bias 0.
 * Since every row sums to about −(1 − s)·Σm·x̄ < 0, each neuron fires for few inputs, often exactly one.
 * The same `rng` state gives the same layer for every scale (only the positive half is multiplied by s).
 * @throws FedleakError BAD_ARGUMENT when the dimensions, scale or σ are out of range.
 * @example
 * const { kernel, bias } = trapWeights(784, 1000, { scale: 0.7 }, new Rng(1));
 * // kernel[j * 1000 + i] is weight j of neuron i; bias is all 0
 */
export function trapWeights(inputDim: number, neurons: number, opts: TrapWeightOptions, rng: Rng): DenseWeights {
  checkScale(opts.scale, 'trapWeights.scale');
  const s = opts.scale;
  const kernel = new Float32Array(inputDim * neurons);
  drawTrapColumns(inputDim, neurons, opts.sigma ?? 0.5, rng, (i, col) => {
    for (let k = 0; k < col.negIndex.length; k++) kernel[col.negIndex[k] * neurons + i] = -col.negMag[k];
    for (let k = 0; k < col.posIndex.length; k++) kernel[col.posIndex[k] * neurons + i] = s * col.posMag[k];
  });
  return { kernel, bias: new Float32Array(neurons) };
}

/**
 * Draws the trap layer of {@link trapWeights} column by column, without the scale, and hands each column to
 * `visit`. With the same `rng` state it gives the same layer as `trapWeights` for every scale, in O(inputDim)
 * memory: the tuner uses it to simulate a layer for many scales at the cost of one, even for ImageNet-sized
 * inputs where a whole kernel is 600 MB.
 * @throws FedleakError BAD_ARGUMENT when the dimensions or σ are out of range.
 * @example
 * drawTrapColumns(784, 1000, 0.5, new Rng(1), (i, { negIndex, negMag, posIndex, posMag }) => {
 *   // pre-activation of neuron i at scale s: −Σ negMag·x[negIndex] + s · Σ posMag·x[posIndex]
 * });
 */
export function drawTrapColumns(
  inputDim: number,
  neurons: number,
  sigma: number,
  rng: Rng,
  visit: (neuron: number, column: TrapColumn) => void,
): void {
  for (const [name, v] of [
    ['inputDim', inputDim],
    ['neurons', neurons],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new FedleakError('BAD_ARGUMENT', `expected a positive integer, got ${v}`, { path: `trapWeights.${name}` });
    }
  }
  checkSigma(sigma, 'trapWeights.sigma');
  const d = inputDim;
  const nNeg = Math.ceil(d / 2);
  const perm = new Int32Array(d);
  const negMag = new Float32Array(nNeg);
  const shuffled = new Float32Array(nNeg);
  const column: TrapColumn = {
    negIndex: perm.subarray(0, nNeg),
    negMag,
    posIndex: perm.subarray(nNeg),
    posMag: shuffled.subarray(0, d - nNeg),
  };
  for (let i = 0; i < neurons; i++) {
    // Step 1: a random split of the indices into N = perm[0, nNeg) and P = perm[nNeg, d).
    for (let j = 0; j < d; j++) perm[j] = j;
    rng.shuffle(perm);
    // Step 2: i.i.d. magnitudes. Assigning i.i.d. draws to the randomly ordered N is already shuffle(z).
    for (let k = 0; k < nNeg; k++) {
      let m = 0;
      while (m === 0) m = Math.fround(Math.abs(sigma * rng.normal()));
      negMag[k] = m;
    }
    // Step 3: the positive mirror takes the same magnitudes in an independent random order.
    shuffled.set(negMag);
    rng.shuffle(shuffled);
    visit(i, column);
  }
}

/**
 * Throws BAD_ARGUMENT unless `scale` is a number in (0, 1]; the message ends with `fix`, how to fix it.
 * @example checkScale(0.7, 'trap.scale'); // ok
 */
export function checkScale(
  scale: unknown,
  path: string,
  fix = 'lower --scale or omit it to let the tuner choose',
): asserts scale is number {
  if (typeof scale !== 'number' || !(scale > 0 && scale <= 1)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a number in (0, 1], got ${String(scale)}; ${fix}`, {
      path,
      hint: fix,
    });
  }
}

/**
 * Throws BAD_ARGUMENT unless `sigma` is a finite number > 0.
 * @example checkSigma(0.5, 'trap.sigma'); // ok
 */
export function checkSigma(sigma: unknown, path: string): asserts sigma is number {
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) {
    const fix = 'pass a positive --sigma (the paper uses 0.5) or omit it';
    throw new FedleakError('BAD_ARGUMENT', `expected a finite number > 0, got ${String(sigma)}; ${fix}`, {
      path,
      hint: fix,
    });
  }
}
