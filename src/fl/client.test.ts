/** Tests for localUpdate: FedSGD = one gradient, FedAvg = local SGD deltas, option errors, no leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localUpdate, type LocalUpdateOptions } from './client.js';
import { computeGradient } from './gradient.js';
import { initParams } from '../model/init.js';
import { cloneArrays } from '../model/params.js';
import { modelSpec } from '../model/spec.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { FLOAT32_REL_TOL, assertClose, assertNoLeak, forEachBackend, uniformArray } from '../tensor/testing.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays } from '../types.js';

const spec = modelSpec('fc-small', 12, 4, 8);
const params = initParams(spec, new Rng(1));
const count = 24;
const rng = new Rng(2);
const data = {
  inputs: uniformArray(rng, count * spec.inputDim),
  labels: Int32Array.from({ length: count }, () => rng.int(spec.numClasses)),
  count,
};
const base = { clientId: 'c0', round: 3 };

/** SGD in plain JS over computeGradient, batch after batch, as the spec describes FedAvg's client. */
function manualSgd(order: (epoch: number) => Int32Array, b: number, k: number, epochs: number, lr: number): NamedArrays {
  const w = cloneArrays(params);
  for (let e = 0; e < epochs; e++) {
    const idx = order(e);
    for (let s = 0; s < k; s++) {
      const rows = idx.subarray(s * b, (s + 1) * b);
      const x = new Float32Array(b * spec.inputDim);
      rows.forEach((r, i) => x.set(data.inputs.subarray(r * spec.inputDim, (r + 1) * spec.inputDim), i * spec.inputDim));
      const g = computeGradient(spec, w, x, Int32Array.from(rows, (r) => data.labels[r]), b);
      w.forEach((p, i) => p.data.forEach((v, j) => (p.data[j] = v - lr * g[i].data[j])));
    }
  }
  return w.map((p, i) => ({ ...p, data: p.data.map((v, j) => v - params[i].data[j]) }));
}

test('fedsgd sends the gradient of the first batchSize examples', async () => {
  await forEachBackend(async (backend) => {
    const u = await assertNoLeak(() => localUpdate(spec, params, data, { ...base, algorithm: 'fedsgd', batchSize: 5 }));
    assert.equal(u.kind, 'gradient');
    assert.equal(u.numExamples, 5);
    assert.equal(u.clientId, 'c0');
    assert.equal(u.round, 3);
    const g = computeGradient(spec, params, data.inputs, data.labels, 5);
    u.arrays.forEach((a, i) => assertClose(a.data, g[i].data, FLOAT32_REL_TOL, `${backend} ${a.name}`));
  });
});

test('fedavg with 1 batch and 1 epoch sends −learningRate · gradient', async () => {
  const lr = 0.5;
  await forEachBackend(async (backend) => {
    const u = await assertNoLeak(() =>
      localUpdate(spec, params, data, { ...base, algorithm: 'fedavg', batchSize: 6, batches: 1, learningRate: lr }),
    );
    assert.equal(u.kind, 'delta');
    assert.equal(u.numExamples, 6);
    const g = computeGradient(spec, params, data.inputs, data.labels, 6);
    u.arrays.forEach((a, i) => {
      a.data.forEach((d, j) => {
        // new − old in float32 loses what the weight's ulp hides: allow 2 ulps of the weight on top.
        const tol = 2 * 2 ** -23 * Math.abs(params[i].data[j]) + FLOAT32_REL_TOL * Math.abs(lr * g[i].data[j]) + 1e-12;
        assert.ok(Math.abs(d + lr * g[i].data[j]) <= tol, `${backend} ${a.name}[${j}]: ${d} vs ${-lr * g[i].data[j]}`);
      });
    });
    assert.equal(params[0].data[0], initParams(spec, new Rng(1))[0].data[0], 'params are not changed');
  });
});

test('fedavg runs localEpochs passes over K consecutive batches, reshuffled per epoch with rng', async () => {
  await setupBackend('wasm');
  const [b, k, epochs, lr] = [4, 3, 2, 0.3];
  const inOrder = (_: number) => Int32Array.from({ length: b * k }, (_, i) => i);
  const plain = localUpdate(spec, params, data, { ...base, algorithm: 'fedavg', batchSize: b, batches: k, localEpochs: epochs, learningRate: lr });
  assert.equal(plain.numExamples, 12);
  const expectPlain = manualSgd(inOrder, b, k, epochs, lr);
  plain.arrays.forEach((a, i) => assertClose(a.data, expectPlain[i].data, 1e-3, `in order ${a.name}`));

  const shuffled = localUpdate(spec, params, data, {
    ...base, algorithm: 'fedavg', batchSize: b, batches: k, localEpochs: epochs, learningRate: lr, rng: new Rng(9),
  });
  const perm = new Rng(9);
  const orders = [perm.permutation(b * k), perm.permutation(b * k)];
  const expectShuffled = manualSgd((e) => orders[e], b, k, epochs, lr);
  shuffled.arrays.forEach((a, i) => assertClose(a.data, expectShuffled[i].data, 1e-3, `shuffled ${a.name}`));
  assert.ok(plain.arrays[0].data.some((v, j) => v !== shuffled.arrays[0].data[j]), 'shuffling changed nothing');

  // K defaults to as many batches as the data holds
  const all = localUpdate(spec, params, data, { ...base, algorithm: 'fedavg', batchSize: 5, learningRate: lr });
  assert.equal(all.numExamples, 20);
});

test('localUpdate leaves no tensor behind for fedavg, on wasm and cpu', async () => {
  await forEachBackend(async () => {
    await assertNoLeak(() =>
      localUpdate(spec, params, data, { ...base, algorithm: 'fedavg', batchSize: 4, batches: 2, localEpochs: 2, learningRate: 0.1, rng: new Rng(1) }),
    );
  });
});

test('localUpdate refuses bad options with BAD_ARGUMENT and the option name', async () => {
  await setupBackend('cpu');
  const avg: LocalUpdateOptions = { ...base, algorithm: 'fedavg', batchSize: 4, batches: 2, learningRate: 0.1 };
  const cases: [Partial<LocalUpdateOptions> | Record<string, unknown>, string][] = [
    [{ algorithm: 'sgd' }, 'algorithm'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 2.5 }, 'batchSize'],
    [{ batchSize: 25 }, 'batchSize'],
    [{ batches: 0 }, 'batches'],
    [{ batches: 7 }, 'batches'],
    [{ batches: 1.5 }, 'batches'],
    [{ localEpochs: 0 }, 'localEpochs'],
    [{ learningRate: undefined }, 'learningRate'],
    [{ learningRate: -0.1 }, 'learningRate'],
    [{ learningRate: Number.NaN }, 'learningRate'],
    [{ clientId: '' }, 'clientId'],
    [{ round: -1 }, 'round'],
    [{ algorithm: 'fedsgd', batches: 0 }, 'batches'],
  ];
  for (const [change, path] of cases) {
    assert.throws(
      () => localUpdate(spec, params, data, { ...avg, ...change } as LocalUpdateOptions),
      (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === path && e.hint.length > 0,
      JSON.stringify(change),
    );
  }
  assert.throws(
    () => localUpdate(spec, params, { ...data, count: 25 }, avg),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.path === 'data.count',
  );
  // FedSGD ignores FedAvg's options when they are valid (a simulator may pass one option set to both)
  const u = localUpdate(spec, params, data, { ...avg, algorithm: 'fedsgd', batches: 5, localEpochs: 3 });
  assert.equal(u.numExamples, 4);
});
