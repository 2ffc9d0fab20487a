/**
 * Float64-accurate SIMD kernels for peeling's inner loops: a float32 row times a float64 vector (dot), and a
 * float64 vector plus a multiple of a float32 row (axpy), on WebAssembly's 128-bit SIMD (f64x2 lanes). The float32
 * values are promoted exactly and every product and sum is float64, as in the plain JavaScript loops; only the
 * order of the sums differs (sixteen partial sums), so results agree with them to float64 rounding. The other
 * kernels do peeling's remaining passes over whole rows (non-zero bits, tiled transposition, the cover and grid
 * tests, δ₂'s support bits, the agreement maximum, division, widening, x̂ from its grid values) with the same
 * decisions and values as the JavaScript loops they replace.
 *
 * The module is about 3.5 KB, encoded here (no toolchain, no file, works in Node and in a browser tab),
 * and reads one memory that the caller creates and fills: arrays live in it as views (see {@link SimdArena}).
 */

/** True when this runtime validates a WebAssembly module that uses 128-bit SIMD (Node 16.4+, current browsers). */
export function simdAvailable(): boolean {
  return moduleOrNull() !== null;
}

/**
 * What lays typed arrays out in an arena: the arena itself, or an {@link ArenaSize} that only counts the bytes (so
 * that one layout function both sizes an arena and fills it).
 * @example const layout = (a: ArenaAllocator) => ({ w: a.f32(3072), x: a.f64(3072) });
 */
export interface ArenaAllocator {
  f32(length: number): Float32Array;
  f64(length: number): Float64Array;
  i32(length: number): Int32Array;
  u16(length: number): Uint16Array;
}

/**
 * Counts the bytes a layout takes in a {@link SimdArena} (the same 16-byte alignment), handing out empty arrays.
 * @example const size = new ArenaSize(); layout(size); SimdArena.create(size.bytes);
 */
export class ArenaSize implements ArenaAllocator {
  bytes = 0;

  f32(length: number): Float32Array {
    this.take(4 * length);
    return new Float32Array(0);
  }

  f64(length: number): Float64Array {
    this.take(8 * length);
    return new Float64Array(0);
  }

  i32(length: number): Int32Array {
    this.take(4 * length);
    return new Int32Array(0);
  }

  u16(length: number): Uint16Array {
    this.take(2 * length);
    return new Uint16Array(0);
  }

  private take(bytes: number): void {
    // arithmetic, not `& ~15`: a layout may count past 2³¹ bytes (the caller then finds it too large)
    this.bytes = Math.ceil(this.bytes / 16) * 16 + bytes;
  }
}

/**
 * One WebAssembly memory with the kernels bound to it, and a bump allocator of typed views into it. The memory
 * never grows after construction (growing would detach the views), so its size is given up front.
 * @example
 * const arena = SimdArena.create(4 * 3072 + 8 * 3072)!;
 * const w = arena.f32(3072), x = arena.f64(3072);
 * arena.dot(w, x, 0, 0, 3072); // Σ w[j]·x[j] in float64
 */
export class SimdArena implements ArenaAllocator {
  private used = 0;

  private constructor(
    readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
  ) {}

  /**
   * An arena of at least `bytes` bytes (plus alignment slack), or null when SIMD WebAssembly is unavailable or the
   * size is above `maxBytes` (default 1 GiB; WebAssembly memories stop at 4 GiB).
   * @example const arena = SimdArena.create(1 << 20); if (!arena) useJavaScriptLoops();
   */
  static create(bytes: number, maxBytes = 2 ** 30): SimdArena | null {
    const mod = moduleOrNull();
    if (!mod || !(bytes >= 0) || bytes > maxBytes) return null;
    const pages = Math.max(1, Math.ceil((bytes + 64 * 16) / 65536));
    try {
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      const instance = new WebAssembly.Instance(mod, { env: { mem: memory } });
      return new SimdArena(memory, instance.exports as unknown as KernelExports);
    } catch {
      return null; // out of memory for the arena: the caller falls back to plain arrays
    }
  }

  /** A zeroed Float32Array of `length` values inside the arena (16-byte aligned). */
  f32(length: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.take(length * 4), length);
  }

  /** A zeroed Float64Array of `length` values inside the arena (16-byte aligned). */
  f64(length: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(length * 8), length);
  }

  /** A zeroed Int32Array of `length` values inside the arena (16-byte aligned). */
  i32(length: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(length * 4), length);
  }

  /** Bytes handed out so far (a mark for `touchFrom`). */
  get allocated(): number {
    return this.used;
  }

  /**
   * Writes zeros over everything allocated from byte `mark` on, so that the pages are faulted in now rather than by
   * the first loop that uses them.
   * @example const mark = arena.allocated; const work = layout(arena); arena.touchFrom(mark);
   */
  touchFrom(mark: number): void {
    new Uint8Array(this.memory.buffer, mark, this.used - mark).fill(0);
  }

  /** True when `a` is a view into this arena (the kernels read only such arrays). */
  holds(a: Float32Array | Float64Array | Int32Array | Uint16Array): boolean {
    return a.buffer === this.memory.buffer;
  }

  /**
   * Σ_{i < len} w[wAt + i]·x[xAt + i] in float64; both arrays must be views of this arena.
   * @example arena.dot(w1t, x, r * d, 0, d); // row r of a row-major float32 matrix times x
   */
  dot(w: Float32Array, x: Float64Array, wAt: number, xAt: number, len: number): number {
    return this.exports.dot(w.byteOffset + 4 * wAt, x.byteOffset + 8 * xAt, len);
  }

  /**
   * y[yAt + i] += a·w[wAt + i] for i < len, in float64; both arrays must be views of this arena.
   * @example arena.axpy(y_r, w2, r * h, z2, 0, h); // z₂ += y_r·W₂[r, :]
   */
  axpy(a: number, w: Float32Array, wAt: number, y: Float64Array, yAt: number, len: number): void {
    this.exports.axpy(a, w.byteOffset + 4 * wAt, y.byteOffset + 8 * yAt, len);
  }

  /**
   * y[yAt + i] += a·w[wAt + i] for i < len, both float64; both arrays must be views of this arena.
   * @example arena.axpy64(-y_a, delta_a, 0, out, 0, h); // out −= y_a·δ₂(a)
   */
  axpy64(a: number, w: Float64Array, wAt: number, y: Float64Array, yAt: number, len: number): void {
    this.exports.axpy64(a, w.byteOffset + 8 * wAt, y.byteOffset + 8 * yAt, len);
  }

  /**
   * Bit k of out[outAt + w] set when src[srcAt + 32w + k] ≠ 0 (−0 counts as 0), for the ⌈len/32⌉ words; both
   * arrays must be views of this arena.
   * @example arena.nonZeroBits(kernel1, r * h, supp, r * words, h); // row r's non-zero pattern
   */
  nonZeroBits(src: Float32Array, srcAt: number, out: Int32Array, outAt: number, len: number): void {
    this.exports.nzmask(src.byteOffset + 4 * srcAt, out.byteOffset + 4 * outAt, len);
  }

  /**
   * For a [rows × n] float32 matrix `src` (row-major) and i in [i0, i1): writes column i into the float32 array at
   * byte address table[i] (rows values), by 4 × 4 SIMD blocks; rows, i0 and i1 must be multiples of 4. Returns
   * NaN when a value read was not finite, else 0. `src` and `table` must be views of this arena, and so must every
   * address in the table (`byteAddress` gives them).
   * @example arena.transposeColumns(kernel, n, d, table, 0, 16); // columns 0–15 to the rows the table names
   */
  transposeColumns(src: Float32Array, n: number, rows: number, table: Int32Array, i0: number, i1: number): number {
    // tiles of 64 source rows × 64 columns: the pages both sides touch stay within the TLB's reach (a stride of
    // one source row is a page or more at CIFAR-10 size; untiled, every access missed the TLB)
    let flag = 0;
    for (let j0 = 0; j0 < rows; j0 += TILE) {
      const j1 = Math.min(rows, j0 + TILE);
      for (let c0 = i0; c0 < i1; c0 += TILE) flag += this.exports.transpose(src.byteOffset, n, j0, j1, table.byteOffset, c0, Math.min(i1, c0 + TILE));
    }
    return flag;
  }

  /**
   * Writes to `out` the rows r of rows[0 … count) whose bit words supp[r·words …] include every bit of
   * inner[0 … words); returns how many. All four arrays must be views of this arena, `inner` zero from `words` up
   * to a multiple of 4, and `supp` readable up to 3 words past its last row.
   * @example const n = arena.coveringRows(active, active.length, supp, words, inner, out);
   */
  coveringRows(rows: Int32Array, count: number, supp: Int32Array, words: number, inner: Int32Array, out: Int32Array): number {
    return this.exports.cover(rows.byteOffset, count, supp.byteOffset, words, inner.byteOffset, out.byteOffset);
  }

  /**
   * The grid test of peeling on an even number of values: for v = src[j]·scale and k = ⌊v + ½⌋, true when every
   * |v − k| ≤ tol and 0 ≤ k ≤ levels, with each k written to q[j]; false at the first pair that fails (q then
   * partly written). `src` and `q` must be views of this arena.
   * @example if (arena.onGrid(column, 255 / bias, 255, 0.1, q)) group(q);
   */
  onGrid(src: Float32Array | Float64Array, scale: number, levels: number, tol: number, q: Uint16Array): boolean {
    if (src.length % 2 !== 0) throw new RangeError(`onGrid takes an even number of values, got ${src.length}`);
    const f = src instanceof Float32Array ? this.exports.grid32 : this.exports.grid64;
    return f(src.byteOffset, src.length, scale, levels, tol, q.byteOffset) === 1;
  }

  /**
   * delta[i] *= scale for i < len, then bit k of bits[w] set when |delta[32w + k]| > level (NaN: unset), for the
   * ⌈len/32⌉ words; returns how many bits are set. Both arrays must be views of this arena.
   * @example const count = arena.scaleAndSupport(delta, 3000, 1.02, 1e-9, bits);
   */
  scaleAndSupport(delta: Float64Array, len: number, scale: number, level: number, bits: Int32Array): number {
    const even = len & ~1;
    let count = this.exports.support(delta.byteOffset, even, scale, level, bits.byteOffset);
    if (even < len) {
      const v = (delta[even] *= scale);
      const on = Math.abs(v) > level ? 1 : 0;
      const q = even >>> 5;
      bits[q] = (even & 31) === 0 ? on : bits[q] | (on << (even & 31));
      count += on;
    }
    return count;
  }

  /**
   * max over i < len of |src[srcAt + i]/y − ref[i]|, in float64; NaN when any term is NaN (so `!(max ≤ tol)` rejects
   * as the element-wise test does). Both arrays must be views of this arena.
   * @example if (!(arena.maxDiff(kernel1, r * h, y, delta, h) <= tol)) reject();
   */
  maxDiff(src: Float32Array | Float64Array, srcAt: number, y: number, ref: Float64Array, len: number): number {
    const even = len & ~1;
    const f = src instanceof Float32Array ? this.exports.maxdiff32 : this.exports.maxdiff64;
    const at = src.byteOffset + src.BYTES_PER_ELEMENT * srcAt;
    let max = f(at, y, ref.byteOffset, even);
    if (even < len) max = nanMax(max, Math.abs(src[srcAt + even] / y - ref[even]));
    return max;
  }

  /**
   * out[i] = src[srcAt + i]/y for i < len, in float64 (float32 sources promoted exactly). Both arrays must be views
   * of this arena; `out` may be `src` itself (float64, srcAt 0).
   * @example arena.divide(kernel1, r * h, y, out, h); // row r of a float32 matrix over y
   */
  divide(src: Float32Array | Float64Array, srcAt: number, y: number, out: Float64Array, len: number): void {
    if (y === 1 && src instanceof Float64Array) {
      out.set(src.subarray(srcAt, srcAt + len)); // x/1 = x
      return;
    }
    const even = len & ~1;
    const at = src.byteOffset + src.BYTES_PER_ELEMENT * srcAt;
    // x/1 = x: a float32 source is only promoted (division is the slowest SIMD instruction here)
    if (y === 1) this.exports.widen(at, out.byteOffset, even);
    else (src instanceof Float32Array ? this.exports.div32 : this.exports.div64)(at, y, out.byteOffset, even);
    if (even < len) out[even] = src[srcAt + even] / y;
  }

  /**
   * y[i] += a·w[wAt + i] for i < len, and returns Σ w[wAt + i]·x[i] (float64, one read of w for both). All three
   * arrays must be views of this arena.
   * @example const c = arena.axpyDot(act, w2, r * h, z2, delta, h); // z₂ += act·W₂[r, :]; c = W₂[r, :]·δ₂
   */
  axpyDot(a: number, w: Float32Array, wAt: number, y: Float64Array, x: Float64Array, len: number): number {
    const main = len & ~3;
    let s = this.exports.axpydot(a, w.byteOffset + 4 * wAt, y.byteOffset, x.byteOffset, main);
    for (let i = main; i < len; i++) {
      const v = w[wAt + i];
      y[i] += a * v;
      s += v * x[i];
    }
    return s;
  }

  /**
   * Grid values to input values: xf[i] = fround(q[i]/levels) (float32 division, correctly rounded) and xd[i] the same
   * in float64, for i < len; returns Σ xd[i]² (float64) and writes how many q[i] ≠ 0 to count[0]. All four arrays
   * must be views of this arena.
   * @example const xx = arena.gridValues(q, 255, xf, xd, count, 3072); // x̂ of a candidate, ‖x̂‖², non-zeros
   */
  gridValues(q: Uint16Array, levels: number, xf: Float32Array, xd: Float64Array, count: Int32Array, len: number): number {
    const main = len & ~3;
    let xx = this.exports.gridvalues(q.byteOffset, main, levels, xf.byteOffset, xd.byteOffset, count.byteOffset);
    for (let i = main; i < len; i++) {
      const v = Math.fround(q[i] / levels);
      xf[i] = v;
      xd[i] = v;
      xx += v * v;
      count[0] += v !== 0 ? 1 : 0;
    }
    return xx;
  }

  /** A zeroed Uint16Array of `length` values inside the arena (16-byte aligned). */
  u16(length: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, this.take(length * 2), length);
  }

  /** The byte address of a[at] inside the arena (for the transpose's table). */
  byteAddress(a: Float32Array, at: number): number {
    return a.byteOffset + 4 * at;
  }

  private take(bytes: number): number {
    const at = Math.ceil(this.used / 16) * 16;
    if (at + bytes > this.memory.buffer.byteLength) {
      throw new RangeError(`SIMD arena full: ${at + bytes} bytes asked of ${this.memory.buffer.byteLength}`);
    }
    this.used = at + bytes;
    return at;
  }
}

/** Tile side of transposeColumns (a multiple of 4). */
const TILE = 64;

interface KernelExports {
  dot(w: number, x: number, n: number): number;
  axpy(a: number, w: number, y: number, n: number): void;
  axpy64(a: number, w: number, y: number, n: number): void;
  nzmask(src: number, dst: number, n: number): void;
  transpose(src: number, n: number, j0: number, j1: number, table: number, i0: number, i1: number): number;
  cover(rows: number, count: number, supp: number, words: number, inner: number, out: number): number;
  grid32(src: number, n: number, scale: number, levels: number, tol: number, q: number): number;
  grid64(src: number, n: number, scale: number, levels: number, tol: number, q: number): number;
  support(delta: number, n: number, scale: number, level: number, bits: number): number;
  maxdiff32(src: number, y: number, ref: number, n: number): number;
  maxdiff64(src: number, y: number, ref: number, n: number): number;
  div32(src: number, y: number, out: number, n: number): void;
  div64(src: number, y: number, out: number, n: number): void;
  axpydot(a: number, w: number, y: number, x: number, n: number): number;
  gridvalues(q: number, n: number, levels: number, xf: number, xd: number, count: number): number;
  widen(src: number, out: number, n: number): void;
}

/** max(a, b), NaN when either is (as WebAssembly's f64.max). */
function nanMax(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
}

let compiled: WebAssembly.Module | null | undefined;

function moduleOrNull(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = kernelModule();
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

// ---- the module, encoded by hand (WebAssembly binary format 1 with the fixed-width SIMD proposal) ----

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Store16: 0x3b,
  return: 0x0f,
  if: 0x04,
  f64Const: 0x44,
  i32Const: 0x41,
  f32Const: 0x43,
  f32Ne: 0x5c,
  i32Mul: 0x6c,
  i32Or: 0x72,
  f32Add: 0x92,
  i32Eqz: 0x45,
  i32GeU: 0x4f,
  i32Ne: 0x47,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Popcnt: 0x69,
  f64Max: 0xa5,
  f32DemoteF64: 0xb6,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
} as const;

/** SIMD instructions: prefix 0xfd, then the opcode as unsigned LEB128. */
const simd = {
  load: (offset: number, align: number) => [0xfd, 0x00, align, ...uleb(offset)],
  store: (offset: number, align: number) => [0xfd, 0x0b, align, ...uleb(offset)],
  /** Lanes 2, 3 of an f32x4 moved to lanes 0, 1 (bytes 8–15 to 0–7). */
  highToLow: [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
  f64x2Splat: [0xfd, 0x14],
  f64x2Extract: (lane: number) => [0xfd, 0x21, lane],
  f64x2PromoteLow: [0xfd, 0x5f],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  zero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  /** Lanes (p, q, r, s) of the eight f32 lanes of two vectors (0–3 the first's, 4–7 the second's). */
  pick: (...lanes: number[]) => [0xfd, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])],
  f32x4Extract: (lane: number) => [0xfd, 0x1f, lane],
  f32x4Ne: [0xfd, 0x42],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  i32x4Bitmask: [0xfd, ...uleb(0xa4)],
  andNot: [0xfd, 0x4f],
  load64Zero: (offset: number) => [0xfd, ...uleb(0x5d), 3, ...uleb(offset)],
  f64x2Sub: [0xfd, ...uleb(0xf1)],
  f64x2Abs: [0xfd, ...uleb(0xec)],
  f64x2Floor: [0xfd, ...uleb(0x75)],
  f64x2Le: [0xfd, ...uleb(0x4b)],
  f64x2Ge: [0xfd, ...uleb(0x4c)],
  v128And: [0xfd, ...uleb(0x4e)],
  i64x2AllTrue: [0xfd, ...uleb(0xc3)],
  i32x4TruncSatF64x2Zero: [0xfd, ...uleb(0xfc)],
  i32x4Extract: (lane: number) => [0xfd, 0x1b, lane],
  anyTrue: [0xfd, 0x53],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
  f64x2Div: [0xfd, ...uleb(0xf3)],
  f64x2Max: [0xfd, ...uleb(0xf5)],
  f64x2Gt: [0xfd, ...uleb(0x4a)],
  i64x2Bitmask: [0xfd, ...uleb(0xc4)],
  load16x4U: (offset: number) => [0xfd, 0x04, 3, ...uleb(offset)],
  f32x4Splat: [0xfd, 0x13],
  f32x4ConvertI32x4U: [0xfd, ...uleb(0xfb)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  i32x4Ne: [0xfd, ...uleb(0x38)],
};

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return vec([...s].map((c) => [c.charCodeAt(0)]));
}

/** A function body: local declarations (one entry per local) then the code. */
function body(locals: number[], code: number[]): number[] {
  const decl = vec(locals.map((t) => [1, t]));
  const inner = [...decl, ...code, op.end];
  return [...uleb(inner.length), ...inner];
}

const get = (i: number) => [op.get, i];
const set = (i: number) => [op.set, i];
const i32 = (v: number) => [op.i32Const, ...sleb(v)];
const addTo = (i: number, v: number) => [...get(i), ...i32(v), op.i32Add, ...set(i)];

/**
 * A loop over the ⌊n/2^perStep⌋ steps of 2^perStep values at address `ptr`, 2^stepBytes bytes a step: sets
 * end = ptr + (⌊n/2^perStep⌋ << stepBytes), then runs `step` while ptr < end (`step` advances ptr itself).
 */
const stepLoop = (ptr: number, n: number, end: number, perStep: number, stepBytes: number, step: number[]) => [
  ...get(ptr), ...get(n), ...i32(perStep), op.i32ShrU, ...i32(stepBytes), op.i32Shl, op.i32Add, ...set(end),
  op.block, 0x40, op.loop, 0x40,
  ...get(ptr), ...get(end), op.i32GeU, op.brIf, 1,
  ...step,
  op.br, 0, op.end, op.end,
];

/** `stepLoop` over the ⌊n/2⌋ pairs of values at `src`, `pairBytes` each (8 for float32, 16 for float64). */
const pairLoop = (src: number, n: number, end: number, pairBytes: 8 | 16, step: number[]) =>
  stepLoop(src, n, end, 1, pairBytes === 8 ? 3 : 4, step);

/** The two values at address `src` as an f64x2 (float32 values promoted exactly). */
const loadPair = (src: number, f32: boolean) => [...get(src), ...(f32 ? [...simd.load64Zero(0), ...simd.f64x2PromoteLow] : simd.load(0, 3))];

/**
 * dot(w, x, n) → f64. Params 0 w, 1 x, 2 n; locals 3–10 accumulators, 11 v, 12 end, 13 s. Sixteen float32 values
 * a step into eight f64x2 partial sums: fewer would leave the loop waiting on the adds' latency.
 */
function dotBody(): number[] {
  const [w, x, n] = [0, 1, 2];
  const acc = [3, 4, 5, 6, 7, 8, 9, 10];
  const [v, end, s] = [11, 12, 13];
  // acc += promote(two lanes of v) · x[at..at+2]
  const mac = (a: number, high: boolean, xOff: number) => [
    ...get(a),
    ...get(v),
    ...(high ? [...get(v), ...simd.highToLow] : []),
    ...simd.f64x2PromoteLow,
    ...get(x),
    ...simd.load(xOff, 3),
    ...simd.f64x2Mul,
    ...simd.f64x2Add,
    ...set(a),
  ];
  const quad = (k: number) => [
    ...get(w), ...simd.load(16 * k, 2), ...set(v),
    ...mac(acc[2 * k], false, 32 * k),
    ...mac(acc[2 * k + 1], true, 32 * k + 16),
  ];
  const code = [
    // end = w + 64·⌊n/16⌋ (sixteen float32 values a step)
    ...get(w), ...get(n), ...i32(4), op.i32ShrU, ...i32(6), op.i32Shl, op.i32Add, ...set(end),
    op.block, 0x40, op.loop, 0x40,
    ...get(w), ...get(end), op.i32GeU, op.brIf, 1,
    ...quad(0), ...quad(1), ...quad(2), ...quad(3),
    ...addTo(w, 64), ...addTo(x, 128),
    op.br, 0, op.end, op.end,
    // s = the sixteen partial sums added
    ...get(acc[0]), ...get(acc[1]), ...simd.f64x2Add, ...get(acc[2]), ...get(acc[3]), ...simd.f64x2Add, ...simd.f64x2Add,
    ...get(acc[4]), ...get(acc[5]), ...simd.f64x2Add, ...get(acc[6]), ...get(acc[7]), ...simd.f64x2Add, ...simd.f64x2Add,
    ...simd.f64x2Add, ...set(v),
    ...get(v), ...simd.f64x2Extract(0), ...get(v), ...simd.f64x2Extract(1), op.f64Add, ...set(s),
    // the last n mod 16 values one by one
    ...get(n), ...i32(15), op.i32And, ...set(n),
    op.block, 0x40, op.loop, 0x40,
    ...get(n), op.i32Eqz, op.brIf, 1,
    ...get(s), ...get(w), op.f32Load, 2, 0, op.f64PromoteF32, ...get(x), op.f64Load, 3, 0, op.f64Mul, op.f64Add, ...set(s),
    ...addTo(w, 4), ...addTo(x, 8), ...addTo(n, -1),
    op.br, 0, op.end, op.end,
    ...get(s),
  ];
  return body([V128, V128, V128, V128, V128, V128, V128, V128, V128, I32, F64], code);
}

/** axpy(a, w, y, n): y += a·w. Params 0 a, 1 w, 2 y, 3 n; locals 4 av, 5 v, 6 end. */
function axpyBody(): number[] {
  const [a, w, y, n, av, v, end] = [0, 1, 2, 3, 4, 5, 6];
  const step = (high: boolean, off: number) => [
    ...get(y),
    ...get(y),
    ...simd.load(off, 3),
    ...get(v),
    ...(high ? [...get(v), ...simd.highToLow] : []),
    ...simd.f64x2PromoteLow,
    ...get(av),
    ...simd.f64x2Mul,
    ...simd.f64x2Add,
    ...simd.store(off, 3),
  ];
  const code = [
    ...get(a), ...simd.f64x2Splat, ...set(av),
    // four float32 values a step
    ...stepLoop(w, n, end, 2, 4, [
      ...get(w), ...simd.load(0, 2), ...set(v),
      ...step(false, 0),
      ...step(true, 16),
      ...addTo(w, 16), ...addTo(y, 32),
    ]),
    ...get(n), ...i32(3), op.i32And, ...set(n),
    op.block, 0x40, op.loop, 0x40,
    ...get(n), op.i32Eqz, op.brIf, 1,
    ...get(y), ...get(y), op.f64Load, 3, 0, ...get(a), ...get(w), op.f32Load, 2, 0, op.f64PromoteF32, op.f64Mul, op.f64Add,
    op.f64Store, 3, 0,
    ...addTo(w, 4), ...addTo(y, 8), ...addTo(n, -1),
    op.br, 0, op.end, op.end,
  ];
  return body([V128, V128, I32], code);
}

/** axpy64(a, w, y, n): y += a·w, all float64. Params 0 a, 1 w, 2 y, 3 n; locals 4 av, 5 end. */
function axpy64Body(): number[] {
  const [a, w, y, n, av, end] = [0, 1, 2, 3, 4, 5];
  const step = (off: number) => [
    ...get(y), ...get(y), ...simd.load(off, 3), ...get(w), ...simd.load(off, 3), ...get(av), ...simd.f64x2Mul, ...simd.f64x2Add,
    ...simd.store(off, 3),
  ];
  const code = [
    ...get(a), ...simd.f64x2Splat, ...set(av),
    // end = w + 32·⌊n/4⌋ (four float64 values a step)
    ...get(w), ...get(n), ...i32(2), op.i32ShrU, ...i32(5), op.i32Shl, op.i32Add, ...set(end),
    op.block, 0x40, op.loop, 0x40,
    ...get(w), ...get(end), op.i32GeU, op.brIf, 1,
    ...step(0),
    ...step(16),
    ...addTo(w, 32), ...addTo(y, 32),
    op.br, 0, op.end, op.end,
    ...get(n), ...i32(3), op.i32And, ...set(n),
    op.block, 0x40, op.loop, 0x40,
    ...get(n), op.i32Eqz, op.brIf, 1,
    ...get(y), ...get(y), op.f64Load, 3, 0, ...get(a), ...get(w), op.f64Load, 3, 0, op.f64Mul, op.f64Add, op.f64Store, 3, 0,
    ...addTo(w, 8), ...addTo(y, 8), ...addTo(n, -1),
    op.br, 0, op.end, op.end,
  ];
  return body([V128, I32], code);
}

/**
 * nzmask(src, dst, n): bit k of word w of dst is set when src[32w + k] ≠ 0 (−0 counts as 0), for ⌈n/32⌉ words.
 * Params 0 src, 1 dst, 2 n; locals 3 zero, 4 end, 5 bits, 6 k.
 */
function nzmaskBody(): number[] {
  const [src, dst, n, zero, end, bits, k] = [0, 1, 2, 3, 4, 5, 6];
  const four = (q: number) => [
    ...get(src), ...simd.load(16 * q, 2), ...get(zero), ...simd.f32x4Ne, ...simd.i32x4Bitmask,
    ...(q > 0 ? [...i32(4 * q), op.i32Shl, op.i32Or] : []),
  ];
  const code = [
    ...simd.zero, ...set(zero),
    // end = src + 128·⌊n/32⌋ (one word of 32 float32 values a step)
    ...get(src), ...get(n), ...i32(5), op.i32ShrU, ...i32(7), op.i32Shl, op.i32Add, ...set(end),
    op.block, 0x40, op.loop, 0x40,
    ...get(src), ...get(end), op.i32GeU, op.brIf, 1,
    ...get(dst),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap(four),
    op.i32Store, 2, 0,
    ...addTo(src, 128), ...addTo(dst, 4),
    op.br, 0, op.end, op.end,
    // the last n mod 32 values into one more word
    ...get(n), ...i32(31), op.i32And, ...set(n),
    op.block, 0x40,
    ...get(n), op.i32Eqz, op.brIf, 0,
    op.block, 0x40, op.loop, 0x40,
    ...get(k), ...get(n), op.i32GeU, op.brIf, 1,
    ...get(bits), ...get(src), op.f32Load, 2, 0, op.f32Const, 0, 0, 0, 0, op.f32Ne, ...get(k), op.i32Shl, op.i32Or, ...set(bits),
    ...addTo(src, 4), ...addTo(k, 1),
    op.br, 0, op.end, op.end,
    ...get(dst), ...get(bits), op.i32Store, 2, 0,
    op.end,
  ];
  return body([V128, I32, I32, I32], code);
}

/**
 * transpose(src, n, j0, j1, table, i0, i1) → f64: for j0 ≤ j < j1 and i0 ≤ i < i1 (all multiples of 4), writes
 * src[j·n + i] (a [d × n] float32 matrix) to the float32 row whose byte address is table[i] (an i32 array), at
 * value j, by 4 × 4 blocks, four columns at a time down all of j (the source lines stay in cache for the next four
 * columns when the caller takes a few dozen columns a call). Returns the sum of (a + b + c + e)·0 over the
 * blocks' rows: NaN when a value is not finite (or, for values near the float32 limit, when a sum overflows).
 * Params 0 src, 1 n, 2 j0, 3 j1, 4 table, 5 i0, 6 i1; locals 7 i, 8 p, 9 rowBytes, 10 jb, 11 end, 12–15 dst0–3,
 * 16–19 a b c e, 20–23 t0–t3, 24 acc, 25 zero.
 */
function transposeBody(): number[] {
  const [src, n, j0, j1, table, i0, i1, i, p, rowBytes, jb, end] = Array.from({ length: 12 }, (_, k) => k);
  const dst = [12, 13, 14, 15];
  const [a, b, c, e, t0, t1, t2, t3, acc, zero] = Array.from({ length: 10 }, (_, k) => 16 + k);
  const loadRow = (into: number, advance: boolean) => [
    ...(advance ? [...get(p), ...get(rowBytes), op.i32Add, ...set(p)] : []),
    ...get(p), ...simd.load(0, 2), ...set(into),
  ];
  const shuffle = (into: number, x: number, y: number, lanes: number[]) => [...get(x), ...get(y), ...simd.pick(...lanes), ...set(into)];
  const store = (u: number, x: number, y: number, lanes: number[]) => [
    ...get(dst[u]), ...get(jb), op.i32Add, ...get(x), ...get(y), ...simd.pick(...lanes), ...simd.store(0, 2),
  ];
  const code = [
    ...simd.zero, ...set(zero),
    ...get(n), ...i32(2), op.i32Shl, ...set(rowBytes),
    ...get(j1), ...i32(2), op.i32Shl, ...set(end),
    ...get(i0), ...set(i),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(i1), op.i32GeU, op.brIf, 1,
    ...[0, 1, 2, 3].flatMap((u) => [...get(table), ...get(i), ...i32(2), op.i32Shl, op.i32Add, op.i32Load, 2, ...uleb(4 * u), ...set(dst[u])]),
    ...get(src), ...get(j0), ...get(n), op.i32Mul, ...get(i), op.i32Add, ...i32(2), op.i32Shl, op.i32Add, ...set(p),
    ...get(j0), ...i32(2), op.i32Shl, ...set(jb),
    op.block, 0x40, op.loop, 0x40,
    ...get(jb), ...get(end), op.i32GeU, op.brIf, 1,
    ...loadRow(a, false), ...loadRow(b, true), ...loadRow(c, true), ...loadRow(e, true),
    ...get(p), ...get(rowBytes), op.i32Add, ...set(p),
    ...get(acc), ...get(a), ...get(b), ...simd.f32x4Add, ...get(c), ...get(e), ...simd.f32x4Add, ...simd.f32x4Add,
    ...get(zero), ...simd.f32x4Mul, ...simd.f32x4Add, ...set(acc),
    ...shuffle(t0, a, b, [0, 4, 1, 5]),
    ...shuffle(t1, a, b, [2, 6, 3, 7]),
    ...shuffle(t2, c, e, [0, 4, 1, 5]),
    ...shuffle(t3, c, e, [2, 6, 3, 7]),
    ...store(0, t0, t2, [0, 1, 4, 5]),
    ...store(1, t0, t2, [2, 3, 6, 7]),
    ...store(2, t1, t3, [0, 1, 4, 5]),
    ...store(3, t1, t3, [2, 3, 6, 7]),
    ...addTo(jb, 16),
    op.br, 0, op.end, op.end,
    ...addTo(i, 4),
    op.br, 0, op.end, op.end,
    ...get(acc), ...simd.f32x4Extract(0), ...get(acc), ...simd.f32x4Extract(1), op.f32Add,
    ...get(acc), ...simd.f32x4Extract(2), op.f32Add, ...get(acc), ...simd.f32x4Extract(3), op.f32Add,
    op.f64PromoteF32,
  ];
  return body([I32, I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128], code);
}

/**
 * cover(rows, count, supp, words, inner, out) → i32: writes to out the rows r of rows[0 … count) whose bit words
 * supp[r·words …] hold every bit of inner, four words at a time (inner is padded with zero words to a multiple of
 * four, so the words read past a row's end change nothing); returns how many. Params 0 rows, 1 count, 2 supp,
 * 3 words, 4 inner, 5 out; locals 6 i, 7 r, 8 p, 9 q, 10 k, 11 vwords, 12 n.
 */
function coverBody(): number[] {
  const [rows, count, supp, words, inner, out, i, r, p, q, k, vwords, n] = Array.from({ length: 13 }, (_, t) => t);
  const code = [
    ...get(words), ...i32(3), op.i32Add, ...i32(2), op.i32ShrU, ...set(vwords),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(count), op.i32GeU, op.brIf, 1,
    ...get(rows), ...get(i), ...i32(2), op.i32Shl, op.i32Add, op.i32Load, 2, 0, ...set(r),
    ...get(supp), ...get(r), ...get(words), op.i32Mul, ...i32(2), op.i32Shl, op.i32Add, ...set(p),
    ...get(inner), ...set(q),
    ...i32(0), ...set(k),
    op.block, 0x40, op.loop, 0x40,
    ...get(k), ...get(vwords), op.i32GeU, op.brIf, 1,
    ...get(q), ...simd.load(0, 2), ...get(p), ...simd.load(0, 2), ...simd.andNot, ...simd.anyTrue, op.brIf, 1,
    ...addTo(p, 16), ...addTo(q, 16), ...addTo(k, 1),
    op.br, 0, op.end, op.end,
    // covered when every group of four words passed
    op.block, 0x40,
    ...get(k), ...get(vwords), op.i32Ne, op.brIf, 0,
    ...get(out), ...get(n), ...i32(2), op.i32Shl, op.i32Add, ...get(r), op.i32Store, 2, 0,
    ...addTo(n, 1),
    op.end,
    ...addTo(i, 1),
    op.br, 0, op.end, op.end,
    ...get(n),
  ];
  return body([I32, I32, I32, I32, I32, I32, I32], code);
}

/**
 * grid(src, n, scale, levels, tol, q) → i32, one body for float32 sources (`f32`) and one for float64: for every
 * value v = src[j]·scale (n even) with k = ⌊v + ½⌋, checks |v − k| ≤ tol and 0 ≤ k ≤ levels, writing k to the u16
 * array q; returns 0 at the first pair that fails, 1 when all pass. The same decisions and values as peeling's
 * JavaScript grid test ((v + ½) | 0 there; both reject every value the other rejects, for tol ≤ ½).
 * Params 0 src, 1 n, 2 scale, 3 levels, 4 tol, 5 q; locals 6 end, 7 v, 8 k, 9 S, 10 H, 11 L, 12 T, 13 zero.
 */
function gridBody(f32: boolean): number[] {
  const [src, n, scale, levels, tol, q, end, v, k, S, H, L, T, zero] = Array.from({ length: 14 }, (_, t) => t);
  const code = [
    ...get(scale), ...simd.f64x2Splat, ...set(S),
    op.f64Const, ...f64Bytes(0.5), ...simd.f64x2Splat, ...set(H),
    ...get(levels), ...simd.f64x2Splat, ...set(L),
    ...get(tol), ...simd.f64x2Splat, ...set(T),
    ...simd.zero, ...set(zero),
    ...pairLoop(src, n, end, f32 ? 8 : 16, [
      ...loadPair(src, f32), ...get(S), ...simd.f64x2Mul, ...set(v),
      ...get(v), ...get(H), ...simd.f64x2Add, ...simd.f64x2Floor, ...set(k),
      ...get(v), ...get(k), ...simd.f64x2Sub, ...simd.f64x2Abs, ...get(T), ...simd.f64x2Le,
      ...get(k), ...get(zero), ...simd.f64x2Ge, ...simd.v128And,
      ...get(k), ...get(L), ...simd.f64x2Le, ...simd.v128And,
      ...simd.i64x2AllTrue, op.i32Eqz,
      op.if, 0x40, ...i32(0), op.return, op.end,
      ...get(q), ...get(k), ...simd.i32x4TruncSatF64x2Zero, ...simd.i32x4Extract(0), op.i32Store16, 1, 0,
      ...get(q), ...get(k), ...simd.i32x4TruncSatF64x2Zero, ...simd.i32x4Extract(1), op.i32Store16, 1, 2,
      ...addTo(src, f32 ? 8 : 16), ...addTo(q, 4),
    ]),
    ...i32(1),
  ];
  return body([I32, V128, V128, V128, V128, V128, V128, V128], code);
}

/**
 * support(delta, n, scale, level, bits) → i32: delta[i] *= scale, and bit k of word w of bits set when
 * |delta[32w + k]| > level (f64x2.gt: NaN gives 0), for an even n, two values a step; returns the bits set.
 * Params 0 delta, 1 n, 2 scale, 3 level, 4 bits; locals 5 end, 6 S, 7 L, 8 v, 9 word, 10 k, 11 count.
 */
function supportBody(): number[] {
  const [delta, n, scale, level, bits, end, S, L, v, word, k, count] = Array.from({ length: 12 }, (_, t) => t);
  const flush = [
    ...get(bits), ...get(word), op.i32Store, 2, 0,
    ...get(count), ...get(word), op.i32Popcnt, op.i32Add, ...set(count),
  ];
  const code = [
    ...get(scale), ...simd.f64x2Splat, ...set(S),
    ...get(level), ...simd.f64x2Splat, ...set(L),
    ...pairLoop(delta, n, end, 16, [
      ...loadPair(delta, false), ...get(S), ...simd.f64x2Mul, ...set(v),
      ...get(delta), ...get(v), ...simd.store(0, 3),
      ...get(word), ...get(v), ...simd.f64x2Abs, ...get(L), ...simd.f64x2Gt, ...simd.i64x2Bitmask, ...get(k), op.i32Shl, op.i32Or, ...set(word),
      ...addTo(k, 2), ...addTo(delta, 16),
      // a full word: store it, count its bits, start the next
      op.block, 0x40,
      ...get(k), ...i32(32), op.i32Ne, op.brIf, 0,
      ...flush,
      ...i32(0), ...set(word), ...i32(0), ...set(k), ...addTo(bits, 4),
      op.end,
    ]),
    // the last, partial word
    op.block, 0x40,
    ...get(k), op.i32Eqz, op.brIf, 0,
    ...flush,
    op.end,
    ...get(count),
  ];
  return body([I32, V128, V128, V128, I32, I32, I32], code);
}

/**
 * maxdiff(src, y, ref, n) → f64, one body for float32 sources (`f32`) and one for float64: max over an even n of
 * |src[i]/y − ref[i]| (f64x2.max: NaN when any term is NaN), two values a step.
 * Params 0 src, 1 y, 2 ref, 3 n; locals 4 end, 5 Y, 6 acc.
 */
function maxdiffBody(f32: boolean): number[] {
  const [src, y, ref, n, end, Y, acc] = Array.from({ length: 7 }, (_, t) => t);
  const code = [
    ...get(y), ...simd.f64x2Splat, ...set(Y),
    ...pairLoop(src, n, end, f32 ? 8 : 16, [
      ...get(acc),
      ...loadPair(src, f32), ...get(Y), ...simd.f64x2Div,
      ...get(ref), ...simd.load(0, 3), ...simd.f64x2Sub, ...simd.f64x2Abs,
      ...simd.f64x2Max, ...set(acc),
      ...addTo(src, f32 ? 8 : 16), ...addTo(ref, 16),
    ]),
    ...get(acc), ...simd.f64x2Extract(0), ...get(acc), ...simd.f64x2Extract(1), op.f64Max,
  ];
  return body([I32, V128, V128], code);
}

/**
 * div(src, y, out, n), one body for float32 sources (`f32`) and one for float64: out[i] = src[i]/y for an even n,
 * two values a step. Params 0 src, 1 y, 2 out, 3 n; locals 4 end, 5 Y.
 */
function divBody(f32: boolean): number[] {
  const [src, y, out, n, end, Y] = Array.from({ length: 6 }, (_, t) => t);
  const code = [
    ...get(y), ...simd.f64x2Splat, ...set(Y),
    ...pairLoop(src, n, end, f32 ? 8 : 16, [
      ...get(out), ...loadPair(src, f32), ...get(Y), ...simd.f64x2Div, ...simd.store(0, 3),
      ...addTo(src, f32 ? 8 : 16), ...addTo(out, 16),
    ]),
  ];
  return body([I32, V128], code);
}

/**
 * axpydot(a, w, y, x, n) → f64: y += a·w and Σ w·x over n values (a multiple of 4; float32 w promoted exactly),
 * four a step, the dot in two f64x2 partial sums. Params 0 a, 1 w, 2 y, 3 x, 4 n; locals 5 av, 6 v, 7 lo, 8 hi,
 * 9 s0, 10 s1, 11 end.
 */
function axpydotBody(): number[] {
  const [a, w, y, x, n, av, v, lo, hi, s0, s1, end] = Array.from({ length: 12 }, (_, t) => t);
  const update = (part: number, off: number) => [
    ...get(y), ...get(y), ...simd.load(off, 3), ...get(part), ...get(av), ...simd.f64x2Mul, ...simd.f64x2Add, ...simd.store(off, 3),
  ];
  const mac = (acc: number, part: number, off: number) => [
    ...get(acc), ...get(part), ...get(x), ...simd.load(off, 3), ...simd.f64x2Mul, ...simd.f64x2Add, ...set(acc),
  ];
  const code = [
    ...get(a), ...simd.f64x2Splat, ...set(av),
    ...stepLoop(w, n, end, 2, 4, [
      ...get(w), ...simd.load(0, 2), ...set(v),
      ...get(v), ...simd.f64x2PromoteLow, ...set(lo),
      ...get(v), ...get(v), ...simd.highToLow, ...simd.f64x2PromoteLow, ...set(hi),
      ...update(lo, 0), ...update(hi, 16),
      ...mac(s0, lo, 0), ...mac(s1, hi, 16),
      ...addTo(w, 16), ...addTo(y, 32), ...addTo(x, 32),
    ]),
    ...get(s0), ...get(s1), ...simd.f64x2Add, ...set(v),
    ...get(v), ...simd.f64x2Extract(0), ...get(v), ...simd.f64x2Extract(1), op.f64Add,
  ];
  return body([V128, V128, V128, V128, V128, V128, I32], code);
}

/**
 * gridvalues(q, n, levels, xf, xd, count) → f64: for n (a multiple of 4) u16 values q, xf = q/levels in float32
 * (f32x4.div: correctly rounded, so fround of the exact quotient), xd the same promoted to float64; returns Σ xd²
 * and stores at count how many q ≠ 0. Params 0 q, 1 n, 2 levels, 3 xf, 4 xd, 5 count; locals 6 end, 7 L, 8 v,
 * 9 lo, 10 hi, 11 acc, 12 nz, 13 zero.
 */
function gridvaluesBody(): number[] {
  const [q, n, levels, xf, xd, count, end, L, v, lo, hi, acc, nz, zero] = Array.from({ length: 14 }, (_, t) => t);
  const square = (part: number) => [...get(acc), ...get(part), ...get(part), ...simd.f64x2Mul, ...simd.f64x2Add, ...set(acc)];
  const code = [
    ...get(levels), op.f32DemoteF64, ...simd.f32x4Splat, ...set(L),
    ...simd.zero, ...set(zero),
    ...get(q), ...get(n), ...i32(2), op.i32ShrU, ...i32(3), op.i32Shl, op.i32Add, ...set(end),
    op.block, 0x40, op.loop, 0x40,
    ...get(q), ...get(end), op.i32GeU, op.brIf, 1,
    ...get(q), ...simd.load16x4U(0), ...set(v),
    ...get(nz), ...get(v), ...get(zero), ...simd.i32x4Ne, ...simd.i32x4Bitmask, op.i32Popcnt, op.i32Add, ...set(nz),
    ...get(v), ...simd.f32x4ConvertI32x4U, ...get(L), ...simd.f32x4Div, ...set(v),
    ...get(xf), ...get(v), ...simd.store(0, 2),
    ...get(v), ...simd.f64x2PromoteLow, ...set(lo),
    ...get(v), ...get(v), ...simd.highToLow, ...simd.f64x2PromoteLow, ...set(hi),
    ...get(xd), ...get(lo), ...simd.store(0, 3),
    ...get(xd), ...get(hi), ...simd.store(16, 3),
    ...square(lo), ...square(hi),
    ...addTo(q, 8), ...addTo(xf, 16), ...addTo(xd, 32),
    op.br, 0, op.end, op.end,
    ...get(count), ...get(nz), op.i32Store, 2, 0,
    ...get(acc), ...simd.f64x2Extract(0), ...get(acc), ...simd.f64x2Extract(1), op.f64Add,
  ];
  return body([I32, V128, V128, V128, V128, V128, I32, V128], code);
}

/** widen(src, out, n): out[i] = src[i], float32 to float64, for an even n. Params 0 src, 1 out, 2 n; local 3 end. */
function widenBody(): number[] {
  const [src, out, n, end] = [0, 1, 2, 3];
  const code = pairLoop(src, n, end, 8, [...get(out), ...loadPair(src, true), ...simd.store(0, 3), ...addTo(src, 8), ...addTo(out, 16)]);
  return body([I32], code);
}

/** The eight bytes of a float64, little-endian (for f64.const). */
function f64Bytes(v: number): number[] {
  return Array.from(new Uint8Array(Float64Array.of(v).buffer));
}

function kernelModule(): Uint8Array<ArrayBuffer> {
  const types = section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[F64]])], // dot
    [0x60, ...vec([[F64], [I32], [I32], [I32]]), ...vec([])], // axpy, axpy64
    [0x60, ...vec([[I32], [I32], [I32]]), ...vec([])], // nzmask
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([[F64]])], // transpose
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([[I32]])], // cover
    [0x60, ...vec([[I32], [I32], [F64], [F64], [F64], [I32]]), ...vec([[I32]])], // grid32, grid64
    [0x60, ...vec([[I32], [I32], [F64], [F64], [I32]]), ...vec([[I32]])], // support
    [0x60, ...vec([[I32], [F64], [I32], [I32]]), ...vec([[F64]])], // maxdiff32, maxdiff64
    [0x60, ...vec([[I32], [F64], [I32], [I32]]), ...vec([])], // div32, div64
    [0x60, ...vec([[F64], [I32], [I32], [I32], [I32]]), ...vec([[F64]])], // axpydot
    [0x60, ...vec([[I32], [I32], [F64], [I32], [I32], [I32]]), ...vec([[F64]])], // gridvalues
  ]));
  const imports = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, 1]]));
  const funcs = section(3, vec([[0], [1], [1], [2], [3], [4], [5], [5], [6], [7], [7], [8], [8], [9], [10], [2]]));
  const exports = section(7, vec([
    [...name('dot'), 0x00, 0],
    [...name('axpy'), 0x00, 1],
    [...name('axpy64'), 0x00, 2],
    [...name('nzmask'), 0x00, 3],
    [...name('transpose'), 0x00, 4],
    [...name('cover'), 0x00, 5],
    [...name('grid32'), 0x00, 6],
    [...name('grid64'), 0x00, 7],
    [...name('support'), 0x00, 8],
    [...name('maxdiff32'), 0x00, 9],
    [...name('maxdiff64'), 0x00, 10],
    [...name('div32'), 0x00, 11],
    [...name('div64'), 0x00, 12],
    [...name('axpydot'), 0x00, 13],
    [...name('gridvalues'), 0x00, 14],
    [...name('widen'), 0x00, 15],
  ]));
  const code = section(10, vec([
    dotBody(), axpyBody(), axpy64Body(), nzmaskBody(), transposeBody(), coverBody(), gridBody(true), gridBody(false),
    supportBody(), maxdiffBody(true), maxdiffBody(false), divBody(true), divBody(false), axpydotBody(), gridvaluesBody(), widenBody(),
  ]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
