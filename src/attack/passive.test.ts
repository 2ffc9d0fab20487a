import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passive } from './passive.js';
import { isFedleakError } from '../errors.js';
import type { ModelSpec, NamedArrays, Update } from '../types.js';

const spec: ModelSpec = { arch: 'fc-small', inputDim: 2, neurons: 3, hidden: [], numClasses: 2 };

test('passive: craft sends the parameters unchanged, reconstruct reads every active neuron of dense0', () => {
  const params: NamedArrays = [
    { name: 'dense0/kernel', shape: [2, 3], data: new Float32Array(6).fill(0.1) },
    { name: 'dense0/bias', shape: [3], data: new Float32Array(3) },
  ];
  const attack = passive();
  assert.equal(attack.name, 'passive');
  const { params: sent, secrets } = attack.craft(spec, params, { seed: 1 });
  assert.equal(sent, params);
  const update: Update = {
    clientId: 'c0',
    round: 0,
    kind: 'delta',
    numExamples: 1,
    arrays: [
      // input x = [0.2, 0.6] fired neuron 2 with dL/dy = −0.25 (a delta is −lr × that; the ratio is the same)
      { name: 'dense0/kernel', shape: [2, 3], data: Float32Array.of(0, 0, -0.05, 0, 0, -0.15) },
      { name: 'dense0/bias', shape: [3], data: Float32Array.of(0, 0, -0.25) },
      { name: 'dense1/kernel', shape: [3, 2], data: new Float32Array(6) },
    ],
  };
  const rec = attack.reconstruct(update, secrets);
  assert.equal(rec.attack, 'passive');
  assert.equal(rec.layer, 'dense0');
  assert.equal(rec.activeNeurons, 1);
  assert.equal(rec.totalNeurons, 3);
  assert.equal(rec.candidates[0].neuron, 2);
  assert.ok(Math.abs(rec.candidates[0].x[0] - 0.2) < 1e-7 && Math.abs(rec.candidates[0].x[1] - 0.6) < 1e-7);
  assert.ok(rec.timings.readoutMs >= 0 && rec.timings.readoutMs < 1000);
});

test('passive: an update without dense0 names what is missing; options are refused', () => {
  const update: Update = {
    clientId: 'c0',
    round: 0,
    kind: 'gradient',
    numExamples: 1,
    arrays: [{ name: 'conv0/kernel', shape: [1], data: new Float32Array(1) }],
  };
  assert.throws(
    () => passive().reconstruct(update, { layer: 'dense0' }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.message.includes('dense0/kernel or dense0/bias') && e.message.includes('conv0/kernel'),
  );
  assert.throws(() => passive({ scale: 0.5 } as never), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});
