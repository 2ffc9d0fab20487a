/**
 * The read-out under DP noise (PAPER.md §7): trap weights make several first-layer rows hold the same input, so the
 * server finds the rows that carry signal, groups the rows that hold the same input and combines each group.
 */
import type { Candidate, Reconstruction, Update } from '../types.js';
import { FedleakError } from '../errors.js';
import { findDense } from '../attack/layer.js';

/**
 * Options of {@link groupRows}.
 * @example const opts: GroupRowsOptions = { noiseStd: 1e-4 };
 */
export interface GroupRowsOptions {
  /** Standard deviation of the Gaussian noise on each coordinate of the update (known to the server: σ, C, M). */
  noiseStd: number;
  /** A row carries signal when its energy exceeds the noise's by this many standard deviations. Default 5. */
  detectZ?: number;
  /**
   * How far below ρ, the correlation two noisy copies of one input would have at their signal-to-noise ratios, a
   * row's correlation with a group may fall and still join it, in units of 1 − ρ (on top of 3 standard errors of
   * the sample correlation). Small: a row mixing two inputs stays out of a clean group. Default 0.25.
   */
  joinTolerance?: number;
  /** Layer to read. Default 'dense0'. */
  layer?: string;
  /**
   * Rows below the detection limit (strongest first) kept as candidates of their own, each read out alone as the
   * plain read-out would: a weak row may still be an input's best guess. Default: all of them.
   */
  keepBelow?: number;
}

/** What {@link groupRows} returns: a reconstruction with one candidate per group, and the group sizes. */
export interface GroupedReconstruction extends Reconstruction {
  /** Rows whose energy rose above the noise. */
  signalRows: number;
  /** Rows per candidate, in candidate order: the groups of signal rows, then the rows kept below the limit (1 each). */
  groupSizes: number[];
  /** How many of the candidates are groups of signal rows (the first ones). */
  groups: number;
}

/**
 * Reads a noisy update row by row and combines the rows that hold the same input. For row i of the layer (weight
 * column W_i, bias b_i), a single firing input x gives W_i = g_i·x + noise and b_i = g_i + noise.
 * 1. Detection: row i carries signal when ‖W_i‖² + b_i² exceeds its noise-only expectation (d + 1)·s² by
 *    `detectZ` standard deviations (s²·√(2(d + 1))). Under noise every bias is non-zero, so "active" here means
 *    "above the noise"; the rows below are kept as candidates read out alone (`keepBelow`).
 * 2. Grouping: rows are taken by decreasing signal-to-noise ratio; each is compared, by Pearson correlation of
 *    sgn(b_i)·W_i, with every group's running sum Σ b_k·W_k, and joins the group where the correlation comes
 *    closest to (and within `joinTolerance` of) ρ = √(r₁/(1 + r₁))·√(r₂/(1 + r₂)), the correlation two noisy copies
 *    of one input would have, with r each one's estimated signal-to-noise ratio (signal variance over noise
 *    variance); otherwise it starts a group. At low noise ρ ≈ 1 and only near-copies join; at high noise the bar
 *    falls with ρ.
 * 3. Combination: each group gives x̂ = Σ b_k·W_k / Σ b_k², the b²-weighted average of its rows' read-outs
 *    W_k/b_k (a least-squares fit of x with g_k ≈ b_k), which does not blow up on rows with a small b_k.
 * Uses only the update and the noise level, never ground truth. Costs about (signal rows × groups × d) multiply-adds.
 * @throws FedleakError BAD_ARGUMENT for a noiseStd that is not finite and > 0; SHAPE_MISMATCH as `findDense`.
 * @example
 * const rec = groupRows(isolatedUpdate, 'trap', { noiseStd: 0.01 * C / Math.sqrt(M) });
 * rec.candidates.length; rec.groupSizes; // one candidate per group
 */
export function groupRows(update: Update, attack: string, opts: GroupRowsOptions): GroupedReconstruction {
  const t0 = performance.now();
  const s = opts.noiseStd;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a noise std > 0, got ${String(s)}`, {
      path: 'groupRows.noiseStd',
      hint: 'without noise, use the attack\'s own read-out',
    });
  }
  const layerName = opts.layer ?? 'dense0';
  const z = opts.detectZ ?? 5;
  const tolerance = opts.joinTolerance ?? 0.25;
  const layer = findDense(update.arrays, layerName, 'update');
  const { inputDim: d, neurons: n } = layer;
  const kernel = layer.kernel.data;
  const bias = layer.bias.data;
  const nu = s * s;

  // Energy of every column, in one pass over the row-major [d, n] kernel.
  const energy = new Float64Array(n);
  for (let i = 0; i < n; i++) energy[i] = bias[i] * bias[i];
  for (let j = 0; j < d; j++) {
    const o = j * n;
    for (let i = 0; i < n; i++) energy[i] += kernel[o + i] * kernel[o + i];
  }
  const limit = (d + 1) * nu + z * nu * Math.sqrt(2 * (d + 1));
  const rows: number[] = [];
  const below: number[] = [];
  for (let i = 0; i < n; i++) (energy[i] > limit && bias[i] !== 0 ? rows : below).push(i);

  // Signal rows as contiguous sign-aligned vectors v = sgn(b)·W, with their means and signal variances.
  const m = rows.length;
  const v = new Float64Array(m * d);
  rows.forEach((i, r) => {
    const sign = bias[i] > 0 ? 1 : -1;
    for (let j = 0, o = r * d; j < d; j++) v[o + j] = sign * kernel[j * n + i];
  });
  const mean = new Float64Array(m);
  const signalVar = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const st = moments(v, r * d, d);
    mean[r] = st.mean;
    signalVar[r] = Math.max(st.variance - nu, nu * 1e-6);
  }
  const order = Array.from({ length: m }, (_, r) => r).sort((a, b) => signalVar[b] - signalVar[a]);

  // Groups: running sums acc = Σ |b|·v = Σ b·W, with Σ b² and the noise variance of acc (ν·Σ b²).
  const groups: { acc: Float64Array; b2: number; leader: number; size: number; mean: number; signalVar: number }[] = [];
  for (const r of order) {
    const i = rows[r];
    const a = Math.abs(bias[i]);
    const vo = r * d;
    let best = -1;
    let bestScore = -Infinity;
    const rhoRow = Math.sqrt(signalVar[r] / (signalVar[r] + nu));
    for (let g = 0; g < groups.length; g++) {
      const G = groups[g];
      let dot = 0;
      const acc = G.acc;
      for (let j = 0; j < d; j++) dot += v[vo + j] * acc[j];
      const groupNoise = nu * G.b2;
      const cov = dot / d - mean[r] * G.mean;
      const corr = cov / Math.sqrt((signalVar[r] + nu) * (G.signalVar + groupNoise));
      const expected = rhoRow * Math.sqrt(G.signalVar / (G.signalVar + groupNoise));
      const threshold = expected - tolerance * (1 - expected) - (3 * (1 - expected * expected)) / Math.sqrt(d);
      const score = corr - threshold;
      if (corr > 0 && score >= 0 && (best < 0 || score > bestScore)) {
        best = g;
        bestScore = score;
      }
    }
    if (best < 0) {
      groups.push({ acc: new Float64Array(d), b2: 0, leader: i, size: 0, mean: 0, signalVar: 0 });
      best = groups.length - 1;
    }
    const G = groups[best];
    for (let j = 0; j < d; j++) G.acc[j] += a * v[vo + j];
    G.b2 += a * a;
    G.size++;
    const st = moments(G.acc, 0, d);
    G.mean = st.mean;
    G.signalVar = Math.max(st.variance - nu * G.b2, nu * G.b2 * 1e-6);
  }

  const candidates: Candidate[] = groups.map((G) => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = G.acc[j] / G.b2;
    return { neuron: G.leader, x, biasGrad: bias[G.leader] };
  });
  const sizes = groups.map((G) => G.size);
  // Keep the undetected rows too, each read out alone (W_i / b_i), as the plain read-out would.
  const keep = opts.keepBelow ?? Infinity;
  below.sort((a, b) => energy[b] - energy[a]);
  for (const i of below) {
    if (sizes.length - groups.length >= keep) break;
    if (bias[i] === 0) continue;
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = kernel[j * n + i] / bias[i];
    candidates.push({ neuron: i, x, biasGrad: bias[i] });
    sizes.push(1);
  }
  return {
    attack: `${attack}+grouped`,
    layer: layerName,
    candidates,
    activeNeurons: m,
    totalNeurons: n,
    timings: { readoutMs: performance.now() - t0 },
    signalRows: m,
    groupSizes: sizes,
    groups: groups.length,
  };
}

/** Mean and (population) variance of `len` values of `a` from `at`. */
function moments(a: Float64Array, at: number, len: number): { mean: number; variance: number } {
  let sum = 0;
  let sq = 0;
  for (let j = at, e = at + len; j < e; j++) {
    sum += a[j];
    sq += a[j] * a[j];
  }
  const mean = sum / len;
  return { mean, variance: Math.max(0, sq / len - mean * mean) };
}
