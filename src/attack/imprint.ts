/** Robbing the Fed's imprint block (Fowl et al., ICLR 2022): every row one statistic h(x), biases at its quantiles, read by differences. */
import type { Attack, Candidate, Reconstruction, Update } from '../types.js';
import { FedleakError } from '../errors.js';
import { deriveSeed, Rng } from '../tensor/rng.js';
import { checkSpecFits, findDense } from './layer.js';
import { checkOptionKeys, describe } from './options.js';
import { dataStatistics, normalQuantile } from './quantile-bias.js';

/**
 * Options of the imprint design.
 * @example imprint(); imprint({ variant: 'sparse', statistic: 'random' });
 */
export interface ImprintOptions {
  /**
   * 'cumulative' (default): row k fires for h(x) > q_k, and bin k (q_k, q_{k+1}] is row k minus row k + 1, so N rows
   * give N bins. 'sparse': rows 2k and 2k + 1 fire above q_k and q_{k+1} and feed the next layer with opposite
   * signs, so each pair's sum holds bin k alone and the next layer sees a bounded signal; N rows give N/2 bins.
   */
  variant?: 'cumulative' | 'sparse';
  /** The statistic h: 'mean' pixel (default, as in the paper) or a 'random' unit-norm projection. */
  statistic?: 'mean' | 'random';
  /** Quantiles of h from the auxiliary examples: a 'normal' fit (default) or 'empirical' (interpolated; needs many more examples than bins). */
  fit?: 'empirical' | 'normal';
  /** At most this many auxiliary examples are used (a seeded subset). Default 4096. */
  auxLimit?: number;
}

/**
 * What the imprint server remembers: the variant and how many bins it made.
 * @example const { secrets } = imprint().craft(spec, params, { seed: 1, aux }); // secrets.bins === spec.neurons
 */
export interface ImprintSecrets {
  layer: 'dense0';
  variant: 'cumulative' | 'sparse';
  bins: number;
}

/**
 * The imprint design. **The attacker must hold auxiliary examples (`ctx.aux`) to place the quantiles; it need not
 * know the batch size.**
 *
 * `craft` sets every row of `dense0` to the same weights w (h(x) = w·x) with biases −q_k at quantiles of h over the
 * auxiliary data (mass 1/bins per bin; the lowest threshold is below every possible h, so row 0 fires for all
 * inputs), and sets every row of `dense1/kernel` to one vector v (sparse: ±v), so that an input that fires two
 * rows has the same coefficient dL/dz on both. `reconstruct` reads bin k as (∇W_k − ∇W_{k+1}) / (∇b_k − ∇b_{k+1})
 * (sparse: the sum of the pair), in float64: exact when one input fell into the bin. Every input lands in exactly
 * one bin, so there is nothing to peel; the design is not wrapped in `peel`.
 *
 * With a mean loss over B the coefficients are 1/B of the per-input ones; the ratio cancels it. For FedAvg deltas
 * the same differences apply when each input stays in its bin over the local steps (approximately).
 * @throws FedleakError BAD_ARGUMENT for a bad or unknown option, or when `craft` has no auxiliary data;
 *   SHAPE_MISMATCH when the params have no `dense0`/`dense1` that fit `spec`.
 * @example
 * const attack = imprint();
 * const { params, secrets } = attack.craft(spec, params0, { seed: 1, aux });
 * const rec = attack.reconstruct(update, secrets); // one candidate per non-empty bin
 */
export function imprint(opts: ImprintOptions = {}): Attack<ImprintSecrets> {
  checkOptionKeys('imprint', opts, ['variant', 'statistic', 'fit', 'auxLimit']);
  const variant = opts.variant ?? 'cumulative';
  const statistic = opts.statistic ?? 'mean';
  const fit = opts.fit ?? 'normal';
  checkChoice(variant, ['cumulative', 'sparse'], 'imprint.variant');
  checkChoice(statistic, ['mean', 'random'], 'imprint.statistic');
  checkChoice(fit, ['empirical', 'normal'], 'imprint.fit');
  const auxLimit = opts.auxLimit ?? 4096;
  if (!Number.isInteger(auxLimit) || auxLimit < 2) {
    throw new FedleakError('BAD_ARGUMENT', `expected an integer ≥ 2, got ${describe(auxLimit)}`, { path: 'imprint.auxLimit' });
  }

  return {
    name: 'imprint',
    craft(spec, params, ctx) {
      const l0 = findDense(params, 'dense0', 'params');
      checkSpecFits(spec, l0);
      const l1 = findDense(params, 'dense1', 'params');
      const d = l0.inputDim;
      const n = l0.neurons;
      if (!ctx.aux || ctx.aux.size < 2) {
        throw new FedleakError('BAD_ARGUMENT', 'placing the bins needs at least 2 auxiliary examples', {
          path: 'imprint.aux',
          hint: 'give the attacker auxiliary data of the clients’ kind (--tune-on)',
        });
      }
      const stats = dataStatistics('imprint', ctx, d, { auxLimit }, deriveSeed(ctx.seed, 'imprint', 'aux'));
      if (stats.kind !== 'examples') throw new Error('unreachable: auxiliary data was checked above');

      const w = new Float64Array(d);
      if (statistic === 'mean') w.fill(1 / d);
      else {
        const rng = new Rng(deriveSeed(ctx.seed, 'imprint', 'projection'));
        let norm = 0;
        for (let j = 0; j < d; j++) norm += (w[j] = rng.normal()) ** 2;
        for (let j = 0; j < d; j++) w[j] /= Math.sqrt(norm);
      }
      const wf = Float32Array.from(w);
      const h = new Float64Array(stats.count);
      for (let e = 0; e < stats.count; e++) {
        let s = 0;
        for (let j = 0, o = e * d; j < d; j++) s += wf[j] * stats.inputs[o + j];
        h[e] = s;
      }
      // The lowest threshold sits below every h an input in [0, 1]^d can have, so row 0 fires for every input;
      // the sparse variant's highest sits above every h (its last row never fires).
      let low = 0;
      let high = 0;
      for (let j = 0; j < d; j++) (wf[j] < 0 ? (low += wf[j]) : (high += wf[j]));
      const span = high - low;
      const bins = variant === 'cumulative' ? n : Math.floor(n / 2);
      const quantile = quantileFunction(h, fit);
      const q = new Float64Array(bins + 1);
      q[0] = low - 0.01 * span;
      for (let k = 1; k < bins; k++) q[k] = quantile(k / bins);
      q[bins] = high + 0.01 * span;

      const kernel = new Float32Array(d * n);
      for (let j = 0; j < d; j++) kernel.fill(wf[j], j * n, (j + 1) * n);
      const bias = new Float32Array(n);
      const sign = new Float64Array(n);
      if (variant === 'cumulative') {
        for (let k = 0; k < n; k++) {
          bias[k] = -q[k];
          sign[k] = 1;
        }
      } else {
        for (let k = 0; k < bins; k++) {
          bias[2 * k] = -q[k];
          bias[2 * k + 1] = -q[k + 1];
          sign[2 * k] = 1;
          sign[2 * k + 1] = -1;
        }
        if (n % 2) bias[n - 1] = -(high + span + 1); // an unused row that never fires
      }

      // The next layer sees Σ_k sign_k·ReLU(h − q_k) times one vector v; v is the incoming first row of dense1,
      // shrunk so that the signal stays O(1) over the auxiliary data (the cumulative sum grows with the bin count).
      const width = l1.neurons;
      const v = l1.kernel.data.slice(0, width);
      const signal = Array.from(h, (hv) => {
        let s = 0;
        for (let k = 0; k < n; k++) if (hv > q[k] && bias[k] > -(high + span)) s += sign[k] * (hv - q[k]);
        return Math.abs(s);
      }).sort((a, b) => a - b);
      const typical = signal[Math.floor(0.9 * (signal.length - 1))];
      const shrink = 1 / Math.max(1, typical);
      const kernel1 = new Float32Array(l1.kernel.data.length);
      for (let k = 0; k < n; k++) {
        if (bias[k] <= -(high + span)) continue;
        for (let m = 0; m < width; m++) kernel1[k * width + m] = sign[k] * shrink * v[m];
      }

      const out = params.map((a) => {
        if (a === l0.kernel) return { name: a.name, shape: [...a.shape], data: kernel };
        if (a === l0.bias) return { name: a.name, shape: [...a.shape], data: bias };
        if (a === l1.kernel) return { name: a.name, shape: [...a.shape], data: kernel1 };
        return a;
      });
      return { params: out, secrets: { layer: 'dense0', variant, bins } };
    },
    reconstruct(update, secrets) {
      return imprintReadOut(update, secrets);
    },
  };
}

/**
 * The imprint read-out: bin k's candidate is the difference of neighbouring rows (cumulative) or the sum of a
 * pair (sparse), kernel over bias, in float64. A bin whose bias difference is 0 (to 1e-6 of the rows' own size,
 * the float32 rounding of the client's sums) is empty and gives no candidate. Sees only the update.
 * @throws FedleakError SHAPE_MISMATCH when `dense0` is missing or has fewer rows than the bins need, NOT_FINITE
 *   when a value is NaN or ±Infinity.
 * @example const rec = imprintReadOut(update, { layer: 'dense0', variant: 'cumulative', bins: 1000 });
 */
export function imprintReadOut(update: Update, secrets: ImprintSecrets): Reconstruction {
  const t0 = performance.now();
  const layer = findDense(update.arrays, secrets.layer, 'update');
  const { inputDim: d, neurons: n } = layer;
  const { bins, variant } = secrets;
  if (bins > (variant === 'cumulative' ? n : Math.floor(n / 2))) {
    throw new FedleakError('SHAPE_MISMATCH', `${bins} ${variant} bins need more than the layer's ${n} rows`, {
      path: `update.${layer.kernel.name}`,
    });
  }
  const kernel = layer.kernel.data;
  const bias = layer.bias.data;
  // Bin k combines rows a = first[k] and b = second[k] (−1: none) as row a + sgn · row b.
  const first = new Int32Array(bins);
  const second = new Int32Array(bins);
  const sgn = variant === 'cumulative' ? -1 : 1;
  for (let k = 0; k < bins; k++) {
    first[k] = variant === 'cumulative' ? k : 2 * k;
    second[k] = variant === 'cumulative' ? (k + 1 < bins ? k + 1 : -1) : 2 * k + 1;
  }
  const active: number[] = [];
  const db = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    const a = bias[first[k]];
    const b = second[k] >= 0 ? bias[second[k]] : 0;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new FedleakError('NOT_FINITE', `bias of bin ${k} is not finite; the update must hold finite numbers`, {
        path: `update.${layer.bias.name}`,
      });
    }
    db[k] = a + sgn * b;
    if (Math.abs(db[k]) > 1e-6 * (Math.abs(a) + Math.abs(b))) active.push(k);
  }
  const out = new Float64Array(active.length * d);
  const TILE = 128;
  let sum = 0;
  for (let j0 = 0; j0 < d; j0 += TILE) {
    const j1 = Math.min(d, j0 + TILE);
    for (let s = 0; s < active.length; s++) {
      const k = active[s];
      const a = first[k];
      const b = second[k];
      const inv = 1 / db[k];
      for (let j = j0, o = s * d + j0; j < j1; j++, o++) {
        const v = (kernel[j * n + a] + (b >= 0 ? sgn * kernel[j * n + b] : 0)) * inv;
        out[o] = v;
        sum += v;
      }
    }
  }
  if (!Number.isFinite(sum)) {
    throw new FedleakError('NOT_FINITE', 'the kernel update holds NaN or ±Infinity', { path: `update.${layer.kernel.name}` });
  }
  const candidates: Candidate[] = active.map((k, s) => ({ neuron: k, x: out.subarray(s * d, (s + 1) * d), biasGrad: db[k] }));
  return {
    attack: 'imprint',
    layer: secrets.layer,
    candidates,
    activeNeurons: active.length,
    totalNeurons: bins,
    timings: { readoutMs: performance.now() - t0 },
  };
}

/**
 * F⁻¹ of the sample `h`: 'normal' fits a Gaussian; 'empirical' interpolates the order statistics at plotting
 * positions (i + ½)/n and attaches Gaussian-shaped tails beyond the extremes.
 */
function quantileFunction(h: Float64Array, fit: 'empirical' | 'normal'): (p: number) => number {
  const n = h.length;
  let mean = 0;
  for (const v of h) mean += v;
  mean /= n;
  let sd = 0;
  for (const v of h) sd += (v - mean) ** 2;
  sd = Math.sqrt(sd / Math.max(1, n - 1));
  if (fit === 'normal') return (p) => mean + sd * normalQuantile(p);
  const sorted = Float64Array.from(h).sort();
  const lo = 0.5 / n;
  const hi = 1 - 0.5 / n;
  return (p) => {
    if (p <= lo) return sorted[0] + sd * (normalQuantile(p) - normalQuantile(lo));
    if (p >= hi) return sorted[n - 1] + sd * (normalQuantile(p) - normalQuantile(hi));
    const at = p * n - 0.5;
    const i = Math.floor(at);
    return sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]);
  };
}

function checkChoice(v: unknown, allowed: readonly string[], path: string): void {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new FedleakError('BAD_ARGUMENT', `expected ${allowed.join(' or ')}, got ${describe(v)}`, { path });
  }
}
