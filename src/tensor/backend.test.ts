/** Tests for setupBackend: both backends start, no tfjs-node banner, unknown names fail with a code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { backendNames, setupBackend } from './backend.js';
import { matMulGradFixEnabled } from './matmul-grad.js';
import { isFedleakError } from '../errors.js';

// First in the file: the banner only appears on the cpu backend's first tensor in this process.
test('setupBackend("cpu") starts the cpu backend without the tfjs-node banner', async () => {
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    assert.equal(await setupBackend('cpu'), 'cpu');
    tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync());
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings.filter((w) => String(w[0]).includes('tfjs-node')), []);
});

test('setupBackend() defaults to wasm and applies the MatMul-gradient fix', async () => {
  assert.deepEqual([...backendNames], ['wasm', 'cpu']);
  assert.equal(await setupBackend(), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.ok(matMulGradFixEnabled());
  assert.deepEqual(Array.from(tf.tidy(() => tf.matMul(tf.ones([1, 2]), tf.ones([2, 1])).dataSync())), [2]);
  assert.equal(await setupBackend('wasm'), 'wasm', 'calling again is harmless');
});

test('setupBackend rejects an unknown backend with BACKEND_UNAVAILABLE', async () => {
  await assert.rejects(
    setupBackend('webgpu' as never),
    (e) => isFedleakError(e, 'BACKEND_UNAVAILABLE') && /webgpu/.test(e.message),
  );
});
