import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, auxSize, scenarioAttacks } from './scenario.js';
import { isFedleakError } from '../errors.js';
import { attackNames } from '../attack/index.js';
import { initSchemes } from '../model/init.js';

test('defaults fill every field', () => {
  const s = parseScenario({});
  assert.equal(s.dataset, 'mnist');
  assert.equal(s.neurons, 1000);
  assert.equal(s.batchSize, 100);
  assert.equal(s.attack, 'trap');
  assert.equal(s.algorithm, 'fedsgd');
});

test('a bad field is refused with its path', () => {
  assert.throws(
    () => parseScenario({ scale: 1.4 }),
    (e) => isFedleakError(e, 'BAD_SCENARIO') && e.message.startsWith('scenario.scale'),
  );
  assert.throws(() => parseScenario({ batchSize: 0 }), (e) => isFedleakError(e, 'BAD_SCENARIO'));
  assert.throws(() => parseScenario({ bogus: 1 }), (e) => isFedleakError(e, 'BAD_SCENARIO'));
  assert.throws(
    () => parseScenario({ numClients: 2, clientsPerRound: 3 }),
    (e) => isFedleakError(e, 'BAD_SCENARIO') && e.path === 'scenario.clientsPerRound',
  );
});

test("scenario inits are initParams's schemes (the Gaussian ones included); others are refused", () => {
  for (const init of initSchemes) assert.equal(parseScenario({ init }).init, init);
  assert.equal(parseScenario({}).init, 'pytorch');
  assert.throws(() => parseScenario({ init: 'he' as never }), (e) => isFedleakError(e, 'BAD_SCENARIO') && e.message.startsWith('scenario.init'));
});

test('the attacker holds auxiliary data only when it must tune', () => {
  assert.equal(auxSize(parseScenario({ attack: 'trap' })), 100);
  assert.equal(auxSize(parseScenario({ attack: 'trap', batchSize: 200 })), 200);
  assert.equal(auxSize(parseScenario({ attack: 'trap', tuneOn: 50 })), 50);
  assert.equal(auxSize(parseScenario({ attack: 'trap', scale: 0.7 })), 0);
  assert.equal(auxSize(parseScenario({ attack: 'passive' })), 0);
});

test('scenario attacks match the attack registry', () => {
  assert.deepEqual([...scenarioAttacks].sort(), [...attackNames].sort());
});

test('defense combinations that cannot work are refused with the field and the fix', () => {
  const refuse = (input: object, path: string, re: RegExp) =>
    assert.throws(() => parseScenario(input), (e) => isFedleakError(e, 'BAD_SCENARIO') && e.path === path && re.test(e.message), path);
  refuse({ dp: 'local', noiseMultiplier: 1 }, 'scenario.clippingNorm', /needs a clipping norm/);
  refuse({ dp: 'distributed', clippingNorm: 1 }, 'scenario.noiseMultiplier', /noise multiplier/);
  refuse({ noiseMultiplier: 1 }, 'scenario.noiseMultiplier', /no DP mode/);
  refuse({ dp: 'local', noiseMultiplier: -1, clippingNorm: 1 }, 'scenario.noiseMultiplier', /0/);
  refuse({ dp: 'local', noiseMultiplier: 1, clippingNorm: 0 }, 'scenario.clippingNorm', /0/);
  refuse({ numClients: 4, clientsPerRound: 4, sybils: 4 }, 'scenario.sybils', /no honest client/);
  refuse({ numClients: 2, clientsPerRound: 10, sybils: 7 }, 'scenario.clientsPerRound', /exceeds numClients/);
  refuse({ secagg: true, numClients: 4, clientsPerRound: 4 }, 'scenario.clippingNorm', /fixed range/);
  refuse({ secagg: true, clippingNorm: 1 }, 'scenario.secagg', /at least 2 clients/);
  refuse({ secagg: true, clippingNorm: 1, numClients: 4, clientsPerRound: 4, secaggThreshold: 5 }, 'scenario.secaggThreshold', /exceeds/);
  refuse({ secaggThreshold: 3 }, 'scenario.secaggThreshold', /without --secagg/);
  refuse({ secaggRange: 0.1 }, 'scenario.secaggRange', /without --secagg/);
  refuse({ dropout: 0.2 }, 'scenario.dropout', /secure-aggregation rounds/);
  refuse({ secagg: true, clippingNorm: 1, numClients: 4, clientsPerRound: 4, dropout: 1 }, 'scenario.dropout', /1/);
  refuse({ numClients: 3, target: 3 }, 'scenario.target', /does not exist/);
  refuse({ secagg: true, clippingNorm: 1, numClients: 20, clientsPerRound: 20, secaggNeighbours: 5 }, 'scenario.secaggNeighbours', /even/);
});

test('defaults of the defenses: no DP, no SecAgg, δ = 1e-5; sybils need auxiliary data for one update', () => {
  const s = parseScenario({});
  assert.equal(s.dp, 'none');
  assert.equal(s.secagg, false);
  assert.equal(s.delta, 1e-5);
  assert.equal(s.sybils, 0);
  assert.equal(auxSize(parseScenario({ attack: 'trap', scale: 0.7, numClients: 2, clientsPerRound: 2, sybils: 1 })), 100);
  assert.throws(() => parseScenario({ attack: 'passive', batchSize: 20, tuneOn: 10, numClients: 2, clientsPerRound: 2, sybils: 1 }),
    (e) => isFedleakError(e, 'BAD_SCENARIO') && e.path === 'scenario.tuneOn');
});
