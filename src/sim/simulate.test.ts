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
