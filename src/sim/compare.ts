/** Every attack on the same client batches: R, PSNR, SSIM and read-out time per attack and batch size. */
import type { Attack, Dataset, ModelArch, Reconstruction, Update } from '../types.js';
import { attacks, isAttackName } from '../attack/registry.js';
import { defaultScaleGrid, tuneScale } from '../attack/tuner.js';
import { tuneScaleBlind } from '../attack/tune-blind.js';
import { subset } from '../data/index.js';
import { evaluate, unmatchedCount } from '../eval/index.js';
import { computeGradient } from '../fl/index.js';
import { initParams, modelSpec } from '../model/index.js';
import { deriveSeed, Rng } from '../tensor/rng.js';
import { FedleakError } from '../errors.js';
import type { ExtraMethod } from '../attack/method.js';
import { median } from '../report/stats.js';

export type { ExtraMethod } from '../attack/method.js';

/**
 * Options of {@link compareAttacks}.
 * @example const opts: CompareOptions = { data, attacks: ['trap', 'degree+peel'], batchSizes: [20, 100], runs: 3 };
 */
export interface CompareOptions {
  data: Dataset;
  /** Registered attack names. */
  attacks: readonly string[];
  batchSizes: readonly number[];
  runs: number;
  model?: ModelArch;
  neurons?: number;
  seed?: number;
  /** Auxiliary examples of the attacker, disjoint from every batch. Default min(max(300, largest B), size − largest B). */
  aux?: number;
  /** Extra methods (not in the registry) run on the same updates as the honest model's. */
  extra?: readonly ExtraMethod[];
  /** Called after each (attack, B, run). */
  onProgress?: (line: string) => void;
}

/**
 * One (attack, B) cell: means over the runs. PSNR is the mean over the batch's inputs of the PSNR (dB, range 1)
 * of the candidate matched to each, with identical matches counted as 100 dB (a cap: an exact match's PSNR is
 * infinite); inputs left without a candidate are not counted. SSIM is the mean over matched inputs.
 * @example const row: CompareRow = rows.find((r) => r.attack === 'trap' && r.batchSize === 100)!;
 */
export interface CompareRow {
  attack: string;
  batchSize: number;
  runs: number;
  recall: number;
  recallStd: number;
  psnr: number | null;
  ssim: number | null;
  /** Median per update of the attack's own read-out time (with peeling, both), ms. */
  readoutMs: number;
  /** Certified inputs over all runs, and those that reproduce no input of their batch (peeling attacks). */
  certified: number | null;
  wronglyCertified: number | null;
  /** The trap scale used (tuned per B on the auxiliary data), when the attack has one. */
  scale: number | null;
}

/** PSNR counted for an identical match. */
export const PSNR_CAP = 100;

/**
 * Runs every attack on the same client batches: for run r and batch size B the batch, the honest initial model
 * and the craft seed are the same for every attack (derived from `seed`, B and r only), and the attacker's
 * auxiliary examples are one disjoint set for all. Each attack crafts its own model from the honest one and the
 * client computes a FedSGD gradient on it; `evaluate` scores the reconstruction. Trap designs get a scale tuned
 * per B on the auxiliary data (as the simulator does), or blind (`tuneScaleBlind`) when the auxiliary data holds
 * fewer than B examples; every other design its defaults. A design that refuses the batch size (BAD_ARGUMENT from
 * `craft`, e.g. QBI at B = 1) gets no row for it.
 * @throws FedleakError BAD_ARGUMENT for an unknown attack or a batch size the dataset cannot hold beside the aux.
 * @example
 * const rows = await compareAttacks({ data, attacks: ['trap', 'degree+peel'], batchSizes: [20, 100], runs: 3 });
 */
export async function compareAttacks(opts: CompareOptions): Promise<CompareRow[]> {
  const { data, runs } = opts;
  const seed = opts.seed ?? 0;
  for (const a of opts.attacks) {
    if (!isAttackName(a)) {
      throw new FedleakError('BAD_ARGUMENT', `unknown attack '${a}'`, { path: 'compare.attacks', hint: `use: ${Object.keys(attacks).join(', ')}` });
    }
  }
  const maxB = Math.max(...opts.batchSizes);
  const nAux = opts.aux ?? Math.min(Math.max(300, maxB), data.size - maxB);
  if (!(nAux >= 2 && nAux + maxB <= data.size)) {
    throw new FedleakError('BAD_ARGUMENT', `${data.size} examples cannot hold a batch of ${maxB} beside ${nAux} auxiliary ones`, {
      path: 'compare.batchSizes',
      hint: 'lower the largest --batch or use a larger dataset',
    });
  }
  const d = data.inputs.length / data.size;
  const spec = modelSpec(opts.model ?? 'fc', d, data.numClasses, opts.neurons ?? 1000);
  const order = new Rng(deriveSeed(seed, 'compare', 'split')).permutation(data.size);
  const aux = subset(data, order.subarray(0, nAux));
  const pool = order.subarray(nAux);
  const rows: CompareRow[] = [];
  /**
   * The trap scale for batches of B: grid search on the auxiliary data when it holds at least B examples, else
   * blind (probe updates of one other batch, scored by their own read-out; attack/tune-blind.ts).
   */
  const trapScale = async (batchSize: number): Promise<number> => {
    const tuneSeed = deriveSeed(seed, 'compare', 'tune', batchSize);
    if (aux.size >= batchSize) return tuneScale(aux, spec.neurons, batchSize, { seed: tuneSeed }).scale;
    const pick = new Rng(tuneSeed).permutation(pool.length).subarray(0, batchSize);
    const probe = subset(data, Int32Array.from(pick, (k) => pool[k]));
    const probeParams = initParams(spec, new Rng(deriveSeed(tuneSeed, 'init')));
    const factory = attacks.trap;
    const { scale } = await tuneScaleBlind(defaultScaleGrid, (s) => {
      const attack = factory({ scale: s });
      const crafted = attack.craft(spec, probeParams, { seed: tuneSeed });
      const arrays = computeGradient(spec, crafted.params, probe.inputs, probe.labels, batchSize);
      return attack.reconstruct({ clientId: 'probe', round: 0, kind: 'gradient', numExamples: batchSize, arrays }, crafted.secrets);
    });
    return scale;
  };

  for (const batchSize of opts.batchSizes) {
    const scale = opts.attacks.some((a) => a.startsWith('trap')) ? await trapScale(batchSize) : null;
    const cells = new Map<string, { recall: number[]; psnr: number[]; ssim: number[]; ms: number[]; cert: number; wrong: number; peels: boolean }>();
    const cell = (name: string) => {
      let c = cells.get(name);
      if (!c) cells.set(name, (c = { recall: [], psnr: [], ssim: [], ms: [], cert: 0, wrong: 0, peels: false }));
      return c;
    };
    for (let run = 0; run < runs; run++) {
      const runSeed = deriveSeed(seed, 'compare', batchSize, run);
      const pick = new Rng(deriveSeed(runSeed, 'batch')).permutation(pool.length).subarray(0, batchSize);
      const batch = subset(data, Int32Array.from(pick, (k) => pool[k]));
      const truth = { inputs: batch.inputs, count: batchSize, shape: data.shape };
      const params0 = initParams(spec, new Rng(deriveSeed(runSeed, 'init')));
      const score = (name: string, rec: Reconstruction, ms: number) => {
        const m = evaluate(truth, rec);
        const c = cell(name);
        c.recall.push(m.recall);
        for (const p of m.perInput) {
          if (p.psnr !== null) c.psnr.push(Math.min(PSNR_CAP, p.psnr));
          if (p.ssim !== null) c.ssim.push(p.ssim);
        }
        c.ms.push(ms);
        const certified = (rec as { certified?: { x: Float64Array }[] }).certified;
        if (certified) {
          c.peels = true;
          c.cert += certified.length;
          c.wrong += unmatchedCount(batch.inputs, batchSize, d, certified.map((x) => x.x));
        }
        opts.onProgress?.(`B=${batchSize} run ${run + 1}/${runs} ${name}: R ${m.recall.toFixed(3)} (${ms.toFixed(1)} ms)`);
      };
      for (const name of opts.attacks) {
        const factory = attacks[name as keyof typeof attacks] as (o: object) => Attack<unknown>;
        const attack = factory(name.startsWith('trap') && scale !== null ? { scale } : {});
        let crafted: ReturnType<typeof attack.craft>;
        try {
          crafted = attack.craft(spec, params0, { seed: deriveSeed(runSeed, 'craft'), batchSize, aux });
        } catch (e) {
          // A design that cannot aim at this batch size (QBI's one firer per neuron needs B ≥ 2) has no cell here.
          if (!(e instanceof FedleakError && e.code === 'BAD_ARGUMENT')) throw e;
          opts.onProgress?.(`B=${batchSize} ${name}: skipped (${e.message})`);
          continue;
        }
        const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize);
        const update: Update = { clientId: 'compare', round: 0, kind: 'gradient', numExamples: batchSize, arrays };
        const rec = attack.reconstruct(update, crafted.secrets);
        score(name, rec, rec.timings.readoutMs);
      }
      for (const method of opts.extra ?? []) {
        if (batchSize > method.maxBatch) continue;
        const arrays = computeGradient(spec, params0, batch.inputs, batch.labels, batchSize);
        const update: Update = { clientId: 'compare', round: 0, kind: 'gradient', numExamples: batchSize, arrays };
        const rec = await method.reconstruct(update, params0, { spec, shape: data.shape, seed: runSeed });
        score(method.name, rec, rec.timings.readoutMs);
      }
    }
    for (const [name, c] of cells) {
      const mean = avg(c.recall)!;
      rows.push({
        attack: name,
        batchSize,
        runs: c.recall.length,
        recall: mean,
        recallStd: Math.sqrt(c.recall.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, c.recall.length - 1)),
        psnr: avg(c.psnr),
        ssim: avg(c.ssim),
        readoutMs: median(c.ms),
        certified: c.peels ? c.cert : null,
        wronglyCertified: c.peels ? c.wrong : null,
        scale: name.startsWith('trap') ? scale : null,
      });
    }
  }
  return rows;
}

function avg(a: number[]): number | null {
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : null;
}

