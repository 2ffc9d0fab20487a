import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SimEvent } from './simulate.js';
import { parseScenario } from './scenario.js';
import { loadMnistNpm } from '../data/index.js';
import { setupBackend } from '../tensor/backend.js';
import { isFedleakError } from '../errors.js';

async function collect(input: Parameters<typeof parseScenario>[0]): Promise<SimEvent[]> {
  await setupBackend('wasm');
  const events: SimEvent[] = [];
  for await (const e of simulate(parseScenario(input), loadMnistNpm())) events.push(e);
  return events;
}

test('rounds sample clientsPerRound distinct clients and yield one extraction per client', async () => {
  const events = await collect({
    model: 'fc-small', neurons: 200, batchSize: 8, scale: 0.7,
    numClients: 5, clientsPerRound: 2, rounds: 3, runs: 1, seed: 3,
  });
  const rounds = events.filter((e) => e.type === 'round-end');
  assert.equal(rounds.length, 3);
  for (const r of rounds) {
    assert.equal(r.clients.length, 2);
    assert.equal(new Set(r.clients).size, 2);
  }
  const ex = events.filter((e) => e.type === 'extraction');
  assert.equal(ex.length, 6);
  // A client's batch comes from its own partition: batches of different clients never share an example.
  const byClient = new Map<string, Set<number>>();
  for (const e of ex) {
    const s = byClient.get(e.clientId) ?? new Set<number>();
    e.batch.indices.forEach((i) => s.add(i));
    byClient.set(e.clientId, s);
  }
  const all = [...byClient.values()];
  for (let a = 0; a < all.length; a++)
    for (let b = a + 1; b < all.length; b++) for (const i of all[a]) assert.ok(!all[b].has(i));
  assert.deepEqual(events[0].type, 'run-start');
  assert.deepEqual(events.at(-1)?.type, 'run-end');
});

test('the auxiliary data the tuner uses never reaches a client', async () => {
  const events = await collect({ model: 'fc-small', neurons: 200, batchSize: 10, runs: 2, tuneOn: 100 });
  const tuned = events.find((e) => e.type === 'tuned');
  assert.ok(tuned && tuned.type === 'tuned');
  assert.ok(tuned.scale > 0 && tuned.scale <= 1);
  // Runs differ (own seeds) but the tuned scale is shared.
  const ex = events.filter((e) => e.type === 'extraction');
  assert.equal(ex.length, 2);
  assert.notDeepEqual(Array.from(ex[0].batch.indices), Array.from(ex[1].batch.indices));
  assert.equal(ex[0].scale, ex[1].scale);
});

test('FedAvg clients send a weight change covering K·B examples', async () => {
  const events = await collect({
    model: 'fc-small', neurons: 300, batchSize: 5, batches: 3, algorithm: 'fedavg', scale: 0.7, learningRate: 1,
  });
  const ex = events.find((e) => e.type === 'extraction');
  assert.ok(ex && ex.type === 'extraction');
  assert.equal(ex.batch.count, 15);
  assert.equal(ex.metrics.perInput.length, 15);
  assert.ok(ex.metrics.recall > 0.3, `R = ${ex.metrics.recall}`);
});

test('a scenario that needs more data than there is gets a clear error', async () => {
  await assert.rejects(
    collect({ model: 'fc-small', neurons: 10, batchSize: 5000, numClients: 3, clientsPerRound: 1, scale: 0.7 }),
    (e) => isFedleakError(e, 'BAD_SCENARIO') && /examples/.test(e.message),
  );
});

test('SecAgg with 10 clients, 20% dropping out and 9 sybils: the target\'s R equals its undefended R at σ = 0', async () => {
  const base = { model: 'fc-small', neurons: 300, batchSize: 10, numClients: 10, seed: 5 } as const;
  const events = await collect({
    ...base, clientsPerRound: 10, sybils: 9, secagg: true, dropout: 0.2, dp: 'distributed', noiseMultiplier: 0, clippingNorm: 1,
  });
  const sa = events.find((e) => e.type === 'secagg');
  assert.ok(sa && sa.type === 'secagg' && sa.stats.ok);
  assert.equal(sa.stats.n, 10);
  assert.equal(sa.stats.included, 10 - sa.stats.dropouts[1] - sa.stats.dropouts[2] - sa.stats.dropouts[3]);
  assert.equal(Object.values(sa.stats.dropouts).reduce((a, b) => a + b, 0), 2);
  assert.ok(sa.stats.bytesSentPerClient! > 0);
  const ex = events.filter((e) => e.type === 'extraction');
  assert.equal(ex.length, 1, 'one extraction per round: the target');
  const e = ex[0];
  assert.ok(e.type === 'extraction' && e.baseline);
  assert.equal(e.defense.view, 'aggregate');
  assert.equal(e.defense.unknown, 1);
  assert.ok(e.baseline.recall > 0.5, `undefended R = ${e.baseline.recall}`);
  assert.deepEqual(e.metrics.exactInputs, e.baseline.exactInputs);
  // Same seeds, same batch: an undefended run that selects one client per round reads the same target's batch.
  const plain = (await collect({ ...base, clientsPerRound: 1, tuneOn: 100 })).find((x) => x.type === 'extraction');
  assert.ok(plain && plain.type === 'extraction');
  assert.deepEqual(Array.from(plain.batch.indices), Array.from(e.batch.indices));
  assert.equal(plain.metrics.recall, e.metrics.recall);
});

test('model inconsistency through SecAgg: the sum\'s first layer is the target\'s, so R is its undefended R', async () => {
  const events = await collect({
    model: 'fc-small', neurons: 300, batchSize: 10, scale: 0.7, numClients: 8, clientsPerRound: 8, seed: 2,
    secagg: true, dropout: 0.25, inconsistentModels: true, clippingNorm: 1, target: 3,
  });
  const e = events.find((x) => x.type === 'extraction');
  assert.ok(e && e.type === 'extraction' && e.baseline);
  assert.equal(e.clientId, 'client-3');
  assert.ok(e.defense.unknown >= 6, 'every honest update that survived is in the sum');
  assert.ok(e.baseline.recall > 0.5);
  assert.deepEqual(e.metrics.exactInputs, e.baseline.exactInputs);
});

test('more dropouts than n − t: the SecAgg round aborts cleanly and the server reads nothing', async () => {
  const events = await collect({
    model: 'fc-small', neurons: 50, batchSize: 5, scale: 0.7, numClients: 6, clientsPerRound: 6, seed: 1,
    secagg: true, dropout: 0.5, clippingNorm: 1,
  });
  const sa = events.find((e) => e.type === 'secagg');
  assert.ok(sa && sa.type === 'secagg');
  assert.equal(sa.stats.ok, false);
  assert.match(sa.stats.reason!, /survived round \d .*threshold t = 5/);
  assert.equal(events.filter((e) => e.type === 'extraction').length, 0);
  assert.equal(events.at(-1)?.type, 'run-end');
});

test('DP noise reaches the read-out: local noise on each update, none before the server\'s central noise', async () => {
  const common = { model: 'fc-small', neurons: 300, batchSize: 8, scale: 0.7, seed: 4, clippingNorm: 1 } as const;
  const local = (await collect({ ...common, dp: 'local', noiseMultiplier: 0.1 })).find((e) => e.type === 'extraction');
  assert.ok(local && local.type === 'extraction' && local.baseline);
  assert.equal(local.defense.noiseStd, 0.1);
  assert.ok(local.metrics.recall < local.baseline.recall, 'σ = 0.1 local noise destroys exactness');
  assert.ok(local.defense.groupSizes !== null, 'rows are grouped under noise');
  const central = (await collect({ ...common, dp: 'central', noiseMultiplier: 1 })).find((e) => e.type === 'extraction');
  assert.ok(central && central.type === 'extraction' && central.baseline);
  assert.equal(central.defense.noiseStd, 0);
  assert.deepEqual(central.metrics.exactInputs, central.baseline.exactInputs, 'central DP protects nothing against the server');
});
