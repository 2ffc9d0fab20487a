// Unit tests of the server's ways through secure aggregation: sybil subtraction (src/attack/sybil.ts), dead first
// layers for model inconsistency (src/attack/inconsistent.ts) and the grouped read-out under noise (group-rows.ts).
// They live here, not beside the attack files, while src/attack is being extended by another change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolateUnknown, subtractCodes } from '../attack/sybil.js';
import { deadFirstLayer } from '../attack/inconsistent.js';
import { trap } from '../attack/trap.js';
import { findDense } from '../attack/layer.js';
import { localUpdate, fedAvgAggregate, computeGradient } from '../fl/index.js';
import { modelSpec, initParams } from '../model/index.js';
import { evaluate } from '../eval/index.js';
import { loadMnistNpm, subset } from '../data/index.js';
import { quantizer, addInto } from '../privacy/index.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Update } from '../types.js';
import { groupRows } from './group-rows.js';

const data = loadMnistNpm();
const spec = modelSpec('fc-small', 784, 10, 200);

async function trapModel() {
  await setupBackend('wasm');
  const attack = trap({ scale: 0.7 });
  const crafted = attack.craft(spec, initParams(spec, new Rng(1), 'pytorch'), { seed: 2 });
  return { attack, ...crafted };
}

function batchOf(from: number, count: number) {
  const b = subset(data, Int32Array.from({ length: count }, (_, i) => from + i));
  return { inputs: b.inputs, labels: b.labels, count };
}

function sgd(params: Parameters<typeof localUpdate>[1], from: number, count: number, clientId: string): Update {
  return localUpdate(spec, params, batchOf(from, count), { algorithm: 'fedsgd', batchSize: count, clientId, round: 0 });
}

test('sybil subtraction recovers the target from an example-weighted FedSGD mean, sizes differing', async () => {
  const { attack, params, secrets } = await trapModel();
  const target = sgd(params, 0, 4, 'target');
  const sybils = [sgd(params, 100, 6, 'sybil-0'), sgd(params, 200, 9, 'sybil-1')];
  const all = [target, ...sybils];
  const mean = fedAvgAggregate(all);
  const total = all.reduce((a, u) => a + u.numExamples, 0);
  const { arrays, weight } = isolateUnknown(mean, total, sybils.map((u) => ({ arrays: u.arrays, weight: u.numExamples })));
  assert.equal(weight, 4);
  // Equal to the target's update up to the float32 rounding of the mean (relative to the sybils' share).
  arrays.forEach((a, i) => {
    const t = target.arrays[i].data;
    let scale = 0;
    for (const u of all) for (const v of u.arrays[i].data) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < t.length; j++) assert.ok(Math.abs(a.data[j] - t[j]) <= 1e-6 * scale + 1e-12, `${a.name}[${j}]`);
  });
  // Weighting by example counts matters: an unweighted subtraction leaves a residue of the sybils.
  const wrong = isolateUnknown(mean, 3, sybils.map((u) => ({ arrays: u.arrays, weight: 1 })));
  const diff = wrong.arrays[1].data.reduce((m, v, j) => Math.max(m, Math.abs(v - target.arrays[1].data[j])), 0);
  assert.ok(diff > 1e-4, `an unweighted subtraction should be off, got ${diff}`);
  // The read-out on the isolated update extracts what it extracts from the target's own update.
  const truth = { inputs: batchOf(0, 4).inputs, count: 4, shape: data.shape };
  const own = evaluate(truth, attack.reconstruct(target, secrets));
  const iso = evaluate(truth, attack.reconstruct({ ...target, arrays }, secrets));
  assert.ok(own.recall > 0.5, `R = ${own.recall}`);
  assert.deepEqual(iso.exactInputs, own.exactInputs);
});

test('subtracting known SecAgg codes leaves the target\'s code exactly (mod 2^32)', () => {
  const n = 5;
  const qz = quantizer({ clipRange: 1, numClients: n });
  const rng = new Rng(4);
  const inputs = Array.from({ length: n }, () => Float32Array.from({ length: 64 }, () => rng.uniform() * 2 - 1));
  const sum = new Uint32Array(64);
  for (const x of inputs) addInto(sum, qz.quantize(x).values);
  const left = subtractCodes(sum, inputs.slice(1).map((x) => qz.quantize(x).values));
  assert.deepEqual(Array.from(left), Array.from(qz.quantize(inputs[0]).values));
  const decoded = qz.dequantizeSum(left);
  decoded.forEach((v, j) => assert.ok(Math.abs(v - inputs[0][j]) <= qz.errorPerValue));
  assert.throws(() => subtractCodes(sum, [new Uint32Array(3)]), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});

test('isolateUnknown refuses what it cannot do, with coded errors', async () => {
  const { params } = await trapModel();
  const u = sgd(params, 0, 2, 'c');
  assert.throws(() => isolateUnknown(u.arrays, 2, [{ arrays: u.arrays, weight: 2 }]),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'isolateUnknown.known');
  assert.throws(() => isolateUnknown(u.arrays, 0, []), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => isolateUnknown(u.arrays, 3, [{ arrays: u.arrays.slice(1), weight: 1 }]),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});

test('a dead first layer gives exactly zero first-layer gradients and weight changes, for any batch', async () => {
  const { params } = await trapModel();
  const dead = deadFirstLayer(params);
  const l = findDense(dead, 'dense0', 'params');
  const orig = findDense(params, 'dense0', 'params');
  for (let k = 0; k < l.kernel.data.length; k++) {
    assert.equal(Math.abs(l.kernel.data[k]), Math.abs(orig.kernel.data[k]));
    assert.ok(l.kernel.data[k] <= 0);
  }
  assert.ok(l.bias.data.every((b) => b <= -1));
  for (const from of [0, 500, 5000]) {
    const b = batchOf(from, 16);
    const g = computeGradient(spec, dead, b.inputs, b.labels, 16);
    for (const name of ['dense0/kernel', 'dense0/bias', 'dense1/kernel']) {
      assert.ok(g.find((a) => a.name === name)!.data.every((v) => v === 0), `${name} should be exactly 0`);
    }
    assert.ok(g.find((a) => a.name === 'dense2/bias')!.data.some((v) => v !== 0), 'later biases still learn');
  }
  const delta = localUpdate(spec, dead, batchOf(0, 20), {
    algorithm: 'fedavg', batchSize: 5, batches: 4, learningRate: 0.5, clientId: 'c', round: 0,
  });
  assert.ok(delta.arrays[0].data.every((v) => v === 0) && delta.arrays[1].data.every((v) => v === 0));
  // The target's update plus dead clients' updates: the sum's first layer is the target's, bit for bit.
  const target = sgd(params, 0, 8, 't');
  const others = [sgd(dead, 100, 8, 'a'), sgd(dead, 200, 8, 'b')];
  const mean = fedAvgAggregate([target, ...others]);
  // fedAvgAggregate sums 8·g + 8·0 + 8·0 in float64 and divides by 24: the dead clients add exactly nothing.
  for (let j = 0; j < mean[1].data.length; j++) assert.equal(mean[1].data[j], Math.fround((8 * target.arrays[1].data[j]) / 24));
});

test('under noise, grouping the rows that hold one input beats reading rows alone', async () => {
  const { attack, params, secrets } = await trapModel();
  const u = sgd(params, 0, 8, 't');
  const std = 1e-5;
  // Seeded noise, so the test is deterministic (the simulator's DP noise comes from the CSPRNG).
  const rng = new Rng(5);
  const noisy: Update = { ...u, arrays: u.arrays.map((a) => ({ ...a, data: a.data.map((v) => v + std * rng.normal()) })) };
  const truth = { inputs: batchOf(0, 8).inputs, count: 8, shape: data.shape };
  const grouped = groupRows(noisy, 'trap', { noiseStd: std });
  assert.ok(grouped.signalRows > 0 && grouped.signalRows < 200);
  assert.ok(grouped.groupSizes.some((s) => s > 1), 'some input fired several rows');
  assert.ok(grouped.groups < grouped.signalRows);
  const g = evaluate(truth, grouped);
  const plain = evaluate(truth, attack.reconstruct(noisy, secrets));
  const meanPsnr = (m: typeof g) => m.perInput.reduce((a, p) => a + Math.min(p.psnr ?? 0, 60), 0) / m.perInput.length;
  assert.ok(meanPsnr(g) > meanPsnr(plain), `grouped ${meanPsnr(g)} dB vs rows alone ${meanPsnr(plain)} dB`);
  assert.throws(() => groupRows(u, 'trap', { noiseStd: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});
