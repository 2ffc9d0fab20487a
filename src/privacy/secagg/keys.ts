/**
 * Key agreement and share encryption for secure aggregation (Bonawitz et al. 2017, §4: KA and AE): X25519 key
 * pairs, HKDF-SHA-256 from the shared secret to 32-byte keys, and AES-256-GCM, all through Web Crypto.
 */
import { FedleakError } from '../../errors.js';
import { randomBytes, webCrypto } from '../csprng.js';

/** Bytes of an X25519 public key, private key and shared secret. @example X25519_BYTES === 32 */
export const X25519_BYTES = 32;

/** A PKCS#8 X25519 private key is this fixed 16-byte header followed by the 32 raw key bytes (RFC 8410). */
const PKCS8_X25519_HEADER = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

/**
 * The purposes a pairwise key is derived for; each gets its own HKDF `info`, so the keys are independent.
 * @example const p: KeyPurpose = 'mask';
 */
export type KeyPurpose = 'mask' | 'encrypt';

/**
 * An X25519 key pair: the raw 32-byte public key (what is advertised) and the private key, extractable so that
 * the masking key can be Shamir-shared.
 * @example const { publicKey, privateKey } = await generateKeyPair();
 */
export interface KeyPair {
  publicKey: Uint8Array<ArrayBuffer>;
  privateKey: CryptoKey;
}

/**
 * A fresh X25519 key pair from Web Crypto.
 * @example const pair = await generateKeyPair(); pair.publicKey.length // 32
 */
export async function generateKeyPair(): Promise<KeyPair> {
  const subtle = webCrypto().subtle;
  const pair = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  return { publicKey, privateKey: pair.privateKey };
}

/**
 * The 32 raw bytes of an X25519 private key (the tail of its PKCS#8 form), the secret that gets Shamir-shared.
 * @example const raw = await exportPrivateKey(pair.privateKey); raw.length // 32
 */
export async function exportPrivateKey(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  const pkcs8 = new Uint8Array(await webCrypto().subtle.exportKey('pkcs8', key));
  return pkcs8.slice(pkcs8.length - X25519_BYTES);
}

/**
 * Imports 32 raw private-key bytes (e.g. reconstructed from shares) and returns the key with its public key, so
 * the caller can check it against the advertised one.
 * @example const { privateKey, publicKey } = await importPrivateKey(raw);
 */
export async function importPrivateKey(raw: Uint8Array): Promise<KeyPair> {
  if (raw.length !== X25519_BYTES) {
    throw new FedleakError('BAD_ARGUMENT', `expected a ${X25519_BYTES}-byte X25519 private key, got ${raw.length} bytes`,
      { path: 'privateKey' });
  }
  const subtle = webCrypto().subtle;
  const pkcs8 = new Uint8Array(PKCS8_X25519_HEADER.length + X25519_BYTES);
  pkcs8.set(PKCS8_X25519_HEADER);
  pkcs8.set(raw, PKCS8_X25519_HEADER.length);
  const privateKey = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
  const jwk = await subtle.exportKey('jwk', privateKey);
  if (typeof jwk.x !== 'string') throw new FedleakError('BACKEND_UNAVAILABLE', 'Web Crypto did not export the X25519 public key');
  return { privateKey, publicKey: base64UrlDecode(jwk.x) };
}

/**
 * A 32-byte key for `purpose`, shared by two parties: HKDF-SHA-256 of the X25519 secret agreed between
 * `privateKey` and `peerPublicKey`, salted with the session id. Both ends get the same bytes. Rejects (throws
 * BAD_ARGUMENT) a malformed or low-order peer key, which Web Crypto refuses to agree with.
 * @example const seed = await pairwiseKey(mySecret, theirPublic, 'mask', sessionId);
 */
export async function pairwiseKey(privateKey: CryptoKey, peerPublicKey: Uint8Array, purpose: KeyPurpose,
  sessionId: string): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = webCrypto().subtle;
  let shared: ArrayBuffer;
  try {
    const peer = await subtle.importKey('raw', new Uint8Array(peerPublicKey), { name: 'X25519' }, true, []);
    shared = await subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, 256);
  } catch (cause) {
    throw new FedleakError('BAD_ARGUMENT', 'the peer public key is not a usable X25519 key', {
      path: 'publicKey', hint: 'the advertised key was malformed or of low order', cause });
  }
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({
    name: 'HKDF', hash: 'SHA-256', salt: utf8(`fedleak/secagg/v1/session/${sessionId}`),
    info: utf8(`fedleak/secagg/v1/${purpose}`) }, ikm, 256);
  return new Uint8Array(bits);
}

/**
 * AES-256-GCM encryption of `plaintext` under a 32-byte key with a fresh random 96-bit IV, binding `aad` (e.g.
 * the sender and recipient ids). Returns IV ‖ ciphertext ‖ tag (12 + length + 16 bytes).
 * @example const box = await seal(key, plaintext, utf8('3->7'));
 */
export async function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = webCrypto().subtle;
  const k = await subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(12);
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array(aad) }, k,
    new Uint8Array(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return out;
}

/**
 * Opens a box made by {@link seal}; returns null if it was altered, sealed under another key or with another
 * `aad` (authentication failed), so the caller can abort with a reason instead of catching.
 * @example const plaintext = await open(key, box, utf8('3->7')); if (!plaintext) abort();
 */
export async function open(key: Uint8Array, box: Uint8Array, aad: Uint8Array): Promise<Uint8Array<ArrayBuffer> | null> {
  if (box.length < 28) return null;
  const subtle = webCrypto().subtle;
  const k = await subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, ['decrypt']);
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: box.slice(0, 12),
      additionalData: new Uint8Array(aad) }, k, box.slice(12)));
  } catch {
    return null;
  }
}

/** UTF-8 bytes of a string. @example utf8('a') // Uint8Array [97] */
export function utf8(s: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(s));
}

function base64UrlDecode(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
