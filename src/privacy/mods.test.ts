/** Tests for composing client mods in the order clip → noise → mask, and for their report line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMods, checkModOrder, describeMods } from './mods.js';
import { clip, l2Norm } from './clip.js';
import { dpNoise } from './dp-noise.js';
import { secAggMask } from './secagg/mask-stage.js';
import { isFedleakError } from '../errors.js';
import type { Update } from '../types.js';

const update: Update = { clientId: 'c', round: 0, kind: 'delta', numExamples: 5, arrays: [
  { name: 'w', shape: [3], data: Float32Array.of(30, 0, 40) } ] };

test('applyMods runs the mods in the listed order: clip, then noise calibrated to the clip', () => {
  const out = applyMods(update, [clip({ clippingNorm: 1 }), dpNoise({ mode: 'local', noiseMultiplier: 0, clippingNorm: 1 })]);
  assert.ok(Math.abs(l2Norm(out.arrays) - 1) < 1e-6);
  assert.equal(out.clientId, 'c');
  assert.equal(update.arrays[0].data[0], 30, 'the input is not changed');
  assert.deepEqual(applyMods(update, []), update);
});

test('a mask stage ends the pipeline and is left to the SecAgg protocol', () => {
  const mask = secAggMask({ threshold: 7, clipRange: 1, numClients: 10 });
  const out = applyMods(update, [clip({ clippingNorm: 1 }), mask]);
  assert.ok(Math.abs(l2Norm(out.arrays) - 1) < 1e-6);
});

test('describeMods prints the order as data and as one line', () => {
  const d = describeMods([clip({ clippingNorm: 1 }),
    dpNoise({ mode: 'distributed', noiseMultiplier: 3, clippingNorm: 1, numClients: 100 }),
    secAggMask({ threshold: 67, clipRange: 1, numClients: 100 })]);
  assert.deepEqual(d.order.map((m) => m.stage), ['clip', 'noise', 'mask']);
  assert.equal(d.text, 'clip(clippingNorm=1) → dpNoise(mode=distributed, noiseMultiplier=3, clippingNorm=1, numClients=100)'
    + ' → secAggMask(threshold=67, clipRange=1, numClients=100)');
  assert.equal(describeMods([]).text, 'none');
});

test('out-of-order, repeated or uncalibrated stages fail with BAD_ARGUMENT', () => {
  const c = clip({ clippingNorm: 1 });
  const noise = dpNoise({ mode: 'local', noiseMultiplier: 1, clippingNorm: 1 });
  const mask = secAggMask({ threshold: 2, clipRange: 1, numClients: 3 });
  const bad = (stages: Parameters<typeof checkModOrder>[0], msg: RegExp) =>
    assert.throws(() => checkModOrder(stages), (e) => isFedleakError(e, 'BAD_ARGUMENT') && msg.test(e.message));
  bad([c, mask, noise], /order must be clip → noise → mask/);
  bad([noise, c], /no clip comes before it/);
  bad([c, c], /order must be/);
  bad([mask, c], /order must be/);
  bad([noise], /no clip comes before it/);
  bad([clip({ clippingNorm: 2 }), noise], /clipped to 2/);
  bad([(() => update) as never], /built by clip/);
  checkModOrder([clip({ clippingNorm: 0.5 }), noise, mask]); // clipping tighter than the calibration is fine
});
