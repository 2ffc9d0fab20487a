/** Tests for the message level of secure aggregation: what the server sees, bad messages, a lying server, misuse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecAggClient } from './client.js';
import { secAggConfig, type SecAggConfig } from './config.js';
import { isAbort, type MaskedInputMsg, type UnmaskMsg } from './messages.js';
import { quantizer } from './quantize.js';
import { SecAggServer } from './server.js';
import { isFedleakError } from '../../errors.js';

const L = 64;

/** Runs rounds 1–3 for n clients with nobody dropping; returns the parts for the test to continue by hand. */
async function upToUnmask(n: number, t: number) {
  const config = secAggConfig({ numClients: n, threshold: t, vectorLength: L, clipRange: 1, sessionId: 'test' });
  const inputs = Array.from({ length: n }, (_, i) => Float32Array.from({ length: L }, (_, j) => ((i + j) % 5) / 10));
  const clients = inputs.map((x, i) => new SecAggClient(config, i, x));
  const server = new SecAggServer(config);
  for (const c of clients) server.receive(await c.advertiseKeys());
  const r1 = server.closeAdvertise();
  assert.ok(r1.ok);
  for (const c of clients) {
    const m = await c.shareKeys(r1.rosters.find((r) => r.to === c.clientId)!);
    assert.ok(!isAbort(m));
    server.receive(m);
  }
  const r2 = server.closeShareKeys();
  assert.ok(r2.ok);
  const masked: MaskedInputMsg[] = [];
  for (const c of clients) {
    const m = await c.maskedInput(r2.inboxes.find((b) => b.to === c.clientId)!);
    assert.ok(!isAbort(m));
    masked.push(m);
  }
  return { config, inputs, clients, server, masked };
}

test('a masked input reveals nothing recognisable: y differs from the encoded x in almost every word', async () => {
  const { config, inputs, masked } = await upToUnmask(4, 3);
  const qz = quantizer({ clipRange: config.clipRange, numClients: config.numClients });
  const x = qz.quantize(inputs[0]).values;
  const same = masked[0].y.filter((v, j) => v === x[j]).length;
  assert.ok(same <= 1, `${same} words unmasked`);
});

test('the server rejects messages that do not fit and counts their senders as dropped', async () => {
  const { server, masked, clients } = await upToUnmask(4, 2);
  server.receive({ type: 'masked-input', clientId: 0, y: new Uint32Array(L - 1) }); // wrong length
  server.receive(masked[1]);
  server.receive(masked[1]); // repeated
  server.receive({ type: 'masked-input', clientId: 9, y: masked[2].y }); // unknown id
  server.receive({ type: 'advertise-keys', clientId: 2, cPublicKey: new Uint8Array(32), sPublicKey: new Uint8Array(32) }); // wrong round
  server.receive(masked[3]);
  assert.deepEqual(server.rejected.map((r) => r.reason), [
    `expected ${L} words, got ${L - 1}`, 'client 1 already sent in round 3', 'unknown client id', 'advertise-keys in round 3']);
  const r3 = server.closeMaskedInput();
  assert.ok(r3.ok);
  assert.deepEqual(r3.request.survivors, [1, 3], 'only the well-formed inputs count');
  for (const id of [1, 3]) server.receive((await clients[id].unmask(r3.request)) as UnmaskMsg);
  const done = await server.finish();
  assert.ok(done.ok);
  assert.deepEqual(done.included, [1, 3]);
});

test('a lying server is caught by the clients: an unmask request naming a client outside U2, or leaving one out', async () => {
  const { clients, server, masked } = await upToUnmask(5, 3);
  for (const m of masked) server.receive(m);
  const r3 = server.closeMaskedInput();
  assert.ok(r3.ok);
  const a = await clients[0].unmask({ type: 'unmask-request', survivors: [1, 2, 3] });
  assert.ok(isAbort(a) && /leaves out this client/.test(a.reason));
  assert.equal(clients[0].state, 'aborted');
  const b = await clients[1].unmask({ type: 'unmask-request', survivors: [1, 2, 3, 7] });
  assert.ok(isAbort(b) && /did not share keys/.test(b.reason));
});

test('a roster without the client or with repeated keys makes the client abort', async () => {
  const config = secAggConfig({ numClients: 3, threshold: 2, vectorLength: 4, clipRange: 1 });
  const [a, b] = [new SecAggClient(config, 0, [0, 0, 0, 0]), new SecAggClient(config, 1, [0, 0, 0, 0])];
  const ma = await a.advertiseKeys();
  const mb = await b.advertiseKeys();
  const missing = await a.shareKeys({ type: 'roster', to: 0, keys: [{ ...mb }, { ...mb, clientId: 2 }] });
  assert.ok(isAbort(missing) && /public key appears twice/.test(missing.reason));
  const without = await b.shareKeys({ type: 'roster', to: 1, keys: [{ ...ma }, { clientId: 2, cPublicKey: new Uint8Array(32).fill(1),
    sPublicKey: new Uint8Array(32).fill(2) }] });
  assert.ok(isAbort(without) && /does not hold this client/.test(without.reason));
});

test('a corrupted key share is detected: the reconstructed key does not match the advertised one', async () => {
  const { clients, server, masked } = await upToUnmask(5, 3);
  for (const m of masked.slice(1)) server.receive(m); // client 0 drops before sending its input
  server.receive({ type: 'dropped', clientId: 0, error: 'offline' });
  const r3 = server.closeMaskedInput();
  assert.ok(r3.ok);
  for (const c of clients.slice(1)) {
    const m = (await c.unmask(r3.request)) as UnmaskMsg;
    if (c.clientId === 1) m.keyShares[0].share[5] ^= 1; // a flipped bit in the share of client 0's key
    server.receive(m);
  }
  const r = await server.finish();
  assert.ok(!r.ok && /does not match the key it advertised/.test(r.reason), r.ok ? 'no abort' : r.reason);
});

test('calls out of order are misuse and throw BAD_ARGUMENT', async () => {
  const config: SecAggConfig = secAggConfig({ numClients: 2, threshold: 2, vectorLength: 2, clipRange: 1 });
  const c = new SecAggClient(config, 0, [0, 0]);
  await assert.rejects(c.maskedInput({ type: 'shares-inbox', to: 0, boxes: [] }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  const s = new SecAggServer(config);
  await assert.rejects(s.finish(), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => s.closeShareKeys(), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => new SecAggClient(config, 2, [0, 0]), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => new SecAggClient(config, 0, [0]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
