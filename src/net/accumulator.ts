/**
 * FedAvg (McMahan et al. 2017) as updates arrive: Σ n_k · u_k in float64, divided by Σ n_k at the end. The server
 * keeps one running sum per round instead of every update, so memory does not grow with the clients; the result
 * equals `fedAvgAggregate` of the same updates in the same order, bit for bit.
 */
import type { NamedArrays } from '../types.js';

/**
 * A running example-weighted sum of updates with fixed names and shapes (checked by the caller, validate.ts).
 * @example
 * const acc = new FedAvgAccumulator(paramShapes(spec));
 * acc.add(update.arrays, update.numExamples);
 * const mean = acc.mean(); // same as fedAvgAggregate(updates)
 */
export class FedAvgAccumulator {
  private readonly sums: Float64Array[];
  private readonly shapes: { name: string; shape: number[] }[];
  private total = 0;
  private added = 0;

  constructor(shapes: readonly { name: string; shape: readonly number[] }[]) {
    this.shapes = shapes.map((s) => ({ name: s.name, shape: [...s.shape] }));
    this.sums = shapes.map((s) => new Float64Array(s.shape.reduce((a, b) => a * b, 1)));
  }

  /** Updates added so far. */
  get count(): number {
    return this.added;
  }

  /** Adds one update's arrays with weight `numExamples` (> 0). */
  add(arrays: NamedArrays, numExamples: number): void {
    for (let i = 0; i < this.sums.length; i++) {
      const sum = this.sums[i];
      const d = arrays[i].data;
      for (let j = 0; j < sum.length; j++) sum[j] += numExamples * d[j];
    }
    this.total += numExamples;
    this.added++;
  }

  /** The weighted mean as float32 arrays; throws when nothing was added. */
  mean(): NamedArrays {
    if (this.added === 0) throw new Error('FedAvgAccumulator.mean: no update was added');
    return this.shapes.map((p, i) => {
      const sum = this.sums[i];
      const data = new Float32Array(sum.length);
      for (let j = 0; j < sum.length; j++) data[j] = sum[j] / this.total;
      return { name: p.name, shape: [...p.shape], data };
    });
  }
}
