/** The first read-out of an update's active rows for peeling: as float64 candidates, or compact float32 columns. */
import type { Candidate } from '../types.js';
import { FedleakError } from '../errors.js';
import type { SimdArena } from '../tensor/simd.js';

/**
 * Room inside a SIMD arena for `compactFirstRead`: `raw` takes a copy of the kernel (inputDim × neurons), `cols`
 * the transposed active rows plus one spare row ((neurons + 1) × inputDim), `table` one address per neuron.
 * @example compactFirstRead(kernel, bias, d, n, { arena, raw: arena.f32(d * n), cols: arena.f32((n + 1) * d), table: arena.i32(n) });
 */
export interface FirstReadSpace {
  arena: SimdArena;
  raw: Float32Array;
  cols: Float32Array;
  table: Int32Array;
}

/**
 * Row r's first read-out x = ∇W[:, r] / ∇b_r, for the active rows of a first layer. Peeling reads a few values of
 * every row (to tell mixes from singletons), but whole rows only for the singletons and the rows it subtracts
 * from; at ImageNet size (150,528 values a row) holding every row's float64 read-out would take 1.2 GB.
 * @example const first = compactFirstRead(kernel, bias, d, n); first.row(first.rows[0]); // float64 read-out
 */
export interface FirstRead {
  /** The active rows (non-zero bias gradient), ascending. */
  rows: Int32Array;
  /** Row r's whole read-out: a fresh array (compact), or the candidate's own (eager; do not modify it). */
  row(r: number): Float64Array;
  /** Row r's whole read-out written into `out` (length inputDim); returns `out`. */
  readInto(r: number, out: Float64Array): Float64Array;
  /** Row r's kernel gradient column written into `out` (length inputDim); returns `out`. */
  columnInto(r: number, out: Float64Array): Float64Array;
  /** Row r's kernel gradient column as held (float32, do not modify), when the read-out holds columns. */
  column?(r: number): Float32Array;
  /**
   * The kernel gradient of every active row r at the positions `at`: ∇W[at[t], r] into out[r·at.length + t] (rows
   * that are not active are left alone). One pass over a few rows of the [inputDim × neurons] kernel.
   */
  columnValues(at: Int32Array, out: Float64Array): void;
}

/**
 * The first read-out as the plain read-out's candidates (every row already read).
 * @example const first = eagerFirstRead(readOut(kernel, bias, d, n).candidates, n);
 */
export function eagerFirstRead(candidates: Candidate[], neurons: number): FirstRead {
  const byRow: (Float64Array | null)[] = new Array<Float64Array | null>(neurons).fill(null);
  const bias = new Float64Array(neurons);
  for (const c of candidates) {
    byRow[c.neuron] = c.x;
    bias[c.neuron] = c.biasGrad;
  }
  const rows = Int32Array.from(candidates, (c) => c.neuron).sort();
  return {
    rows,
    row: (r) => byRow[r]!,
    readInto: (r, out) => {
      out.set(byRow[r]!);
      return out;
    },
    columnInto: (r, out) => {
      const x = byRow[r]!;
      const b = bias[r];
      for (let j = 0; j < x.length; j++) out[j] = x[j] * b;
      return out;
    },
    columnValues: (at, out) => {
      for (const r of rows) for (let t = 0, x = byRow[r]!; t < at.length; t++) out[r * at.length + t] = x[at[t]] * bias[r];
    },
  };
}

/**
 * The first read-out held as the active rows' float32 kernel columns, transposed (row r contiguous), and divided
 * by ∇b_r only when read: half the memory of the float64 read-out (602 MB instead of 1.2 GB at 224×224×3 × 1000)
 * and one tiled pass over the kernel. Values are exactly `readOut`'s (the float32 value times 1/∇b_r in float64).
 * Checks every value is finite first (as `readOut` does), so peeling can trust them.
 * `space`, when given, holds the columns (its old contents are overwritten) and the transposition runs in SIMD
 * blocks (about 3× faster on CIFAR-10's 3072 × 1000 layer, the copy into the arena included).
 * @throws FedleakError SHAPE_MISMATCH when the arrays do not fit inputDim × neurons; NOT_FINITE for a NaN or ±∞.
 * @example const first = compactFirstRead(grad[0].data, grad[1].data, 150528, 1000);
 */
export function compactFirstRead(
  kernel: Float32Array,
  bias: Float32Array,
  inputDim: number,
  neurons: number,
  space?: FirstReadSpace,
): FirstRead {
  if (kernel.length !== inputDim * neurons || bias.length !== neurons) {
    throw new FedleakError(
      'SHAPE_MISMATCH',
      `kernel holds ${kernel.length} and bias ${bias.length} values, expected ${inputDim} × ${neurons} and ${neurons}`,
      { path: 'update.dense0' },
    );
  }
  const inv = new Float64Array(neurons);
  const slot = new Int32Array(neurons).fill(-1);
  const active: number[] = [];
  for (let i = 0; i < neurons; i++) {
    if (!Number.isFinite(bias[i])) notFinite(`bias[${i}]`);
    if (bias[i] !== 0) {
      inv[i] = 1 / bias[i];
      slot[i] = active.length;
      active.push(i);
    }
  }
  const d = inputDim;
  const fits = space && space.raw.length >= d * neurons && space.cols.length >= (neurons + 1) * d && space.table.length >= neurons;
  const cols = fits ? space.cols.subarray(0, active.length * d) : new Float32Array(active.length * d);
  if (fits && d % 4 === 0 && neurons % 4 === 0) {
    const { arena, raw, table } = space;
    raw.set(kernel);
    // inactive columns go to the spare row after the active ones
    for (let i = 0; i < neurons; i++) table[i] = arena.byteAddress(space.cols, (slot[i] >= 0 ? slot[i] : neurons) * d);
    // NaN also when sums of four values near the float32 limit overflowed: the values are then looked at one by one
    if (Number.isNaN(arena.transposeColumns(raw, neurons, d, table, 0, neurons))) checkKernelFinite(kernel, neurons);
    return columnsRead(active, cols, inv, slot, d, kernel, arena);
  }
  // Tiles of 16 rows × 128 values, each row's run written contiguously: the writes then touch 16 pages at a time,
  // not one page per value. One call per tile: V8 optimizes a small function called thousands of times at once,
  // where one call over 150 M values (ImageNet size) would run its loops on-stack-replaced code three times slower.
  let sum = 0;
  for (let i0 = 0; i0 < neurons; i0 += TILE_ROWS) {
    const i1 = Math.min(neurons, i0 + TILE_ROWS);
    for (let j0 = 0; j0 < d; j0 += TILE_VALUES) {
      sum += transposeTile(kernel, cols, slot, neurons, d, i0, i1, j0, Math.min(d, j0 + TILE_VALUES));
    }
  }
  if (!Number.isFinite(sum)) checkKernelFinite(kernel, neurons);
  return columnsRead(active, cols, inv, slot, d, kernel);
}

/** Throws NOT_FINITE naming the first non-finite kernel value, if there is one (a sum may only have overflowed). */
function checkKernelFinite(kernel: Float32Array, neurons: number): void {
  const k = kernel.findIndex((v) => !Number.isFinite(v));
  if (k >= 0) notFinite(`kernel[${Math.floor(k / neurons)}, ${k % neurons}]`);
}

/**
 * The FirstRead over transposed columns `cols` (row slot[r] is row r's), each divided by ∇b_r when read; `kernel` is
 * the update's (row-major, read for `columnValues`: a few of its rows hold every column's values at those positions).
 */
function columnsRead(
  active: number[],
  cols: Float32Array,
  inv: Float64Array,
  slot: Int32Array,
  d: number,
  kernel: Float32Array,
  arena?: SimdArena,
): FirstRead {
  const rows = Int32Array.from(active);
  const n = slot.length;
  const readInto = (r: number, out: Float64Array): Float64Array => {
    const s = inv[r];
    for (let j = 0, k = slot[r] * d; j < d; j++, k++) out[j] = cols[k] * s;
    return out;
  };
  return {
    rows,
    row: (r) => readInto(r, new Float64Array(d)),
    readInto,
    column: (r) => cols.subarray(slot[r] * d, (slot[r] + 1) * d),
    columnInto: (r, out) => {
      // x/1 promotes exactly: a copy, in SIMD when both sides are in the kernels' memory
      if (arena && arena.holds(cols) && arena.holds(out)) arena.divide(cols, slot[r] * d, 1, out, d);
      else for (let j = 0, k = slot[r] * d; j < d; j++, k++) out[j] = cols[k];
      return out;
    },
    columnValues: (at, out) => {
      const p = at.length;
      for (let t = 0; t < p; t++) for (let i = 0, o = at[t] * n; i < rows.length; i++) out[rows[i] * p + t] = kernel[o + rows[i]];
    },
  };
}

const TILE_ROWS = 16;
const TILE_VALUES = 128;

/** Columns i0 … i1 − 1, values j0 … j1 − 1 of the [d × neurons] kernel into the rows `slot` names; the values' sum. */
function transposeTile(
  kernel: Float32Array,
  cols: Float32Array,
  slot: Int32Array,
  neurons: number,
  d: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): number {
  let sum = 0;
  let sum1 = 0;
  for (let i = i0; i < i1; i++) {
    const at = slot[i];
    if (at < 0) {
      for (let j = j0; j < j1; j++) sum += kernel[j * neurons + i];
      continue;
    }
    const o = at * d;
    let j = j0;
    for (; j + 1 < j1; j += 2) {
      const v = kernel[j * neurons + i];
      const w = kernel[(j + 1) * neurons + i];
      sum += v;
      sum1 += w;
      cols[o + j] = v;
      cols[o + j + 1] = w;
    }
    for (; j < j1; j++) {
      const v = kernel[j * neurons + i];
      sum += v;
      cols[o + j] = v;
    }
  }
  return sum + sum1;
}

function notFinite(where: string): never {
  throw new FedleakError('NOT_FINITE', `${where} is not finite; the update must hold finite numbers`, { path: 'update.dense0' });
}
