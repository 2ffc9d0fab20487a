import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trap, trapWeights } from './trap.js';
import { firingPattern, isolationRecall } from './firing.js';
import { Rng } from '../tensor/rng.js';
import { isFedleakError } from '../errors.js';
import type { Dataset, ModelSpec, NamedArrays, Update } from '../types.js';

const column = (k: Float32Array, d: number, n: number, i: number) => Array.from({ length: d }, (_, j) => k[j * n + i]);
const sorted = (a: number[]) => [...a].sort((p, q) => p - q);

test('trap weights: ⌈d/2⌉ negatives per column, the positives are −scale × a permutation of them, bias 0', () => {
  for (const d of [10, 11, 784]) {
    const n = 30;
    const scale = 0.7;
    const { kernel, bias } = trapWeights(d, n, { scale }, new Rng(4));
    assert.equal(kernel.length, d * n);
    assert.deepEqual(Array.from(bias), new Array(n).fill(0));
    for (let i = 0; i < n; i++) {
      const col = column(kernel, d, n, i);
      const neg = col.filter((v) => v < 0);
      const pos = col.filter((v) => v > 0);
      assert.equal(neg.length, Math.ceil(d / 2), `d=${d} column ${i}`);
      assert.equal(pos.length, Math.floor(d / 2));
      const mirrored = sorted(neg.map((v) => Math.fround(-scale * v)));
      if (d % 2 === 0) {
        assert.deepEqual(sorted(pos), mirrored);
      } else {
        // the extra index is in N: the positives are −scale × all negatives but one
        const rest = [...mirrored];
        for (const p of pos) {
          const at = rest.indexOf(p);
          assert.ok(at >= 0, 'every positive mirrors a negative');
          rest.splice(at, 1);
        }
        assert.equal(rest.length, 1);
      }
    }
  }
});

test('trap weights are random per column, deterministic per seed, and the same layer for every scale', () => {
  const d = 20;
  const n = 8;
  const a = trapWeights(d, n, { scale: 0.9 }, new Rng(7));
  const b = trapWeights(d, n, { scale: 0.9 }, new Rng(7));
  const c = trapWeights(d, n, { scale: 0.9 }, new Rng(8));
  assert.deepEqual(a.kernel, b.kernel);
  assert.notDeepEqual(a.kernel, c.kernel);
  const signs = (i: number) => column(a.kernel, d, n, i).map(Math.sign).join();
  assert.notEqual(signs(0), signs(1), 'columns have different halves');
  const s5 = trapWeights(d, n, { scale: 0.5 }, new Rng(7));
  const unit = trapWeights(d, n, { scale: 1 }, new Rng(7));
  for (let k = 0; k < d * n; k++) {
    if (a.kernel[k] < 0) assert.equal(s5.kernel[k], a.kernel[k]);
    else assert.equal(s5.kernel[k], Math.fround(0.5 * unit.kernel[k]));
  }
  // σ is a standard deviation: magnitudes |N(0, 3²)| have mean 3·√(2/π) ≈ 2.39
  const wide = trapWeights(400, 50, { scale: 1, sigma: 3 }, new Rng(1)).kernel;
  const meanMag = wide.reduce((s, v) => s + Math.abs(v), 0) / wide.length;
  assert.ok(Math.abs(meanMag - 3 * Math.sqrt(2 / Math.PI)) < 0.05, `mean |w| = ${meanMag}`);
});

test('trap options are checked at the door with BAD_ARGUMENT and a message that says the fix', () => {
  assert.throws(
    () => trap({ scale: 1.4 }),
    (e) =>
      isFedleakError(e, 'BAD_ARGUMENT') &&
      e.message === 'trap.scale: expected a number in (0, 1], got 1.4; lower --scale or omit it to let the tuner choose',
  );
  assert.throws(() => trap({ scale: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ scale: NaN }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ sigma: 0 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'trap.sigma');
  assert.throws(() => trap({ sigma: -1 }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ scale: 0.9, tune: {} }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ tune: { grid: [] } }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ tune: { grid: [0.5, 2] } }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'trap.tune.grid[1]');
  assert.throws(() => trap({ tune: { trials: 0 } }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => trap({ scal: 0.5 } as never), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.message.includes('"scal"'));
  assert.throws(() => trapWeights(0, 3, { scale: 0.5 }, new Rng(1)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.doesNotThrow(() => trap({ scale: undefined, sigma: undefined }));
  assert.doesNotThrow(() => trap({ scale: 1 }));
});

const spec: ModelSpec = { arch: 'fc-small', inputDim: 36, neurons: 50, hidden: [], numClasses: 2 };
function params(): NamedArrays {
  return [
    { name: 'dense0/kernel', shape: [36, 50], data: new Float32Array(36 * 50).fill(0.01) },
    { name: 'dense0/bias', shape: [50], data: new Float32Array(50).fill(0.02) },
    { name: 'dense1/kernel', shape: [50, 2], data: new Float32Array(100).fill(0.03) },
    { name: 'dense1/bias', shape: [2], data: new Float32Array(2) },
  ];
}

test('craft replaces dense0 with trap weights and leaves the rest and the input alone', () => {
  const p0 = params();
  const { params: p1, secrets } = trap({ scale: 0.8 }).craft(spec, p0, { seed: 9 });
  assert.deepEqual(secrets, { scale: 0.8, sigma: 0.5, layer: 'dense0', tuning: null });
  assert.ok(p0[0].data.every((v) => v === 0.01 || Math.abs(v - 0.01) < 1e-9), 'input kernel untouched');
  assert.notEqual(p1[0].data, p0[0].data);
  assert.deepEqual(Array.from(p1[1].data), new Array(50).fill(0));
  assert.equal(p1[2], p0[2]);
  assert.equal(p1[3], p0[3]);
  assert.equal(p1[0].data.filter((v) => v < 0).length, 50 * 18);
  const again = trap({ scale: 0.8 }).craft(spec, p0, { seed: 9 });
  assert.deepEqual(again.params[0].data, p1[0].data, 'deterministic per seed');

  assert.throws(
    () => trap({ scale: 0.8 }).craft({ ...spec, neurons: 40 }, p0, { seed: 1 }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH'),
  );
  assert.throws(
    () => trap({ scale: 0.8 }).craft(spec, p0.slice(1), { seed: 1 }),
    (e) => isFedleakError(e, 'SHAPE_MISMATCH') && e.message.includes('dense0/kernel'),
  );
});

test('craft tunes the scale on auxiliary data when none is given, and refuses to without any', () => {
  const rng = new Rng(3);
  const aux: Dataset = {
    name: 'aux',
    kind: 'image',
    shape: [6, 6, 1],
    size: 40,
    inputs: Float32Array.from({ length: 40 * 36 }, () => rng.int(256) / 255),
    labels: new Int32Array(40),
    numClasses: 2,
    source: 'test',
  };
  assert.throws(
    () => trap().craft(spec, params(), { seed: 1, batchSize: 10 }),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && /auxiliary/.test(e.message),
  );
  assert.throws(() => trap().craft(spec, params(), { seed: 1, aux }), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  const grid = [0.5, 0.8, 0.95];
  const { secrets } = trap({ tune: { grid, trials: 2 } }).craft(spec, params(), { seed: 1, aux, batchSize: 10 });
  assert.ok(grid.includes(secrets.scale));
  assert.deepEqual(
    secrets.tuning?.map((r) => r.scale),
    grid,
  );
});

test('end to end: a client update on trap weights gives back exactly the inputs the firing pattern isolates', () => {
  const d = 36;
  const n = 50;
  const count = 8;
  const rng = new Rng(21);
  const inputs = Float32Array.from({ length: count * d }, () => rng.int(256) / 255);
  const attack = trap({ scale: 0.9 });
  const { params: p, secrets } = attack.craft(spec, params(), { seed: 5 });
  const kernel = p[0].data;
  const bias = p[1].data;
  const pattern = firingPattern(kernel, bias, inputs, count, d, n);
  // Client side, float32: dL/dy_i = upstream coefficient for every input that fires neuron i, mean over the batch.
  const gk = new Float32Array(d * n);
  const gb = new Float32Array(n);
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < n; i++) {
      if (!pattern.fires[b * n + i]) continue;
      const c = Math.fround((rng.normal() * 0.1) / count);
      gb[i] += c;
      for (let j = 0; j < d; j++) gk[j * n + i] += Math.fround(c * inputs[b * d + j]);
    }
  }
  const update: Update = {
    clientId: 'c0',
    round: 0,
    kind: 'gradient',
    numExamples: count,
    arrays: [
      { name: 'dense0/kernel', shape: [d, n], data: gk },
      { name: 'dense0/bias', shape: [n], data: gb },
    ],
  };
  const rec = attack.reconstruct(update, secrets);
  assert.equal(rec.attack, 'trap');
  assert.equal(rec.activeNeurons, Array.from(pattern.counts).filter((c) => c > 0).length);
  const key = (x: ArrayLike<number>) => Array.from(x, (v) => Math.round(v * 255)).join();
  const truth = new Set(Array.from({ length: count }, (_, b) => key(inputs.subarray(b * d, (b + 1) * d))));
  const recovered = new Set(rec.candidates.map((c) => key(c.x)).filter((k) => truth.has(k)));
  assert.equal(recovered.size / count, isolationRecall(pattern));
  assert.ok(recovered.size > 0);
});
