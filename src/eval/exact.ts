/**
 * The exactness rule (CAH §7.1 "ℓ2 distance 0", made float-safe): a candidate reproduces an input exactly when
 * every value, rounded to 8 bits, equals the input's byte.
 */

/**
 * Values in [0, 1] → bytes: round(v · 255), clamped to 0..255 (NaN → 0). The inverse of the datasets' k / 255.
 * @example toBytes([0, 0.5, 1.2]) // Uint8Array [0, 128, 255]
 */
export function toBytes(x: ArrayLike<number>, out: Uint8Array = new Uint8Array(x.length)): Uint8Array {
  for (let k = 0; k < x.length; k++) {
    const b = Math.round(x[k] * 255);
    out[k] = b > 255 ? 255 : b >= 0 ? b : 0;
  }
  return out;
}

/**
 * The largest |a_k − b_k| (0 for empty arrays). Reported beside the exact/not-exact verdict, so a reader can see
 * how far the float read-out was from the 8-bit boundary (typically ~1e-8, against 1/510 needed to flip a byte).
 * @example maxAbsError([0.5, 0.25], [0.5, 0.3]) // ≈ 0.05
 */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const e = Math.abs(a[k] - b[k]);
    if (e > m || e !== e) m = e;
  }
  return m;
}

/**
 * True when `candidate` reproduces `input` exactly under the 8-bit rule.
 * @example isExact([0.2 + 1e-9, 1], [51 / 255, 1]) === true
 */
export function isExact(candidate: ArrayLike<number>, input: ArrayLike<number>): boolean {
  if (candidate.length !== input.length) return false;
  const a = toBytes(candidate);
  const b = toBytes(input);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Which candidates reproduce which inputs exactly. Inputs with identical bytes form one group.
 * @example const { inputCandidate }: ExactMatches = matchExact(inputs, 100, 784, candidates.map((c) => c.x));
 */
export interface ExactMatches {
  /** Per input: the group it belongs to, named by the first input of the group. */
  inputGroup: Int32Array;
  /** Per candidate: the group of inputs it reproduces exactly, or −1. */
  candidateGroup: Int32Array;
  /** Per input: the first candidate that reproduces it exactly, or −1. */
  inputCandidate: Int32Array;
}

/**
 * Matches candidates to inputs under the 8-bit rule in about one pass over each: every input is rounded to bytes
 * and filed under an FNV-1a hash of them; every candidate is rounded, hashed, looked up, and compared byte by byte
 * against the inputs under that hash. `inputs` holds `count` examples of `dim` values each.
 * @example
 * const m = matchExact(batch.inputs, 100, 784, rec.candidates.map((c) => c.x));
 * const recall = m.inputCandidate.filter((c) => c >= 0).length / 100;
 */
export function matchExact(
  inputs: ArrayLike<number>,
  count: number,
  dim: number,
  candidates: readonly ArrayLike<number>[],
): ExactMatches {
  const inputBytes = new Uint8Array(count * dim);
  const byHash = new Map<number, number[]>();
  const inputGroup = new Int32Array(count);
  for (let b = 0; b < count; b++) {
    const bytes = inputBytes.subarray(b * dim, (b + 1) * dim);
    for (let k = 0; k < dim; k++) {
      const v = Math.round(inputs[b * dim + k] * 255);
      bytes[k] = v > 255 ? 255 : v >= 0 ? v : 0;
    }
    const h = fnv1a(bytes);
    const bucket = byHash.get(h);
    const twin = bucket?.find((e) => equalBytes(inputBytes, e * dim, bytes, 0, dim));
    inputGroup[b] = twin === undefined ? b : inputGroup[twin];
    if (twin !== undefined) continue; // a byte-identical input is already filed
    if (bucket) bucket.push(b);
    else byHash.set(h, [b]);
  }

  const candidateGroup = new Int32Array(candidates.length).fill(-1);
  const inputCandidate = new Int32Array(count).fill(-1);
  const groupCandidate = new Int32Array(count).fill(-1);
  const scratch = new Uint8Array(dim);
  // Candidates that are the same array (peeling gives one certified input to every row it holds) are read once.
  const seen = new Map<ArrayLike<number>, number>();
  for (let c = 0; c < candidates.length; c++) {
    const x = candidates[c];
    if (x.length !== dim) continue;
    const known = seen.get(x);
    if (known !== undefined) {
      candidateGroup[c] = known;
      continue;
    }
    seen.set(x, -1);
    toBytes(x, scratch);
    const bucket = byHash.get(fnv1a(scratch));
    if (!bucket) continue;
    for (const e of bucket) {
      if (equalBytes(inputBytes, e * dim, scratch, 0, dim)) {
        candidateGroup[c] = e;
        seen.set(x, e);
        if (groupCandidate[e] < 0) groupCandidate[e] = c;
        break;
      }
    }
  }
  for (let b = 0; b < count; b++) inputCandidate[b] = groupCandidate[inputGroup[b]];
  return { inputGroup, candidateGroup, inputCandidate };
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < bytes.length; k++) {
    h ^= bytes[k];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function equalBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[ao + k] !== b[bo + k]) return false;
  return true;
}

/**
 * How many of `candidates` reproduce no input of the batch under the 8-bit rule (for certified inputs: the wrongly
 * certified ones, which must be 0).
 * @example const wrong = unmatchedCount(batch.inputs, 100, 3072, rec.certified.map((c) => c.x));
 */
export function unmatchedCount(inputs: ArrayLike<number>, count: number, dim: number, candidates: readonly ArrayLike<number>[]): number {
  let n = 0;
  for (const g of matchExact(inputs, count, dim, candidates).candidateGroup) if (g < 0) n++;
  return n;
}
