/**
 * Splitting example indices among FL clients: IID, label-skewed non-IID by per-class Dirichlet proportions (Hsu et al.
 * 2019), or single-class clients.
 */

import { FedleakError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import { sampleDirichlet } from './dirichlet.js';

/**
 * IID partition: shuffles 0..n-1 and cuts it into `numClients` near-equal chunks (sizes differ by at most
 * one; the first `n % numClients` clients get the extra example). Every index lands in exactly one client.
 *
 * @example
 * const parts = partitionIid(60000, 10, new Rng(1)); // 10 × 6000 indices
 */
export function partitionIid(n: number, numClients: number, rng: Rng): Int32Array[] {
  checkCount(n, 'n');
  checkClients(numClients);
  const order = rng.permutation(n);
  const base = Math.floor(n / numClients);
  const extra = n % numClients;
  const out: Int32Array[] = [];
  let start = 0;
  for (let c = 0; c < numClients; c++) {
    const len = base + (c < extra ? 1 : 0);
    out.push(order.slice(start, start + len));
    start += len;
  }
  return out;
}

/**
 * Non-IID partition by label: for each class, draws client proportions p ~ Dirichlet(α) and hands out that
 * class's (shuffled) examples by the cumulative proportions. Small α (0.1) gives clients a few dominant
 * classes; large α (100) approaches IID. Every index lands in exactly one client; with small α some clients
 * may get none (not resampled, so the split stays a pure function of the seed). Each client's indices are
 * shuffled, so its local order says nothing about classes.
 *
 * @example
 * const parts = partitionDirichlet(ds.labels, ds.numClasses, 20, 0.5, new Rng(deriveSeed(42, 'partition')));
 */
export function partitionDirichlet(
  labels: ArrayLike<number>,
  numClasses: number,
  numClients: number,
  alpha: number,
  rng: Rng,
): Int32Array[] {
  checkClients(numClients);
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new FedleakError('BAD_ARGUMENT', `expected alpha > 0, got ${alpha}`, {
      path: 'alpha',
      hint: 'small alpha (0.1) gives skewed clients, large alpha (100) nearly IID ones',
    });
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new FedleakError('BAD_ARGUMENT', `expected numClasses to be a whole number ≥ 1, got ${numClasses}`, {
      path: 'numClasses',
    });
  }
  const byClass = indicesByClass(labels, numClasses);

  const assigned: number[][] = Array.from({ length: numClients }, () => []);
  for (const members of byClass) {
    // Draw proportions even for empty classes, so adding a class elsewhere does not shift every later draw.
    const p = sampleDirichlet(alpha, numClients, rng);
    if (members.length === 0) continue;
    rng.shuffle(members);
    let cum = 0;
    let start = 0;
    for (let c = 0; c < numClients; c++) {
      cum += p[c];
      // The last client takes the remainder, so rounding can never lose or duplicate an example.
      const end = c === numClients - 1 ? members.length : Math.min(members.length, Math.round(cum * members.length));
      for (let k = start; k < end; k++) assigned[c].push(members[k]);
      start = Math.max(start, end);
    }
  }
  return assigned.map((list) => rng.shuffle(Int32Array.from(list)));
}

function checkClients(numClients: number): void {
  if (!Number.isInteger(numClients) || numClients < 1) {
    throw new FedleakError('BAD_ARGUMENT', `expected at least 1 client (a whole number), got ${numClients}`, {
      path: 'numClients',
    });
  }
}

function checkCount(n: number, path: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a whole number ≥ 0, got ${n}`, { path });
  }
}

/**
 * Single-class partition, the most skewed split: every client holds examples of one class only. Classes that
 * have examples are shuffled and dealt to clients in turn (client c gets class order[c mod classes]); a class dealt
 * to several clients is shuffled and cut into near-equal chunks among them. With fewer clients than classes, the
 * classes no client drew are left out, so unlike the other partitions this one need not cover every index.
 *
 * @example
 * const parts = partitionSingleClass(ds.labels, 10, 10, new Rng(1)); // client c: all examples of one class
 */
export function partitionSingleClass(
  labels: ArrayLike<number>,
  numClasses: number,
  numClients: number,
  rng: Rng,
): Int32Array[] {
  checkClients(numClients);
  const byClass = indicesByClass(labels, numClasses);
  const present = byClass.flatMap((members, y) => (members.length > 0 ? [y] : []));
  if (present.length === 0) {
    throw new FedleakError('BAD_ARGUMENT', 'there are no examples to partition', {
      path: 'labels',
      hint: 'give the partition a non-empty pool of examples',
    });
  }
  const order = rng.permutation(present.length);
  const classOf = Array.from({ length: numClients }, (_, c) => present[order[c % present.length]]);
  const out: Int32Array[] = new Array(numClients);
  for (const y of present) {
    const clients = classOf.flatMap((cls, c) => (cls === y ? [c] : []));
    if (clients.length === 0) continue;
    const members = rng.shuffle(Int32Array.from(byClass[y]));
    clients.forEach((c, k) => {
      // Near-equal chunks: the first (size mod clients) chunks get one extra example.
      const start = Math.floor((k * members.length) / clients.length);
      const end = Math.floor(((k + 1) * members.length) / clients.length);
      out[c] = members.slice(start, end);
    });
  }
  return out;
}

/** The example indices of each class, ascending; a label outside [0, numClasses) is refused (BAD_ARGUMENT). */
function indicesByClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new FedleakError('BAD_ARGUMENT', `expected labels in [0, ${numClasses}), got ${y} at index ${i}`, {
        path: 'labels',
      });
    }
    byClass[y].push(i);
  }
  return byClass;
}
