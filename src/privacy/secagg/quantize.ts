/**
 * Fixed-point encoding of updates in Z_2^32 for secure aggregation (Bonawitz et al. 2017 sum in Z_R, R = 2^32):
 * values clamped to [−R, R] and scaled so that the sum of n clients cannot wrap around.
 */
import { FedleakError } from '../../errors.js';
import { badOption, checkKeys, integerIn, positiveNumber } from '../check.js';

/**
 * Options of {@link quantizer}.
 * @example const opts: QuantizerOptions = { clipRange: 1, numClients: 100 };
 */
export interface QuantizerOptions {
  /** R: every coordinate is clamped to [−R, R] before encoding (same units as the update). */
  clipRange: number;
  /** n: the most clients whose encodings are summed. */
  numClients: number;
}

/**
 * A fixed-point code for one secure-aggregation session.
 * - `bound` B = ⌊(2^31 − 1)/n⌋ and `scale` s = B/R: a clamped value x becomes q = round(x·s) ∈ [−B, B], stored
 *   mod 2^32 (two's complement). A sum of at most n codes lies in [−nB, nB] ⊂ [−(2^31 − 1), 2^31 − 1], so it
 *   decodes exactly as a signed 32-bit integer: no wrap-around.
 * - Error: for x ∈ [−R, R], |x − q/s| ≤ 1/(2s) = R/(2B), plus float64 rounding; `errorPerValue` =
 *   (1/2 + 2^−20)/s covers both. A sum of m clients' decoded values is within m·errorPerValue of the exact sum of
 *   their clamped inputs (`sumErrorBound(m)`). Values outside [−R, R] are clamped first (their error is counted,
 *   not bounded: choose R ≥ the largest coordinate, e.g. R = C after L2 clipping to C).
 * @example const qz = quantizer({ clipRange: 1, numClients: 100 }); qz.bound // 21474836
 */
export interface Quantizer {
  clipRange: number;
  numClients: number;
  bound: number;
  scale: number;
  errorPerValue: number;
  /**
   * Encodes `x` (clamped to [−R, R]) into `out` (new if absent); also returns how many values were clamped.
   * NOT_FINITE for NaN or ±∞.
   */
  quantize(x: ArrayLike<number>, out?: Uint32Array): { values: Uint32Array; clamped: number };
  /** Decodes a sum (mod 2^32) of at most n codes into float64 values. */
  dequantizeSum(sum: Uint32Array): Float64Array;
  /** The error bound of a decoded sum of `m` clients' codes (m ≤ n), for inputs inside [−R, R]. */
  sumErrorBound(m: number): number;
}

/**
 * Builds the fixed-point code for `numClients` clients and clipping range `clipRange` (see {@link Quantizer}).
 * Throws BAD_ARGUMENT for R not a finite number > 0 or n not an integer in [1, 2^31 − 1].
 * @example
 * const qz = quantizer({ clipRange: 1, numClients: 3 });
 * const sum = new Uint32Array(2);
 * for (const x of [[0.1, -1], [0.2, 0.5], [0.3, 0.25]]) addInto(sum, qz.quantize(x).values);
 * qz.dequantizeSum(sum) // ≈ [0.6, -0.25]
 */
export function quantizer(opts: QuantizerOptions): Quantizer {
  checkKeys('quantizer', opts, ['clipRange', 'numClients']);
  const clipRange = positiveNumber(opts.clipRange, 'clipRange',
    'pass R, the largest |coordinate| to encode, e.g. the clipping norm C');
  const numClients = integerIn(opts.numClients, 1, 2 ** 31 - 1, 'numClients', 'pass the number of clients in the round');
  const bound = Math.floor((2 ** 31 - 1) / numClients);
  const scale = bound / clipRange;
  if (!Number.isFinite(scale) || scale <= 0) {
    throw badOption('clipRange', 'a range whose scale 2^31/(nR) is a finite number > 0', clipRange, 'pick R between 1e-30 and 1e30');
  }
  const errorPerValue = (0.5 + 2 ** -20) / scale;
  return {
    clipRange, numClients, bound, scale, errorPerValue,
    quantize(x, out = new Uint32Array(x.length)) {
      if (out.length !== x.length) {
        throw badOption('out', `a Uint32Array of ${x.length} words`, out.length, 'pass an output of the input\'s length');
      }
      let clamped = 0;
      for (let i = 0; i < x.length; i++) {
        let v = x[i];
        if (!Number.isFinite(v)) {
          throw new FedleakError('NOT_FINITE', `value ${i} is ${v}`, { path: `input[${i}]`,
            hint: 'secure aggregation encodes finite numbers only: check the update for NaN or Infinity' });
        }
        if (v > clipRange) { v = clipRange; clamped++; } else if (v < -clipRange) { v = -clipRange; clamped++; }
        out[i] = Math.round(v * scale); // ToUint32: a negative code is stored as 2^32 + code
      }
      return { values: out, clamped };
    },
    dequantizeSum(sum) {
      const out = new Float64Array(sum.length);
      for (let i = 0; i < sum.length; i++) out[i] = (sum[i] | 0) / scale; // | 0 reads the word as signed int32
      return out;
    },
    sumErrorBound(m) {
      return m * errorPerValue;
    },
  };
}

/**
 * acc ← acc + v (mod 2^32), in place: how codes add up without masks.
 * @example addInto(sum, qz.quantize(x).values);
 */
export function addInto(acc: Uint32Array, v: Uint32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += v[i];
}
