/** CAH §7.1 metrics of one reconstruction against the batch it came from: A, P, R, plus PSNR/SSIM of a one-to-one match. */
import type { Reconstruction } from '../types.js';
import { FedleakError } from '../errors.js';
import { matchExact, maxAbsError } from './exact.js';
import { hungarian } from './hungarian.js';
import { mse, psnrFromMse } from './psnr.js';
import { ssim, ssimSupported } from './ssim.js';

/**
 * The ground truth of one client's batch: `count` examples of shape `shape`, flat, values k / 255.
 * @example const truth: Truth = { inputs: batch.inputs, count: batch.count, shape: [28, 28, 1] };
 */
export interface Truth {
  inputs: Float32Array;
  count: number;
  shape: number[];
}

/**
 * How one input of the batch fared.
 * @example for (const p of evaluate(truth, rec).perInput) if (!p.exact) console.log(p.index, p.neuron, p.psnr);
 */
export interface InputResult {
  index: number;
  /** Reproduced exactly (8-bit rule, see `matchExact`) by at least one candidate. */
  exact: boolean;
  /** Neuron of the candidate matched to this input, or null when no candidate was left for it. */
  neuron: number | null;
  /** PSNR (dB, data range 1) of the matched candidate clipped to [0, 1]; Infinity when identical; null if unmatched. */
  psnr: number | null;
  /** SSIM of the matched candidate clipped to [0, 1]; null if unmatched or the shape is not an image ≥ 11×11. */
  ssim: number | null;
  /** Largest |candidate − input| over the values, before clipping; null if unmatched. */
  maxAbsError: number | null;
}

/**
 * What {@link evaluate} reports.
 * @example const { active, precision, recall }: Metrics = evaluate(truth, rec);
 */
export interface Metrics {
  /** A: active neurons / all neurons of the read layer. */
  active: number;
  /** P: neurons whose candidate reproduces some input exactly / active neurons (0 when none is active). */
  precision: number;
  /** The same count divided by all neurons of the layer, as some papers report P. */
  precisionAll: number;
  /** R: inputs reproduced exactly by at least one candidate / batch size. */
  recall: number;
  /** Indices of the exactly reproduced inputs, ascending. */
  exactInputs: number[];
  perInput: InputResult[];
  /** Mean PSNR over matched inputs (Infinity if one is identical); null when none is matched. */
  meanPsnr: number | null;
  /** Mean SSIM over matched inputs; null when none is matched or SSIM does not apply. */
  meanSsim: number | null;
}

/**
 * Options of {@link evaluate}.
 * @example evaluate(truth, rec, { matchBudget: 2e9 });
 */
export interface EvaluateOptions {
  /** Multiply-adds the matching's MSE matrix may cost before it subsamples values. Default 1e9. */
  matchBudget?: number;
}

/**
 * Scores a reconstruction against the batch it was read from. Only the evaluation sees ground truth.
 *
 * Exactness uses the 8-bit rule (every value rounds to the input's byte). For PSNR and SSIM each input is
 * matched to one candidate by a min-cost one-to-one assignment (Hungarian) on the MSE between the input and the
 * candidate clipped to [0, 1]. Pairs that match exactly cost −(count + 1), more than all MSEs together can
 * outweigh, so the assignment first keeps as many exact pairs as possible, then minimises the MSE. An input that
 * is reproduced exactly is always reported with an exact candidate (when byte-identical inputs share one candidate,
 * each of them reports it). With fewer candidates than inputs, the unmatched inputs get nulls.
 *
 * The MSE matrix is computed as (‖a‖² + ‖b‖² − 2 a·b) / d in float64, blocked four inputs at a time; the
 * reported PSNR is recomputed directly for each matched pair, since that shortcut loses digits near MSE 0. When
 * that matrix would take more than `matchBudget` (1e9) multiply-adds (ImageNet: 150528 values × 100 inputs × 1000 candidates),
 * the matching uses every s-th value only, with s the smallest stride that fits; exactness, PSNR and SSIM are
 * always computed on all values.
 * @throws FedleakError SHAPE_MISMATCH when the inputs or a candidate do not fit `shape`.
 * @example
 * const m = evaluate({ inputs: batch.inputs, count: 100, shape: [28, 28, 1] }, attack.reconstruct(update, secrets));
 * console.log(m.active, m.precision, m.recall, m.meanPsnr);
 */
export function evaluate(truth: Truth, recon: Reconstruction, opts: EvaluateOptions = {}): Metrics {
  const dim = truth.shape.reduce((p, q) => p * q, 1);
  const count = truth.count;
  if (!Number.isInteger(count) || count < 0 || truth.inputs.length !== count * dim) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `truth holds ${truth.inputs.length} values, expected ${count} × [${truth.shape.join(', ')}]`,
      { path: 'evaluate.truth' },
    );
  }
  const cands = recon.candidates;
  const k = cands.length;
  cands.forEach((c, i) => {
    if (c.x.length !== dim) {
      throw new FedleakError('SHAPE_MISMATCH', `candidate ${i} (neuron ${c.neuron}) holds ${c.x.length} values, expected ${dim}`, {
        path: 'evaluate.candidates',
      });
    }
  });

  const match = matchExact(
    truth.inputs,
    count,
    dim,
    cands.map((c) => c.x),
  );
  const exactNeurons = new Set<number>();
  for (let c = 0; c < k; c++) if (match.candidateGroup[c] >= 0) exactNeurons.add(cands[c].neuron);
  const exactInputs: number[] = [];
  for (let b = 0; b < count; b++) if (match.inputCandidate[b] >= 0) exactInputs.push(b);

  // The matching sees the candidates clipped to [0, 1], on every `stride`-th value (all of them unless the MSE
  // matrix would cost more than MATCH_BUDGET multiply-adds).
  const stride = Math.max(1, Math.ceil((dim * count * k) / (opts.matchBudget ?? MATCH_BUDGET)));
  const sub = Math.ceil(dim / stride);
  const candSub = new Float64Array(k * sub);
  for (let c = 0; c < k; c++) clipInto(cands[c].x, stride, candSub, c * sub);
  const inputSub = new Float64Array(count * sub);
  for (let b = 0; b < count; b++) clipInto(truth.inputs.subarray(b * dim, (b + 1) * dim), stride, inputSub, b * sub);
  const cost = mseMatrix(inputSub, count, candSub, k, sub);
  const exactCost = -(count + 1);
  for (let b = 0; b < count; b++) {
    for (let c = 0; c < k; c++) if (match.candidateGroup[c] === match.inputGroup[b]) cost[b * k + c] = exactCost;
  }
  const assigned = k > 0 && count > 0 ? hungarian(cost, count, k).rowToCol : new Int32Array(count).fill(-1);

  const image = ssimSupported(truth.shape);
  const scratch = new Float64Array(dim);
  const perInput: InputResult[] = [];
  for (let b = 0; b < count; b++) {
    const exact = match.inputCandidate[b] >= 0;
    let c = assigned[b];
    if (exact && (c < 0 || match.candidateGroup[c] !== match.inputGroup[b])) c = match.inputCandidate[b];
    if (c < 0) {
      perInput.push({ index: b, exact, neuron: null, psnr: null, ssim: null, maxAbsError: null });
      continue;
    }
    const x = clipInto(cands[c].x, 1, scratch, 0);
    const truthX = truth.inputs.subarray(b * dim, (b + 1) * dim);
    perInput.push({
      index: b,
      exact,
      neuron: cands[c].neuron,
      psnr: psnrFromMse(mse(x, truthX)),
      ssim: image ? ssim(x, truthX, truth.shape) : null,
      maxAbsError: maxAbsError(cands[c].x, truthX),
    });
  }

  const exactCount = exactNeurons.size;
  return {
    active: recon.totalNeurons > 0 ? recon.activeNeurons / recon.totalNeurons : 0,
    precision: recon.activeNeurons > 0 ? exactCount / recon.activeNeurons : 0,
    precisionAll: recon.totalNeurons > 0 ? exactCount / recon.totalNeurons : 0,
    recall: count > 0 ? exactInputs.length / count : 0,
    exactInputs,
    perInput,
    meanPsnr: mean(perInput.map((p) => p.psnr)),
    meanSsim: mean(perInput.map((p) => p.ssim)),
  };
}

/** Multiply-adds the MSE matrix may cost before the matching subsamples values (~1 s; MNIST and CIFAR stay whole). */
const MATCH_BUDGET = 1e9;

/** Writes every `stride`-th value of `x`, clipped to [0, 1], into `out` from `at`; returns that run of `out`. */
function clipInto(x: ArrayLike<number>, stride: number, out: Float64Array, at: number): Float64Array {
  let o = at;
  for (let j = 0; j < x.length; j += stride) {
    const v = x[j];
    out[o++] = v > 1 ? 1 : v >= 0 ? v : 0;
  }
  return out.subarray(at, o);
}

/** MSE of every input (rows) against every candidate (columns), [count × k], via norms and dot products. */
function mseMatrix(inputs: Float64Array, count: number, cands: Float64Array, k: number, dim: number): Float64Array {
  const out = new Float64Array(count * k);
  const norm = (m: Float64Array, n: number) => {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i * dim, e = j + dim; j < e; j++) s += m[j] * m[j];
      r[i] = s;
    }
    return r;
  };
  const ni = norm(inputs, count);
  const nc = norm(cands, k);
  const put = (b: number, c: number, dot: number) => {
    const v = (ni[b] + nc[c] - 2 * dot) / dim;
    out[b * k + c] = v > 0 ? v : 0;
  };
  let b = 0;
  for (; b + 3 < count; b += 4) {
    const x0 = b * dim;
    const x1 = x0 + dim;
    const x2 = x1 + dim;
    const x3 = x2 + dim;
    for (let c = 0; c < k; c++) {
      const co = c * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < dim; j++) {
        const v = cands[co + j];
        s0 += inputs[x0 + j] * v;
        s1 += inputs[x1 + j] * v;
        s2 += inputs[x2 + j] * v;
        s3 += inputs[x3 + j] * v;
      }
      put(b, c, s0);
      put(b + 1, c, s1);
      put(b + 2, c, s2);
      put(b + 3, c, s3);
    }
  }
  for (; b < count; b++) {
    const xo = b * dim;
    for (let c = 0; c < k; c++) {
      const co = c * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += inputs[xo + j] * cands[co + j];
      put(b, c, s);
    }
  }
  return out;
}

function mean(values: (number | null)[]): number | null {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    s += v;
    n++;
  }
  return n > 0 ? s / n : null;
}
