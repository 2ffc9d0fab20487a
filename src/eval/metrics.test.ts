import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from './metrics.js';
import { psnr } from './psnr.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Candidate, Reconstruction } from '../types.js';

const shape = [12, 12, 1];
const dim = 144;

function inputs(rng: Rng, count: number): Float32Array {
  return Float32Array.from({ length: count * dim }, () => rng.int(256) / 255);
}
const row = (x: Float32Array, b: number) => x.subarray(b * dim, (b + 1) * dim);
function recon(candidates: Candidate[], active: number, total: number): Reconstruction {
  return { attack: 'test', layer: 'dense0', candidates, activeNeurons: active, totalNeurons: total, timings: { readoutMs: 0 } };
}
const cand = (neuron: number, x: ArrayLike<number>): Candidate => ({ neuron, x: Float64Array.from(x), biasGrad: 1 });

test('3 inputs, 5 neurons: 2 exact singletons, one mixture, 2 inactive → A = 3/5, P = 2/3, R = 2/3', () => {
  const x = inputs(new Rng(1), 3);
  const mixture = row(x, 1).map((v, j) => 0.5 * v + 0.5 * row(x, 2)[j]);
  const rec = recon(
    [
      cand(0, Array.from(row(x, 0), (v) => v + 1e-9)), // input 0, with float read-out error
      cand(2, mixture), // inputs 1 and 2 mixed
      cand(4, row(x, 2)), // input 2
    ],
    3,
    5,
  );
  const m = evaluate({ inputs: x, count: 3, shape }, rec);
  assert.equal(m.active, 3 / 5);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.precisionAll, 2 / 5);
  assert.equal(m.recall, 2 / 3);
  assert.deepEqual(m.exactInputs, [0, 2]);
  assert.deepEqual(
    m.perInput.map((p) => [p.index, p.exact, p.neuron]),
    [
      [0, true, 0],
      [1, false, 2],
      [2, true, 4],
    ],
  );
  const p1 = m.perInput[1];
  assert.ok(Math.abs(p1.psnr! - psnr(mixture, row(x, 1))) < 1e-9);
  assert.ok(p1.ssim! < 0.9 && p1.ssim! > -1);
  assert.ok(m.perInput[0].maxAbsError! < 1e-8 && m.perInput[0].psnr! > 100);
  assert.equal(m.perInput[2].psnr, Infinity);
  assert.equal(m.perInput[2].ssim, 1);
  assert.equal(m.meanPsnr, Infinity, 'an identical pair makes the mean Infinity, as documented');
});

test('the assignment keeps exact pairs even where plain MSE matching would trade them away', () => {
  // Input 1 = input 0 with one pixel 3/255 higher. Candidate 7 is exactly input 0; candidate 8 sits next to
  // input 0 on the side away from input 1. Plain min-MSE would give 8 to input 0 and 7 to input 1.
  const rng = new Rng(3);
  const x = inputs(rng, 2);
  const a = row(x, 0);
  const b = row(x, 1);
  a[0] = 100 / 255;
  b.set(a);
  b[0] = 103 / 255;
  const near = Array.from(a, (v, j) => (j === 0 ? 97 / 255 : v));
  const sq = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.from(p).reduce((s, v, j) => s + (v - q[j]) ** 2, 0);
  assert.ok(sq(near, a) + sq(a, b) < sq(a, a) + sq(near, b), 'premise: the swap has the lower total MSE');
  const m = evaluate({ inputs: x, count: 2, shape }, recon([cand(7, a), cand(8, near)], 2, 10));
  assert.deepEqual(m.exactInputs, [0]);
  assert.equal(m.perInput[0].neuron, 7);
  assert.equal(m.perInput[1].neuron, 8);
});

test('identical inputs both count as reproduced by one candidate; spare inputs get nulls; candidates are clipped', () => {
  const rng = new Rng(5);
  const x = inputs(rng, 3);
  row(x, 1).set(row(x, 0));
  const over = Array.from(row(x, 2), (v, j) => (j === 0 ? 1.7 : v)); // clipped to 1 for PSNR/SSIM
  const m = evaluate({ inputs: x, count: 3, shape }, recon([cand(1, row(x, 0))], 1, 4));
  assert.deepEqual(m.exactInputs, [0, 1]);
  assert.equal(m.recall, 2 / 3);
  assert.equal(m.precision, 1);
  assert.equal(m.perInput[0].neuron, 1);
  assert.equal(m.perInput[1].neuron, 1);
  assert.deepEqual(m.perInput[2], { index: 2, exact: false, neuron: null, psnr: null, ssim: null, maxAbsError: null });

  const m2 = evaluate({ inputs: row(x, 2), count: 1, shape }, recon([cand(0, over)], 1, 1));
  const clipped = over.map((v) => Math.min(1, v));
  assert.ok(Math.abs(m2.perInput[0].psnr! - psnr(clipped, row(x, 2))) < 1e-9);
  assert.ok(Math.abs(m2.perInput[0].maxAbsError! - (1.7 - row(x, 2)[0])) < 1e-6, 'max error is before clipping');
});

test('a small matching budget subsamples the matching only: exactness and PSNR still use every value', () => {
  const rng = new Rng(8);
  const x = inputs(rng, 4);
  const noisy = (b: number, amp: number) => Array.from(row(x, b), (v) => Math.min(1, Math.max(0, v + amp * (rng.uniform() - 0.5))));
  const cands = [cand(0, noisy(2, 0.1)), cand(1, row(x, 0)), cand(2, noisy(3, 0.05)), cand(3, noisy(1, 0.2))];
  const full = evaluate({ inputs: x, count: 4, shape }, recon(cands, 4, 4));
  const sub = evaluate({ inputs: x, count: 4, shape }, recon(cands, 4, 4), { matchBudget: 4 * 4 * 20 }); // stride 8
  assert.deepEqual(
    sub.perInput.map((p) => p.neuron),
    [1, 3, 0, 2],
  );
  assert.deepEqual(sub, full);
});

test('no candidates, non-image shapes, and shape errors', () => {
  const x = inputs(new Rng(2), 2);
  const empty = evaluate({ inputs: x, count: 2, shape }, recon([], 0, 8));
  assert.deepEqual([empty.active, empty.precision, empty.recall, empty.meanPsnr, empty.meanSsim], [0, 0, 0, null, null]);
  const flat = evaluate({ inputs: x, count: 2, shape: [dim] }, recon([cand(0, row(x, 1))], 1, 1));
  assert.equal(flat.perInput[1].ssim, null);
  assert.equal(flat.meanSsim, null);
  assert.equal(flat.recall, 1 / 2);
  assert.throws(() => evaluate({ inputs: x, count: 3, shape }, recon([], 0, 1)), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(
    () => evaluate({ inputs: x, count: 2, shape }, recon([cand(0, [0.5])], 1, 1)),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH'),
  );
});

test('MNIST-sized evaluation (B = 100, 1000 candidates of 784 values) stays well under a second', () => {
  const rng = new Rng(9);
  const count = 100;
  const d = 784;
  const x = Float32Array.from({ length: count * d }, () => rng.int(256) / 255);
  const cands: Candidate[] = [];
  for (let i = 0; i < 1000; i++) {
    const b = rng.int(count);
    const c = rng.int(count);
    const mix = i % 2 ? 1 : 0.3 + 0.4 * rng.uniform();
    cands.push(cand(i, Array.from({ length: d }, (_, j) => mix * x[b * d + j] + (1 - mix) * x[c * d + j])));
  }
  evaluate({ inputs: x, count, shape: [28, 28, 1] }, recon(cands, 1000, 1000)); // warm-up
  const t0 = performance.now();
  const m = evaluate({ inputs: x, count, shape: [28, 28, 1] }, recon(cands, 1000, 1000));
  const ms = performance.now() - t0;
  assert.ok(m.recall > 0.9);
  assert.ok(ms < 1000, `evaluate took ${ms.toFixed(0)} ms`);
});
