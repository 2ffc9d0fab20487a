import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from './scenario.js';
import { clientNoiseStd, epsilonCurve, honestPipeline, planDropouts, privacyReport, secAggClipRange, sybilPipeline } from './defenses.js';
import { describeMods, epsilon } from '../privacy/index.js';
import { Rng } from '../tensor/rng.js';

const secagg = { numClients: 9, clientsPerRound: 9, secagg: true } as const;

test('noise std per client: σC locally, σC/√M distributed (σ = 3, C = 2, M = 9: 6 and 2), none otherwise', () => {
  assert.equal(clientNoiseStd(parseScenario({ dp: 'local', noiseMultiplier: 3, clippingNorm: 2 })), 6);
  assert.equal(clientNoiseStd(parseScenario({ ...secagg, dp: 'distributed', noiseMultiplier: 3, clippingNorm: 2 })), 2);
  assert.equal(clientNoiseStd(parseScenario({ dp: 'central', noiseMultiplier: 3, clippingNorm: 2 })), 0);
  assert.equal(clientNoiseStd(parseScenario({})), 0);
});

test('the SecAgg range is R₀ (default C) plus six noise stds', () => {
  assert.equal(secAggClipRange(parseScenario({ ...secagg, clippingNorm: 2 })), 2);
  assert.equal(secAggClipRange(parseScenario({ ...secagg, dp: 'distributed', noiseMultiplier: 3, clippingNorm: 2 })), 2 + 6 * 2);
  assert.equal(secAggClipRange(parseScenario({ ...secagg, clippingNorm: 2, secaggRange: 0.125 })), 0.125);
});

test('pipelines in the order clip → noise → mask; sybils never add noise', () => {
  const s = parseScenario({ ...secagg, sybils: 4, dp: 'distributed', noiseMultiplier: 3, clippingNorm: 2 });
  assert.deepEqual(describeMods(honestPipeline(s)).order.map((m) => m.stage), ['clip', 'noise', 'mask']);
  assert.deepEqual(describeMods(sybilPipeline(s)).order.map((m) => m.stage), ['clip', 'mask']);
  assert.equal(describeMods(honestPipeline(parseScenario({}))).text, 'none');
});

test('dropouts: round(p·n) participants, never the target, dealt over the four rounds', () => {
  const ids = Array.from({ length: 100 }, (_, i) => i);
  const d = planDropouts(ids, 42, 0.3, new Rng(1));
  const all = d.flatMap((x) => x.clientIds);
  assert.equal(all.length, 30);
  assert.equal(new Set(all).size, 30);
  assert.ok(!all.includes(42));
  assert.deepEqual(d.map((x) => [x.round, x.clientIds.length]), [[1, 8], [2, 8], [3, 7], [4, 7]]);
  assert.deepEqual(planDropouts(ids, 0, 0, new Rng(1)), []);
  assert.deepEqual(planDropouts(ids, 42, 0.3, new Rng(1)), d, 'seeded');
});

test('ε per round comes from the accountant with q = honest clients per round / clients; ∞ at σ = 0', () => {
  const s = parseScenario({ numClients: 10, clientsPerRound: 5, rounds: 3, dp: 'local', noiseMultiplier: 1.1, clippingNorm: 1 });
  const p = privacyReport(s);
  assert.equal(p.sampleRate, 0.5);
  assert.equal(p.byRound!.length, 3);
  assert.equal(p.byRound![2].epsilon, epsilon({ noiseMultiplier: 1.1, sampleRate: 0.5, steps: 3, delta: 1e-5 }).epsilon);
  assert.ok(p.byRound![0].epsilon < p.byRound![2].epsilon);
  assert.deepEqual(epsilonCurve(0, 1, 1e-5, 2), [{ round: 1, epsilon: Infinity }, { round: 2, epsilon: Infinity }]);
  assert.equal(privacyReport(parseScenario({})).byRound, null);
});
