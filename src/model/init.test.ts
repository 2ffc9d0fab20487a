/** Tests for initParams: PyTorch and Glorot bounds, seeding, the full FC net's size and speed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initParams } from './init.js';
import { modelSpec, paramShapes } from './spec.js';
import { checkArraysMatch } from './params.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';

const spec = modelSpec('fc-small', 300, 10, 200);

test("'pytorch' draws weights and biases from U(±1/√fanIn), like nn.Linear", () => {
  const params = initParams(spec, new Rng(1));
  checkArraysMatch(spec, params);
  for (const p of params) {
    const fanIn = paramShapes(spec).find((s) => s.name === p.name.replace('bias', 'kernel'))!.shape[0];
    const limit = 1 / Math.sqrt(fanIn);
    let sumSq = 0;
    for (const v of p.data) {
      assert.ok(Math.abs(v) <= limit, `${p.name}: ${v} outside ±${limit}`);
      sumSq += v * v;
    }
    // U(−a, a) has variance a²/3; 200+ values put the sample within ±30 % of it
    if (p.data.length >= 200) {
      const ratio = sumSq / p.data.length / (limit * limit / 3);
      assert.ok(ratio > 0.7 && ratio < 1.3, `${p.name}: variance ratio ${ratio}`);
    }
  }
});

test("'glorot' draws weights from U(±√(6/(in+out))) and zeroes biases", () => {
  const params = initParams(spec, new Rng(1), 'glorot');
  for (const p of params) {
    if (p.name.endsWith('bias')) {
      assert.ok(p.data.every((v) => v === 0), p.name);
    } else {
      const [fanIn, fanOut] = p.shape;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      assert.ok(p.data.every((v) => Math.abs(v) <= limit), p.name);
      assert.ok(p.data.some((v) => Math.abs(v) > limit / 2), `${p.name} uses its range`);
    }
  }
});

test('the seed fixes the parameters', () => {
  const a = initParams(spec, new Rng(7));
  const b = initParams(spec, new Rng(7));
  const c = initParams(spec, new Rng(8));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0].data, c[0].data);
});

test('an unknown scheme is BAD_ARGUMENT', () => {
  assert.throws(() => initParams(spec, new Rng(1), 'he' as never), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});

// The one test on the full FC net: 20.8M values must fill in about a second (plain loops, no tensors).
test("initParams fills the paper's FC net (20.8M values) quickly", () => {
  const fc = modelSpec('fc', 784, 10);
  const t0 = performance.now();
  const params = initParams(fc, new Rng(3));
  const ms = performance.now() - t0;
  checkArraysMatch(fc, params);
  assert.equal(params.reduce((n, p) => n + p.data.length, 0), 20_804_010);
  // ~0.7 s measured on 2 cores; the bound only catches an accidental slow path (e.g. tensors or per-value arrays)
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});
