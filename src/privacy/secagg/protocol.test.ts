/** Tests for whole secure-aggregation rounds: exact sums under dropouts at every round, and clean aborts below t. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSecAgg, type SecAggDropout } from './protocol.js';
import { addInto, quantizer } from './quantize.js';
import { isFedleakError } from '../../errors.js';
import type { NamedArrays } from '../../types.js';

function vectors(n: number, length: number, seed = 1): Float32Array[] {
  return Array.from({ length: n }, (_, i) => Float32Array.from({ length }, (_, j) => Math.sin(seed * 1000 + i * 31 + j * 7) * 0.99));
}

/** The exact sum of the included clients' codes, and the float64 sum of their inputs. */
function expected(inputs: Float32Array[], ids: number[], clipRange: number, n: number) {
  const qz = quantizer({ clipRange, numClients: n });
  const codes = new Uint32Array(inputs[0].length);
  const plain = new Float64Array(inputs[0].length);
  for (const id of ids) {
    addInto(codes, qz.quantize(inputs[id]).values);
    inputs[id].forEach((v, j) => { plain[j] += v; });
  }
  return { codes, plain };
}

test('20 clients, t = 14, one or two dropping at each round: the unmasked sum is the plain sum', async () => {
  const inputs = vectors(20, 300);
  const dropouts: SecAggDropout[] = [{ round: 1, clientIds: [3] }, { round: 2, clientIds: [7, 8] },
    { round: 3, clientIds: [0, 19] }, { round: 4, clientIds: [11] }];
  const r = await runSecAgg({ inputs, threshold: 14, clipRange: 1, dropouts });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  // Clients that dropped in round 4 had sent their input: it is in the sum.
  assert.deepEqual(r.included, [1, 2, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  assert.equal(r.survivors[1].length, 19);
  assert.equal(r.survivors[2].length, 17);
  assert.equal(r.survivors[3].length, 15);
  assert.equal(r.survivors[4].length, 14);
  const { codes, plain } = expected(inputs, r.included, 1, 20);
  assert.deepEqual(r.quantizedSum, codes, 'exactly the sum of the quantised inputs');
  plain.forEach((v, j) => assert.ok(Math.abs(v - r.sum[j]) <= r.errorBound, `coordinate ${j}: ${r.sum[j]} vs ${v}`));
  assert.ok(r.errorBound < 1e-7);
  // bytes: a client that stayed to the end sent keys, 19 boxes, 300 words and its shares
  const finisher = r.survivors[4][0];
  assert.ok(r.bytesSentPerClient[finisher] > 4 * 300 && r.bytesSentPerClient[finisher] < 4 * 300 + 5000);
  assert.equal(r.bytesSentPerClient[3], 0, 'a client gone before round 1 sent nothing');
  assert.equal(r.timings.rounds.length, 4);
});

test('masks cancel for any dropouts leaving ≥ t clients; the round aborts at the first round below t (property)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 3, max: 7 }).chain((n) => fc.record({
      n: fc.constant(n),
      t: fc.integer({ min: 1, max: n }),
      when: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }), // 0: never drops
    })),
    async ({ n, t, when }) => {
      const inputs = vectors(n, 12, n * 10 + t);
      const dropouts = ([1, 2, 3, 4] as const).map((round) => ({ round, clientIds: when.flatMap((w, i) => (w === round ? [i] : [])) }));
      const alive = (round: number) => when.filter((w) => w === 0 || w > round).length;
      const firstShort = ([1, 2, 3, 4] as const).find((round) => alive(round) < t);
      const r = await runSecAgg({ inputs, threshold: t, clipRange: 1, dropouts });
      if (firstShort !== undefined) {
        assert.ok(!r.ok, 'expected an abort');
        assert.equal(r.round, firstShort);
        assert.equal(r.survivors, alive(firstShort));
        return;
      }
      assert.ok(r.ok, r.ok ? '' : r.reason);
      const included = when.flatMap((w, i) => (w === 0 || w === 4 ? [i] : []));
      assert.deepEqual(r.included, included);
      assert.deepEqual(r.quantizedSum, expected(inputs, included, 1, n).codes);
    }), { numRuns: 25 });
});

test('more than n − t dropouts abort cleanly with the reason spelt out', async () => {
  const inputs = vectors(20, 8);
  const r = await runSecAgg({ inputs, threshold: 15, clipRange: 1,
    dropouts: [{ round: 2, clientIds: [0, 1, 2, 3, 4, 5] }, { round: 3, clientIds: [6, 7] }] });
  assert.deepEqual(r, { ok: false, round: 2, survivors: 14, threshold: 15,
    reason: 'only 14 clients survived round 2 (share keys), threshold t = 15' });
  const late = await runSecAgg({ inputs, threshold: 15, clipRange: 1,
    dropouts: [{ round: 3, clientIds: [0, 1, 2] }, { round: 4, clientIds: [3, 4, 5] }] });
  assert.ok(!late.ok && late.round === 4 && late.reason === 'only 14 clients survived round 4 (unmasking), threshold t = 15');
});

test('SecAgg+ (k = 6 neighbours of 30): exact sum with dropouts in every round, and far fewer masks per client', async () => {
  const inputs = vectors(30, 200, 7);
  const dropouts: SecAggDropout[] = [{ round: 1, clientIds: [0] }, { round: 2, clientIds: [10] },
    { round: 3, clientIds: [20] }, { round: 4, clientIds: [29] }];
  const r = await runSecAgg({ inputs, threshold: 3, clipRange: 1, dropouts, neighbours: 6 });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.included.length, 27);
  assert.deepEqual(r.quantizedSum, expected(inputs, r.included, 1, 30).codes);
  // a client sends 6 boxes instead of 28 (each 4 + 4 + 132 bytes on the wire), and reveals fewer shares
  const full = await runSecAgg({ inputs, threshold: 3, clipRange: 1, dropouts });
  assert.ok(full.ok);
  const f = r.survivors[4][0];
  assert.ok(full.bytesSentPerClient[f] - r.bytesSentPerClient[f] >= 22 * 140);
  assert.deepEqual(full.quantizedSum, r.quantizedSum);
});

test('SecAgg+ with random dropouts either sums exactly or aborts with a threshold reason (property)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 12, maxLength: 12 }), // 1–4: drops in that round
    async (when) => {
      const inputs = vectors(12, 8, 3);
      const dropouts = ([1, 2, 3, 4] as const).map((round) => ({ round, clientIds: when.flatMap((w, i) => (w === round ? [i] : [])) }));
      const r = await runSecAgg({ inputs, threshold: 2, clipRange: 1, dropouts, neighbours: 4 });
      if (!r.ok) {
        const why = /^only \d+ (clients survived round \d|surviving clients hold shares of client \d+'s (self-mask seed|masking key)), /;
        assert.match(r.reason, why);
        assert.match(r.reason, /threshold t = 2$/);
        return;
      }
      const included = when.flatMap((w, i) => (w === 0 || w >= 4 ? [i] : []));
      assert.deepEqual(r.included, included);
      assert.deepEqual(r.quantizedSum, expected(inputs, included, 1, 12).codes);
    }), { numRuns: 15 });
});

test('SecAgg+ options are checked: k even and t ≤ k', async () => {
  const inputs = vectors(10, 4);
  await assert.rejects(runSecAgg({ inputs, threshold: 3, clipRange: 1, neighbours: 5 }),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'secAgg.neighbours');
  await assert.rejects(runSecAgg({ inputs, threshold: 5, clipRange: 1, neighbours: 4 }),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'secAgg.threshold');
});

test('named arrays in, named arrays out; values beyond ±R are clamped and counted', async () => {
  const make = (k: number): NamedArrays => [
    { name: 'dense0/kernel', shape: [2, 2], data: Float32Array.of(k, -k, 0.5, 3) },
    { name: 'dense0/bias', shape: [2], data: Float32Array.of(0.25, -0.25) },
  ];
  const r = await runSecAgg({ inputs: [make(0.1), make(0.2), make(0.3)], threshold: 2, clipRange: 1 });
  assert.ok(r.ok);
  assert.deepEqual(r.arrays!.map((a) => [a.name, a.shape]), [['dense0/kernel', [2, 2]], ['dense0/bias', [2]]]);
  const want = [0.6, -0.6, 1.5, 3, 0.75, -0.75]; // 3 is clamped to R = 1 on each client: 3 · 1
  [...r.arrays![0].data, ...r.arrays![1].data].forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-6, `${j}: ${v}`));
  assert.equal(r.clampedValues, 3);
});

test('bad options fail with coded errors before any message is sent', async () => {
  const inputs = vectors(4, 4);
  const bad = (opts: Parameters<typeof runSecAgg>[0], code: 'BAD_ARGUMENT' | 'SHAPE_MISMATCH', path: RegExp) =>
    assert.rejects(runSecAgg(opts), (e) => isFedleakError(e, code) && path.test(e.path ?? ''));
  await bad({ inputs, threshold: 5, clipRange: 1 }, 'BAD_ARGUMENT', /threshold/);
  await bad({ inputs, threshold: 2, clipRange: 0 }, 'BAD_ARGUMENT', /clipRange/);
  await bad({ inputs: inputs.slice(0, 1), threshold: 1, clipRange: 1 }, 'BAD_ARGUMENT', /inputs/);
  await bad({ inputs, threshold: 2, clipRange: 1, dropouts: [{ round: 2, clientIds: [9] }] }, 'BAD_ARGUMENT', /dropouts/);
  await bad({ inputs, threshold: 2, clipRange: 1, dropouts: [{ round: 2, clientIds: [1] }, { round: 3, clientIds: [1] }] },
    'BAD_ARGUMENT', /dropouts/);
  await bad({ inputs, threshold: 2, clipRange: 1, dropouts: [{ round: 5 as 4, clientIds: [1] }] }, 'BAD_ARGUMENT', /round/);
  await bad({ inputs: [inputs[0], inputs[1].subarray(0, 3)], threshold: 2, clipRange: 1 }, 'SHAPE_MISMATCH', /inputs\[1\]/);
  await assert.rejects(runSecAgg({ inputs: [Float32Array.of(NaN), Float32Array.of(1)], threshold: 2, clipRange: 1 }),
    (e) => isFedleakError(e, 'NOT_FINITE'));
});
