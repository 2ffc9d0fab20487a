/** Server side of FedSGD/FedAvg: average the clients' updates by example count, then step the global model. */
import { FedleakError } from '../errors.js';
import { checkArraysShapes, toShapes } from '../model/params.js';
import type { NamedArrays, Update } from '../types.js';

/**
 * The FedAvg aggregate: Σ n_k · u_k / Σ n_k over the updates, n_k = numExamples (McMahan et al. 2017). All
 * updates must be of one kind and carry the same names and shapes (SHAPE_MISMATCH otherwise). Sums in float64,
 * so averaging identical updates gives that update back exactly.
 * @example const agg = fedAvgAggregate(updates); params = applyUpdate(params, agg, updates[0].kind, 1);
 */
export function fedAvgAggregate(updates: readonly Update[]): NamedArrays {
  if (!Array.isArray(updates) || updates.length === 0) {
    throw new FedleakError('BAD_ARGUMENT', 'expected at least one update to aggregate, got none', {
      path: 'updates',
      hint: 'select at least one client per round',
    });
  }
  const first = updates[0];
  const shapes = toShapes(first.arrays);
  let total = 0;
  updates.forEach((u, k) => {
    if (u.kind !== first.kind) {
      throw new FedleakError('SHAPE_MISMATCH', `expected kind '${first.kind}' like updates[0], got '${u.kind}'`, {
        path: `updates[${k}].kind`,
        hint: 'run every client of a round with the same algorithm',
      });
    }
    if (!Number.isFinite(u.numExamples) || u.numExamples <= 0) {
      throw new FedleakError('BAD_ARGUMENT', `expected numExamples > 0, got ${u.numExamples}`, {
        path: `updates[${k}].numExamples`,
        hint: 'a client that trained on no data should send no update',
      });
    }
    checkArraysShapes(shapes, u.arrays, `updates[${k}].arrays`);
    total += u.numExamples;
  });
  return shapes.map((p, i) => {
    const sum = new Float64Array(updates[0].arrays[i].data.length);
    for (const u of updates) {
      const w = u.numExamples;
      const d = u.arrays[i].data;
      for (let j = 0; j < d.length; j++) sum[j] += w * d[j];
    }
    const data = new Float32Array(sum.length);
    for (let j = 0; j < sum.length; j++) data[j] = sum[j] / total;
    return { name: p.name, shape: p.shape, data };
  });
}

/**
 * The next global parameters: params − η·g for a gradient, params + η·Δ for a delta, η = serverLearningRate.
 * With η = 1 a delta gives plain FedAvg (params + Δ); η ≠ 1 is the server step size of FedOpt
 * (Reddi et al. 2021). Returns new arrays; `params` is not changed.
 * @example params = applyUpdate(params, fedAvgAggregate(updates), 'gradient', 0.1);
 */
export function applyUpdate(
  params: NamedArrays,
  aggregate: NamedArrays,
  kind: Update['kind'],
  serverLearningRate: number,
): NamedArrays {
  if (kind !== 'gradient' && kind !== 'delta') {
    throw new FedleakError('BAD_ARGUMENT', `expected kind 'gradient' or 'delta', got ${String(kind)}`, { path: 'kind' });
  }
  if (!Number.isFinite(serverLearningRate) || serverLearningRate <= 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a finite server learning rate > 0, got ${serverLearningRate}`, {
      path: 'serverLearningRate',
      hint: 'use 1 for FedAvg deltas, or the FedSGD step size such as 0.1',
    });
  }
  checkArraysShapes(toShapes(params), aggregate, 'aggregate');
  const step = kind === 'gradient' ? -serverLearningRate : serverLearningRate;
  return params.map((p, i) => {
    const u = aggregate[i].data;
    const w = p.data;
    const data = new Float32Array(w.length);
    for (let j = 0; j < w.length; j++) data[j] = w[j] + step * u[j];
    return { name: p.name, shape: [...p.shape], data };
  });
}
