/** Tests for X25519 agreement + HKDF pairwise keys, private-key export for sharing, and AES-GCM share boxes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportPrivateKey, generateKeyPair, importPrivateKey, open, pairwiseKey, seal, utf8 } from './keys.js';
import { isFedleakError } from '../../errors.js';

test('both ends derive the same pairwise key; purposes and sessions give independent keys', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const ab = await pairwiseKey(a.privateKey, b.publicKey, 'mask', 's1');
  assert.equal(ab.length, 32);
  assert.deepEqual(await pairwiseKey(b.privateKey, a.publicKey, 'mask', 's1'), ab);
  assert.notDeepEqual(await pairwiseKey(a.privateKey, b.publicKey, 'encrypt', 's1'), ab);
  assert.notDeepEqual(await pairwiseKey(a.privateKey, b.publicKey, 'mask', 's2'), ab);
});

test('a private key survives export to 32 raw bytes and import, with the same public key and agreements', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const raw = await exportPrivateKey(a.privateKey);
  assert.equal(raw.length, 32);
  const back = await importPrivateKey(raw);
  assert.deepEqual(back.publicKey, a.publicKey);
  assert.deepEqual(await pairwiseKey(back.privateKey, b.publicKey, 'mask', 's'), await pairwiseKey(a.privateKey, b.publicKey, 'mask', 's'));
});

test('seal/open round-trips; a changed byte, key or aad fails authentication (null)', async () => {
  const key = new Uint8Array(32).fill(9);
  const box = await seal(key, utf8('share bytes'), utf8('1->2'));
  assert.equal(box.length, 12 + 11 + 16);
  assert.deepEqual(await open(key, box, utf8('1->2')), utf8('share bytes'));
  const tampered = box.slice();
  tampered[20] ^= 1;
  assert.equal(await open(key, tampered, utf8('1->2')), null);
  assert.equal(await open(new Uint8Array(32), box, utf8('1->2')), null);
  assert.equal(await open(key, box, utf8('2->1')), null);
  assert.equal(await open(key, box.subarray(0, 20), utf8('1->2')), null);
  assert.notDeepEqual(await seal(key, utf8('share bytes'), utf8('1->2')), box, 'a fresh IV every time');
});

test('a malformed peer key fails with BAD_ARGUMENT', async () => {
  const a = await generateKeyPair();
  await assert.rejects(pairwiseKey(a.privateKey, new Uint8Array(31), 'mask', 's'), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
  await assert.rejects(importPrivateKey(new Uint8Array(31)), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});
