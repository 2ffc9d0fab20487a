// The wire protocol: every message round-trips, bad frames are refused with the right code, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import {
  PROTOCOL_VERSION,
  clientMessageSchema,
  dashboardMessageSchema,
  errorReply,
  fatalCodes,
  netErrorCodes,
  netErrorHints,
  serverMessageSchema,
  type UpdateMessage,
} from '../src/net/protocol.js';
import { decodeFrame, encodeValue as encodeMessage, frameLimits, readFrame } from '../src/net/codec.js';
import { checkArrays, checkReveal, checkUpdate } from '../src/net/validate.js';
import { tokenMatches, newToken } from '../src/net/auth.js';
import { FedAvgAccumulator } from '../src/net/accumulator.js';
import { fedAvgAggregate } from '../src/fl/aggregate.js';
import { modelSpec, paramShapes } from '../src/model/spec.js';
import type { NamedArrays, Update } from '../src/types.js';

const MAX = 1 << 20;
const spec = modelSpec('fc-small', 12, 3, 5);
const config = {
  dataset: 'toy', inputShape: [3, 4, 1], numClasses: 3, algorithm: 'fedsgd' as const, batchSize: 2, batches: 1,
  localEpochs: 1, learningRate: 0.1, rounds: 3,
};

function arraysFor(fill: (i: number, j: number) => number = (i, j) => (i + 1) * 1e-3 * ((j % 7) - 3)): NamedArrays {
  return paramShapes(spec).map((p, i) => {
    const data = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < data.length; j++) data[j] = fill(i, j);
    return { name: p.name, shape: [...p.shape], data };
  });
}

function update(arrays = arraysFor(), round = 0): UpdateMessage {
  return { type: 'update', round, kind: 'gradient', numExamples: 2, arrays };
}

function bits(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

test('every client message round-trips through msgpack and its schema', () => {
  const messages = [
    { type: 'hello', protocol: PROTOCOL_VERSION, token: 't', role: 'client', platform: 'node', name: 'n', reveal: true,
      resume: { clientId: 'c1', key: 'k' } },
    { type: 'hello', protocol: PROTOCOL_VERSION, token: 't', role: 'dashboard', platform: 'browser' },
    update(),
    { type: 'reveal', round: 0, count: 2, inputs: new Float32Array(24).fill(0.5), labels: new Int32Array([0, 2]) },
    { type: 'leave' },
  ];
  for (const m of messages) {
    const r = readFrame(encodeMessage(m), clientMessageSchema, MAX);
    assert.ok(r.ok, `${m.type}: ${!r.ok && r.message}`);
    assert.equal(r.message.type, m.type);
  }
  const u = readFrame(encodeMessage(update()), clientMessageSchema, MAX);
  assert.ok(u.ok && u.message.type === 'update');
  const sent = arraysFor();
  u.message.arrays.forEach((a, i) => {
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(bits(a.data), bits(sent[i].data));
    assert.deepEqual(a.shape, sent[i].shape);
  });
});

test('every server and dashboard message round-trips', () => {
  const server = [
    { type: 'welcome', protocol: 1, clientId: 'c1', key: 'k', spec, config },
    { type: 'params', round: 1, arrays: arraysFor(), deadlineMs: 1000 },
    { type: 'ack', round: 1, of: 'update' },
    errorReply('SHAPE_MISMATCH', 'bad', 'update'),
    { type: 'round-status', round: 1, phase: 'training', selected: true, connected: 3, received: 0 },
    { type: 'done', rounds: 3 },
  ];
  for (const m of server) {
    const r = readFrame(encodeMessage(m), serverMessageSchema, MAX);
    assert.ok(r.ok, `${m.type}: ${!r.ok && r.message}`);
  }
  const record = {
    round: 0, clientId: 'c1', name: 'n', platform: 'node', receivedAt: 'now', numExamples: 2, kind: 'gradient',
    attack: 'trap', activeNeurons: 3, totalNeurons: 5, candidates: 3, unique: 2,
    timings: { decodeMs: 1, validateMs: 1, aggregateMs: 1, readoutMs: 1, renderMs: 1 },
    metrics: { active: 0.6, precision: 1, recall: 1, exactInputs: [0, 1], count: 2 }, png: null,
  };
  const events = [
    { event: 'client', client: { clientId: 'c1', name: 'n', platform: 'node', connected: true, updates: 0, lastRound: -1, reveal: false, left: false } },
    { event: 'round', round: 0, phase: 'started', selected: ['c1'], received: 0, failures: [] },
    { event: 'layer', round: 0, png: new Uint8Array([1, 2]) },
    { event: 'extraction', record, png: new Uint8Array([1]) },
    { event: 'done', rounds: 1 },
  ];
  for (const event of events) {
    const r = readFrame(encodeMessage({ type: 'event', event }), dashboardMessageSchema, MAX);
    assert.ok(r.ok, `${event.event}: ${!r.ok && r.message}`);
  }
});

test('bad frames are refused with a code, never thrown', () => {
  const cases: [string, Uint8Array, string][] = [
    ['garbage', new Uint8Array([0xc1, 0xff, 0x00]), 'BAD_ENCODING'],
    ['truncated', encodeMessage(update()).subarray(0, 40), 'BAD_ENCODING'],
    ['trailing bytes', new Uint8Array([...encodeMessage({ type: 'leave' }), 0x00]), 'BAD_ENCODING'],
    ['empty', new Uint8Array(0), 'BAD_ENCODING'],
    ['oversized', encodeMessage(update()), 'TOO_LARGE'],
    ['not an object', encodeMessage([1, 2, 3] as unknown as Record<string, unknown>), 'BAD_MESSAGE'],
    ['unknown type', encodeMessage({ type: 'steal' }), 'BAD_MESSAGE'],
    ['extra key', encodeMessage({ type: 'leave', x: 1 }), 'BAD_MESSAGE'],
    ['NaN round', encodeMessage({ ...update(), round: NaN }), 'BAD_MESSAGE'],
    ['negative examples', encodeMessage({ ...update(), numExamples: -1 }), 'BAD_MESSAGE'],
    ['string data', encodeMessage({ ...update(), arrays: [{ name: 'a', shape: [1], data: 'xxxx' }] }), 'BAD_MESSAGE'],
    ['short data', encodeMessage({ ...update(), arrays: [{ name: 'a', shape: [2], data: new Uint8Array(7) }] }), 'BAD_MESSAGE'],
    ['rank 5', encodeMessage({ ...update(), arrays: [{ name: 'a', shape: [1, 1, 1, 1, 1], data: new Uint8Array(4) }] }), 'BAD_MESSAGE'],
    ['__proto__ key', new Uint8Array([0x81, 0xa9, ...Buffer.from('__proto__'), 0xc0]), 'BAD_ENCODING'],
    ['reveal labels short', encodeMessage({ type: 'reveal', round: 0, count: 2, inputs: new Float32Array(24), labels: new Int32Array(1) }), 'BAD_MESSAGE'],
  ];
  for (const [what, frame, code] of cases) {
    const limit = what === 'oversized' ? 64 : MAX;
    const r = readFrame(frame, clientMessageSchema, limit);
    assert.equal(r.ok, false, what);
    assert.equal(!r.ok && r.code, code, `${what}: ${!r.ok && r.message}`);
  }
  const r = readFrame(encodeMessage({ ...update(), arrays: [{ name: 'a', shape: [2], data: new Uint8Array(7) }] }), clientMessageSchema, MAX);
  assert.ok(!r.ok && /arrays\.0\.data: expected 8 bytes/.test(r.message) && r.ref === 'update', !r.ok ? r.message : '');
});

test('checks against the model name the array and the problem', () => {
  const ctx = { spec, config, round: 0 };
  assert.equal(checkUpdate(update(), ctx), null);
  assert.equal(checkUpdate(update(arraysFor(), 1), ctx)?.code, 'WRONG_ROUND');
  assert.equal(checkUpdate({ ...update(), kind: 'delta' }, ctx)?.code, 'BAD_MESSAGE');
  const short = arraysFor().slice(1);
  assert.equal(checkUpdate(update(short), ctx)?.code, 'SHAPE_MISMATCH');
  const renamed = arraysFor();
  renamed[2] = { ...renamed[2], name: 'dense9/kernel' };
  assert.match(checkUpdate(update(renamed), ctx)?.message ?? '', /update\.arrays\[2\]: expected an array named dense1\/kernel/);
  const nan = arraysFor();
  nan[0].data[7] = NaN;
  const r = checkUpdate(update(nan), ctx);
  assert.equal(r?.code, 'NOT_FINITE');
  assert.match(r?.message ?? '', /dense0\/kernel: value 7 is NaN/);
  const big = arraysFor();
  big[1].data[0] = 3e7;
  assert.equal(checkUpdate(update(big), ctx)?.code, 'OUT_OF_RANGE');
});

test('a reveal must be the batch behind the update', () => {
  const ok = { type: 'reveal' as const, round: 2, count: 2, inputs: new Float32Array(24).fill(0.2), labels: new Int32Array([0, 1]) };
  const ctx = { spec, round: 2, numExamples: 2 };
  assert.equal(checkReveal(ok, ctx), null);
  assert.equal(checkReveal({ ...ok, round: 1 }, ctx)?.code, 'WRONG_ROUND');
  assert.equal(checkReveal(ok, { ...ctx, numExamples: 3 })?.code, 'SHAPE_MISMATCH');
  assert.equal(checkReveal({ ...ok, inputs: new Float32Array(20) }, ctx)?.code, 'SHAPE_MISMATCH');
  assert.equal(checkReveal({ ...ok, inputs: new Float32Array(24).fill(1.5) }, ctx)?.code, 'OUT_OF_RANGE');
  assert.equal(checkReveal({ ...ok, inputs: new Float32Array(24).fill(NaN) }, ctx)?.code, 'NOT_FINITE');
  assert.equal(checkReveal({ ...ok, labels: new Int32Array([0, 3]) }, ctx)?.code, 'OUT_OF_RANGE');
});

test('property: any valid named arrays survive encode → decode bit for bit', () => {
  const arr = fc
    .tuple(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }), fc.string({ minLength: 1, maxLength: 20 }))
    .chain(([shape, name]) =>
      fc.float32Array({ minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
        .map((data) => ({ name, shape, data })));
  fc.assert(
    fc.property(fc.array(arr, { minLength: 1, maxLength: 5 }), fc.nat({ max: 1000 }), (arrays, round) => {
      // Unaligned views too: the codec must copy them, not misread them.
      const r = readFrame(encodeMessage({ type: 'update', round, kind: 'delta', numExamples: 1, arrays }), clientMessageSchema, MAX);
      assert.ok(r.ok && r.message.type === 'update', !r.ok ? r.message : '');
      r.message.arrays.forEach((a, i) => {
        assert.deepEqual(a.shape, arrays[i].shape);
        assert.deepEqual(bits(a.data), bits(arrays[i].data)); // NaN payloads and −0 included
      });
    }),
    { numRuns: 200 },
  );
});

test('property: any change of a shape or any NaN/±Infinity in an update is refused', () => {
  const shapes = paramShapes(spec);
  const ctx = { spec, config, round: 0 };
  fc.assert(
    fc.property(
      fc.nat({ max: shapes.length - 1 }),
      fc.oneof(
        fc.record({ kind: fc.constant('value' as const), at: fc.nat(), v: fc.constantFrom(NaN, Infinity, -Infinity) }),
        fc.record({ kind: fc.constant('dim' as const), at: fc.nat(), delta: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0) }),
        fc.record({ kind: fc.constant('rank' as const), extra: fc.integer({ min: 1, max: 4 }) }),
      ),
      (which, mutation) => {
        const arrays = arraysFor();
        const a = arrays[which];
        if (mutation.kind === 'value') {
          a.data[mutation.at % a.data.length] = mutation.v;
        } else if (mutation.kind === 'dim') {
          const k = mutation.at % a.shape.length;
          a.shape[k] = Math.max(1, a.shape[k] + mutation.delta);
          if (a.shape[k] === shapes[which].shape[k]) a.shape[k] += 1;
          a.data = new Float32Array(a.shape.reduce((x, y) => x * y, 1));
        } else {
          a.shape = [...a.shape, mutation.extra];
          a.data = new Float32Array(a.shape.reduce((x, y) => x * y, 1));
        }
        const r = readFrame(encodeMessage(update(arrays)), clientMessageSchema, MAX);
        const refused = !r.ok || (r.message.type === 'update' && checkUpdate(r.message, ctx) !== null);
        assert.ok(refused, `accepted a ${mutation.kind} mutation of ${a.name}`);
        if (r.ok && r.message.type === 'update') {
          const code = checkUpdate(r.message, ctx)?.code;
          assert.equal(code, mutation.kind === 'value' ? 'NOT_FINITE' : 'SHAPE_MISMATCH');
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: random byte edits of a frame never throw and never pass with a wrong shape', () => {
  const frame = encodeMessage(update());
  const ctx = { spec, config, round: 0 };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), (edits, cut) => {
      const bytes = frame.slice(0, frame.length - (cut % 4 === 0 ? cut % 50 : 0));
      for (const [at, v] of edits) bytes[at % bytes.length] = v;
      const r = readFrame(bytes, clientMessageSchema, MAX);
      if (r.ok && r.message.type === 'update' && checkUpdate(r.message, ctx) === null) {
        assert.equal(checkArrays(spec, r.message.arrays, 'x'), null);
      }
    }),
    { numRuns: 500 },
  );
});

test('decoding caps nested sizes so a small frame cannot expand', () => {
  // A map header claiming 2^32 − 1 entries in a 5-byte frame.
  assert.equal(decodeFrame(new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), MAX).ok, false);
  assert.equal(decodeFrame(encode(new Array(200_000).fill(0)), 1 << 24).ok, false);
});

test('frame limits follow the model', () => {
  const l = frameLimits(spec, config);
  const values = paramShapes(spec).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  assert.ok(l.updateBytes >= 4 * values && l.updateBytes < 4 * values + 64 * 1024);
  assert.ok(encodeMessage(update()).byteLength <= l.updateBytes);
  assert.equal(l.maxBytes, Math.max(l.updateBytes, l.revealBytes));
  // a CNN: the conv kernels count, and dense0 reads the conv stack's output (a pass-through's is wider than the image)
  const cnn = modelSpec('cnn-small', 784, 10, 300, { inputShape: [28, 28, 1] });
  const cnnValues = paramShapes(cnn).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const lc = frameLimits(cnn, { inputShape: [28, 28, 1] });
  assert.ok(cnnValues > 784 * 300, 'the conv output dense0 reads is wider than the image');
  assert.ok(lc.updateBytes >= 4 * cnnValues && lc.updateBytes < 4 * cnnValues + 64 * 1024);
});

test('every error code has a hint; fatal codes close the connection', () => {
  for (const code of netErrorCodes) assert.ok(netErrorHints[code].length > 10, code);
  assert.equal(errorReply('UNAUTHORIZED', 'x').fatal, true);
  assert.equal(errorReply('SHAPE_MISMATCH', 'x').fatal, false);
  assert.ok(fatalCodes.has('VERSION_MISMATCH'));
  assert.equal(errorReply('BAD_MESSAGE', 'y'.repeat(5000)).message.length, 1024);
});

test('token comparison: equal only for the same token, any length, any type', () => {
  const t = newToken();
  assert.equal(t.length, 32);
  assert.ok(tokenMatches(t, t));
  assert.ok(!tokenMatches(t, `${t}x`));
  assert.ok(!tokenMatches(t, t.slice(1)));
  assert.ok(!tokenMatches(t, ''));
  assert.ok(!tokenMatches(t, 42));
  assert.ok(!tokenMatches('', ''));
});

test('the streaming FedAvg equals fedAvgAggregate bit for bit', () => {
  const updates: Update[] = [1, 2, 3].map((k) => ({
    clientId: `c${k}`, round: 0, kind: 'gradient', numExamples: k * 3,
    arrays: arraysFor((i, j) => Math.fround(Math.sin(k * 31 + i * 7 + j) * 1e-2)),
  }));
  const acc = new FedAvgAccumulator(paramShapes(spec));
  for (const u of updates) acc.add(u.arrays, u.numExamples);
  const want = fedAvgAggregate(updates);
  acc.mean().forEach((a, i) => assert.deepEqual(bits(a.data), bits(want[i].data)));
  assert.throws(() => new FedAvgAccumulator(paramShapes(spec)).mean());
});
