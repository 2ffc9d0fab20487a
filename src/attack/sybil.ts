/**
 * Sybils through secure aggregation (Boenisch et al., "Reconstructing Individual Data Points in Federated Learning
 * Hardened with Differential Privacy and Secure Aggregation", EuroS&P 2023; PAPER.md §7): the server fills a round
 * with clients it controls, whose updates it knows, and subtracts them from the aggregate.
 */
import type { NamedArrays } from '../types.js';
import { FedleakError } from '../errors.js';

/**
 * One contribution the server knows exactly: a sybil's update as it entered the aggregate, and its weight there
 * (its example count under FedAvg weighting; 1 in a plain sum such as secure aggregation's).
 * @example const k: KnownContribution = { arrays: sybilUpdate.arrays, weight: sybilUpdate.numExamples };
 */
export interface KnownContribution {
  arrays: NamedArrays;
  weight: number;
}

/**
 * What is left of an aggregate once the known contributions are removed: the weighted mean of the unknown ones
 * and their total weight. With one unknown client, `arrays` is that client's update.
 * @example const { arrays, weight } = isolateUnknown(aggregate, 100, known); // weight === 1 when only the target is left
 */
export interface Isolated {
  arrays: NamedArrays;
  weight: number;
}

/**
 * Removes the known contributions from a weighted mean A = Σ_k w_k u_k / W (W = Σ_k w_k, over known and unknown
 * clients alike) and returns the weighted mean of the unknown ones, (W·A − Σ_known w_j u_j) / (W − Σ_known w_j),
 * computed in float64 and stored as float32, as an update is.
 *
 * This covers both aggregates a server sees. FedSGD/FedAvg without secure aggregation gives the example-weighted
 * mean (`fedAvgAggregate`, w_k = numExamples, W = their sum): the sybils' example counts then matter, and a target
 * whose batch differs in size from the sybils' is still isolated exactly. Secure aggregation gives the plain sum S
 * of the included clients' inputs: pass A = S / n, W = n and weights 1 (or subtract codes, see {@link subtractCodes}).
 * The server must subtract exactly what entered the aggregate (its sybils' clipped updates, as quantised if SecAgg
 * quantised them): an error in the known part lands in the target's update.
 * @throws FedleakError BAD_ARGUMENT for a weight that is not finite and > 0, or known weights that leave nothing;
 *   SHAPE_MISMATCH when a known contribution's arrays differ from the aggregate's in names or sizes.
 * @example
 * // three FedSGD clients with 10 examples each; clients 1 and 2 are sybils
 * const agg = fedAvgAggregate([target, sybil1, sybil2]);
 * const { arrays } = isolateUnknown(agg, 30, [sybil1, sybil2].map((u) => ({ arrays: u.arrays, weight: 10 })));
 * // arrays ≈ target.arrays (to float32 rounding of the aggregate)
 */
export function isolateUnknown(aggregate: NamedArrays, totalWeight: number, known: readonly KnownContribution[]): Isolated {
  checkWeight(totalWeight, 'isolateUnknown.totalWeight');
  let knownWeight = 0;
  known.forEach((k, i) => {
    checkWeight(k.weight, `isolateUnknown.known[${i}].weight`);
    checkSameArrays(aggregate, k.arrays, `isolateUnknown.known[${i}].arrays`);
    knownWeight += k.weight;
  });
  const rest = totalWeight - knownWeight;
  if (!(rest > 0)) {
    throw new FedleakError('BAD_ARGUMENT', `the known weights (${knownWeight}) leave nothing of the total ${totalWeight}`, {
      path: 'isolateUnknown.known',
      hint: 'the aggregate must hold at least one contribution the server does not know',
    });
  }
  const arrays = aggregate.map((a, i) => {
    const acc = new Float64Array(a.data.length);
    for (let j = 0; j < acc.length; j++) acc[j] = totalWeight * a.data[j];
    for (const k of known) {
      const d = k.arrays[i].data;
      const w = k.weight;
      for (let j = 0; j < acc.length; j++) acc[j] -= w * d[j];
    }
    const data = new Float32Array(acc.length);
    for (let j = 0; j < acc.length; j++) data[j] = acc[j] / rest;
    return { name: a.name, shape: [...a.shape], data };
  });
  return { arrays, weight: rest };
}

/**
 * Subtracts known fixed-point codes from a secure-aggregation sum of codes, in Z_2^32: the codes of the unknown
 * inputs, summed, exactly. Decoding the result (`quantizer(...).dequantizeSum`) then carries only the unknown
 * clients' own rounding, none of the sybils'. `sum` is not changed.
 * @throws FedleakError SHAPE_MISMATCH when a code vector's length differs from the sum's.
 * @example
 * const qz = quantizer({ clipRange: 1, numClients: n });
 * const target = qz.dequantizeSum(subtractCodes(r.quantizedSum, sybilInputs.map((x) => qz.quantize(x).values)));
 */
export function subtractCodes(sum: Uint32Array, known: readonly Uint32Array[]): Uint32Array {
  const out = sum.slice();
  known.forEach((k, i) => {
    if (k.length !== out.length) {
      throw new FedleakError('SHAPE_MISMATCH', `known code vector ${i} holds ${k.length} words, the sum ${out.length}`, {
        path: `subtractCodes.known[${i}]`,
        hint: 'quantise each sybil input with the session\'s quantizer over the whole update',
      });
    }
    for (let j = 0; j < out.length; j++) out[j] -= k[j]; // Uint32Array stores mod 2^32
  });
  return out;
}

function checkWeight(w: number, path: string): void {
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
    throw new FedleakError('BAD_ARGUMENT', `expected a finite weight > 0, got ${String(w)}`, {
      path,
      hint: 'weights are example counts (FedAvg) or 1 (a plain sum)',
    });
  }
}

function checkSameArrays(a: NamedArrays, b: NamedArrays, path: string): void {
  if (!Array.isArray(b) || b.length !== a.length || b.some((x, i) => x.name !== a[i].name || x.data.length !== a[i].data.length)) {
    throw new FedleakError('SHAPE_MISMATCH', 'a known contribution differs from the aggregate in names or sizes', {
      path,
      hint: 'sybils must send updates of the same model as the aggregate',
    });
  }
}
