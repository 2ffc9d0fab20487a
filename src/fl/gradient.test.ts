/** Tests for computeGradient: float64 reference and finite differences, wasm vs cpu, the first-layer read-out property, leaks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGradient } from './gradient.js';
import { initParams } from '../model/init.js';
import { modelSpec } from '../model/spec.js';
import { referenceGradient } from '../model/reference.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { FLOAT32_REL_TOL, assertClose, assertNoLeak, forEachBackend, uniformArray } from '../tensor/testing.js';
import { isFedleakError } from '../errors.js';
import type { NamedArrays } from '../types.js';

/** wasm (XNNPACK) and cpu sum in different orders; gradients of the same batch must agree to this, relative to scale. */
const WASM_VS_CPU_REL_TOL = 1e-4;
/** Central differences in float64 with step 1e-6 are good to about 1e-7 relative on these small nets. */
const FINITE_DIFF_REL_TOL = 1e-5;
/** dL/dW[:, i] / dL/db_i is one float32 product divided by its factor: off from x by at most ~1 float32 ulp. */
const READOUT_ABS_TOL = 1e-6;

test('a 2-input, 2-neuron, 2-class net with known weights gives the hand-computed gradient', async () => {
  const spec = modelSpec('fc-small', 2, 2, 2);
  const params = initParams(spec, new Rng(11));
  // Neuron 0 reads x0 − x1 + 0.1 and neuron 1 reads x0 + x1 − 0.5; the 128-unit layer copies them into units
  // 0 and 1 (the rest stay at 0), and the classifier copies units 0 and 1 into logits 0 and 1.
  params[0].data.set([1, 1, -1, 1]); // dense0/kernel [in, out]: row j is input j
  params[1].data.set([0.1, -0.5]);
  params[2].data.fill(0).set([1, 0], 0); // dense1/kernel [2, 128]: h0 → unit 0
  params[2].data.set([0, 1], 128); // h1 → unit 1
  params[3].data.fill(0);
  params[4].data.fill(0).set([1, 0, 0, 1]); // dense2/kernel [128, 2]: unit 0 → logit 0, unit 1 → logit 1
  params[5].data.fill(0);
  // x = (0.9, 0.2), label 1: h = u = logits = (0.8, 0.6), softmax = (s, 1 − s) with s = σ(0.2), so
  // dL/dlogits = (s, −s) and every gradient is ±s times the activation that feeds it.
  const s = 1 / (1 + Math.exp(-0.2));
  const expected: number[][] = [
    [0.9 * s, -0.9 * s, 0.2 * s, -0.2 * s], // dense0/kernel: x_j · dL/dh_i
    [s, -s], // dense0/bias
    [], // dense1/kernel, filled below: h_j · dL/du_k for k < 2, zero elsewhere
    [], // dense1/bias
    [], // dense2/kernel: u_k · dL/dlogit_c
    [s, -s], // dense2/bias
  ];
  const dense1 = new Array(256).fill(0);
  [dense1[0], dense1[1], dense1[128], dense1[129]] = [0.8 * s, -0.8 * s, 0.6 * s, -0.6 * s];
  const dense1Bias = new Array(128).fill(0);
  [dense1Bias[0], dense1Bias[1]] = [s, -s];
  const dense2 = new Array(256).fill(0);
  [dense2[0], dense2[1], dense2[2], dense2[3]] = [0.8 * s, -0.8 * s, 0.6 * s, -0.6 * s];
  [expected[2], expected[3], expected[4]] = [dense1, dense1Bias, dense2];
  const x = Float32Array.from([0.9, 0.2]);
  const y = Int32Array.from([1]);
  referenceGradient(spec, params, x, y, 1).grads.forEach((g, p) => assertClose(g.data, expected[p], 1e-6, `reference ${g.name}`));
  await forEachBackend(async (backend) => {
    const got = computeGradient(spec, params, x, y, 1);
    got.forEach((g, p) => assertClose(g.data, expected[p], FLOAT32_REL_TOL, `${backend} ${g.name}`));
  });
});

test('on a batch, the float64 reference agrees with finite differences and computeGradient with both', async () => {
  const spec = modelSpec('fc-small', 2, 2, 2);
  const params = initParams(spec, new Rng(11));
  const inputs = Float32Array.from([0.9, 0.2, 0.3, 0.6, 0.5, 0.5]);
  const labels = Int32Array.from([1, 0, 1]);
  const batch = 3;
  const { grads } = referenceGradient(spec, params, inputs, labels, batch);
  const h = 1e-6;
  for (let p = 0; p < params.length; p++) {
    for (const j of [0, params[p].data.length - 1, params[p].data.length >> 1]) {
      const at = (delta: number) => {
        const shifted = params.map((a) => ({ ...a, data: Float64Array.from(a.data) }));
        shifted[p].data[j] += delta;
        return referenceGradient(spec, shifted as unknown as NamedArrays, inputs, labels, batch).loss;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      const scale = Math.max(...Array.from(grads[p].data, Math.abs), 1e-12);
      assert.ok(Math.abs(fd - grads[p].data[j]) <= FINITE_DIFF_REL_TOL * scale,
        `${grads[p].name}[${j}]: finite difference ${fd} vs reference ${grads[p].data[j]}`);
    }
  }
  await forEachBackend(async (backend) => {
    const got = await assertNoLeak(() => computeGradient(spec, params, inputs, labels, batch));
    got.forEach((g, p) => assertClose(g.data, grads[p].data, FLOAT32_REL_TOL, `${backend} ${g.name}`));
  });
});

test('computeGradient matches the float64 reference on fc-small, and wasm matches cpu', async () => {
  const spec = modelSpec('fc-small', 64, 10, 50);
  const params = initParams(spec, new Rng(5));
  const batch = 16;
  const rng = new Rng(6);
  const inputs = uniformArray(rng, batch * spec.inputDim);
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  const { grads } = referenceGradient(spec, params, inputs, labels, batch);
  const byBackend: Record<string, NamedArrays> = {};
  await forEachBackend(async (backend) => {
    const got = computeGradient(spec, params, inputs, labels, batch);
    assert.deepEqual(got.map((g) => [g.name, g.shape]), params.map((p) => [p.name, p.shape]));
    assert.ok(got.every((g) => g.data instanceof Float32Array));
    got.forEach((g, p) => assertClose(g.data, grads[p].data, FLOAT32_REL_TOL, `${backend} ${g.name}`));
    byBackend[backend] = got;
  });
  byBackend.wasm.forEach((g, p) => assertClose(g.data, byBackend.cpu[p].data, WASM_VS_CPU_REL_TOL, `wasm vs cpu ${g.name}`));
});

test('for one input, dL/dW[:, i] / dL/db_i is that input for every neuron that fired', async () => {
  const spec = modelSpec('fc-small', 784, 10, 200);
  const params = initParams(spec, new Rng(8));
  const x = uniformArray(new Rng(9), spec.inputDim);
  await forEachBackend(async (backend) => {
    const [kernel, bias] = computeGradient(spec, params, x, Int32Array.from([3]), 1);
    let fired = 0;
    for (let i = 0; i < spec.neurons; i++) {
      const db = bias.data[i];
      if (db === 0) continue;
      fired++;
      let worst = 0;
      for (let j = 0; j < spec.inputDim; j++) {
        worst = Math.max(worst, Math.abs(kernel.data[j * spec.neurons + i] / db - x[j]));
      }
      assert.ok(worst <= READOUT_ABS_TOL, `${backend} neuron ${i}: off by ${worst}`);
    }
    assert.ok(fired > 20, `${backend}: only ${fired} neurons fired`);
  });
});

test('computeGradient leaves no tensor behind, on wasm and cpu', async () => {
  const spec = modelSpec('fc-small', 30, 5, 20);
  const params = initParams(spec, new Rng(1));
  const inputs = uniformArray(new Rng(2), 8 * 30);
  const labels = new Int32Array(8);
  await forEachBackend(async () => {
    await assertNoLeak(() => computeGradient(spec, params, inputs, labels, 8), 'computeGradient');
  });
});

test('computeGradient refuses bad batches with coded errors', async () => {
  await setupBackend('cpu');
  const spec = modelSpec('fc-small', 4, 3, 5);
  const params = initParams(spec, new Rng(1));
  const x = new Float32Array(8);
  const y = Int32Array.from([0, 2]);
  const code = (f: () => unknown, c: string, path?: string) =>
    assert.throws(f, (e) => isFedleakError(e) && e.code === c && (path === undefined || e.path === path));
  code(() => computeGradient(spec, params, x, y, 0), 'BAD_ARGUMENT', 'batchSize');
  code(() => computeGradient(spec, params, x, y, 1.5), 'BAD_ARGUMENT', 'batchSize');
  code(() => computeGradient(spec, params, x, y, 3), 'SHAPE_MISMATCH', 'inputs');
  code(() => computeGradient(spec, params, x, Int32Array.from([0, 3]), 2), 'BAD_ARGUMENT', 'labels');
  code(() => computeGradient(spec, params.slice(1), x, y, 2), 'SHAPE_MISMATCH');
  code(() => computeGradient(modelSpec('fc-small', 4, 3, 6), params, x, y, 2), 'SHAPE_MISMATCH');
});
