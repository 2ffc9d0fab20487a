/** The PRG of secure aggregation (Bonawitz et al. 2017, §4): a 32-byte seed → a mask vector in Z_2^32 by AES-256-CTR. */
import { FedleakError } from '../../errors.js';
import { webCrypto } from '../csprng.js';

/** Bytes of a PRG seed (an AES-256 key). @example SEED_BYTES === 32 */
export const SEED_BYTES = 32;

let zeros = new Uint8Array(0);

/**
 * `length` words of the AES-256-CTR keystream under `seed` (counter block 0, 64-bit counter), read as
 * little-endian uint32: a cryptographic stream, the same on every platform for the same seed. Lengths up to
 * 2^30 words.
 * @example const mask = await expandMask(seed, 785_000); // 3.1 MB of keystream
 */
export async function expandMask(seed: Uint8Array, length: number): Promise<Uint32Array> {
  if (seed.length !== SEED_BYTES) {
    throw new FedleakError('BAD_ARGUMENT', `expected a ${SEED_BYTES}-byte seed, got ${seed.length} bytes`, { path: 'seed' });
  }
  if (!Number.isInteger(length) || length < 0 || length > 2 ** 30) {
    throw new FedleakError('BAD_ARGUMENT', `expected a length in [0, 2^30], got ${length}`, { path: 'length' });
  }
  const subtle = webCrypto().subtle;
  const key = await subtle.importKey('raw', new Uint8Array(seed), 'AES-CTR', false, ['encrypt']);
  const bytes = 4 * length;
  if (zeros.length < bytes) zeros = new Uint8Array(bytes); // encrypting zeros yields the keystream; never written
  const stream = await subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, key,
    zeros.subarray(0, bytes));
  const words = new Uint32Array(stream);
  if (!littleEndian) for (let i = 0; i < words.length; i++) words[i] = swap32(words[i]);
  return words;
}

/**
 * acc ← acc + sign·mask (mod 2^32), in place. Uint32Array stores reduce mod 2^32 by themselves (ToUint32).
 * @example addMask(y, await expandMask(seed, y.length), -1);
 */
export function addMask(acc: Uint32Array, mask: Uint32Array, sign: 1 | -1): void {
  if (acc.length !== mask.length) {
    throw new FedleakError('SHAPE_MISMATCH', `mask of ${mask.length} words for a vector of ${acc.length}`, { path: 'mask' });
  }
  if (sign === 1) for (let i = 0; i < acc.length; i++) acc[i] += mask[i];
  else for (let i = 0; i < acc.length; i++) acc[i] -= mask[i];
}

const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
