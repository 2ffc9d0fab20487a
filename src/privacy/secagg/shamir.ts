/**
 * t-of-n Shamir secret sharing over a prime field (Shamir 1979; Bonawitz et al. 2017, §3.1): share and
 * reconstruct field elements and byte strings (split into elements), Lagrange interpolation at 0, with BigInt.
 */
import { FedleakError } from '../../errors.js';
import { randomBytes } from '../csprng.js';

/**
 * The default field: integers mod the Mersenne prime p = 2^127 − 1. A 32-byte secret is split into 15-byte
 * chunks (120 bits < 127), three field elements, each shared with its own random polynomial.
 * @example MERSENNE_127 === (1n << 127n) - 1n
 */
export const MERSENNE_127 = (1n << 127n) - 1n;

/**
 * A prime field for sharing: its prime, how many secret bytes fit in one element (strictly below p) and how
 * many bytes one element takes on the wire.
 * @example const f = primeField(MERSENNE_127); f.chunkBytes // 15
 */
export interface PrimeField {
  prime: bigint;
  chunkBytes: number;
  elementBytes: number;
}

/**
 * A share: the evaluation point x (1-based; x = 0 is the secret) and the value there, one element per chunk.
 * @example const s: Share = { x: 3, y: [12n, 7n, 99n] };
 */
export interface Share {
  x: number;
  y: bigint[];
}

/**
 * Describes the field of prime `prime` (not checked for primality: pass a known prime such as MERSENNE_127, or
 * a small one in tests).
 * @example primeField(257n).chunkBytes // 1
 */
export function primeField(prime: bigint = MERSENNE_127): PrimeField {
  if (typeof prime !== 'bigint' || prime < 3n) {
    throw new FedleakError('BAD_ARGUMENT', `expected a prime ≥ 3, got ${String(prime)}`, { path: 'prime' });
  }
  const bits = prime.toString(2).length;
  return { prime, chunkBytes: Math.floor((bits - 1) / 8), elementBytes: Math.ceil(bits / 8) };
}

const defaultField = primeField(MERSENNE_127);

/**
 * Shares one field element: a random polynomial f of degree t − 1 with f(0) = secret, evaluated at each x in
 * `xs` (distinct integers in [1, p)). Any t of the shares determine the secret; any t − 1 are uniformly
 * distributed whatever the secret. Fewer than t points may be asked for (the other shares are simply not
 * made). Coefficients come from the CSPRNG unless `coefficients` (t − 1 of them, for tests) is given.
 * @example const shares = shareElement(42n, 3, [1, 2, 3, 4, 5]); reconstructElement(shares.slice(2)) // 42n
 */
export function shareElement(secret: bigint, threshold: number, xs: readonly number[], field: PrimeField = defaultField,
  coefficients?: readonly bigint[]): { x: number; y: bigint }[] {
  const p = field.prime;
  checkShareArgs(threshold, xs, p, false);
  if (secret < 0n || secret >= p) throw new FedleakError('BAD_ARGUMENT', 'the secret is not a field element', { path: 'secret' });
  const coef = [secret];
  for (let k = 1; k < threshold; k++) coef.push(coefficients ? mod(coefficients[k - 1], p) : randomElement(field));
  return xs.map((x) => {
    const bx = BigInt(x);
    let acc = 0n;
    for (let k = coef.length - 1; k >= 0; k--) acc = (acc * bx + coef[k]) % p; // Horner
    return { x, y: acc };
  });
}

/**
 * f(0) from shares of one element by Lagrange interpolation: Σ yᵢ·Πⱼ≠ᵢ xⱼ/(xⱼ − xᵢ) mod p. All shares given are
 * used; with at least t correct shares this is the secret, with fewer it is some other field element.
 * @example reconstructElement([{ x: 1, y: 5n }, { x: 2, y: 7n }], primeField(11n)) // 3n (f(x) = 3 + 2x)
 */
export function reconstructElement(shares: readonly { x: number; y: bigint }[], field: PrimeField = defaultField): bigint {
  const lambda = lagrangeAtZero(shares.map((s) => s.x), field.prime);
  let acc = 0n;
  shares.forEach((s, i) => { acc = (acc + s.y * lambda[i]) % field.prime; });
  return acc;
}

/**
 * Shares a byte string (e.g. a 32-byte seed or X25519 private key): it is cut into `field.chunkBytes`-byte
 * big-endian chunks, each shared with its own polynomial, so share i holds one element per chunk.
 * @example const shares = shareBytes(seed, 67, ids.map((id) => id + 1));
 */
export function shareBytes(secret: Uint8Array, threshold: number, xs: readonly number[], field: PrimeField = defaultField): Share[] {
  checkShareArgs(threshold, xs, field.prime);
  const chunks = toChunks(secret, field);
  const perChunk = chunks.map((c) => shareElement(c, threshold, xs, field));
  return xs.map((x, i) => ({ x, y: perChunk.map((shares) => shares[i].y) }));
}

/**
 * The byte string of length `length` behind `shares` (at least t of them, all with one element per chunk).
 * Uses every share given; pass exactly t for speed.
 * @example const seed = reconstructBytes(shares.slice(0, 67), 32);
 */
export function reconstructBytes(shares: readonly Share[], length: number, field: PrimeField = defaultField): Uint8Array<ArrayBuffer> {
  const chunks = Math.ceil(length / field.chunkBytes);
  if (shares.length === 0 || shares.some((s) => s.y.length !== chunks)) {
    throw new FedleakError('BAD_ARGUMENT', `expected shares of ${chunks} elements each`, { path: 'shares' });
  }
  const lambda = lagrangeAtZero(shares.map((s) => s.x), field.prime);
  const out = new Uint8Array(length);
  for (let c = 0; c < chunks; c++) {
    let acc = 0n;
    shares.forEach((s, i) => { acc = (acc + s.y[c] * lambda[i]) % field.prime; });
    const off = c * field.chunkBytes;
    const n = Math.min(field.chunkBytes, length - off);
    for (let b = n - 1; b >= 0; b--) {
      out[off + b] = Number(acc & 0xffn);
      acc >>= 8n;
    }
  }
  return out;
}

/**
 * A share's elements as fixed-width big-endian bytes (`field.elementBytes` each), for the wire.
 * @example encodeShare(share).length // 48 for a 32-byte secret over MERSENNE_127
 */
export function encodeShare(y: readonly bigint[], field: PrimeField = defaultField): Uint8Array<ArrayBuffer> {
  const w = field.elementBytes;
  const out = new Uint8Array(y.length * w);
  y.forEach((v, k) => {
    let acc = v;
    for (let b = w - 1; b >= 0; b--) {
      out[k * w + b] = Number(acc & 0xffn);
      acc >>= 8n;
    }
  });
  return out;
}

/**
 * Inverse of {@link encodeShare}; null when the length is wrong or an element is not below p.
 * @example const y = decodeShare(bytes, 3);
 */
export function decodeShare(bytes: Uint8Array, elements: number, field: PrimeField = defaultField): bigint[] | null {
  const w = field.elementBytes;
  if (bytes.length !== elements * w) return null;
  const y: bigint[] = [];
  for (let k = 0; k < elements; k++) {
    let acc = 0n;
    for (let b = 0; b < w; b++) acc = (acc << 8n) | BigInt(bytes[k * w + b]);
    if (acc >= field.prime) return null;
    y.push(acc);
  }
  return y;
}

/** Number of field elements per share of a `length`-byte secret. @example elementsFor(32) // 3 */
export function elementsFor(length: number, field: PrimeField = defaultField): number {
  return Math.ceil(length / field.chunkBytes);
}

const lagrangeCache = new Map<string, bigint[]>();

/** λᵢ = Πⱼ≠ᵢ xⱼ/(xⱼ − xᵢ) mod p; cached by point set, since one round reconstructs many secrets at the same points. */
function lagrangeAtZero(xs: readonly number[], p: bigint): bigint[] {
  const key = `${p}:${xs.join(',')}`;
  const hit = lagrangeCache.get(key);
  if (hit) return hit;
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isInteger(x) || x <= 0 || BigInt(x) >= p)) {
    throw new FedleakError('BAD_ARGUMENT', 'share points must be distinct integers in [1, p)', { path: 'shares' });
  }
  const bx = xs.map(BigInt);
  const lambda = bx.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    bx.forEach((xj, j) => {
      if (j === i) return;
      num = (num * xj) % p;
      den = (den * mod(xj - xi, p)) % p;
    });
    return (num * invert(den, p)) % p;
  });
  if (lagrangeCache.size > 64) lagrangeCache.clear();
  lagrangeCache.set(key, lambda);
  return lambda;
}

function toChunks(secret: Uint8Array, field: PrimeField): bigint[] {
  const chunks: bigint[] = [];
  for (let off = 0; off < secret.length; off += field.chunkBytes) {
    let acc = 0n;
    for (let b = off; b < Math.min(secret.length, off + field.chunkBytes); b++) acc = (acc << 8n) | BigInt(secret[b]);
    chunks.push(acc);
  }
  return chunks;
}

/** A uniform element of [0, p): rejection sampling on CSPRNG bytes masked to p's bit length. */
function randomElement(field: PrimeField): bigint {
  const bits = field.prime.toString(2).length;
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const bytes = randomBytes(field.elementBytes);
    let v = 0n;
    for (const b of bytes) v = (v << 8n) | BigInt(b);
    v &= mask;
    if (v < field.prime) return v;
  }
}

function mod(a: bigint, p: bigint): bigint {
  const r = a % p;
  return r < 0n ? r + p : r;
}

/** a⁻¹ mod p by the extended Euclidean algorithm (a ≠ 0 mod p). */
function invert(a: bigint, p: bigint): bigint {
  let [r0, r1] = [mod(a, p), p];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new FedleakError('BAD_ARGUMENT', 'not invertible: is the modulus prime?', { path: 'prime' });
  return mod(s0, p);
}

function checkShareArgs(threshold: number, xs: readonly number[], p: bigint, allShares = true): void {
  if (!Number.isInteger(threshold) || threshold < 1 || (allShares && threshold > xs.length)) {
    throw new FedleakError('BAD_ARGUMENT', `expected a threshold ${allShares ? `in [1, ${xs.length}]` : '≥ 1'}, got ${threshold}`, {
      path: 'threshold', hint: 't shares reconstruct; t cannot exceed the number of shares' });
  }
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isInteger(x) || x <= 0 || BigInt(x) >= p)) {
    throw new FedleakError('BAD_ARGUMENT', 'share points must be distinct integers in [1, p)', {
      path: 'xs', hint: 'use client id + 1 as the point' });
  }
}
