/** Benchmark of the read-out (CAH §2) on one realistic first-layer update with every neuron active. */
import { readOut } from '../src/attack/readout.js';
import { Rng } from '../src/tensor/rng.js';
import { median } from '../src/report/stats.js';

/**
 * Options of {@link benchReadout}.
 * @example const opts: ReadoutBenchOptions = { inputDim: 784, neurons: 1000, batchSize: 100, repeats: 50 };
 */
export interface ReadoutBenchOptions {
  inputDim: number;
  neurons: number;
  /** Inputs in the synthetic batch; each neuron is fired by one to three of them. */
  batchSize: number;
  /** Timed calls (after a few untimed warm-up calls). */
  repeats: number;
  seed?: number;
}

/**
 * Times `readOut` on a synthetic FedSGD update shaped like the real one: a batch of `batchSize` inputs with values
 * k/255, and for every neuron (so all are active, the worst case) one to three inputs that fire it with random
 * coefficients c_b, giving kernel column Σ c_b x_b and bias Σ c_b in float32, as a client would send.
 * @example
 * const { medianMs } = benchReadout({ inputDim: 784, neurons: 1000, batchSize: 100, repeats: 50 });
 */
export function benchReadout(opts: ReadoutBenchOptions & { reuseBuffer?: boolean }): { medianMs: number; samplesMs: number[] } {
  const { inputDim: d, neurons: n, batchSize, repeats } = opts;
  const rng = new Rng(opts.seed ?? 1);
  const x = new Float32Array(batchSize * d);
  for (let k = 0; k < x.length; k++) x[k] = rng.int(256) / 255;
  const kernel = new Float32Array(d * n);
  const bias = new Float32Array(n);
  const acc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    let b0 = 0;
    const firers = 1 + rng.int(3);
    for (let f = 0; f < firers; f++) {
      const b = rng.int(batchSize);
      const c = (rng.normal() * 1e-3) / batchSize; // a mean loss scales every coefficient by 1/B
      b0 += c;
      for (let j = 0; j < d; j++) acc[j] += c * x[b * d + j];
    }
    if (b0 === 0) b0 = 1e-6;
    bias[i] = b0;
    for (let j = 0; j < d; j++) kernel[j * n + i] = acc[j];
  }

  const scratch = opts.reuseBuffer ? new Float64Array(d * n) : undefined;
  for (let w = 0; w < 5; w++) readOut(kernel, bias, d, n, scratch);
  const samplesMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    readOut(kernel, bias, d, n, scratch);
    samplesMs.push(performance.now() - t0);
  }
  return { medianMs: median(samplesMs), samplesMs };
}
