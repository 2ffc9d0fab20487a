/** Tests for the Gamma and Dirichlet samplers: moments against theory, tiny-alpha stability, determinism. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFedleakError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import { sampleDirichlet, sampleGamma } from './dirichlet.js';

test('Gamma(shape, 1) has mean and variance equal to shape, for shape below and above 1', () => {
  const draws = 40000;
  for (const shape of [0.3, 1, 3, 20]) {
    const rng = new Rng(11);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < draws; i++) {
      const g = sampleGamma(shape, rng);
      assert.ok(g >= 0 && Number.isFinite(g));
      sum += g;
      sq += g * g;
    }
    const mean = sum / draws;
    const variance = sq / draws - mean * mean;
    // Standard error of the mean is sqrt(shape / draws); allow 5 of them.
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / draws), `shape ${shape}: mean ${mean}`);
    assert.ok(Math.abs(variance / shape - 1) < 0.1, `shape ${shape}: variance ${variance}`);
  }
});

test('Dirichlet draws sum to 1; mean of each coordinate is 1/k', () => {
  const rng = new Rng(3);
  const k = 4;
  const mean = new Float64Array(k);
  const draws = 5000;
  for (let i = 0; i < draws; i++) {
    const p = sampleDirichlet(0.5, k, rng);
    const s = p.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-12);
    for (let j = 0; j < k; j++) mean[j] += p[j] / draws;
  }
  for (const m of mean) assert.ok(Math.abs(m - 0.25) < 0.02, `mean ${m}`);
});

test('tiny alpha gives near one-hot proportions, never NaN', () => {
  const rng = new Rng(9);
  let oneHot = 0;
  const draws = 500;
  for (let i = 0; i < draws; i++) {
    const p = sampleDirichlet(0.001, 10, rng);
    for (const v of p) assert.ok(Number.isFinite(v) && v >= 0);
    if (Math.max(...p) > 0.99) oneHot++;
  }
  // Two coordinates tie within a factor 99 only when their uniforms' logs differ by < ln(99)·α ≈ 0.005,
  // about 5% of draws for k = 10; a naive exp() of each Gamma would give 0/0 in most draws instead.
  assert.ok(oneHot / draws > 0.9, `${oneHot} of ${draws} near one-hot`);
});

test('same seed, same draws; bad parameters are BAD_ARGUMENT', () => {
  assert.deepEqual(sampleDirichlet(2, 5, new Rng(1)), sampleDirichlet(2, 5, new Rng(1)));
  assert.throws(() => sampleDirichlet(0, 3, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => sampleDirichlet(1, 0, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => sampleGamma(-2, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});
