/** Tests for local, distributed and central DP noise: the std of each, with σ = 3 so std/variance mix-ups show. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centralNoise, centralNoiseStd, dpNoise, dpNoiseStd } from './dp-noise.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays, Update } from '../types.js';

const N = 200_000;
const zeros = (n = N): Update => ({ clientId: 'c', round: 0, kind: 'gradient', numExamples: 1, arrays: [
  { name: 'w', shape: [n - 10], data: new Float32Array(n - 10) },
  { name: 'b', shape: [10], data: new Float32Array(10) },
] });

function stdOf(arrays: NamedArrays): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (const a of arrays) for (const v of a.data) { s += v; s2 += v * v; n++; }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean) };
}

test('local DP with σ = 3, C = 0.5 adds noise of std σC = 1.5 (not σ²C = 4.5, not σ²C² = 2.25)', () => {
  const out = dpNoise({ mode: 'local', noiseMultiplier: 3, clippingNorm: 0.5 })(zeros());
  const { mean, std } = stdOf(out.arrays);
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(std - 1.5) < 0.015, `std ${std}`);
  assert.equal(out.arrays[1].data.length, 10);
  assert.notEqual(out.arrays[1].data[3], 0, 'every array gets noise');
});

test('distributed DP with σ = 3, C = 2, M = 16 adds std σC/√M = 1.5 per client, σC = 6 over the sum', () => {
  const opts = { mode: 'distributed' as const, noiseMultiplier: 3, clippingNorm: 2, numClients: 16 };
  assert.equal(dpNoiseStd(opts), 1.5);
  const mod = dpNoise(opts);
  const one = stdOf(mod(zeros()).arrays);
  assert.ok(Math.abs(one.std - 1.5) < 0.015, `per-client std ${one.std}`);
  // The sum of the M clients' noise has variance M · σ²C²/M = σ²C²: std σC = 6.
  const n = 20_000;
  const sum = new Float64Array(n);
  for (let k = 0; k < 16; k++) mod(zeros(n)).arrays.forEach((a, i) => a.data.forEach((v, j) => { sum[i * (n - 10) + j] += v; }));
  const s = Math.sqrt(sum.reduce((acc, v) => acc + v * v, 0) / n);
  assert.ok(Math.abs(s - 6) < 0.15, `std of the summed noise ${s}`);
});

test('central DP adds std σC/M to the mean of M clipped updates', () => {
  const agg: NamedArrays = [{ name: 'w', shape: [N], data: new Float32Array(N).fill(2) }];
  const opts = { noiseMultiplier: 3, clippingNorm: 4, numClients: 8 };
  assert.equal(centralNoiseStd(opts), 1.5);
  const out = centralNoise(agg, opts);
  const { mean, std } = stdOf(out);
  assert.ok(Math.abs(mean - 2) < 0.02 && Math.abs(std - 1.5) < 0.015, `${mean} ${std}`);
  assert.equal(agg[0].data[0], 2, 'the aggregate is not changed');
  assert.deepEqual(centralNoise(agg, { ...opts, noiseMultiplier: 0 }), agg);
});

test('σ = 0 adds nothing', () => {
  const u = zeros(100);
  u.arrays[0].data[0] = 0.25;
  const out = dpNoise({ mode: 'local', noiseMultiplier: 0, clippingNorm: 1 })(u);
  assert.deepEqual(out.arrays, u.arrays);
});

test('bad options fail with BAD_ARGUMENT naming the option and the fix', () => {
  const expectBad = (opts: unknown, path: string, hint: RegExp) => assert.throws(
    () => dpNoise(opts as Parameters<typeof dpNoise>[0]),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === path && hint.test(e.hint));
  expectBad({ mode: 'local', noiseMultiplier: -1, clippingNorm: 1 }, 'dpNoise.noiseMultiplier', /σ ≥ 0/);
  expectBad({ mode: 'local', noiseMultiplier: NaN, clippingNorm: 1 }, 'dpNoise.noiseMultiplier', /σ ≥ 0/);
  expectBad({ mode: 'local', noiseMultiplier: 1, clippingNorm: 0 }, 'dpNoise.clippingNorm', /clip/);
  expectBad({ mode: 'distributed', noiseMultiplier: 1, clippingNorm: 1 }, 'dpNoise.numClients', /numClients/);
  expectBad({ mode: 'distributed', noiseMultiplier: 1, clippingNorm: 1, numClients: 2.5 }, 'dpNoise.numClients', /numClients/);
  expectBad({ mode: 'distributed', noiseMultiplier: 1, clippingNorm: 1, numClients: 0 }, 'dpNoise.numClients', /numClients/);
  expectBad({ mode: 'central', noiseMultiplier: 1, clippingNorm: 1 }, 'dpNoise.mode', /centralNoise/);
  expectBad({ mode: 'local', noise: 1, noiseMultiplier: 1, clippingNorm: 1 }, 'dpNoise.noise', /spelling/);
  assert.throws(() => centralNoise([], { noiseMultiplier: 1, clippingNorm: 1, numClients: 0 }),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'centralNoise.numClients');
});

test('dpNoise carries its stage and options for reports', () => {
  assert.deepEqual(dpNoise({ mode: 'distributed', noiseMultiplier: 3, clippingNorm: 1, numClients: 10 }).info, {
    stage: 'noise', name: 'dpNoise', options: { mode: 'distributed', noiseMultiplier: 3, clippingNorm: 1, numClients: 10 } });
});
