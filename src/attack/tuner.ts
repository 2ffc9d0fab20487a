/** Grid search of the trap-weight scale s on the attacker's auxiliary data (CAH §3 and Table 4), by simulating the read-out. */
import type { Dataset } from '../types.js';
import { FedleakError } from '../errors.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { preactivations } from './firing.js';
import { checkScale, checkSigma, drawTrapColumns } from './trap-weights.js';

/**
 * The default grid: coarse below 0.9, dense from 0.9 to 0.999, where CIFAR-10 (0.95), ImageNet (0.99) and text
 * (0.99) have their optimum and where R changes fastest with s.
 * @example tuneScale(aux, 1000, 100, { seed: 1, grid: defaultScaleGrid.filter((s) => s >= 0.9) });
 */
export const defaultScaleGrid: readonly number[] = [
  0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995, 0.999,
];

/**
 * Options of {@link tuneScale}.
 * @example const opts: TuneOptions = { seed: 7, trials: 10, grid: [0.6, 0.7, 0.8] };
 */
export interface TuneOptions {
  /** Scales to try, each in (0, 1]. Default {@link defaultScaleGrid}. */
  grid?: readonly number[];
  /** Random batches drawn from the auxiliary data per scale. Default 5. */
  trials?: number;
  /** σ of the trap weights, as the attack will use it. Default 0.5. */
  sigma?: number;
  seed: number;
}

/**
 * The chosen scale and the simulated extraction-recall of every scale tried, in grid order.
 * @example const { scale, table }: TuneResult = tuneScale(aux, 1000, 100, { seed: 7 });
 */
export interface TuneResult {
  scale: number;
  table: { scale: number; recall: number }[];
}

/**
 * Picks the trap scale s that maximises the simulated extraction-recall on batches of `batchSize` auxiliary
 * examples, for a layer of `neurons` neurons.
 *
 * For every scale in the grid it takes the trap weights of `trapWeights` (drawn once from `seed`, the same for
 * every scale), draws `trials` batches of `batchSize` distinct examples from `aux` (the same batches for every
 * scale, so scales are compared on equal terms), computes which neurons each example fires (ReLU(Wx + b) > 0, in
 * float64) and counts the examples that are the only firer of at least one neuron: exactly the inputs the read-out
 * recovers. R is averaged over the trials; ties go to the scale listed first.
 *
 * Cost: since b = 0 and W = neg + s·pos, the pre-activation at scale s is neg·x + s·(pos·x), so two matrix
 * products cover the whole grid. The layer is drawn in blocks of columns, so memory stays small even where the
 * whole kernel would not fit (ImageNet: 150528 × 1000). The crafted layer rounds s·pos to float32; that moves a
 * pre-activation by ~1e-7 of its size, which flips a firing decision only for values that close to 0.
 *
 * Deterministic for a given seed.
 * @throws FedleakError BAD_ARGUMENT for a bad option, or when `aux` holds fewer than `batchSize` examples;
 *   SHAPE_MISMATCH when `aux.inputs` does not fit `aux.size × prod(aux.shape)`.
 * @example
 * const { scale, table } = tuneScale(auxMnist, 1000, 100, { seed: 7 });
 * // scale ≈ 0.6–0.7 for MNIST at B = 100 (CAH Table 4); table lists R for every scale tried
 */
export function tuneScale(aux: Dataset, neurons: number, batchSize: number, opts: TuneOptions): TuneResult {
  const grid = opts.grid ?? defaultScaleGrid;
  const trials = opts.trials ?? 5;
  const sigma = opts.sigma ?? 0.5;
  checkArgs(aux, neurons, batchSize, grid, trials);
  checkSigma(sigma, 'tune.sigma');
  const d = aux.inputs.length / aux.size;

  // The same batches for every scale; pre-activations only for the examples some batch uses.
  const batchRng = new Rng(deriveSeed(opts.seed, 'batches'));
  const poolOf = new Int32Array(aux.size).fill(-1);
  const used: number[] = [];
  const batches: Int32Array[] = [];
  for (let t = 0; t < trials; t++) {
    const pick = batchRng.permutation(aux.size).subarray(0, batchSize);
    batches.push(
      Int32Array.from(pick, (e) => {
        if (poolOf[e] < 0) {
          poolOf[e] = used.length;
          used.push(e);
        }
        return poolOf[e];
      }),
    );
  }
  const pool = new Float32Array(used.length * d);
  used.forEach((e, p) => pool.set(aux.inputs.subarray(e * d, (e + 1) * d), p * d));

  const { negPre, posPre } = halfPreactivations(pool, used.length, d, neurons, sigma, deriveSeed(opts.seed, 'weights'));

  const counts = new Int32Array(neurons);
  const lone = new Int32Array(neurons);
  const isolated = new Uint8Array(batchSize);
  const table = grid.map((s) => {
    let sum = 0;
    for (const batch of batches) {
      counts.fill(0);
      for (let b = 0; b < batchSize; b++) {
        const o = batch[b] * neurons;
        for (let i = 0; i < neurons; i++) {
          if (negPre[o + i] + s * posPre[o + i] > 0) {
            counts[i]++;
            lone[i] = b;
          }
        }
      }
      isolated.fill(0);
      let hits = 0;
      for (let i = 0; i < neurons; i++) {
        if (counts[i] === 1 && !isolated[lone[i]]) {
          isolated[lone[i]] = 1;
          hits++;
        }
      }
      sum += hits / batchSize;
    }
    return { scale: s, recall: sum / trials };
  });
  let best = table[0];
  for (const row of table) if (row.recall > best.recall) best = row;
  return { scale: best.scale, table };
}

/** Floats per half-kernel block: 16 MB, i.e. 256 columns for MNIST or CIFAR, 27 for ImageNet-sized inputs. */
const BLOCK_FLOATS = 4 * 1024 * 1024;

/**
 * neg·x and pos·x for every pool example and neuron of the trap layer drawn from `seed`, [count × neurons] each,
 * computed block by block of columns.
 */
function halfPreactivations(
  pool: Float32Array,
  count: number,
  d: number,
  neurons: number,
  sigma: number,
  seed: number,
): { negPre: Float64Array; posPre: Float64Array } {
  const width = Math.max(16, Math.min(256, Math.floor(BLOCK_FLOATS / d)));
  const negBlock = new Float32Array(d * width);
  const posBlock = new Float32Array(d * width);
  const zero = new Float32Array(width);
  const negPre = new Float64Array(count * neurons);
  const posPre = new Float64Array(count * neurons);
  let first = 0; // neuron of the block's column 0
  drawTrapColumns(d, neurons, sigma, new Rng(seed), (i, col) => {
    const c = i - first;
    for (let k = 0; k < col.negIndex.length; k++) negBlock[col.negIndex[k] * width + c] = -col.negMag[k];
    for (let k = 0; k < col.posIndex.length; k++) posBlock[col.posIndex[k] * width + c] = col.posMag[k];
    if (c < width - 1 && i < neurons - 1) return;
    const filled = c + 1;
    for (const [block, out] of [
      [negBlock, negPre],
      [posBlock, posPre],
    ] as const) {
      const pre = preactivations(block, zero, pool, count, d, width);
      for (let b = 0; b < count; b++) out.set(pre.subarray(b * width, b * width + filled), b * neurons + first);
      block.fill(0);
    }
    first = i + 1;
  });
  return { negPre, posPre };
}

const GRID_FIX = 'use scales in (0, 1] in the grid, or omit it for the default';

function checkArgs(aux: Dataset, neurons: number, batchSize: number, grid: readonly number[], trials: number): void {
  for (const [name, v] of [
    ['neurons', neurons],
    ['batchSize', batchSize],
    ['trials', trials],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new FedleakError('BAD_ARGUMENT', `expected a positive integer, got ${v}`, { path: `tune.${name}` });
    }
  }
  if (!Array.isArray(grid) || grid.length === 0) {
    throw new FedleakError('BAD_ARGUMENT', 'expected a non-empty list of scales', {
      path: 'tune.grid',
      hint: 'pass scales in (0, 1], or omit the grid to use the default',
    });
  }
  grid.forEach((s, k) => checkScale(s, `tune.grid[${k}]`, GRID_FIX));
  const d = aux.shape.reduce((p, q) => p * q, 1);
  if (!Number.isInteger(aux.size) || aux.size < 0 || aux.inputs.length !== aux.size * d) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `auxiliary data "${aux.name}" holds ${aux.inputs.length} values, expected ${aux.size} × ${d}`,
      { path: 'tune.aux' },
    );
  }
  for (let k = 0; k < aux.inputs.length; k++) {
    if (!Number.isFinite(aux.inputs[k])) {
      throw new FedleakError('NOT_FINITE', `auxiliary value ${k} is ${aux.inputs[k]}`, { path: 'tune.aux.inputs' });
    }
  }
  if (aux.size < batchSize) {
    throw new FedleakError(
      'BAD_ARGUMENT',
      `tuning for batches of ${batchSize} needs at least ${batchSize} auxiliary examples, got ${aux.size}`,
      { path: 'tune.aux', hint: 'give the attacker more auxiliary examples (--tune-on), or pass --scale' },
    );
  }
}
