/** Benchmark of peeling with certification: read-out + peel time per FedSGD update, and the recall it reaches. */
import { attacks, tuneScale, type PeelReconstruction } from '../src/attack/index.js';
import { loadDataset, subset } from '../src/data/index.js';
import { evaluate, unmatchedCount } from '../src/eval/index.js';
import { computeGradient } from '../src/fl/index.js';
import { initParams, modelSpec } from '../src/model/index.js';
import { setupBackend } from '../src/tensor/backend.js';
import { deriveSeed, Rng } from '../src/tensor/rng.js';
import type { Attack, ModelArch, Update } from '../src/types.js';
import { median } from '../src/report/stats.js';

/** Untimed updates before the timed ones (see PeelBenchOptions.repeats). */
const WARM_UP = 3;

/** Client updates read per crafted model (a round); the last round may have fewer. */
const CLIENTS_PER_ROUND = 5;

/**
 * Options of {@link benchPeel}.
 * @example const opts: PeelBenchOptions = { dataset: 'cifar10', neurons: 1000, batchSize: 100, repeats: 10 };
 */
export interface PeelBenchOptions {
  /** Default 'mnist' (embedded); 'cifar10' reads ../shared/data/cifar-10-batches-bin (1,017 exact records). */
  dataset?: 'mnist' | 'cifar10';
  neurons: number;
  batchSize: number;
  /**
   * Updates timed: rounds of CLIENTS_PER_ROUND client updates (fresh batches) on one freshly crafted model each.
   * A first round of WARM_UP updates is not timed: V8 compiles peeling's loops during a process's first updates,
   * which a server reading many updates pays once.
   */
  repeats: number;
  /** The row-read design under peeling. Default 'degree'. */
  design?: 'degree' | 'qbi' | 'trap' | 'passive';
  /** The design's options (trap: its scale is tuned on the auxiliary data when left out). */
  designOptions?: Record<string, unknown>;
  /** Default 'fc', the paper's net (784/3072 → N → 3000 → 3000 → 2000 → 1000 → 10). */
  model?: ModelArch;
  /** Auxiliary examples the attacker holds, disjoint from the clients'. Default 300. */
  aux?: number;
  seed?: number;
}

/**
 * What {@link benchPeel} measured: medians over the timed updates (wall clock and the process's CPU time, which a
 * busy machine inflates less), the plain read-out's time, mean recalls with and without peeling, and the certified
 * inputs, of which `wronglyCertified` reproduce no input of their batch (must be 0).
 * @example const { medianMs, recall, wronglyCertified }: PeelBenchResult = await benchPeel(opts);
 */
export interface PeelBenchResult {
  medianMs: number;
  medianCpuMs: number;
  plainMedianMs: number;
  recall: number;
  plainRecall: number;
  certified: number;
  wronglyCertified: number;
  samplesMs: number[];
}

/**
 * Times `<design>+peel`'s `reconstruct` (first read-out and peeling together, as `timings.readoutMs` reports it) on
 * real FedSGD updates of the paper's FC net, one per repeat, on the current machine (TF.js wasm for the clients'
 * gradients, which are not timed), and scores each reconstruction with src/eval.
 * @example
 * const r = await benchPeel({ dataset: 'cifar10', neurons: 1000, batchSize: 100, repeats: 10 });
 * console.log(r.medianMs, r.recall, r.wronglyCertified);
 */
export async function benchPeel(opts: PeelBenchOptions): Promise<PeelBenchResult> {
  const { neurons, batchSize, repeats } = opts;
  const design = opts.design ?? 'degree';
  const seed = opts.seed ?? 1;
  await setupBackend('wasm');
  const data = await loadDataset(opts.dataset ?? 'mnist');
  const d = data.inputs.length / data.size;
  const order = new Rng(deriveSeed(seed, 'split')).permutation(data.size);
  const nAux = opts.aux ?? 300;
  const aux = subset(data, order.subarray(0, nAux));
  const pool = order.subarray(nAux);
  const spec = modelSpec(opts.model ?? 'fc', d, data.numClasses, neurons);
  let designOptions = opts.designOptions ?? {};
  if (design === 'trap' && designOptions.scale === undefined) {
    designOptions = { ...designOptions, scale: tuneScale(aux, neurons, batchSize, { seed }).scale };
  }
  const factory = attacks[`${design}+peel`] as (o: object) => Attack<unknown>;
  const plainFactory = attacks[design] as (o: object) => Attack<unknown>;

  const samplesMs: number[] = [];
  const cpuMs: number[] = [];
  const plainMs: number[] = [];
  let recall = 0;
  let plainRecall = 0;
  let certified = 0;
  let wrong = 0;
  // Rounds as a server runs them: one crafted model, then several clients' updates read one after the other. The
  // clients' gradients are computed first (client work, not timed, and its garbage collected before the timing).
  for (let round = 0, timed = 0; timed < repeats; round++) {
    const warm = round === 0;
    const roundSeed = deriveSeed(seed, 'run', round);
    const attack = factory(designOptions);
    const plain = plainFactory(designOptions);
    const crafted = attack.craft(spec, initParams(spec, new Rng(deriveSeed(roundSeed, 'init'))), {
      seed: roundSeed,
      batchSize,
      aux,
    });
    const clients = warm ? WARM_UP : Math.min(CLIENTS_PER_ROUND, repeats - timed);
    const updates = Array.from({ length: clients }, (_, c) => {
      const pick = new Rng(deriveSeed(roundSeed, 'batch', c)).permutation(pool.length).subarray(0, batchSize);
      const batch = subset(data, Int32Array.from(pick, (k) => pool[k]));
      // only the arrays the read-outs look at are kept: the whole FC-net gradient is 92 MB an update
      const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize).filter((a) => /^dense[01]\//.test(a.name));
      const update: Update = { clientId: `bench-${c}`, round, kind: 'gradient', numExamples: batchSize, arrays };
      return { batch, update };
    });
    // The round's peeling read-outs one after the other, then the plain read-outs they are compared with: the plain
    // read-out allocates every row's float64 candidate (22 MB an update at CIFAR-10 size), which V8 would otherwise
    // collect during the next timed read-out.
    const peeled = updates.map(({ update }) => {
      const cpu0 = process.cpuUsage();
      const rec = attack.reconstruct(update, crafted.secrets) as PeelReconstruction;
      return { rec, cpu: process.cpuUsage(cpu0) };
    });
    for (const [u, { batch, update }] of updates.entries()) {
      const { rec, cpu } = peeled[u];
      const base = plain.reconstruct(update, (crafted.secrets as { inner: unknown }).inner);
      if (warm) continue; // JIT warm-up
      timed++;
      samplesMs.push(rec.timings.readoutMs);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      plainMs.push(base.timings.readoutMs);
      const truth = { inputs: batch.inputs, count: batchSize, shape: data.shape };
      recall += evaluate(truth, rec).recall / repeats;
      plainRecall += evaluate(truth, base).recall / repeats;
      certified += rec.certified.length;
      wrong += unmatchedCount(batch.inputs, batchSize, d, rec.certified.map((c) => c.x));
    }
  }
  return {
    medianMs: median(samplesMs),
    medianCpuMs: median(cpuMs),
    plainMedianMs: median(plainMs),
    recall,
    plainRecall,
    certified,
    wronglyCertified: wrong,
    samplesMs,
  };
}

// `node --import tsx bench/peel.ts [mnist|cifar10] [neurons] [batch] [repeats] [design] [model]` prints one line.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [dataset = 'cifar10', neurons = '1000', batch = '100', repeats = '5', design = 'degree', model = 'fc'] = process.argv.slice(2);
  const r = await benchPeel({
    dataset: dataset as 'mnist' | 'cifar10',
    neurons: Number(neurons),
    batchSize: Number(batch),
    repeats: Number(repeats),
    design: design as PeelBenchOptions['design'],
    model: model as ModelArch,
  });
  const { samplesMs, ...summary } = r;
  console.log(`peel ${design} ${dataset} ${model} N=${neurons} B=${batch}:`, JSON.stringify(summary), samplesMs.map((v) => v.toFixed(1)).join(' '));
}
