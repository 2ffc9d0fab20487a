/** What peeling knows about each first-layer row: its state, residual gradients and the inputs subtracted from it. */
import type { Candidate } from '../types.js';
import type { PeelGradient, PeelWeights, PeelWorkspace } from './peel-types.js';
import type { SimdArena } from '../tensor/simd.js';
import { eagerFirstRead, type FirstRead } from './first-read.js';

/** No input fired the row (its bias gradient is 0). */
export const INACTIVE = 0;
/** The row holds a mix (or an input not yet certified); peeling may turn it into a singleton. */
export const OPEN = 1;
/** The row's read-out is on the grid and waits in a group for the certificate. */
export const CLAIMED = 2;
/** The row holds one certified input alone. */
export const RESOLVED = 3;
/** Every contribution was peeled off the row. */
export const EMPTY = 4;
/** An input's firing decision on the row was within the float32 margin: it is never read again. */
export const POISONED = 5;

/** How many values of each row's residual column are kept up to date for the probes (see probeValue). */
const PROBE_COUNT = 64;

/** A row whose residual bias is below this fraction of what it held is empty (float32 rounding of the sums). */
export const EMPTY_TOL = 1e-4;
/** Relative float error one subtraction leaves in a second-layer row (float32 client sums against our float64). */
const NOISE_REL = 1e-5;
/**
 * Float error one subtraction leaves in a row's bias, relative to the coefficient subtracted: measured on CIFAR-10
 * (degree design, B = 100) at median 1.5e-6, 99th percentile 1.6e-4, largest 4.5e-4 of 309.
 */
const NOISE_BIAS = 1e-3;

/**
 * One certified input as peeling subtracts it: its float32 values (what the client computed with) and their
 * non-zero positions, its second-layer delta δ₂, and the open rows it fires with its coefficient c and
 * activation y on each.
 */
export interface Subtraction {
  x: Float32Array;
  /** As many entries as x has non-zero values; their positions, listed only when that is at most half of them. */
  nz: Int32Array;
  delta: Float64Array;
  rows: number[];
  coef: number[];
  act: number[];
}

/**
 * The rows of one update under peeling. A subtraction updates a row's residual bias at once and only records
 * itself for the rest: a row's residual kernel column is built the first time the row is read whole and then kept
 * up to date with later subtractions; its residual second-layer row is rebuilt when the certificate reads it.
 * Rows that are never read again are never copied. Everything is float64.
 */
export class PeelState {
  readonly d: number;
  readonly n: number;
  readonly h: number;
  readonly words: number;
  readonly state: Uint8Array;
  readonly owner: Int32Array;
  /** Residual bias gradient of each row. */
  readonly rb: Float64Array;
  /** |bias gradient| plus |every coefficient subtracted|: the scale of a row's float error. */
  readonly mass: Float64Array;
  /** Float error level of each row's residual second-layer gradient. */
  readonly noise2: Float64Array;
  /** Float error level of each row's residual bias gradient. */
  readonly noiseB: Float64Array;
  /**
   * Bit m of row r is set when ∇W₂[r, m] ≠ 0 in the update (the union of its firers' ReLU patterns). Int32, not
   * Uint32: V8 reads a Uint32 word above 2³¹ as a double, which made the cover test several times slower.
   */
  readonly supp: Int32Array;
  readonly activeRows: Int32Array;
  readonly modified: Uint8Array;
  /** The first read-out of every active row (whole, or read from the update on demand). */
  readonly first: FirstRead;
  /** Residual columns of rows read after peeling, kept up to date incrementally (see `unapplied`). */
  private readonly cols: (Float64Array | null)[];
  /** Per row with a residual column: its first subtraction record not yet applied to it (−1: none). */
  private readonly unapplied: Int32Array;
  /** The subtraction records, chained per row in order: input, coefficient, activation, next record of the row. */
  private readonly log: SubtractionLog;
  /** The inputs subtracted so far, `nz` null for a dense one (more than half its values non-zero). */
  private readonly inputs: (Omit<Subtraction, 'nz'> & { nz: Int32Array | null })[] = [];
  /** Positions of the probe values kept up to date for every row (PROBE_COUNT spread over the input). */
  readonly probeAt: Int32Array;
  /** Each active row's residual column at `probeAt` (probeAt.length values a row), kept up to date by subtract. */
  private readonly probeRes: Float64Array;
  /** The SIMD kernels' memory and the room in it for columns and inputs, when the weights have them. */
  private readonly arena: SimdArena | null;
  private readonly work: PeelWorkspace | null;
  /** Per row: the pool slot holding its residual column (−1: none); the free slots, as a stack. */
  private readonly colSlot: Int32Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  /** The update's second-layer gradient copied into the kernels' memory (with a workspace), else null. */
  private kernel1InArena: Float32Array | null = null;

  constructor(
    readonly w: PeelWeights,
    readonly grad: PeelGradient,
    candidates: Candidate[] | FirstRead,
  ) {
    this.d = w.inputDim;
    const n = (this.n = w.neurons);
    const h = (this.h = w.width);
    const words = (this.words = (h + 31) >>> 5);
    this.state = new Uint8Array(n);
    this.owner = new Int32Array(n).fill(-1);
    this.rb = new Float64Array(n);
    this.mass = new Float64Array(n);
    this.noise2 = new Float64Array(n);
    this.noiseB = new Float64Array(n);
    this.modified = new Uint8Array(n);
    this.first = Array.isArray(candidates) ? eagerFirstRead(candidates, n) : candidates;
    this.cols = new Array<Float64Array | null>(n).fill(null);
    this.unapplied = new Int32Array(n).fill(-1);
    const slots = w.kernels?.workspace?.pool?.columns ?? 0;
    this.colSlot = new Int32Array(n).fill(-1);
    this.freeSlots = Int32Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.freeCount = slots;
    this.log = new SubtractionLog(n);
    this.activeRows = this.first.rows;
    const p = Math.min(this.d, PROBE_COUNT);
    this.probeAt = Int32Array.from({ length: p }, (_, t) => Math.floor(((t + 0.5) * this.d) / p));
    const room = w.kernels?.workspace?.probes;
    this.probeRes = room && room.length >= n * p ? room.subarray(0, n * p).fill(0) : new Float64Array(n * p);
    this.first.columnValues(this.probeAt, this.probeRes);
    this.arena = w.kernels?.arena ?? null;
    this.work = w.kernels?.workspace ?? null;
    const { bias, kernel1: k1 } = grad;
    const work = this.work;
    for (const r of this.activeRows) {
      this.state[r] = OPEN;
      this.rb[r] = bias[r];
      this.mass[r] = Math.abs(bias[r]);
    }
    if (this.arena && work && work.kernel1.length >= n * h && work.supp.length >= n * words) {
      // SIMD: the gradient's second layer copied into the kernels' memory, then 32 values to a word in a few
      // instructions (about 10× the JavaScript loop below, the copy included). Inactive rows' words are not read.
      this.supp = work.supp.subarray(0, n * words);
      work.kernel1.set(k1);
      this.kernel1InArena = work.kernel1;
      work.active.set(this.activeRows);
      for (const r of this.activeRows) this.arena.nonZeroBits(work.kernel1, r * h, this.supp, r * words, h);
      return;
    }
    this.supp = new Int32Array(n * words);
    // The float32 bits, so that "≠ 0" (−0 counts as 0) is integer arithmetic without a branch: about half of a
    // row's entries are 0 in no pattern, which a branch would mispredict half the time.
    const u = new Uint32Array(k1.buffer, k1.byteOffset, k1.length);
    for (const r of this.activeRows) {
      for (let q = 0, o = r * h, s = r * words; q < words; q++) {
        let bits = 0;
        for (let m = q << 5, e = Math.min(h, m + 32), k = 0; m < e; m++, k++) {
          const v = u[o + m] & 0x7fffffff;
          bits |= ((v | -v) >>> 31) << k;
        }
        this.supp[s + q] = bits;
      }
    }
  }

  /**
   * Row r's kernel gradient column minus every input subtracted from it. Built on the first call (from the
   * read-out and the subtractions so far: in the workspace, in a pool slot, or in a fresh array), then kept and
   * brought up to date with each later subtraction only (a sparse input's non-zero values only). The returned
   * array belongs to the state: read it, do not keep it.
   */
  residualColumn(r: number): Float64Array {
    let col = this.cols[r];
    const d = this.d;
    const log = this.log;
    if (!col) {
      const room = this.work?.columns?.cols;
      col = this.first.columnInto(r, room ? room.subarray(r * d, (r + 1) * d) : this.poolColumn(r) ?? new Float64Array(d));
      this.cols[r] = col;
      this.unapplied[r] = log.head[r];
    }
    // A column outside the kernels' memory (the pool was full) is brought up to date in the pool's scratch column,
    // where the subtractions run in SIMD (the same operations in the same order: the same values).
    const scratch = this.work?.pool?.scratch;
    const viaScratch = this.unapplied[r] >= 0 && scratch !== undefined && !this.arena!.holds(col);
    if (viaScratch) scratch.set(col);
    const target = viaScratch ? scratch : col;
    for (let k = this.unapplied[r]; k >= 0; k = log.next[k]) {
      const { x: xa, nz } = this.inputs[log.input[k]];
      const c = log.coef[k];
      if (nz === null) {
        // dense inputs (natural photos): a straight pass beats gathering the non-zeros, in SIMD when it can
        if (this.arena && this.arena.holds(xa) && this.arena.holds(target)) this.arena.axpy(-c, xa, 0, target, 0, d);
        else for (let j = 0; j < d; j++) target[j] -= c * xa[j];
      } else {
        for (let q = 0; q < nz.length; q++) {
          const j = nz[q];
          target[j] -= c * xa[j];
        }
      }
    }
    if (viaScratch) col.set(scratch);
    this.unapplied[r] = -1;
    return col;
  }

  /** Room in the workspace's pool for row r's residual column (then held until `release`), or null when none is free. */
  private poolColumn(r: number): Float64Array | null {
    const pool = this.work?.pool;
    if (!pool || this.freeCount === 0) return null;
    const slot = this.freeSlots[--this.freeCount];
    this.colSlot[r] = slot;
    return pool.cols.subarray(slot * this.d, (slot + 1) * this.d);
  }

  /**
   * Row r's residual column at position probeAt[t], kept up to date with every subtraction (the same float64
   * operations in the same order as the column's): a few of these tell a mix (off the grid almost everywhere)
   * from a singleton before the whole column is paid for.
   */
  probeValue(r: number, t: number): number {
    return this.probeRes[r * this.probeAt.length + t];
  }

  /** Row r's residual read-out (residual column over residual bias), into `out`. */
  residualRead(r: number, out: Float64Array): Float64Array {
    const col = this.residualColumn(r);
    const inv = 1 / this.rb[r];
    for (let j = 0; j < this.d; j++) out[j] = col[j] * inv;
    return out;
  }

  /** Row r of the residual second-layer gradient divided by `y` (the row's activation), into `out`. */
  row2(r: number, y: number, out: Float64Array): Float64Array {
    const h = this.h;
    const k1a = this.kernel1InArena;
    const log = this.log;
    if (k1a && this.arena!.holds(out) && this.inputs.length <= this.n) {
      // the same operations in the same order as the loops below (x/1 is exact), in SIMD (the first `neurons`
      // inputs' δ₂ are in the kernels' memory, see subtract)
      const arena = this.arena!;
      if (log.head[r] < 0) {
        arena.divide(k1a, r * h, y, out, h);
        return out;
      }
      arena.divide(k1a, r * h, 1, out, h);
      for (let k = log.head[r]; k >= 0; k = log.next[k]) arena.axpy64(-log.act[k], this.inputs[log.input[k]].delta, 0, out, 0, h);
      arena.divide(out, 0, y, out, h);
      return out;
    }
    const k1 = this.grad.kernel1;
    for (let m = 0, o = r * h; m < h; m++) out[m] = k1[o + m];
    const simd = this.arena && this.work && this.arena.holds(out) ? this.arena : null;
    for (let k = log.head[r]; k >= 0; k = log.next[k]) {
      const da = this.inputs[log.input[k]].delta;
      const ya = log.act[k];
      if (simd && simd.holds(da)) simd.axpy64(-ya, da, 0, out, 0, h);
      else for (let m = 0; m < h; m++) out[m] -= ya * da[m];
    }
    for (let m = 0; m < h; m++) out[m] /= y;
    return out;
  }

  /**
   * True when |row2(r, y)[m] − delta[m]| ≤ tol for every unit m. A row nothing was subtracted from is compared as it
   * is read (one pass, nothing written); otherwise row2 is built in `scratch` first.
   */
  row2Within(r: number, y: number, delta: Float64Array, tol: number, scratch: Float64Array): boolean {
    const h = this.h;
    const arena = this.kernel1InArena && this.arena!.holds(delta) && this.arena!.holds(scratch) ? this.arena! : null;
    if (arena) {
      // max |·| ≤ tol exactly when every |·| ≤ tol; NaN fails both
      if (this.log.head[r] < 0) return arena.maxDiff(this.kernel1InArena!, r * h, y, delta, h) <= tol;
      return arena.maxDiff(this.row2(r, y, scratch), 0, 1, delta, h) <= tol;
    }
    if (this.log.head[r] >= 0) {
      this.row2(r, y, scratch);
      for (let m = 0; m < h; m++) if (!(Math.abs(scratch[m] - delta[m]) <= tol)) return false;
      return true;
    }
    const k1 = this.grad.kernel1;
    for (let m = 0, o = r * h; m < h; m++) if (!(Math.abs(k1[o + m] / y - delta[m]) <= tol)) return false;
    return true;
  }

  /**
   * Drops row r's residual column (a resolved or emptied row is not read again): 1.2 MB a row at ImageNet size.
   * A later read would rebuild it from the first read-out and every subtraction.
   */
  release(r: number): void {
    this.cols[r] = null;
    this.unapplied[r] = -1;
    if (this.colSlot[r] >= 0) {
      this.freeSlots[this.freeCount++] = this.colSlot[r];
      this.colSlot[r] = -1;
    }
  }

  /**
   * Subtracts a certified input from the open rows it fires (bias now; columns lazily when read). Keeps copies of
   * its arrays (`x`, `nz`, `delta` may be the caller's scratch).
   */
  subtract(sub: Subtraction): void {
    const a = this.inputs.length;
    const { d, h } = this;
    const work = this.work;
    // into the kernels' memory when there is room, where the SIMD loops can read them
    const xs = work?.columns?.xs;
    const pool = work?.pool;
    const x =
      xs && a < this.n
        ? xs.subarray(a * d, (a + 1) * d)
        : pool && a < pool.inputs
          ? pool.xs.subarray(a * d, (a + 1) * d)
          : new Float32Array(d);
    const delta = work && a < this.n ? work.deltas.subarray(a * h, (a + 1) * h) : new Float64Array(h);
    x.set(sub.x);
    delta.set(sub.delta);
    // a dense input's residual update is a straight pass: its non-zero positions are not kept
    const nz = sub.nz.length > d >>> 1 ? null : sub.nz.slice();
    const s = { x, nz, delta, rows: sub.rows, coef: sub.coef, act: sub.act };
    this.inputs.push(s);
    let big = 0;
    for (let m = 0; m < h; m++) {
      const v = Math.abs(delta[m]);
      if (v > big) big = v;
    }
    const { probeAt, probeRes } = this;
    const p = probeAt.length;
    const xp = new Float64Array(p);
    for (let u = 0; u < p; u++) xp[u] = x[probeAt[u]];
    for (let t = 0; t < s.rows.length; t++) {
      const r = s.rows[t];
      const c = s.coef[t];
      for (let u = 0, o = r * p; u < p; u++) probeRes[o + u] -= c * xp[u];
      const k = this.log.add(r, a, c, s.act[t]);
      if (this.cols[r] && this.unapplied[r] < 0) this.unapplied[r] = k;
      this.noise2[r] += NOISE_REL * s.act[t] * big;
      this.noiseB[r] += NOISE_BIAS * Math.abs(s.coef[t]);
      this.rb[r] -= s.coef[t];
      this.mass[r] += Math.abs(s.coef[t]);
      this.modified[r] = 1;
    }
  }
}

/**
 * Every subtraction from every row, as records in typed arrays chained per row in the order they were made (one
 * record per input and row: no per-row arrays to grow).
 */
class SubtractionLog {
  /** First and last record of each row (−1: none). */
  readonly head: Int32Array;
  private readonly tail: Int32Array;
  input = new Int32Array(1024);
  coef = new Float64Array(1024);
  act = new Float64Array(1024);
  next = new Int32Array(1024);
  private count = 0;

  constructor(rows: number) {
    this.head = new Int32Array(rows).fill(-1);
    this.tail = new Int32Array(rows).fill(-1);
  }

  /** Records input `a` subtracted from row r with coefficient c and activation y; returns the record. */
  add(r: number, a: number, c: number, y: number): number {
    const k = this.count++;
    if (k === this.input.length) this.grow();
    this.input[k] = a;
    this.coef[k] = c;
    this.act[k] = y;
    this.next[k] = -1;
    if (this.tail[r] >= 0) this.next[this.tail[r]] = k;
    else this.head[r] = k;
    this.tail[r] = k;
    return k;
  }

  private grow(): void {
    const size = 2 * this.input.length;
    const more = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.input = more(this.input, (n) => new Int32Array(n));
    this.coef = more(this.coef, (n) => new Float64Array(n));
    this.act = more(this.act, (n) => new Float64Array(n));
    this.next = more(this.next, (n) => new Int32Array(n));
  }
}
