/** The certificate of peeling: is a group of identical on-grid read-outs one input of the batch, and where else is it? */
import { modelCheck } from './peel-model.js';
import { CLAIMED, EMPTY_TOL, INACTIVE, OPEN, type PeelState, type Subtraction } from './peel-state.js';
import type { PeelKernels, PeelSettings, RejectReason } from './peel-types.js';

/**
 * Rows whose read-outs round to the same values q (multiples of 1/levels), found by hashing q.
 * @example const g: Group = { q, hash: fnv(q), rows: [12, 407] };
 */
export interface Group {
  q: Uint16Array;
  hash: number;
  rows: number[];
}

/**
 * An accepted input: its values, every row it fires, what to subtract (from the open rows among them), the rows
 * whose firing was within the float32 margin, and the label the model check found (or null).
 */
export interface Accepted {
  x: Float64Array;
  firing: number[];
  subtraction: Subtraction;
  uncertain: number[];
  label: number | null;
}

/** How many rows of a group besides the source row have their δ₂ compared in full (check 3). */
const AGREE_ROWS = 2;

/** A thin group that passed every check but the model check, skipped because nothing would be peeled with it. */
export const DEFERRED = 'deferred';

/**
 * The certificate (see `peelRows` for the rule), with its scratch buffers; one per peeling.
 * @example const verdict = new Certifier(state, settings).certify(group);
 */
export class Certifier {
  private readonly xf: Float32Array;
  private readonly nzBuf: Int32Array;
  private nnz = 0;
  private xnorm = 0;
  private readonly delta: Float64Array;
  private readonly other: Float64Array;
  private readonly dsupp: Int32Array;
  /** The rows whose support covers δ₂'s (scratch of the firing search). */
  private readonly covered: Int32Array;
  private readonly z2: Float64Array;
  /** Units where δ₂ is non-zero. */
  private readonly sup: Int32Array;
  /** Units where δ₂ is not exactly 0. */
  private readonly nzd: Int32Array;
  /** δ₂ at `nzd`, and z₂ at `sup`: compact copies, so the inner loops index one array instead of two. */
  private readonly dv: Float64Array;
  private readonly z2c: Float64Array;
  /** Coefficients found with z₂, by position in the firing list (NaN: not computed). */
  private readonly coefAt: Float64Array;
  /** Units of δ₂'s support where z₂ < 0. */
  private readonly negative: Int32Array;
  /** C·x̂ when the first layer is low-rank. */
  private readonly cx: Float64Array | null;
  private readonly step: number;
  /** fround(q / levels) for every grid value q. */
  private readonly level: Float64Array;
  /** SIMD kernels (see PeelWeights.kernels); `xd` is x̂ in float64 inside their memory. */
  private readonly k: PeelKernels | null;
  private readonly xd: Float64Array | null;

  constructor(
    private readonly s: PeelState,
    private readonly cfg: PeelSettings,
  ) {
    this.xf = new Float32Array(s.d);
    this.nzBuf = new Int32Array(s.d);
    this.k = s.w.kernels ?? null;
    this.xd = this.k ? this.k.x : null;
    this.delta = this.k ? this.k.delta : new Float64Array(s.h);
    this.other = this.k ? this.k.other : new Float64Array(s.h);
    this.z2 = this.k ? this.k.z2 : new Float64Array(s.h);
    this.sup = new Int32Array(s.h);
    this.nzd = new Int32Array(s.h);
    this.dv = new Float64Array(s.h);
    this.z2c = new Float64Array(s.h);
    this.coefAt = new Float64Array(s.n);
    this.negative = new Int32Array(s.h);
    const work = s.w.kernels?.workspace;
    // in the kernels' memory when there is a workspace: the cover test then runs in SIMD
    this.dsupp = work ? work.inner : new Int32Array(s.words);
    this.covered = work ? work.covered : new Int32Array(s.n);
    this.step = gcd(7919, s.n) === 1 ? 7919 : 1;
    this.level = Float64Array.from({ length: cfg.levels + 1 }, (_, k) => Math.fround(k / cfg.levels));
    this.cx = s.w.factors ? new Float64Array(s.w.factors.rank) : null;
  }

  /** Checks group `g`; does not change the state (the caller subtracts an accepted input). */
  certify(g: Group): RejectReason | typeof DEFERRED | Accepted {
    const { s, cfg, xf, nzBuf, delta, other, dsupp, z2 } = this;
    const { n, h, words, state, rb, w } = s;
    const coefTol = cfg.coefTolerance;
    this.load(g.q);
    const { nnz } = this;

    // 2. the group's rows fire (a row that read x̂ alone fired for it in the client, though float64 may put it
    // within the float32 margin of 0), and sampled rows that no input fired stay silent.
    const rows = g.rows;
    const zS = rows.map((r) => this.z1(r));
    let k = -1;
    let best = -Infinity;
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (zS[t] < -this.margin(r)) return 'source rows silent';
      const cond = zS[t] / (w.w1norm[r] * this.xnorm + Math.abs(w.b1[r]));
      if (cond > best) {
        best = cond;
        k = t;
      }
    }
    // The best row's activation decides δ₂'s scale. Within the float32 margin of 0, take the client's own value
    // from the chain rule instead: ∇b_k = W₂[k, :]·δ₂ and ∇W₂[k, :] = y_k·δ₂ give y_k = ∇W₂[k, :]·W₂[k, :] / ∇b_k.
    if (!(zS[k] > this.margin(rows[k]))) {
      s.row2(rows[k], 1, other);
      const y = dot(w.w2, rows[k] * h, other, h) / rb[rows[k]];
      if (!(y > 0)) return 'source rows silent';
      zS[k] = y;
    }
    let found = 0;
    for (let t = 0, r = g.hash % n; t < n && found < cfg.silentChecks; t++, r = (r + this.step) % n) {
      if (state[r] !== INACTIVE) continue;
      found++;
      if (this.z1(r) > this.margin(r)) return 'fires a silent row';
    }

    // 3. δ₂ from the best-conditioned row, scaled to fit the group's bias gradients (the client's y = ReLU(w·x + b)
    // was a float32 sum; the scale must be within that margin of 1); every row of the group agrees with it.
    const kr = rows[k];
    const relK = Math.min(1, this.margin(kr) / zS[k]);
    s.row2(kr, zS[k], delta);
    const maxD = maxAbs(delta, h);
    if (!(maxD > 0)) return 'no downstream signal';
    // Least squares weighted by each row's float error level (residual rows carry their peeling's error).
    const cS = rows.map((r) => this.coefficient(r));
    const err = rows.map((r) => coefTol * Math.abs(rb[r]) + s.noiseB[r]);
    let num = 0;
    let den = 0;
    let relB = Infinity;
    for (let t = 0; t < rows.length; t++) {
      const wt = 1 / (err[t] * err[t]);
      num += wt * rb[rows[t]] * cS[t];
      den += wt * cS[t] * cS[t];
      relB = Math.min(relB, s.noiseB[rows[t]] / Math.abs(rb[rows[t]]));
    }
    const scale = num / den;
    let compared = 0;
    if (!(Math.abs(scale - 1) <= coefTol + relK + relB)) return 'rows disagree';
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (!(Math.abs(rb[r] - scale * cS[t]) <= err[t])) return 'rows disagree';
      // δ₂ of at most AGREE_ROWS other rows is compared in full (each costs a pass over the second layer's width);
      // the bias check above already ties every row of the group to δ₂.
      if (t === k || !(zS[t] > this.margin(r)) || compared >= AGREE_ROWS) continue;
      compared++;
      const tol = (coefTol + relK + this.margin(r) / zS[t]) * maxD + s.noise2[r] / zS[t];
      if (!s.row2Within(r, zS[t], delta, tol, other)) return 'rows disagree';
    }
    const zeroLevel = cfg.zeroTolerance * maxD + s.noise2[kr] / zS[k];
    // sup: where δ₂ is above its float noise (the support the checks use), as bits and as a list; nzd: where it is
    // not exactly 0 (the JavaScript coefficients use every real entry, however small).
    const { sup, nzd, dv, z2c } = this;
    // SIMD (bits only) when δ₂ and its bits are in the kernels' memory; the JavaScript loop also lists the units
    const simdSupport = this.k !== null && this.k.arena.holds(dsupp);
    const ns = simdSupport ? this.k!.arena.scaleAndSupport(delta, h, scale, zeroLevel, dsupp) : scaleAndSupport(delta, h, scale, zeroLevel, dsupp, sup);
    let nd = 0;
    if (!this.k) {
      for (let m = 0; m < h; m++) {
        if (delta[m] !== 0) {
          nzd[nd] = m;
          dv[nd++] = delta[m];
        }
      }
    }

    // Rows the input may fire beyond its group: active rows whose ∇W₂ row covers δ₂'s support (a firer's ReLU
    // pattern is inside its row's). Rows held by other inputs count for the second layer's pre-activation (x̂ may
    // add a little to them) but are not peeled.
    const firing = [...rows];
    const zF = [...zS];
    const uncertain: number[] = [];
    const work = this.k?.workspace;
    const nc = work
      ? this.k!.arena.coveringRows(work.active, s.activeRows.length, work.supp, words, dsupp, this.covered)
      : coveringRows(s.activeRows, s.supp, dsupp, words, this.covered);
    for (let i = 0; i < nc; i++) {
      const r = this.covered[i];
      if (state[r] === CLAIMED && rows.includes(r)) continue;
      const z = this.z1(r);
      const mr = this.margin(r);
      if (z > mr) {
        firing.push(r);
        zF.push(z);
      } else if (z >= -mr) uncertain.push(r);
    }

    // 3 (one row). x̂'s own second-layer ReLU pattern must cover δ₂'s support (a mix's δ₂ lives on the union of its inputs').
    // Only the units in the support are needed; the float error bound of a unit is summed only where z₂ < 0.
    // Groups whose δ₂ was compared on a second row skip it: a mix would need the same weights on both rows to
    // round to the same values, and then the same ratio of activations for their δ₂ to agree.
    const w2 = w.w2;
    const thick = compared > 0;
    let z2full = false;
    // W₂[r, :]·δ₂ of the open rows beyond the group (step 4), computed with z₂ where both read W₂[r, :]
    const coefAt = this.coefAt;
    coefAt.fill(NaN, 0, firing.length);
    // the support's units where x̂'s own z₂ is negative (a true singleton has none above the float error)
    const negative = this.negative;
    let nNeg = 0;
    if (!thick && this.k) {
      // dense rows in SIMD beat gathering the support's units (about half of them) in JavaScript
      for (let m = 0; m < h; m++) z2[m] = w.b2[m];
      const arena = this.k.arena;
      for (let t = 0; t < firing.length; t++) {
        const r = firing[t];
        const open = t >= rows.length && state[r] === OPEN;
        if (zF[t] > 0 && open) coefAt[t] = arena.axpyDot(zF[t], w2, r * h, z2, delta, h);
        else if (zF[t] > 0) arena.axpy(zF[t], w2, r * h, z2, 0, h);
      }
      z2full = true;
      if (simdSupport) {
        for (let q = 0; q < words; q++) {
          for (let b = dsupp[q]; b !== 0; b &= b - 1) {
            const m = (q << 5) | (31 - Math.clz32(b & -b));
            if (z2[m] < 0) negative[nNeg++] = m;
          }
        }
      } else {
        for (let i = 0; i < ns; i++) if (z2[sup[i]] < 0) negative[nNeg++] = sup[i];
      }
    } else if (!thick) {
      for (let i = 0; i < ns; i++) z2c[i] = w.b2[sup[i]];
      for (let t = 0; t < firing.length; t++) {
        const y = Math.max(0, zF[t]);
        if (y === 0) continue;
        const o = firing[t] * h;
        for (let i = 0; i < ns; i++) z2c[i] += y * w2[o + sup[i]];
      }
      for (let i = 0; i < ns; i++) {
        if (z2c[i] < 0) {
          z2[sup[i]] = z2c[i];
          negative[nNeg++] = sup[i];
        }
      }
    }
    for (let i = 0; i < nNeg; i++) {
      const m = negative[i];
      // float error of the client's z₂, plus what rows within the float32 margin may have added
      let bound = Math.abs(w.b2[m]);
      for (let t = 0; t < firing.length; t++) bound += (Math.max(0, zF[t]) + this.margin(firing[t])) * Math.abs(w2[firing[t] * h + m]);
      let slack = 1e-4 * bound;
      for (const r of uncertain) slack += this.margin(r) * Math.abs(w2[r * h + m]);
      if (z2[m] < -slack) return 'layer-2 support';
    }

    // 4. coefficients on the other open rows, and no contradiction once they are subtracted.
    const targets: number[] = [];
    const coef: number[] = [];
    const act: number[] = [];
    for (let t = rows.length; t < firing.length; t++) {
      const r = firing[t];
      if (state[r] !== OPEN) continue;
      const c = !Number.isNaN(coefAt[t]) ? coefAt[t] : this.k || nd > (h * 3) >>> 2 ? this.coefficient(r) : sparseDot(w2, r * h, dv, nzd, nd);
      const size = s.mass[r] + Math.abs(c);
      if (Math.abs(rb[r] - c) <= EMPTY_TOL * size && this.unexplained(r, c, 100 * EMPTY_TOL * size)) return 'contradiction';
      targets.push(r);
      coef.push(c);
      act.push(zF[t]);
    }

    // 5. the model check: one input with one label and the update's batch size gives exactly this δ₂. Thin
    // evidence (δ₂ seen on one row) needs it; in 'peel' mode only when the input is to be subtracted from other rows.
    let label: number | null = null;
    const mode = cfg.modelCheck;
    if (mode === 'all' || (!thick && (mode === 'thin' || mode === 'peel'))) {
      if (mode === 'peel' && targets.length === 0) return DEFERRED;
      if (!w.tail || !(s.grad.batchSize > 0)) {
        if (mode !== 'all') return DEFERRED;
      } else {
        // the forward pass needs z₂ on every unit, not only the support
        if (!z2full) {
          for (let m = 0; m < h; m++) z2[m] = w.b2[m];
          for (let t = 0; t < firing.length; t++) {
            const y = Math.max(0, zF[t]);
            for (let m = 0, o = firing[t] * h; m < h; m++) z2[m] += y * w2[o + m];
          }
        }
        label = modelCheck(w.tail, z2, delta, s.grad.batchSize, coefTol);
        if (label < 0) return 'model';
      }
    }

    // the scratch arrays themselves: PeelState.subtract keeps copies
    const subtraction: Subtraction = {
      x: xf,
      nz: nzBuf.subarray(0, nnz),
      delta,
      rows: targets,
      coef,
      act,
    };
    return { x: new Float64Array(xf), firing: firing.sort((p, q) => p - q), subtraction, uncertain, label };
  }

  /** x̂ = q/levels as the client's float32 values, its non-zero positions and norm, and C·x̂ for a low-rank layer. */
  private load(q: Uint16Array): void {
    const { xf, nzBuf, level } = this;
    const d = this.s.d;
    const xd = this.xd;
    let nnz = 0;
    let xx = 0;
    for (let j = 0; j < d; j++) {
      const v = level[q[j]];
      xf[j] = v;
      nzBuf[nnz] = j;
      nnz += v !== 0 ? 1 : 0;
      xx += v * v;
    }
    if (xd) for (let j = 0; j < d; j++) xd[j] = xf[j];
    this.nnz = nnz;
    this.xnorm = Math.sqrt(xx);
    const f = this.s.w.factors;
    if (!f || !this.cx) return;
    const c = f.c;
    if (this.k && xd) {
      for (let k = 0; k < f.rank; k++) this.cx[k] = this.k.arena.dot(c, xd, k * d, 0, d);
      return;
    }
    for (let k = 0; k < f.rank; k++) this.cx[k] = nnz > d >>> 1 ? dot(c, k * d, xf, d) : sparseRowDot(c, k * d, xf, nzBuf, nnz);
  }

  /**
   * w_r·x̂ + b_r in float64 (over the non-zero values of x̂ when it is sparse; as A_r·(C·x̂) when the layer is
   * low-rank, which differs from the float32 W the client used by at most 2⁻²⁴·‖w‖·‖x‖, far inside the margin).
   */
  private z1(r: number): number {
    const { nnz, nzBuf, xf, cx } = this;
    const sp = this.s.w.sparse;
    if (sp) {
      let acc = 0;
      const { index, value } = sp;
      for (let t = r * sp.perRow, e = t + sp.perRow; t < e; t++) acc += value[t] * xf[index[t]];
      return acc + this.s.w.b1[r];
    }
    const f = this.s.w.factors;
    if (f && cx) {
      let acc = 0;
      for (let q = 0, o = r * f.rank; q < f.rank; q++) acc += f.a[o + q] * cx[q];
      return acc + this.s.w.b1[r];
    }
    const d = this.s.d;
    const w1t = this.s.w.w1t;
    const o = r * d;
    // SIMD reads every value, JavaScript only the non-zeros: the kernel wins unless x̂ is mostly zeros
    if (this.k && nnz > d >>> 2) return this.k.arena.dot(w1t, this.k.x, o, 0, d) + this.s.w.b1[r];
    return (nnz > d >>> 1 ? dot(w1t, o, xf, d) : sparseRowDot(w1t, o, xf, nzBuf, nnz)) + this.s.w.b1[r];
  }

  /** W₂[r, :]·δ₂ (the coefficient of x̂ on row r), δ₂ being `delta`. */
  private coefficient(r: number): number {
    const h = this.s.h;
    if (this.k) return this.k.arena.dot(this.s.w.w2, this.delta, r * h, 0, h);
    return dot(this.s.w.w2, r * h, this.delta, h);
  }

  /** How close to 0 a pre-activation may be before the client's float32 sum could have had the other sign. */
  private margin(r: number): number {
    const w = this.s.w;
    return this.cfg.marginK * w.w1norm[r] * this.xnorm + Math.abs(w.b1[r]) * 2 ** -24;
  }

  /**
   * True when subtracting c·x̂ from row r would leave a kernel column above `floor` (values are at most 1) at one of
   * the state's probe positions (64 spread-out values): a row whose bias the input explains but whose weights it
   * does not.
   */
  private unexplained(r: number, c: number, floor: number): boolean {
    const at = this.s.probeAt;
    for (let t = 0; t < at.length; t++) if (Math.abs(this.s.probeValue(r, t) - c * this.xf[at[t]]) > floor) return true;
    return false;
  }
}

/** max |a[m]| over m < len. */
function maxAbs(a: Float64Array, len: number): number {
  let max = 0;
  for (let m = 0; m < len; m++) {
    const v = Math.abs(a[m]);
    if (v > max) max = v;
  }
  return max;
}

/**
 * delta *= scale; then the units whose |δ₂| is above `zeroLevel`: as bits (`bits`, one word per 32 units) and as
 * a list (`sup`). Returns the list's length. Branch-free: the test is true for about half the units, at random.
 */
function scaleAndSupport(delta: Float64Array, h: number, scale: number, zeroLevel: number, bits: Int32Array, sup: Int32Array): number {
  let ns = 0;
  for (let q = 0, m = 0; m < h; q++) {
    let word = 0;
    for (let k = 0, e = Math.min(h, m + 32); m < e; m++, k++) {
      const v = delta[m] * scale;
      delta[m] = v;
      const on = Math.abs(v) > zeroLevel ? 1 : 0;
      word |= on << k;
      sup[ns] = m;
      ns += on;
    }
    bits[q] = word;
  }
  return ns;
}

/**
 * Writes to `out` the rows r of `rows` whose support bits supp[r·words …] include every bit of `inner`; returns
 * how many. (A small function of its own: V8 optimizes it alone, about twice as fast as inside `certify`.)
 */
function coveringRows(rows: Int32Array, supp: Int32Array, inner: Int32Array, words: number, out: Int32Array): number {
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const at = r * words;
    let q = 0;
    while (q < words && (inner[q] & ~supp[at + q]) === 0) q++;
    if (q === words) out[n++] = r;
  }
  return n;
}

/** Σ a[at + m]·b[m] over m < len, four partial sums (a single accumulator would wait on each add's latency). */
function dot(a: Float32Array, at: number, b: Float32Array | Float64Array, len: number): number {
  let s = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let m = 0;
  for (; m + 3 < len; m += 4) {
    s += a[at + m] * b[m];
    s1 += a[at + m + 1] * b[m + 1];
    s2 += a[at + m + 2] * b[m + 2];
    s3 += a[at + m + 3] * b[m + 3];
  }
  for (; m < len; m++) s += a[at + m] * b[m];
  return s + s1 + s2 + s3;
}

/** a[at + idx[i]]·v[i] summed over the first `len` indices (v holds the non-zero values of a vector at idx). */
function sparseDot(a: Float32Array, at: number, v: Float64Array, idx: Int32Array, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[at + idx[i]] * v[i];
  return s;
}

/** Σ a[at + j]·x[j] over the `len` positions j of `idx` (x's non-zeros). */
function sparseRowDot(a: Float32Array, at: number, x: Float32Array, idx: Int32Array, len: number): number {
  let s = 0;
  for (let t = 0; t < len; t++) {
    const j = idx[t];
    s += a[at + j] * x[j];
  }
  return s;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
