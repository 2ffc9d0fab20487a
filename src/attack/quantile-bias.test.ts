import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataStatistics, normalQuantile, quantileBiasLayer, rowStatistics } from './quantile-bias.js';
import { preactivations } from './firing.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Dataset } from '../types.js';

/** Φ⁻¹ values from R's qnorm (AS241); the last one checked here by integrating the normal density (Simpson, 2e5 steps). */
const QNORM: [number, number][] = [
  [0.5, 0],
  [0.975, 1.959963984540054],
  [0.99, 2.3263478740408408],
  [0.001, -3.090232306167813],
  [1e-10, -6.361340902404056],
  [0.3, -0.5244005127080407],
  [1 - 1 / 256, 2.6600674686174592],
];

test('normalQuantile matches qnorm to 1e-14 and is ±∞ / NaN at and beyond the ends', () => {
  for (const [p, z] of QNORM) assert.ok(Math.abs(normalQuantile(p) - z) <= 1e-14 * Math.max(1, Math.abs(z)), `p=${p}`);
  for (let p = 0.01; p < 1; p += 0.01) assert.ok(Math.abs(normalQuantile(p) + normalQuantile(1 - p)) < 1e-12);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.ok(Number.isNaN(normalQuantile(1.5)));
  assert.ok(Number.isNaN(normalQuantile(-0.1)));
});

function aux(rng: Rng, size: number, d: number): Dataset {
  const inputs = Float32Array.from({ length: size * d }, () => rng.int(256) / 255);
  return { name: 'aux', kind: 'image', shape: [d, 1, 1], size, inputs, labels: new Int32Array(size), numClasses: 2, source: 'test' };
}

test('row statistics: mean and n−1 standard deviation of w·x over the examples, in float64', () => {
  const rng = new Rng(4);
  const d = 9;
  const n = 5;
  const data = aux(rng, 30, d);
  const kernel = Float32Array.from({ length: d * n }, () => rng.normal());
  const { mean, std } = rowStatistics(kernel, d, n, { kind: 'examples', inputs: data.inputs, count: 30 });
  const pre = preactivations(kernel, new Float32Array(n), data.inputs, 30, d, n);
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: 30 }, (_, b) => pre[b * n + i]);
    const m = v.reduce((a, b) => a + b, 0) / 30;
    const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / 29);
    assert.ok(Math.abs(mean[i] - m) < 1e-12 && Math.abs(std[i] - s) < 1e-12, `row ${i}`);
  }
  // per-pixel statistics: μ = Σ w m, s = √(Σ w² σ²), with σ = 3 so a variance/std mix-up would show
  const px = rowStatistics(kernel, d, n, { kind: 'pixels', mean: new Float64Array(d).fill(0.5), std: new Float64Array(d).fill(3) });
  for (let i = 0; i < n; i++) {
    let m = 0;
    let v = 0;
    for (let j = 0; j < d; j++) {
      m += kernel[j * n + i] * 0.5;
      v += kernel[j * n + i] ** 2 * 9;
    }
    assert.ok(Math.abs(px.mean[i] - m) < 1e-12 && Math.abs(px.std[i] - Math.sqrt(v)) < 1e-12);
  }
});

test('quantile biases put each row at its firing probability over the examples they were set from', () => {
  const rng = new Rng(8);
  const d = 40;
  const n = 200;
  const data = aux(rng, 2000, d);
  const p = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 0.02 : 0.1));
  const { kernel, bias } = quantileBiasLayer(d, n, p, { kind: 'examples', inputs: data.inputs, count: 2000 }, new Rng(1));
  const pre = preactivations(kernel, bias, data.inputs, 2000, d, n);
  const rate = [0, 0];
  for (let b = 0; b < 2000; b++) for (let i = 0; i < n; i++) if (pre[b * n + i] > 0) rate[i % 2]++;
  // uniform pixels make w·x close to normal: the rates land near 10% and 2%
  assert.ok(Math.abs(rate[0] / (2000 * 100) - 0.1) < 0.01, `rate ${rate[0] / 200000}`);
  assert.ok(Math.abs(rate[1] / (2000 * 100) - 0.02) < 0.005, `rate ${rate[1] / 200000}`);
});

test('data statistics come from aux (a seeded subset above auxLimit) or pixel stats, else a coded error', () => {
  const rng = new Rng(2);
  const data = aux(rng, 50, 6);
  const all = dataStatistics('qbi', { seed: 1, aux: data }, 6, {}, 3);
  assert.equal(all.kind === 'examples' && all.count, 50);
  const some = dataStatistics('qbi', { seed: 1, aux: data }, 6, { auxLimit: 10 }, 3);
  assert.equal(some.kind === 'examples' && some.count, 10);
  assert.deepEqual(some, dataStatistics('qbi', { seed: 1, aux: data }, 6, { auxLimit: 10 }, 3));
  const px = dataStatistics('qbi', { seed: 1 }, 2, { pixelStats: { mean: [0.1, 0.2], std: [1, 2] } }, 3);
  assert.equal(px.kind, 'pixels');
  assert.throws(() => dataStatistics('qbi', { seed: 1 }, 6, {}, 3), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.aux');
  assert.throws(() => dataStatistics('qbi', { seed: 1, aux: data }, 7, {}, 3), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(
    () => dataStatistics('qbi', { seed: 1 }, 2, { pixelStats: { mean: [0.1], std: [1, 2] } }, 3),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'qbi.pixelStats',
  );
  assert.throws(
    () => dataStatistics('qbi', { seed: 1 }, 2, { pixelStats: { mean: [0.1, 0.2], std: [1, -2] } }, 3),
    (e) => isFedleakError(e, 'BAD_ARGUMENT'),
  );
});
