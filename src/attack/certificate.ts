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
 * One candidate under the certificate: x̂ (float32 values, non-zero positions, norm, float64 copy for the kernels,
 * C·x̂ for a low-rank layer), its δ₂ (scaled) and support bits, and what `prepare` found that `finish` needs: the
 * group's pre-activations, whether δ₂ was compared on a second row (`thick`), and the rows whose support covers
 * δ₂'s with their pre-activations.
 */
class Slot {
  readonly xf: Float32Array;
  readonly nzBuf: Int32Array;
  nnz = 0;
  xnorm = 0;
  /** x̂ in float64 inside the kernels' memory (SIMD dot products), or null. */
  readonly xd: Float64Array | null;
  readonly cx: Float64Array | null;
  readonly delta: Float64Array;
  /** δ₂'s support as bits (zero-padded to a multiple of four words: the SIMD cover test reads four at a time). */
  readonly dsupp: Int32Array;
  /** The support as a list of units, and δ₂'s exact non-zeros (JavaScript paths only). */
  readonly sup: Int32Array | null;
  readonly nzd: Int32Array | null;
  readonly dv: Float64Array | null;
  group: Group | null = null;
  zS: number[] = [];
  thick = false;
  ns = 0;
  nd = 0;
  simdSupport = false;
  /** Covered rows outside the group, and their pre-activations (filled by `Certifier.preactivations`). */
  readonly cover: Int32Array;
  readonly zc: Float64Array;
  nc = 0;

  /** Room in the kernels' memory for the SIMD load (x̂'s grid values and non-zero count), or null. */
  readonly loadRoom: { q: Uint16Array; count: Int32Array } | null;

  constructor(d: number, h: number, n: number, words: number, rank: number, room: SlotRoom | null) {
    this.xf = room?.xf ?? new Float32Array(d);
    this.loadRoom = room?.q && room.count ? { q: room.q, count: room.count } : null;
    this.nzBuf = room?.nz ?? new Int32Array(d);
    this.xd = room?.x ?? null;
    this.delta = room?.delta ?? new Float64Array(h);
    this.dsupp = room?.inner ?? new Int32Array(words + 4);
    const js = room === null || !room.simd;
    this.sup = js ? new Int32Array(h) : null;
    this.nzd = js ? new Int32Array(h) : null;
    this.dv = js ? new Float64Array(h) : null;
    this.cx = rank > 0 ? new Float64Array(rank) : null;
    this.cover = room?.cover ?? new Int32Array(n);
    this.zc = room?.zc ?? new Float64Array(n);
  }
}

/** Where a slot's vectors live in the kernels' memory; `simd` when its support bits are there too. */
interface SlotRoom {
  x: Float64Array;
  delta: Float64Array;
  inner: Int32Array | undefined;
  simd: boolean;
  /** x̂'s float32 values, and scratch for the SIMD load (shared by the slots: one load at a time). */
  xf?: Float32Array;
  q?: Uint16Array;
  count?: Int32Array;
  /** x̂'s non-zero positions, the covered rows and their pre-activations. */
  nz?: Int32Array;
  cover?: Int32Array;
  zc?: Float64Array;
}

/**
 * The certificate (see `peelRows` for the rule), with its scratch buffers; one per peeling. A group is checked in
 * three steps: `prepare` (checks 1–3 up to the rows x̂ may fire), `preactivations` (those rows' w·x̂ + b, for
 * several prepared groups at once: each first-layer row is then read once for all of them), and `finish`
 * (the rest). `prepare` reads nothing that settling another group of the same round changes (the group's own rows
 * are claimed, and only open rows are subtracted from), so preparing a round's groups ahead gives the verdicts
 * that checking them one after the other gives.
 * None of the three changes the state (the caller subtracts an accepted input).
 * @example
 * const c = new Certifier(state, settings);
 * const early = c.prepare(group, 0);
 * if (early === null) c.preactivations([0]);
 * const verdict = early ?? c.finish(0);
 */
export class Certifier {
  /** Prepared groups at once (slots with room in the kernels' memory; 1 without a workspace). */
  readonly capacity: number;
  private readonly slots: Slot[];
  private cur: Slot;
  private readonly other: Float64Array;
  /** The rows whose support covers δ₂'s (scratch of the cover test). */
  private readonly covered: Int32Array;
  private readonly z2: Float64Array;
  private readonly z2c: Float64Array;
  /** Coefficients found with z₂, by position in the firing list (NaN: not computed). */
  private readonly coefAt: Float64Array;
  /** Units of δ₂'s support where z₂ < 0. */
  private readonly negative: Int32Array;
  private readonly step: number;
  /** fround(q / levels) for every grid value q. */
  private readonly level: Float64Array;
  /** SIMD kernels (see PeelWeights.kernels). */
  private readonly k: PeelKernels | null;
  /** (row, slot) pairs of a batch of pre-activations, by row (scratch of `preactivations`). */
  private readonly pairStart: Int32Array;
  private pairs: Int32Array;

  constructor(
    private readonly s: PeelState,
    private readonly cfg: PeelSettings,
  ) {
    const { d, h, n, words } = s;
    this.k = s.w.kernels ?? null;
    const rank = s.w.factors?.rank ?? 0;
    const room = this.k?.workspace?.slots;
    const stride = words + 4;
    if (this.k && room) {
      this.capacity = room.count;
      this.slots = Array.from(
        { length: room.count },
        (_, i) =>
          new Slot(d, h, n, words, rank, {
            x: room.x.subarray(i * d, (i + 1) * d),
            delta: room.delta.subarray(i * h, (i + 1) * h),
            inner: room.inner.subarray(i * stride, (i + 1) * stride),
            simd: true,
            xf: room.xf.subarray(i * d, (i + 1) * d),
            q: room.q,
            count: room.nonZeros,
            nz: room.nz.subarray(i * d, (i + 1) * d),
            cover: room.cover.subarray(i * n, (i + 1) * n),
            zc: room.zc.subarray(i * n, (i + 1) * n),
          }),
      );
    } else {
      this.capacity = 1;
      const k = this.k;
      this.slots = [new Slot(d, h, n, words, rank, k ? { x: k.x, delta: k.delta, inner: undefined, simd: false } : null)];
    }
    this.cur = this.slots[0];
    this.other = this.k ? this.k.other : new Float64Array(h);
    this.z2 = this.k ? this.k.z2 : new Float64Array(h);
    this.z2c = new Float64Array(h);
    this.coefAt = new Float64Array(n);
    this.negative = new Int32Array(h);
    const work = this.k?.workspace;
    // in the kernels' memory when there is a workspace: the cover test then runs in SIMD
    this.covered = work ? work.covered : new Int32Array(n);
    this.step = gcd(7919, n) === 1 ? 7919 : 1;
    this.level = Float64Array.from({ length: cfg.levels + 1 }, (_, k) => Math.fround(k / cfg.levels));
    this.pairStart = new Int32Array(n + 1);
    this.pairs = room?.pairs ?? new Int32Array(0);
  }

  /**
   * Checks 1–3 of group `g` into slot `slot` (< capacity), up to the rows x̂ may fire beyond the group: null when
   * it passed them (then `preactivations` and `finish`), else why not.
   */
  prepare(g: Group, slot: number): RejectReason | null {
    const { s, cfg } = this;
    const { n, h, state, rb, w } = s;
    const x = (this.cur = this.slots[slot]);
    const { delta, dsupp } = x;
    const other = this.other;
    const coefTol = cfg.coefTolerance;
    x.group = g;
    this.load(g.q);

    // 2. the group's rows fire (a row that read x̂ alone fired for it in the client, though float64 may put it
    // within the float32 margin of 0), and sampled rows that no input fired stay silent.
    const rows = g.rows;
    const zS = rows.map((r) => this.z1(r));
    let k = -1;
    let best = -Infinity;
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (zS[t] < -this.margin(r)) return 'source rows silent';
      const cond = zS[t] / (w.w1norm[r] * x.xnorm + Math.abs(w.b1[r]));
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
    // δ₂'s support: where it is above its float noise (the support the checks use), as bits (and as a list in
    // JavaScript); nzd: where it is not exactly 0 (the JavaScript coefficients use every real entry, however small).
    const { sup, nzd, dv } = x;
    x.simdSupport = this.k !== null && this.k.arena.holds(dsupp);
    x.ns = x.simdSupport ? this.k!.arena.scaleAndSupport(delta, h, scale, zeroLevel, dsupp) : scaleAndSupport(delta, h, scale, zeroLevel, dsupp, sup!);
    let nd = 0;
    if (!this.k) {
      for (let m = 0; m < h; m++) {
        if (delta[m] !== 0) {
          nzd![nd] = m;
          dv![nd++] = delta[m];
        }
      }
    }
    x.nd = nd;
    x.zS = zS;
    x.thick = compared > 0;

    // Rows the input may fire beyond its group: active rows whose ∇W₂ row covers δ₂'s support (a firer's ReLU
    // pattern is inside its row's). Rows held by other inputs count for the second layer's pre-activation (x̂ may
    // add a little to them) but are not peeled.
    const work = this.k?.workspace;
    const nc = work && x.simdSupport
      ? this.k!.arena.coveringRows(work.active, s.activeRows.length, work.supp, s.words, dsupp, this.covered)
      : coveringRows(s.activeRows, s.supp, dsupp, s.words, this.covered);
    let m = 0;
    for (let i = 0; i < nc; i++) {
      const r = this.covered[i];
      if (!rows.includes(r)) x.cover[m++] = r;
    }
    x.nc = m;
    return null;
  }

  /**
   * w_r·x̂ + b_r on the covered rows of the prepared slots `slots`. With the SIMD kernels, row by row: each covered
   * first-layer row is read from memory once for every slot that covers it (the rows are 12 KB each at CIFAR-10
   * size, and a round's groups cover the same rows several times).
   */
  preactivations(slots: number[]): void {
    const w = this.s.w;
    if (!this.k || w.sparse || w.factors) {
      for (const i of slots) {
        const x = (this.cur = this.slots[i]);
        for (let t = 0; t < x.nc; t++) x.zc[t] = this.z1(x.cover[t]);
      }
      return;
    }
    // counting sort of the (row, slot, position) triples by row
    const start = this.pairStart;
    start.fill(0);
    let total = 0;
    for (const i of slots) {
      const x = this.slots[i];
      for (let t = 0; t < x.nc; t++) start[x.cover[t] + 1]++;
      total += x.nc;
    }
    for (let r = 0; r < this.s.n; r++) start[r + 1] += start[r];
    if (this.pairs.length < 2 * total) this.pairs = new Int32Array(2 * total);
    const pairs = this.pairs;
    const fill = start.slice(0, this.s.n);
    for (const i of slots) {
      const x = this.slots[i];
      for (let t = 0; t < x.nc; t++) {
        const p = fill[x.cover[t]]++;
        pairs[2 * p] = i;
        pairs[2 * p + 1] = t;
      }
    }
    const { arena } = this.k;
    const d = this.s.d;
    const { w1t, b1 } = w;
    for (let r = 0; r < this.s.n; r++) {
      for (let p = start[r], e = start[r + 1]; p < e; p++) {
        const x = this.slots[pairs[2 * p]];
        const t = pairs[2 * p + 1];
        // SIMD reads every value, JavaScript only the non-zeros: the kernel wins unless x̂ is mostly zeros
        x.zc[t] = x.nnz > d >>> 2 ? arena.dot(w1t, x.xd!, r * d, 0, d) + b1[r] : this.z1Js(x, r);
      }
    }
  }

  /** Checks 3 (one row) to 5 of the group prepared in slot `slot`, after `preactivations`. */
  finish(slot: number): RejectReason | typeof DEFERRED | Accepted {
    const { s, cfg, z2 } = this;
    const { h, words, state, rb, w } = s;
    const x = (this.cur = this.slots[slot]);
    const { delta, dsupp, sup, nzd, dv, zS, thick, simdSupport, ns, nd } = x;
    const rows = x.group!.rows;
    const firing = [...rows];
    const zF = [...zS];
    const uncertain: number[] = [];
    for (let i = 0; i < x.nc; i++) {
      const r = x.cover[i];
      const z = x.zc[i];
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
        for (let i = 0; i < ns; i++) if (z2[sup![i]] < 0) negative[nNeg++] = sup![i];
      }
    } else if (!thick) {
      const z2c = this.z2c;
      for (let i = 0; i < ns; i++) z2c[i] = w.b2[sup![i]];
      for (let t = 0; t < firing.length; t++) {
        const y = Math.max(0, zF[t]);
        if (y === 0) continue;
        const o = firing[t] * h;
        for (let i = 0; i < ns; i++) z2c[i] += y * w2[o + sup![i]];
      }
      for (let i = 0; i < ns; i++) {
        if (z2c[i] < 0) {
          z2[sup![i]] = z2c[i];
          negative[nNeg++] = sup![i];
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
      const c = !Number.isNaN(coefAt[t]) ? coefAt[t] : this.k || nd > (h * 3) >>> 2 ? this.coefficient(r) : sparseDot(w2, r * h, dv!, nzd!, nd);
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
        label = modelCheck(w.tail, z2, delta, s.grad.batchSize, cfg.coefTolerance);
        if (label < 0) return 'model';
      }
    }

    // the slot's arrays themselves: PeelState.subtract keeps copies
    const subtraction: Subtraction = {
      x: x.xf,
      nz: x.nzBuf.subarray(0, x.nnz),
      delta,
      rows: targets,
      coef,
      act,
    };
    return { x: x.xd ? x.xd.slice() : new Float64Array(x.xf), firing: firing.sort((p, q) => p - q), subtraction, uncertain, label };
  }

  /** x̂ = q/levels as the client's float32 values, its non-zero positions and norm, and C·x̂ for a low-rank layer. */
  private load(q: Uint16Array): void {
    const x = this.cur;
    const { xf, nzBuf, xd, cx } = x;
    const d = this.s.d;
    let nnz = 0;
    let xx = 0;
    if (x.loadRoom && xd && this.k) {
      // SIMD: fround(q/levels) is the float32 quotient; the non-zero positions are listed only for a sparse x̂
      x.loadRoom.q.set(q);
      xx = this.k.arena.gridValues(x.loadRoom.q, this.cfg.levels, xf, xd, x.loadRoom.count, d);
      nnz = x.loadRoom.count[0];
      if (nnz <= d >>> 1) for (let j = 0, t = 0; j < d; j++) if (xf[j] !== 0) nzBuf[t++] = j;
    } else {
      const level = this.level;
      for (let j = 0; j < d; j++) {
        const v = level[q[j]];
        xf[j] = v;
        nzBuf[nnz] = j;
        nnz += v !== 0 ? 1 : 0;
        xx += v * v;
      }
      if (xd) for (let j = 0; j < d; j++) xd[j] = xf[j];
    }
    x.nnz = nnz;
    x.xnorm = Math.sqrt(xx);
    const f = this.s.w.factors;
    if (!f || !cx) return;
    const c = f.c;
    if (this.k && xd) {
      for (let k = 0; k < f.rank; k++) cx[k] = this.k.arena.dot(c, xd, k * d, 0, d);
      return;
    }
    for (let k = 0; k < f.rank; k++) cx[k] = nnz > d >>> 1 ? dot(c, k * d, xf, d) : sparseRowDot(c, k * d, xf, nzBuf, nnz);
  }

  /**
   * w_r·x̂ + b_r in float64 (over the non-zero values of x̂ when it is sparse; as A_r·(C·x̂) when the layer is
   * low-rank, which differs from the float32 W the client used by at most 2⁻²⁴·‖w‖·‖x‖, far inside the margin).
   */
  private z1(r: number): number {
    const x = this.cur;
    const sp = this.s.w.sparse;
    if (sp) {
      let acc = 0;
      const { index, value } = sp;
      const xf = x.xf;
      for (let t = r * sp.perRow, e = t + sp.perRow; t < e; t++) acc += value[t] * xf[index[t]];
      return acc + this.s.w.b1[r];
    }
    const f = this.s.w.factors;
    if (f && x.cx) {
      let acc = 0;
      for (let q = 0, o = r * f.rank; q < f.rank; q++) acc += f.a[o + q] * x.cx[q];
      return acc + this.s.w.b1[r];
    }
    const d = this.s.d;
    // SIMD reads every value, JavaScript only the non-zeros: the kernel wins unless x̂ is mostly zeros
    if (this.k && x.xd && x.nnz > d >>> 2) return this.k.arena.dot(this.s.w.w1t, x.xd, r * d, 0, d) + this.s.w.b1[r];
    return this.z1Js(x, r);
  }

  /** w_r·x̂ + b_r for a dense first layer, in JavaScript. */
  private z1Js(x: Slot, r: number): number {
    const d = this.s.d;
    const o = r * d;
    const w1t = this.s.w.w1t;
    return (x.nnz > d >>> 1 ? dot(w1t, o, x.xf, d) : sparseRowDot(w1t, o, x.xf, x.nzBuf, x.nnz)) + this.s.w.b1[r];
  }

  /** W₂[r, :]·δ₂ (the coefficient of x̂ on row r), δ₂ being the current slot's. */
  private coefficient(r: number): number {
    const h = this.s.h;
    const delta = this.cur.delta;
    if (this.k) return this.k.arena.dot(this.s.w.w2, delta, r * h, 0, h);
    return dot(this.s.w.w2, r * h, delta, h);
  }

  /** How close to 0 a pre-activation may be before the client's float32 sum could have had the other sign. */
  private margin(r: number): number {
    const w = this.s.w;
    return this.cfg.marginK * w.w1norm[r] * this.cur.xnorm + Math.abs(w.b1[r]) * 2 ** -24;
  }

  /**
   * True when subtracting c·x̂ from row r would leave a kernel column above `floor` (values are at most 1) at one of
   * the state's probe positions (64 spread-out values): a row whose bias the input explains but whose weights it
   * does not.
   */
  private unexplained(r: number, c: number, floor: number): boolean {
    const at = this.s.probeAt;
    const xf = this.cur.xf;
    for (let t = 0; t < at.length; t++) if (Math.abs(this.s.probeValue(r, t) - c * xf[at[t]]) > floor) return true;
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
