/** Benchmark at ImageNet size: 224×224×3 photos through an FC net with a 1000-neuron first layer (150.5 M weights). */
import { attacks, type PeelReconstruction } from '../src/attack/index.js';
import { loadDataset, subset } from '../src/data/index.js';
import { evaluate, unmatchedCount } from '../src/eval/index.js';
import { computeGradient } from '../src/fl/index.js';
import { initParams, modelSpec } from '../src/model/index.js';
import { setupBackend } from '../src/tensor/backend.js';
import { deriveSeed, Rng } from '../src/tensor/rng.js';
import type { Attack, Dataset, ModelArch, Update } from '../src/types.js';
import { median } from '../src/report/stats.js';

/**
 * Options of {@link benchImagenet}.
 * @example const opts: ImagenetBenchOptions = { batchSize: 100, repeats: 3, design: 'degree+peel' };
 */
export interface ImagenetBenchOptions {
  batchSize: number;
  /** Updates measured (each a fresh crafted model and client batch). */
  repeats: number;
  /** A registered attack. Default 'degree+peel'. */
  design?: string;
  /** Its options. Default for quantile designs: `{ nonZeros: 1024 }` (sparse rows; see DegreeOptions.nonZeros). */
  designOptions?: Record<string, unknown>;
  /** Default 'fc-small' (150528 → 1000 → 128 → 10); 'fc' adds the paper's 3000-3000-2000-1000 tail. */
  model?: ModelArch;
  neurons?: number;
  /** Auxiliary photos the attacker holds (disjoint from the clients'). Default 300 − batchSize, at most 100. */
  aux?: number;
  seed?: number;
  /** The loaded dataset, to reuse across calls; default: `imagenet-sample` from $FEDLEAK_DATA_DIR. */
  data?: Dataset;
}

/**
 * What {@link benchImagenet} measured, medians over the updates: the server's craft, the client's gradient, the
 * read-out (with peeling: first read-out and peeling together), and the process's peak resident memory; mean
 * recall and certified/wrongly certified inputs.
 * @example const { medianMs, peakRssMiB } = await benchImagenet({ batchSize: 100, repeats: 3 });
 */
export interface ImagenetBenchResult {
  medianMs: number;
  craftMs: number;
  gradientMs: number;
  peakRssMiB: number;
  recall: number;
  certified: number;
  wronglyCertified: number;
  samplesMs: number[];
}

/**
 * Runs `repeats` FedSGD updates of `batchSize` ImageNet-sample photos against the attack and times each stage.
 * Peak memory is the kernel's high-water mark of this process (`process.resourceUsage().maxRSS`), which includes
 * the dataset (300 × 150,528 floats, 180 MB) and the crafted model (602 MB of first layer).
 * @example
 * const r = await benchImagenet({ batchSize: 100, repeats: 3 });
 * console.log(r.medianMs, r.peakRssMiB, r.recall);
 */
export async function benchImagenet(opts: ImagenetBenchOptions): Promise<ImagenetBenchResult> {
  const { batchSize, repeats } = opts;
  const design = opts.design ?? 'degree+peel';
  const seed = opts.seed ?? 1;
  await setupBackend('wasm');
  const data = opts.data ?? (await loadDataset('imagenet-sample'));
  const d = data.inputs.length / data.size;
  const order = new Rng(deriveSeed(seed, 'split')).permutation(data.size);
  const nAux = opts.aux ?? Math.min(100, data.size - batchSize);
  const aux = subset(data, order.subarray(0, nAux));
  const pool = order.subarray(nAux);
  const spec = modelSpec(opts.model ?? 'fc-small', d, data.numClasses, opts.neurons ?? 1000);
  const quantile = /^(degree|qbi)/.test(design);
  const designOptions = opts.designOptions ?? (quantile ? { nonZeros: 1024 } : {});
  const factory = (attacks as Record<string, (o: object) => Attack<unknown>>)[design];

  const samplesMs: number[] = [];
  const craftMs: number[] = [];
  const gradMs: number[] = [];
  let recall = 0;
  let certified = 0;
  let wrong = 0;
  for (let run = 0; run < repeats; run++) {
    const runSeed = deriveSeed(seed, 'run', run);
    const attack = factory(designOptions);
    const t0 = performance.now();
    const crafted = attack.craft(spec, initParams(spec, new Rng(deriveSeed(runSeed, 'init'))), { seed: runSeed, batchSize, aux });
    const t1 = performance.now();
    const pick = new Rng(deriveSeed(runSeed, 'batch')).permutation(pool.length).subarray(0, batchSize);
    const batch = subset(data, Int32Array.from(pick, (k) => pool[k]));
    const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize);
    const t2 = performance.now();
    const update: Update = { clientId: 'bench', round: 0, kind: 'gradient', numExamples: batchSize, arrays };
    const rec = attack.reconstruct(update, crafted.secrets) as Partial<PeelReconstruction> & ReturnType<Attack<unknown>['reconstruct']>;
    craftMs.push(t1 - t0);
    gradMs.push(t2 - t1);
    samplesMs.push(rec.timings.readoutMs);
    recall += evaluate({ inputs: batch.inputs, count: batchSize, shape: data.shape }, rec).recall / repeats;
    if (rec.certified) {
      certified += rec.certified.length;
      wrong += unmatchedCount(batch.inputs, batchSize, d, rec.certified.map((c) => c.x));
    }
  }
  return {
    medianMs: median(samplesMs),
    craftMs: median(craftMs),
    gradientMs: median(gradMs),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    recall,
    certified,
    wronglyCertified: wrong,
    samplesMs,
  };
}

// `node --import tsx bench/imagenet.ts [batch] [repeats] [attack] [model] [optionsJSON]` prints one line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [batch = '100', repeats = '2', design = 'degree+peel', model = 'fc-small', options] = process.argv.slice(2);
  const r = await benchImagenet({
    batchSize: Number(batch),
    repeats: Number(repeats),
    design,
    model: model as ModelArch,
    ...(options ? { designOptions: JSON.parse(options) as Record<string, unknown> } : {}),
  });
  const { samplesMs, ...summary } = r;
  console.log(`imagenet ${design} ${model} B=${batch}:`, JSON.stringify(summary), samplesMs.map((v) => v.toFixed(0)).join(' '));
}
