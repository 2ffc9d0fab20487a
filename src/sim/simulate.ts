/** The in-process FL simulator: rounds of client training against an honest, curious or malicious server. */
import type { Dataset, ModelSpec, NamedArrays, Reconstruction, Update } from '../types.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { modelSpec, initParams } from '../model/index.js';
import { localUpdate, fedAvgAggregate, applyUpdate } from '../fl/index.js';
import { attacks, tuneScale } from '../attack/index.js';
import { evaluate, type Metrics } from '../eval/index.js';
import { subset, partitionIid, partitionDirichlet } from '../data/index.js';
import { FedleakError } from '../errors.js';
import { auxSize, examplesPerUpdate, type Scenario } from './scenario.js';

/** What a client trained on in one round: the ground truth only the simulator knows. */
export interface ClientBatch {
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
  /** Indices into the dataset the simulator was given. */
  indices: Int32Array;
}

/** Milliseconds spent in each stage of one client's round. */
export interface StageTimings {
  craftMs: number;
  trainMs: number;
  readoutMs: number;
  evalMs: number;
}

/** Events `simulate` yields, in order; reporters consume them. */
export type SimEvent =
  | { type: 'run-start'; run: number; seed: number; spec: ModelSpec }
  | { type: 'tuned'; scale: number; table: { scale: number; recall: number }[]; ms: number }
  | {
      type: 'extraction';
      run: number;
      round: number;
      clientId: string;
      scale: number | null;
      batch: ClientBatch;
      reconstruction: Reconstruction;
      metrics: Metrics;
      timings: StageTimings;
    }
  | { type: 'round-end'; run: number; round: number; clients: string[] }
  | { type: 'run-end'; run: number };

/**
 * Plays `scenario.runs` independent runs of `scenario.rounds` FL rounds on `data` and yields what happens.
 * Each run, round and client derives its own seed from `scenario.seed`, so results do not depend on order.
 * The attacker's auxiliary examples (for tuning) are drawn first and never given to a client.
 * @example
 * for await (const e of simulate(parseScenario({ batchSize: 20 }), await loadDataset('mnist')))
 *   if (e.type === 'extraction') console.log(e.metrics.recall);
 */
export async function* simulate(scenario: Scenario, data: Dataset): AsyncGenerator<SimEvent> {
  const inputDim = data.shape.reduce((a, b) => a * b, 1);
  const spec = modelSpec(scenario.model, inputDim, data.numClasses, scenario.neurons);
  const perClient = examplesPerUpdate(scenario);
  const nAux = auxSize(scenario);
  if (nAux + scenario.numClients * perClient > data.size) {
    throw new FedleakError(
      'BAD_SCENARIO',
      `the dataset has ${data.size} examples but ${scenario.numClients} client(s) × ${perClient} examples` +
        (nAux ? ` + ${nAux} auxiliary examples` : '') +
        ' are needed',
      { path: 'scenario.batchSize', hint: 'lower --batch, --batches or --clients, or use a larger dataset' },
    );
  }
  // The attacker's auxiliary data is drawn once and is disjoint from every client's data.
  const order = new Rng(deriveSeed(scenario.seed, 'split')).permutation(data.size);
  const auxIdx = order.subarray(0, nAux);
  const pool = order.subarray(nAux);
  let scale: number | null = scenario.attack === 'trap' ? (scenario.scale ?? null) : null;
  if (scenario.attack === 'trap' && scale === null) {
    const t0 = performance.now();
    // Tune for all the examples behind one update: with FedAvg, any of the K·B may fire a trap neuron.
    const tuned = tuneScale(subset(data, auxIdx), scenario.neurons, perClient, {
      seed: deriveSeed(scenario.seed, 'tune'),
    });
    scale = tuned.scale;
    yield { type: 'tuned', scale, table: tuned.table, ms: performance.now() - t0 };
  }
  for (let run = 0; run < scenario.runs; run++) {
    const seed = deriveSeed(scenario.seed, 'run', run);
    yield { type: 'run-start', run, seed, spec };
    const attack =
      scenario.attack === 'trap'
        ? attacks.trap({ scale: scale ?? undefined, sigma: scenario.sigma })
        : attacks.passive({});

    const clientPools = partitionPool(scenario, data, pool, deriveSeed(seed, 'partition'));
    let global: NamedArrays = initParams(spec, new Rng(deriveSeed(seed, 'init')), scenario.init);

    for (let round = 0; round < scenario.rounds; round++) {
      const roundRng = new Rng(deriveSeed(seed, 'round', round));
      const chosen = Array.from(roundRng.permutation(scenario.numClients).subarray(0, scenario.clientsPerRound)).sort(
        (a, b) => a - b,
      );
      const t0 = performance.now();
      const crafted = attack.craft(spec, global, { seed: deriveSeed(seed, 'craft', round), batchSize: scenario.batchSize });
      const craftMs = performance.now() - t0;
      const updates: Update[] = [];
      for (const c of chosen) {
        const clientId = `client-${c}`;
        const batch = drawBatch(data, clientPools[c], perClient, new Rng(deriveSeed(seed, 'batch', round, c)));
        const t1 = performance.now();
        const update = localUpdate(spec, crafted.params, batch, {
          algorithm: scenario.algorithm,
          batchSize: scenario.batchSize,
          batches: scenario.batches,
          localEpochs: scenario.localEpochs,
          learningRate: scenario.learningRate,
          clientId,
          round,
        });
        const trainMs = performance.now() - t1;
        updates.push(update);
        const reconstruction = attack.reconstruct(update, crafted.secrets);
        const t2 = performance.now();
        const metrics = evaluate({ inputs: batch.inputs, count: batch.count, shape: data.shape }, reconstruction);
        const evalMs = performance.now() - t2;
        yield {
          type: 'extraction',
          run,
          round,
          clientId,
          scale,
          batch,
          reconstruction,
          metrics,
          timings: { craftMs, trainMs, readoutMs: reconstruction.timings.readoutMs, evalMs },
        };
      }
      global = applyUpdate(crafted.params, fedAvgAggregate(updates), updates[0].kind, 1);
      yield { type: 'round-end', run, round, clients: chosen.map((c) => `client-${c}`) };
    }
    yield { type: 'run-end', run };
  }
}

function partitionPool(scenario: Scenario, data: Dataset, pool: Int32Array, seed: number): Int32Array[] {
  const rng = new Rng(seed);
  const parts =
    scenario.partition === 'dirichlet'
      ? partitionDirichlet(
          Int32Array.from(pool, (i) => data.labels[i]),
          data.numClasses,
          scenario.numClients,
          scenario.alpha,
          rng,
        )
      : partitionIid(pool.length, scenario.numClients, rng);
  return parts.map((p) => Int32Array.from(p, (k) => pool[k]));
}

function drawBatch(data: Dataset, pool: Int32Array, count: number, rng: Rng): ClientBatch {
  if (pool.length < count) {
    throw new FedleakError('BAD_SCENARIO', `a client holds ${pool.length} examples but needs ${count} for one round`, {
      path: 'scenario.batchSize',
      hint: 'lower --batch or --batches, use fewer clients, or a larger dataset (Dirichlet splits can leave clients small)',
    });
  }
  const pick = rng.permutation(pool.length).subarray(0, count);
  const indices = Int32Array.from(pick, (k) => pool[k]);
  const picked = subset(data, indices);
  return { inputs: picked.inputs, labels: picked.labels, count, indices };
}
