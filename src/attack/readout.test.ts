import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readOut, readOutUpdate } from './readout.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Update } from '../types.js';

/** Bytes of the 8-bit rule, written out here so the test does not lean on src/eval. */
const bytes = (x: ArrayLike<number>) => Array.from(x, (v) => Math.min(255, Math.max(0, Math.round(v * 255))));

/** `count` inputs of `d` values k/255 (float32, as the datasets store them). */
function batch(rng: Rng, count: number, d: number): Float32Array {
  const x = new Float32Array(count * d);
  for (let k = 0; k < x.length; k++) x[k] = rng.int(256) / 255;
  return x;
}

/**
 * The first-layer gradient a client computes in float32 for a known firing pattern:
 * dL/dW[j, i] = Σ_b fire[b][i] · c[b][i] · x_b[j], dL/db_i = Σ_b fire[b][i] · c[b][i].
 */
function gradient(x: Float32Array, d: number, neurons: number, fire: number[][], coef: number[][]) {
  const kernel = new Float32Array(d * neurons);
  const bias = new Float32Array(neurons);
  fire.forEach((row, b) =>
    row.forEach((f, i) => {
      if (!f) return;
      const c = Math.fround(coef[b][i]);
      bias[i] = Math.fround(bias[i] + c);
      for (let j = 0; j < d; j++) kernel[j * neurons + i] = Math.fround(kernel[j * neurons + i] + Math.fround(c * x[b * d + j]));
    }),
  );
  return { kernel, bias };
}

test('singleton rows give their input exactly, mixed rows do not, silent rows give nothing', () => {
  const rng = new Rng(3);
  const d = 50;
  const neurons = 6;
  const x = batch(rng, 3, d);
  // neuron:      0  1  2  3  4  5
  const fire = [
    [1, 0, 1, 0, 0, 0], // input 0
    [0, 1, 1, 0, 0, 0], // input 1
    [0, 0, 0, 0, 1, 0], // input 2
  ];
  const coef = fire.map(() => Array.from({ length: neurons }, () => rng.normal() * 1e-3));
  const { kernel, bias } = gradient(x, d, neurons, fire, coef);
  const { candidates, active } = readOut(kernel, bias, d, neurons);
  assert.equal(active, 4);
  assert.deepEqual(
    candidates.map((c) => c.neuron),
    [0, 1, 2, 4],
  );
  const input = (b: number) => x.subarray(b * d, (b + 1) * d);
  for (const [neuron, b] of [
    [0, 0],
    [1, 1],
    [4, 2],
  ]) {
    const c = candidates.find((k) => k.neuron === neuron)!;
    assert.ok(c.x instanceof Float64Array);
    assert.deepEqual(bytes(c.x), bytes(input(b)), `neuron ${neuron} reproduces input ${b}`);
    for (let j = 0; j < d; j++) assert.ok(Math.abs(c.x[j] - input(b)[j]) < 1e-6);
    assert.equal(c.biasGrad, bias[neuron]);
  }
  const mixed = candidates.find((k) => k.neuron === 2)!;
  assert.notDeepEqual(bytes(mixed.x), bytes(input(0)));
  assert.notDeepEqual(bytes(mixed.x), bytes(input(1)));
});

test('multiplying by the reciprocal gives the same bytes as dividing, within 1e-15 relative', () => {
  const rng = new Rng(11);
  const d = 300;
  const neurons = 400;
  const x = batch(rng, 40, d);
  const fire = Array.from({ length: 40 }, () => Array.from({ length: neurons }, () => (rng.uniform() < 0.03 ? 1 : 0)));
  const coef = fire.map(() => Array.from({ length: neurons }, () => rng.normal() * 1e-4));
  const { kernel, bias } = gradient(x, d, neurons, fire, coef);
  const { candidates } = readOut(kernel, bias, d, neurons);
  assert.ok(candidates.length > 200);
  for (const c of candidates) {
    const divided = Array.from({ length: d }, (_, j) => kernel[j * neurons + c.neuron] / bias[c.neuron]);
    assert.deepEqual(bytes(c.x), bytes(divided));
    for (let j = 0; j < d; j++) assert.ok(Math.abs(c.x[j] - divided[j]) <= 1e-15 * Math.abs(divided[j]) + 1e-300);
  }
});

test('FedAvg: the weight change over bias change gives the input back (the learning rate cancels)', () => {
  const rng = new Rng(5);
  const d = 64;
  const neurons = 3;
  const x = batch(rng, 1, d);
  const w0 = Float32Array.from({ length: d * neurons }, () => rng.normal() * 0.05);
  const b0 = Float32Array.from({ length: neurons }, () => rng.normal() * 0.05);
  const w = Float32Array.from(w0);
  const b = Float32Array.from(b0);
  const lr = 0.1;
  // Five local steps; the single input fires neuron 1 each time with a different upstream gradient.
  for (let step = 0; step < 5; step++) {
    const c = rng.normal() * 1e-2;
    b[1] = b[1] - lr * c;
    for (let j = 0; j < d; j++) w[j * neurons + 1] = w[j * neurons + 1] - lr * Math.fround(c * x[j]);
  }
  const dw = Float32Array.from(w, (v, k) => v - w0[k]);
  const db = Float32Array.from(b, (v, k) => v - b0[k]);
  const { candidates, active } = readOut(dw, db, d, neurons);
  assert.equal(active, 1);
  assert.deepEqual(bytes(candidates[0].x), bytes(x));
});

test('all neurons active: one candidate per neuron, views of one buffer', () => {
  const d = 4;
  const neurons = 3;
  const kernel = Float32Array.from({ length: d * neurons }, (_, k) => (k % neurons) + 1);
  const bias = Float32Array.of(1, 2, 4);
  const { candidates, active } = readOut(kernel, bias, d, neurons);
  assert.equal(active, 3);
  assert.deepEqual(Array.from(candidates[2].x), [0.75, 0.75, 0.75, 0.75]);
  assert.equal(candidates[0].x.buffer, candidates[2].x.buffer);
});

test('bad inputs are refused at the door with their code', () => {
  const ok = () => ({ kernel: new Float32Array(6), bias: Float32Array.of(1, 0, 1) });
  let { kernel, bias } = ok();
  assert.throws(() => readOut(kernel, bias, 3, 3), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(() => readOut(kernel, new Float32Array(2), 2, 3), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  assert.throws(() => readOut(kernel, bias, 0, 3), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  ({ kernel, bias } = ok());
  kernel[0] = NaN; // an active column
  assert.throws(() => readOut(kernel, bias, 2, 3), (e) => isFedleakError(e, 'NOT_FINITE') && /kernel\[0, 0\]/.test(e.message));
  ({ kernel, bias } = ok());
  kernel[4] = Infinity; // row 1 of column 1, an inactive neuron
  assert.throws(() => readOut(kernel, bias, 2, 3), (e) => isFedleakError(e, 'NOT_FINITE') && /kernel\[1, 1\]/.test(e.message));
  ({ kernel, bias } = ok());
  bias[2] = -Infinity;
  assert.throws(() => readOut(kernel, bias, 2, 3), (e) => isFedleakError(e, 'NOT_FINITE') && /bias\[2\]/.test(e.message));
});

test('readOutUpdate reads dense0 and times itself; a missing array is named', () => {
  const update: Update = {
    clientId: 'c',
    round: 0,
    kind: 'gradient',
    numExamples: 1,
    arrays: [
      { name: 'dense0/kernel', shape: [2, 2], data: Float32Array.of(0, 0.1, 0, 0.2) },
      { name: 'dense0/bias', shape: [2], data: Float32Array.of(0, 0.5) },
    ],
  };
  const rec = readOutUpdate(update, { attack: 'passive', layer: 'dense0' });
  assert.equal(rec.activeNeurons, 1);
  assert.equal(rec.totalNeurons, 2);
  assert.equal(rec.layer, 'dense0');
  assert.ok(rec.timings.readoutMs >= 0);
  assert.ok(Math.abs(rec.candidates[0].x[1] - 0.4) < 1e-7);
  const noBias = { ...update, arrays: update.arrays.slice(0, 1) };
  assert.throws(
    () => readOutUpdate(noBias, { attack: 'passive', layer: 'dense0' }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.message.includes('dense0/bias') && !e.message.includes('dense0/kernel or'),
  );
  const badShape = { ...update, arrays: [update.arrays[0], { ...update.arrays[1], shape: [3] }] };
  assert.throws(() => readOutUpdate(badShape, { attack: 'passive', layer: 'dense0' }), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
