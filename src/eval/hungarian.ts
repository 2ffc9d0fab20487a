/** Minimum-cost rectangular assignment (Kuhn–Munkres with potentials and shortest augmenting paths, O(n² m)). */
import { FedleakError } from '../errors.js';

/**
 * A one-to-one assignment of min(rows, cols) pairs.
 * @example const { rowToCol, cost }: Assignment = hungarian(mseMatrix, inputs, candidates);
 */
export interface Assignment {
  /** Per row: its column, or −1 when there are more rows than columns and this one is left out. */
  rowToCol: Int32Array;
  /** Per column: its row, or −1. */
  colToRow: Int32Array;
  /** Sum of the chosen costs. */
  cost: number;
}

/**
 * Pairs rows with columns one to one so that the sum of `cost[r · cols + c]` over the pairs is minimal; every row
 * is assigned when rows ≤ cols, every column when cols ≤ rows. Runs the shortest-augmenting-path form of the
 * Hungarian method (Jonker–Volgenant style dual potentials) over the shorter side, in O(short² · long) time and
 * O(long) extra memory besides a transposed copy when rows > cols.
 * @throws FedleakError SHAPE_MISMATCH when `cost` does not hold rows × cols values, NOT_FINITE for NaN or ±∞.
 * @example
 * const a = hungarian(Float64Array.of(4, 1, 3, 2, 0, 1), 2, 3); // a.rowToCol = [1, 2], a.cost = 2
 */
export function hungarian(cost: ArrayLike<number>, rows: number, cols: number): Assignment {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || cost.length !== rows * cols) {
    throw new FedleakError('SHAPE_MISMATCH', `cost holds ${cost.length} values, expected ${rows} × ${cols}`, {
      path: 'hungarian.cost',
    });
  }
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k])) {
      throw new FedleakError('NOT_FINITE', `cost[${Math.floor(k / cols)}, ${k % cols}] is ${cost[k]}`, {
        path: 'hungarian.cost',
      });
    }
  }
  if (rows <= cols) {
    const rowToCol = solve(cost, rows, cols);
    return finish(cost, rows, cols, rowToCol);
  }
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = cost[r * cols + c];
  const colToRowT = solve(t, cols, rows); // assigns every column
  const rowToCol = new Int32Array(rows).fill(-1);
  for (let c = 0; c < cols; c++) rowToCol[colToRowT[c]] = c;
  return finish(cost, rows, cols, rowToCol);
}

function finish(cost: ArrayLike<number>, rows: number, cols: number, rowToCol: Int32Array): Assignment {
  const colToRow = new Int32Array(cols).fill(-1);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const c = rowToCol[r];
    if (c < 0) continue;
    colToRow[c] = r;
    total += cost[r * cols + c];
  }
  return { rowToCol, colToRow, cost: total };
}

/** n ≤ m: returns the column of each row. Rows 1..n and columns 1..m internally; column 0 is the path's root. */
function solve(a: ArrayLike<number>, n: number, m: number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row assigned to column j (0 = none)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      const row = (i0 - 1) * m - 1;
      const ui = u[i0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[row + j] - ui - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) rowToCol[p[j] - 1] = j - 1;
  return rowToCol;
}
