/** Tests for initParams: PyTorch and Glorot bounds, He and Glorot normals, conv fan-in, seeding, the full FC net's size and speed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initParams, initSchemes } from './init.js';
import { initTextParams, textModelSpec } from './text.js';
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

/** Sample mean, std and the fractions of values within 1σ and beyond 2σ of 0, for σ = `std`. */
function moments(data: Float32Array, std: number): { mean: number; std: number; in1: number; out2: number } {
  let sum = 0;
  let sumSq = 0;
  let in1 = 0;
  let out2 = 0;
  for (const v of data) {
    sum += v;
    sumSq += v * v;
    if (Math.abs(v) < std) in1++;
    if (Math.abs(v) > 2 * std) out2++;
  }
  const n = data.length;
  return { mean: sum / n, std: Math.sqrt(sumSq / n - (sum / n) ** 2), in1: in1 / n, out2: out2 / n };
}

// A Gaussian puts 68.3 % of its mass within 1σ and 4.6 % beyond 2σ; a uniform of the same σ puts 57.7 % and 0 %,
// a normal truncated at 2σ 0 % beyond. dense0 of `spec` holds 300 × 200 = 60,000 values: the sample std is within
// 0.3 % (one standard error) of σ, the fractions within about 0.2 points.
for (const [init, sigma] of [
  ['he-normal', (fanIn: number) => Math.sqrt(2 / fanIn)],
  ['glorot-normal', (fanIn: number, fanOut: number) => Math.sqrt(2 / (fanIn + fanOut))],
] as const) {
  test(`'${init}' draws untruncated normal weights of std ${init === 'he-normal' ? '√(2/fanIn)' : '√(2/(in+out))'} and zeroes biases`, () => {
    const params = initParams(spec, new Rng(1), init);
    checkArraysMatch(spec, params);
    for (const p of params) {
      if (p.name.endsWith('bias')) {
        assert.ok(p.data.every((v) => v === 0), `${p.name} is zero`);
        continue;
      }
      const [fanIn, fanOut] = p.shape;
      const m = moments(p.data, sigma(fanIn, fanOut));
      const want = sigma(fanIn, fanOut);
      // every layer's std within 10 % (dense2 has only 128 × 10 values), dense0's within 2 %
      const tol = p.data.length >= 50_000 ? 0.02 : 0.1;
      assert.ok(Math.abs(m.std / want - 1) < tol, `${p.name}: std ${m.std} against ${want}`);
      assert.ok(Math.abs(m.mean) < 0.05 * want, `${p.name}: mean ${m.mean}`);
      if (p.data.length >= 50_000) {
        assert.ok(Math.abs(m.in1 - 0.6827) < 0.01, `${p.name}: ${m.in1} within 1σ`);
        assert.ok(Math.abs(m.out2 - 0.0455) < 0.005, `${p.name}: ${m.out2} beyond 2σ (not truncated)`);
      }
    }
  });
}

test('he-normal for the hand-checkable dense0 of the FC-small net: σ = √(2/300) ≈ 0.0816', () => {
  const dense0 = initParams(spec, new Rng(2), 'he-normal')[0];
  assert.deepEqual(dense0.shape, [300, 200]);
  const m = moments(dense0.data, 0.0816);
  assert.ok(m.std > 0.08 && m.std < 0.0833, `std ${m.std}`);
});

test('conv kernels count kh·kw·in as fan-in (and kh·kw·out as fan-out) for the normal schemes', () => {
  // cnn-small at width 4: conv1 is [5, 5, 24, 64], fan-in 600 and fan-out 1600 (38,400 values)
  const cnn = modelSpec('cnn-small', 784, 10, 100, { inputShape: [28, 28, 1], width: 4 });
  const conv1 = (init: 'he-normal' | 'glorot-normal') => initParams(cnn, new Rng(3), init).find((p) => p.name === 'conv1/kernel')!;
  const he = conv1('he-normal');
  assert.deepEqual(he.shape, [5, 5, 24, 64]);
  const heStd = moments(he.data, 1).std;
  assert.ok(Math.abs(heStd / Math.sqrt(2 / 600) - 1) < 0.02, `he conv1 std ${heStd}, want ${Math.sqrt(2 / 600)}`);
  const glorotStd = moments(conv1('glorot-normal').data, 1).std;
  assert.ok(Math.abs(glorotStd / Math.sqrt(2 / 2200) - 1) < 0.02, `glorot conv1 std ${glorotStd}, want ${Math.sqrt(2 / 2200)}`);
  assert.ok(initParams(cnn, new Rng(3), 'he-normal').filter((p) => p.name.endsWith('bias')).every((p) => p.data.every((v) => v === 0)));
});

test('the text model draws its dense layers with the same schemes', () => {
  const text = textModelSpec({ vocabSize: 12, seqLen: 50, embedDim: 4, neurons: 300 });
  const p = initTextParams(text, new Rng(4), 'he-normal');
  assert.deepEqual(p[1].shape, [200, 300]);
  const std = moments(p[1].data, 1).std;
  assert.ok(Math.abs(std / Math.sqrt(2 / 200) - 1) < 0.02, `dense0 std ${std}`);
  assert.ok(p[2].data.every((v) => v === 0));
});

test('every scheme is fixed by the seed, and the seeds differ', () => {
  for (const init of initSchemes) {
    const a = initParams(spec, new Rng(7), init);
    assert.deepEqual(a, initParams(spec, new Rng(7), init), init);
    assert.notDeepEqual(a[0].data, initParams(spec, new Rng(8), init)[0].data, init);
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
