/** Tests for the AES-CTR mask generator: a known answer, determinism, uniform words, and masks that cancel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addMask, expandMask } from './prg.js';
import { randomBytes } from '../csprng.js';
import { isFedleakError } from '../../errors.js';

test('known answer: the first block under the all-zero key is AES-256(0¹²⁸) = dc95c078 a2408989 ad48a214 92842087', async () => {
  const words = await expandMask(new Uint8Array(32), 4);
  const hex = Array.from(new Uint8Array(words.buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  assert.equal(hex, 'dc95c078a2408989ad48a21492842087');
});

test('the same seed gives the same stream; its prefix does not depend on the length asked for', async () => {
  const seed = randomBytes(32);
  const a = await expandMask(seed, 1000);
  assert.deepEqual(await expandMask(seed, 1000), a);
  assert.deepEqual((await expandMask(seed, 10)), a.subarray(0, 10));
  assert.notDeepEqual(await expandMask(randomBytes(32), 1000), a);
});

test('mask words look uniform on Z_2^32: mean ≈ 2^31 and every bit set half the time', async () => {
  const m = await expandMask(randomBytes(32), 200_000);
  let mean = 0;
  const bits = new Array(32).fill(0);
  for (const w of m) {
    mean += w / m.length;
    for (let k = 0; k < 32; k++) bits[k] += (w >>> k) & 1;
  }
  assert.ok(Math.abs(mean / 2 ** 31 - 1) < 0.005, `mean ${mean}`);
  for (const b of bits) assert.ok(Math.abs(b / m.length - 0.5) < 0.005);
});

test('adding and then subtracting a mask gives the vector back (mod 2^32)', async () => {
  const x = Uint32Array.from({ length: 100 }, (_, i) => (i * 2654435761) >>> 0);
  const y = x.slice();
  const mask = await expandMask(randomBytes(32), 100);
  addMask(y, mask, 1);
  assert.notDeepEqual(y, x);
  addMask(y, mask, -1);
  assert.deepEqual(y, x);
});

test('bad seeds and lengths fail with coded errors', async () => {
  await assert.rejects(expandMask(new Uint8Array(16), 4), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  await assert.rejects(expandMask(new Uint8Array(32), -1), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  assert.throws(() => addMask(new Uint32Array(2), new Uint32Array(3), 1), (e) => isFedleakError(e, 'SHAPE_MISMATCH'));
});
