/** Tests for the forward pass: logits against the float64 reference on every backend, shape errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { logits } from './forward.js';
import { meanCrossEntropy } from './loss.js';
import { initParams } from './init.js';
import { modelSpec } from './spec.js';
import { toTensors } from './params.js';
import { referenceGradient, referenceLogits } from './reference.js';
import { Rng } from '../tensor/rng.js';
import { setupBackend } from '../tensor/backend.js';
import { FLOAT32_REL_TOL, assertClose, assertNoLeak, forEachBackend, uniformArray } from '../tensor/testing.js';
import { isFedleakError } from '../errors.js';

const spec = modelSpec('fc-small', 20, 4, 16);
const params = initParams(spec, new Rng(1));
const batch = 5;
const inputs = uniformArray(new Rng(2), batch * spec.inputDim);
const labels = Int32Array.from([0, 3, 1, 2, 3]);

test('logits and the mean cross-entropy match the float64 reference', async () => {
  const expected = referenceLogits(spec, params, inputs, batch);
  const { loss } = referenceGradient(spec, params, inputs, labels, batch);
  await forEachBackend(async (backend) => {
    await assertNoLeak(() => {
      const [z, l] = tf.tidy(() => {
        const out = logits(spec, toTensors(params), tf.tensor2d(inputs, [batch, spec.inputDim]));
        return [out.dataSync(), meanCrossEntropy(out, tf.tensor1d(labels, 'int32')).dataSync()];
      });
      assert.deepEqual([z.length], [batch * spec.numClasses]);
      assertClose(z, expected, FLOAT32_REL_TOL, `${backend} logits`);
      assertClose(l, [loss], FLOAT32_REL_TOL, `${backend} loss`);
    });
  });
});

test('logits rejects inputs of the wrong width and a wrong number of tensors (SHAPE_MISMATCH)', async () => {
  await setupBackend('cpu');
  tf.tidy(() => {
    const vars = toTensors(params);
    assert.throws(() => logits(spec, vars, tf.zeros([2, 21])), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
    assert.throws(() => logits(spec, vars.slice(1), tf.zeros([2, 20])), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
  });
});
