import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, auxSize, scenarioAttacks } from './scenario.js';
import { isFedleakError } from '../errors.js';
import { attackNames } from '../attack/index.js';

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
