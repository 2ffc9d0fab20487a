/** Peeling with certification (PAPER.md §6), the engine: certify read-out candidates, subtract them from every row, read again. */
import type { Candidate } from '../types.js';
import { modelCheck, type ModelTail } from './peel-model.js';

/**
 * The model the server sent, arranged for peeling: the first layer transposed (row r of `w1t` is neuron r's
 * weights, contiguous) with row norms, and the second dense layer as sent (row r of `w2` is what neuron r feeds).
 * Built once per crafted model by `peelWeights`.
 * @example const w: PeelWeights = peelWeights(crafted.params);
 */
export interface PeelWeights {
  inputDim: number;
  neurons: number;
  /** Width H of the second dense layer. */
  width: number;
  /** dense0/kernel transposed: [neurons × inputDim]. */
  w1t: Float32Array;
  /** ‖w_r‖₂ of each first-layer row. */
  w1norm: Float64Array;
  b1: Float32Array;
  /** dense1/kernel as sent: [neurons × width]. */
  w2: Float32Array;
  b2: Float32Array;
  /** The layers after the second (for the model check), or null when the second is the classifier. */
  tail: ModelTail | null;
}

/**
 * Tolerances of the certificate. The defaults are float32-aware and were set from measured error distributions
 * (see peel.test.ts); they are not tuning knobs for recall.
 * @example peel(qbi(), { gridTolerance: 0.05 });
 */
export interface PeelOptions {
  /** Inputs are multiples of 1/levels (8-bit images: 255, every fedleak loader). Default 255. */
  levels?: number;
  /** Largest distance of a candidate's value from the nearest multiple of 1/levels, in levels. Default 0.1. */
  gridTolerance?: number;
  /** Firing decisions within fireMargin·√d·2⁻²⁴·‖w‖·‖x‖ of 0 are "uncertain" (float32 sums). Default 16. */
  fireMargin?: number;
  /** Second-layer deltas below this fraction of their largest entry count as zero. Default 1e-4. */
  zeroTolerance?: number;
  /** Relative agreement required between rows that hold the same input alone. Default 1e-3. */
  coefTolerance?: number;
  /** Rows with a zero bias gradient (or held by other inputs) the candidate is checked not to fire. Default 8. */
  silentChecks?: number;
  /** Most read-out/peel rounds. Default 64. */
  maxRounds?: number;
  /**
   * Which candidates must also pass the model check (their second-layer delta is one input's, with one label and
   * the update's batch size, through every layer after the second): 'peel' those read from a single row that would
   * be subtracted from other rows (other thin ones are left uncertified, see `deferred`); 'thin' every one read
   * from a single row; 'all'; 'off'. Default 'auto': 'peel' when the second layer has fewer than 1024 units,
   * else 'off'. Why: mixes only reach the certificate when they land on the grid (binary-like data), and a mix of
   * two inputs that fire one row alone is told apart by the second layer's ReLU pattern only when enough of its
   * units switch between them; with 128 units that failed about once in 1,300 certified adversarial candidates
   * (random binary images), with 3,000 never, while the check costs ~25M multiply-adds per candidate on the
   * paper's FC net (about 1 s per update) and ~0.01M on fc-small.
   */
  modelCheck?: 'auto' | 'peel' | 'thin' | 'all' | 'off';
}

/**
 * One input the certificate accepted: its value (exact multiples of 1/levels), the rows that held it alone, every
 * row it fires, and the peel round that found it (0: the first read-out).
 * @example for (const c of rec.certified) console.log(c.neurons, c.round);
 */
export interface CertifiedInput {
  x: Float64Array;
  /** Rows whose (residual) read-out was this input alone. */
  neurons: number[];
  /** Every first-layer row the input fires (ascending), the rows it was subtracted from included. */
  firing: number[];
  round: number;
  /** The label the model check found, or null when it did not run. */
  label: number | null;
}

/**
 * Why candidates failed the certificate, counted per group of identical candidates.
 * @example result.rejected['layer-2 support'] // mixes caught by the second layer's ReLU pattern
 */
export type RejectReason =
  | 'source rows silent'
  | 'fires a silent row'
  | 'no downstream signal'
  | 'rows disagree'
  | 'layer-2 support'
  | 'model'
  | 'contradiction';

/**
 * What {@link peelRows} returns. Row-indexed arrays have one entry per first-layer neuron.
 * @example const { certified, rowOwner } = peelRows(w, grad, candidates, {});
 */
export interface PeelResult {
  certified: CertifiedInput[];
  /** Per row: index into `certified` of the input that holds it alone at the end, or −1. */
  rowOwner: Int32Array;
  /** Per row: its last residual read-out when peeling changed it (else null: the first read-out stands). */
  lastRead: (Float64Array | null)[];
  /** Per row: the residual bias gradient (for an owned row: its input's own coefficient). */
  residualBias: Float64Array;
  rounds: number;
  /** Groups of identical on-grid candidates the certificate examined. */
  checked: number;
  /**
   * Thin groups (one row) that passed every check but the model check, which was skipped because nothing was to
   * be peeled with them (model check 'peel'): not certified; their rows keep the first read-out.
   */
  deferred: number;
  rejected: Record<RejectReason, number>;
  /** Rows dropped because an input's firing decision on them was within the float32 margin. */
  poisonedRows: number;
  /** Rows whose every contribution was peeled off. */
  emptyRows: number;
}

/**
 * The gradient arrays peeling reads: the first layer's kernel is not needed (the candidates carry it), its bias
 * is, and so is the second dense layer's kernel gradient [neurons × width].
 * @example peelRows(w, { bias: grad[1].data, kernel1: grad[2].data }, rec.candidates, {});
 */
export interface PeelGradient {
  bias: Float32Array;
  kernel1: Float32Array;
  /** The update's batch size (`numExamples`), for the model check; 0 when unknown (the check is then skipped). */
  batchSize: number;
}

const INACTIVE = 0;
const OPEN = 1;
const CLAIMED = 2;
const RESOLVED = 3;
const EMPTY = 4;
const POISONED = 5;
/** A row whose residual bias is below this fraction of what it held is empty (float32 rounding of the sums). */
const EMPTY_TOL = 1e-4;
/** Relative float error one subtraction leaves in a second-layer row (float32 client sums against our float64). */
const NOISE_REL = 1e-5;
const U = 2 ** -24;
/** A thin candidate that nothing needs peeled: left uncertified, its rows keep their (exact) read-out. */
const DEFERRED = 'deferred';
/** Below this second-layer width the model check runs by default (see PeelOptions.modelCheck). */
const AUTO_MODEL_WIDTH = 1024;

interface Group {
  q: Uint16Array;
  hash: number;
  rows: number[];
}

interface Accepted {
  x: Float64Array;
  firing: number[];
  changed: number[];
  label: number | null;
}

/**
 * Peels one FedSGD gradient. `candidates` is the first read-out, one per active row (x = ∇W_r / ∇b_r).
 *
 * The certificate. A group of rows whose read-outs round to the same values x̂ (multiples of 1/levels) is accepted
 * when all of these hold, otherwise its rows stay open for later rounds:
 * 1. every value lies within `gridTolerance` levels of a multiple of 1/levels, in [0, 1] (a mix of two inputs is a
 *    weighted mean, off the grid on nearly every value where they differ);
 * 2. x̂ fires every row of the group, and none of `silentChecks` sampled rows that no input (or another input
 *    alone) fired;
 * 3. the input's own second-layer delta δ₂ = ∇W₂[k, :] / ReLU(w_k·x̂ + b_k), read from a row k of the group, vanishes
 *    wherever x̂'s own second-layer pre-activation is negative: a mix's delta is non-zero on the union of its
 *    inputs' ReLU patterns;
 * 4. every row of the group gives the same δ₂ and its bias gradient equals W₂[r, :]·δ₂ (the client's own chain rule);
 * 5. subtracting the input leaves no row whose bias is explained while its weights are not.
 * No label, batch size or model beyond the second layer is needed: δ₂ is read from the update itself, so the
 * coefficient of x̂ on any row r it fires is exactly the client's, c_r = W₂[r, :]·δ₂ (mean-loss 1/B included).
 *
 * Then x̂ is subtracted in float64 from every other open row r it fires: ∇b_r −= c_r, ∇W_r −= c_r·x̂,
 * ∇W₂[r, :] −= ReLU(w_r·x̂ + b_r)·δ₂, and those rows are read again, until a round certifies nothing new.
 * Rows the input might fire are found cheaply first: ∇W₂[r, :] must be non-zero wherever δ₂ is.
 * @example
 * const result = peelRows(peelWeights(params), { bias: g[1].data, kernel1: g[2].data }, readOut(...).candidates, {});
 */
export function peelRows(w: PeelWeights, grad: PeelGradient, candidates: Candidate[], opts: PeelOptions): PeelResult {
  return new Peeler(w, grad, candidates, opts).run();
}

/** The state of one peeling: a class (not closures) so that V8 keeps every array access monomorphic. */
class Peeler {
  private readonly d: number;
  private readonly n: number;
  private readonly h: number;
  private readonly words: number;
  private readonly levels: number;
  private readonly gridTol: number;
  private readonly marginK: number;
  private readonly zeroTol: number;
  private readonly coefTol: number;
  private readonly silentChecks: number;
  private readonly maxRounds: number;
  private readonly modelMode: 'peel' | 'thin' | 'all' | 'off';
  private readonly step: number;

  private readonly state: Uint8Array;
  private readonly owner: Int32Array;
  private readonly rb: Float64Array;
  private readonly mass: Float64Array;
  private readonly noise2: Float64Array;
  /** Per row: the certified inputs subtracted from it, with their coefficient c and activation y there. */
  private readonly subA: number[][];
  private readonly subC: number[][];
  private readonly subY: number[][];
  /** Per certified input: its float32 values, non-zero positions and second-layer delta δ₂. */
  private readonly inputX: Float32Array[] = [];
  private readonly inputNz: Int32Array[] = [];
  private readonly inputDelta: Float64Array[] = [];
  private readonly first: (Float64Array | null)[];
  private readonly lastRead: (Float64Array | null)[];
  private readonly supp: Uint32Array;
  private readonly modified: Uint8Array;
  private readonly activeRows: Int32Array;

  private readonly certified: CertifiedInput[] = [];
  private readonly certifiedQ: Uint16Array[] = [];
  private readonly certifiedByHash = new Map<number, number[]>();
  private readonly rejected: Record<RejectReason, number> = {
    'source rows silent': 0,
    'fires a silent row': 0,
    'no downstream signal': 0,
    'rows disagree': 0,
    'layer-2 support': 0,
    model: 0,
    contradiction: 0,
  };
  private checked = 0;
  private deferred = 0;
  private poisonedRows = 0;
  private emptyRows = 0;

  // Scratch buffers, reused by every certificate.
  private readonly qBuf: Uint16Array;
  private readonly readBuf: Float64Array;
  private readonly xf: Float32Array;
  private readonly nzBuf: Int32Array;
  private nnz = 0;
  private xnorm = 0;
  private readonly delta: Float64Array;
  private readonly other: Float64Array;
  private readonly dsupp: Uint32Array;
  private readonly z2: Float64Array;
  private readonly a2: Float64Array;

  constructor(
    private readonly w: PeelWeights,
    private readonly grad: PeelGradient,
    private readonly candidates: Candidate[],
    opts: PeelOptions,
  ) {
    const d = (this.d = w.inputDim);
    const n = (this.n = w.neurons);
    const h = (this.h = w.width);
    this.words = (h + 31) >>> 5;
    this.levels = opts.levels ?? 255;
    this.gridTol = opts.gridTolerance ?? 0.1;
    this.marginK = (opts.fireMargin ?? 16) * Math.sqrt(d) * U;
    this.zeroTol = opts.zeroTolerance ?? 1e-4;
    this.coefTol = opts.coefTolerance ?? 1e-3;
    this.silentChecks = opts.silentChecks ?? 8;
    this.maxRounds = opts.maxRounds ?? 64;
    const mode = opts.modelCheck ?? 'auto';
    this.modelMode = mode === 'auto' ? (h < AUTO_MODEL_WIDTH ? 'peel' : 'off') : mode;
    this.step = gcd(7919, n) === 1 ? 7919 : 1;
    this.state = new Uint8Array(n);
    this.owner = new Int32Array(n).fill(-1);
    this.rb = new Float64Array(n);
    this.mass = new Float64Array(n);
    this.noise2 = new Float64Array(n);
    this.subA = Array.from({ length: n }, () => []);
    this.subC = Array.from({ length: n }, () => []);
    this.subY = Array.from({ length: n }, () => []);
    this.first = new Array<Float64Array | null>(n).fill(null);
    this.lastRead = new Array<Float64Array | null>(n).fill(null);
    this.supp = new Uint32Array(n * this.words);
    this.modified = new Uint8Array(n);
    this.activeRows = Int32Array.from(candidates, (c) => c.neuron);
    this.qBuf = new Uint16Array(d);
    this.readBuf = new Float64Array(d);
    this.xf = new Float32Array(d);
    this.nzBuf = new Int32Array(d);
    this.delta = new Float64Array(h);
    this.other = new Float64Array(h);
    this.dsupp = new Uint32Array(this.words);
    this.z2 = new Float64Array(h);
    this.a2 = new Float64Array(h);
  }

  run(): PeelResult {
    const { h, words, state, supp } = this;
    const bias = this.grad.bias;
    const k1 = this.grad.kernel1;
    for (const c of this.candidates) {
      const r = c.neuron;
      state[r] = OPEN;
      this.first[r] = c.x;
      this.rb[r] = bias[r];
      this.mass[r] = Math.abs(bias[r]);
      for (let q = 0, o = r * h, s = r * words; q < words; q++) {
        let bits = 0;
        for (let m = q << 5, e = Math.min(h, m + 32), b = 1; m < e; m++, b <<= 1) if (k1[o + m] !== 0) bits |= b;
        supp[s + q] = bits;
      }
    }
    let pending = new Map<number, Group[]>();
    for (const c of this.candidates) if (this.onGrid(c.x)) this.group(pending, c.neuron);

    let round = 0;
    for (; pending.size > 0 && round < this.maxRounds; round++) {
      const changed = new Set<number>();
      for (const list of pending.values()) for (const g of list) this.settle(g, round, changed);
      pending = new Map();
      for (const r of changed) this.reread(pending, r);
    }
    for (const list of pending.values()) for (const g of list) for (const r of g.rows) if (state[r] === CLAIMED) state[r] = OPEN;
    for (let r = 0; r < this.n; r++) {
      if (this.modified[r] && state[r] !== RESOLVED && this.rb[r] !== 0) this.lastRead[r] = this.residualRead(r, new Float64Array(this.d));
    }
    return {
      certified: this.certified,
      rowOwner: this.owner,
      lastRead: this.lastRead,
      residualBias: this.rb,
      rounds: round,
      checked: this.checked,
      deferred: this.deferred,
      rejected: this.rejected,
      poisonedRows: this.poisonedRows,
      emptyRows: this.emptyRows,
    };
  }

  /** A group of identical candidates: a known input again, or a new one to certify and subtract. */
  private settle(g: Group, round: number, changed: Set<number>): void {
    const { state, owner } = this;
    const known = (this.certifiedByHash.get(g.hash) ?? []).find((a) => equal(this.certifiedQ[a], g.q));
    if (known !== undefined) {
      for (const r of g.rows) {
        state[r] = RESOLVED;
        owner[r] = known;
        this.certified[known].neurons.push(r);
      }
      return;
    }
    this.checked++;
    const verdict = this.certify(g);
    if (verdict === DEFERRED) {
      this.deferred++;
      for (const r of g.rows) this.reopen(r);
      return;
    }
    if (typeof verdict === 'string') {
      this.rejected[verdict]++;
      for (const r of g.rows) this.reopen(r);
      return;
    }
    const a = this.certified.length;
    this.certified.push({ x: verdict.x, neurons: [...g.rows], firing: verdict.firing, round, label: verdict.label });
    this.certifiedQ.push(g.q);
    const same = this.certifiedByHash.get(g.hash) ?? [];
    same.push(a);
    this.certifiedByHash.set(g.hash, same);
    for (const r of g.rows) {
      state[r] = RESOLVED;
      owner[r] = a;
    }
    for (const r of verdict.changed) changed.add(r);
  }

  /** Reads a changed open row again: empty, or a candidate that joins a group when it is on the grid. */
  private reread(pending: Map<number, Group[]>, r: number): void {
    if (this.state[r] !== OPEN) return;
    if (Math.abs(this.rb[r]) <= EMPTY_TOL * this.mass[r]) {
      this.state[r] = EMPTY;
      this.emptyRows++;
      return;
    }
    const x = this.residualRead(r, this.readBuf);
    if (this.onGrid(x)) this.group(pending, r);
  }

  /** Row r's residual kernel column over its residual bias, into `out`. */
  private residualRead(r: number, out: Float64Array): Float64Array {
    this.residualColumn(r, out);
    const inv = 1 / this.rb[r];
    for (let j = 0; j < this.d; j++) out[j] *= inv;
    return out;
  }

  /** Row r's kernel gradient column minus every input subtracted from it, in float64, into `out`. */
  private residualColumn(r: number, out: Float64Array): Float64Array {
    const d = this.d;
    const x = this.first[r]!;
    const b = this.grad.bias[r];
    for (let j = 0; j < d; j++) out[j] = x[j] * b;
    const subs = this.subA[r];
    for (let t = 0; t < subs.length; t++) {
      const a = subs[t];
      const c = this.subC[r][t];
      const xa = this.inputX[a];
      const nz = this.inputNz[a];
      for (let q = 0; q < nz.length; q++) {
        const j = nz[q];
        out[j] -= c * xa[j];
      }
    }
    return out;
  }

  /** A row whose group failed the certificate goes back to the open rows. */
  private reopen(r: number): void {
    this.state[r] = OPEN;
  }

  /** Row r of the (residual) second-layer gradient divided by `y`, into `out`. */
  private loadRow2(r: number, y: number, out: Float64Array): void {
    const h = this.h;
    const k1 = this.grad.kernel1;
    for (let m = 0, o = r * h; m < h; m++) out[m] = k1[o + m];
    const subs = this.subA[r];
    for (let t = 0; t < subs.length; t++) {
      const da = this.inputDelta[subs[t]];
      const ya = this.subY[r][t];
      for (let m = 0; m < h; m++) out[m] -= ya * da[m];
    }
    for (let m = 0; m < h; m++) out[m] /= y;
  }

  /** Rounds x to the grid into qBuf; false when a value is off it or outside [0, 1]. */
  private onGrid(x: Float64Array): boolean {
    const { d, levels, gridTol, qBuf } = this;
    for (let j = 0; j < d; j++) {
      const v = x[j] * levels;
      const q = Math.round(v);
      if (!(Math.abs(v - q) <= gridTol) || q < 0 || q > levels) return false;
      qBuf[j] = q;
    }
    return true;
  }

  private group(pending: Map<number, Group[]>, r: number): void {
    const hash = fnv(this.qBuf);
    let list = pending.get(hash);
    if (!list) pending.set(hash, (list = []));
    let g = list.find((e) => equal(e.q, this.qBuf));
    if (!g) list.push((g = { q: this.qBuf.slice(), hash, rows: [] }));
    g.rows.push(r);
    this.state[r] = CLAIMED;
  }

  /** w_r·x̂ + b_r in float64, over the non-zero values of x̂. */
  private z1(r: number): number {
    const { d, nnz, nzBuf, xf } = this;
    const w1t = this.w.w1t;
    const o = r * d;
    let s = 0;
    if (nnz > d >>> 1) {
      let s1 = 0;
      let j = 0;
      for (; j + 1 < d; j += 2) {
        s += w1t[o + j] * xf[j];
        s1 += w1t[o + j + 1] * xf[j + 1];
      }
      if (j < d) s += w1t[o + j] * xf[j];
      s += s1;
    } else {
      for (let t = 0; t < nnz; t++) {
        const j = nzBuf[t];
        s += w1t[o + j] * xf[j];
      }
    }
    return s + this.w.b1[r];
  }

  /** How close to 0 a pre-activation may be before the client's float32 sum could have the other sign. */
  private margin(r: number): number {
    return this.marginK * this.w.w1norm[r] * this.xnorm + Math.abs(this.w.b1[r]) * U;
  }

  /** The certificate of one group (see peelRows); on success the input is subtracted and the rows it changed returned. */
  private certify(g: Group): RejectReason | typeof DEFERRED | Accepted {
    const { d, n, h, words, levels, xf, nzBuf, state, rb, w, delta, other, dsupp, z2, a2, coefTol } = this;
    let nnz = 0;
    let xx = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.fround(g.q[j] / levels);
      xf[j] = v;
      if (v !== 0) {
        nzBuf[nnz++] = j;
        xx += v * v;
      }
    }
    this.nnz = nnz;
    this.xnorm = Math.sqrt(xx);

    // 2. the group's rows fire, sampled silent rows do not.
    const rows = g.rows;
    const zS = rows.map((r) => this.z1(r));
    let k = -1;
    let best = -Infinity;
    // A row that read x̂ alone fired for it in the client; float64 may put it within the float32 margin of 0.
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (zS[t] < -this.margin(r)) return 'source rows silent';
      const cond = zS[t] / (w.w1norm[r] * this.xnorm + Math.abs(w.b1[r]));
      if (cond > best) {
        best = cond;
        k = t;
      }
    }
    if (!(zS[k] > this.margin(rows[k]))) return 'source rows silent';
    let found = 0;
    for (let t = 0, r = g.hash % n; t < n && found < this.silentChecks; t++, r = (r + this.step) % n) {
      if (state[r] !== INACTIVE) continue;
      found++;
      if (this.z1(r) > this.margin(r)) return 'fires a silent row';
    }

    // 3–4. δ₂ from the best-conditioned row, scaled to fit the group's bias gradients; every row agrees with it.
    const kr = rows[k];
    const relK = this.margin(kr) / zS[k];
    this.loadRow2(kr, zS[k], delta);
    let maxD = 0;
    for (let m = 0; m < h; m++) maxD = Math.max(maxD, Math.abs(delta[m]));
    if (!(maxD > 0)) return 'no downstream signal';
    // The client's y = ReLU(w·x + b) was a float32 sum; a least-squares scale on the rows' own bias gradients
    // removes that rounding from δ₂ (it must be within the float32 margin of 1).
    const cS = rows.map((r) => dot(w.w2, r * h, delta, h));
    let num = 0;
    let den = 0;
    for (let t = 0; t < rows.length; t++) {
      num += rb[rows[t]] * cS[t];
      den += cS[t] * cS[t];
    }
    const scale = num / den;
    if (!(Math.abs(scale - 1) <= coefTol + relK)) return 'rows disagree';
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (!(Math.abs(rb[r] - scale * cS[t]) <= coefTol * Math.abs(rb[r]))) return 'rows disagree';
      if (t === k) continue;
      this.loadRow2(r, zS[t], other);
      const tol = (coefTol + relK + this.margin(r) / zS[t]) * maxD + this.noise2[r] / zS[t];
      for (let m = 0; m < h; m++) if (!(Math.abs(other[m] - delta[m]) <= tol)) return 'rows disagree';
    }
    const zeroLevel = this.zeroTol * maxD + this.noise2[kr] / zS[k];
    for (let m = 0; m < h; m++) delta[m] *= scale;
    dsupp.fill(0);
    for (let m = 0; m < h; m++) if (Math.abs(delta[m]) > zeroLevel) dsupp[m >>> 5] |= 1 << (m & 31);

    // Rows the input may fire beyond its group: active rows whose ∇W₂ row covers δ₂'s support. Rows held by other
    // inputs count for the second layer's pre-activation (x̂ may add a little to them) but are not peeled.
    const firing = [...rows];
    const zF = [...zS];
    const uncertain: number[] = [];
    const supp = this.supp;
    const active = this.activeRows;
    for (let i = 0; i < active.length; i++) {
      const r = active[i];
      if (state[r] === CLAIMED && rows.includes(r)) continue;
      let covered = true;
      for (let q = 0, o = r * words; q < words; q++) {
        if ((dsupp[q] & ~supp[o + q]) !== 0) {
          covered = false;
          break;
        }
      }
      if (!covered) continue;
      const z = this.z1(r);
      const mr = this.margin(r);
      if (z > mr) {
        firing.push(r);
        zF.push(z);
      } else if (z >= -mr) uncertain.push(r);
    }

    // 3. the second layer's ReLU pattern of x̂ must cover δ₂'s support.
    const w2 = w.w2;
    for (let m = 0; m < h; m++) {
      z2[m] = w.b2[m];
      a2[m] = Math.abs(w.b2[m]);
    }
    for (let t = 0; t < firing.length; t++) {
      const r = firing[t];
      const y = zF[t];
      const ay = y + this.margin(r);
      for (let m = 0, o = r * h; m < h; m++) {
        const v = w2[o + m];
        z2[m] += y * v;
        a2[m] += ay * Math.abs(v);
      }
    }
    for (const r of uncertain) {
      const ay = this.margin(r);
      for (let m = 0, o = r * h; m < h; m++) a2[m] += ay * Math.abs(w2[o + m]);
    }
    for (let m = 0; m < h; m++) if (z2[m] < -1e-4 * a2[m] && Math.abs(delta[m]) > zeroLevel) return 'layer-2 support';

    // 5. coefficients on the other open rows, and no contradiction once they are subtracted.
    const targets: number[] = [];
    const coef: number[] = [];
    const zt: number[] = [];
    for (let t = rows.length; t < firing.length; t++) {
      const r = firing[t];
      if (state[r] !== OPEN) continue;
      const c = dot(w2, r * h, delta, h);
      const size = this.mass[r] + Math.abs(c);
      if (Math.abs(rb[r] - c) <= EMPTY_TOL * size && this.unexplained(r, c, 100 * EMPTY_TOL * size)) return 'contradiction';
      targets.push(r);
      coef.push(c);
      zt.push(zF[t]);
    }

    // 6. the model check: one input with one label and the update's batch size gives exactly this delta. Thin
    // evidence (one row) needs it; in 'peel' mode only when the input is to be subtracted from other rows.
    let label: number | null = null;
    const mode = this.modelMode;
    const thin = rows.length === 1;
    if (mode === 'all' || (thin && (mode === 'thin' || mode === 'peel'))) {
      if (mode === 'peel' && targets.length === 0) return DEFERRED;
      if (!w.tail || !(this.grad.batchSize > 0)) {
        if (mode !== 'all') return DEFERRED;
      } else {
        label = modelCheck(w.tail, z2, delta, this.grad.batchSize, coefTol);
        if (label < 0) return 'model';
      }
    }

    const a = this.inputX.length;
    this.inputX.push(Float32Array.from(xf));
    this.inputNz.push(nzBuf.slice(0, nnz));
    this.inputDelta.push(Float64Array.from(delta));
    let bigDelta = 0;
    for (let m = 0; m < h; m++) bigDelta = Math.max(bigDelta, Math.abs(delta[m]));
    for (let t = 0; t < targets.length; t++) {
      const r = targets[t];
      const c = coef[t];
      this.subA[r].push(a);
      this.subC[r].push(c);
      this.subY[r].push(zt[t]);
      this.noise2[r] += NOISE_REL * zt[t] * bigDelta;
      rb[r] -= c;
      this.mass[r] += Math.abs(c);
      this.modified[r] = 1;
    }
    for (const r of uncertain) {
      if (state[r] === OPEN) {
        state[r] = POISONED;
        this.poisonedRows++;
      }
    }
    return { x: Float64Array.from(xf), firing: firing.sort((p, q) => p - q), changed: targets, label };
  }

  /**
   * True when subtracting c·x̂ from row r would leave a kernel column larger than `floor` (values are at most 1, so
   * a column left by inputs with coefficients below the bias's float floor stays below it).
   */
  private unexplained(r: number, c: number, floor: number): boolean {
    const { d, xf } = this;
    const col = this.residualColumn(r, this.readBuf);
    for (let j = 0; j < d; j++) if (Math.abs(col[j] - c * xf[j]) > floor) return true;
    return false;
  }
}

function dot(a: Float32Array, at: number, b: Float64Array, len: number): number {
  let s = 0;
  for (let m = 0; m < len; m++) s += a[at + m] * b[m];
  return s;
}

function fnv(q: Uint16Array): number {
  let hsh = 0x811c9dc5;
  for (let j = 0; j < q.length; j++) {
    hsh ^= q[j];
    hsh = Math.imul(hsh, 0x01000193);
  }
  return hsh >>> 0;
}

function equal(a: Uint16Array, b: Uint16Array): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
