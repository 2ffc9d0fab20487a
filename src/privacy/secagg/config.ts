/** The parameters of one secure-aggregation session (Bonawitz et al. 2017): n, the threshold t, the vector and its code. */
import { randomBytes } from '../csprng.js';
import { badOption, checkKeys, integerIn, positiveNumber } from '../check.js';

/**
 * A checked session configuration, shared by the server and every client. Client ids are 0..n−1; a client's
 * Shamir point is its id + 1.
 * @example const config = secAggConfig({ numClients: 100, threshold: 67, vectorLength: 785_000, clipRange: 1 });
 */
export interface SecAggConfig {
  /** n: clients invited to the round. */
  numClients: number;
  /** t: shares needed to reconstruct a secret; also the fewest clients that may survive any round. */
  threshold: number;
  /** Length of each client's input vector (words of the masked vector). */
  vectorLength: number;
  /** R: inputs are clamped to [−R, R] and encoded in fixed point (see `quantizer`). */
  clipRange: number;
  /** Salt of every key derivation, so keys of different sessions never coincide; random hex by default. */
  sessionId: string;
  /**
   * SecAgg+ (Bell et al. 2020): each client masks with and shares among k neighbours (k even, t ≤ k) instead of
   * all others; null for the original protocol's complete graph.
   */
  neighbours: number | null;
}

/**
 * Options of {@link secAggConfig}: as `SecAggConfig`, sessionId optional.
 * @example const opts: SecAggConfigOptions = { numClients: 10, threshold: 7, vectorLength: 100, clipRange: 1 };
 */
export type SecAggConfigOptions = Omit<SecAggConfig, 'sessionId' | 'neighbours'> & { sessionId?: string; neighbours?: number | null };

/**
 * The threshold this library suggests for n clients: ⌊2n/3⌋ + 1 (at least 2 when n ≥ 2); with SecAgg+ and k
 * neighbours, ⌊2k/3⌋ + 1 of each neighbourhood. Bonawitz et al. prove security against an active server with
 * t > 2n/3 (with signatures and the consistency round, which fedleak leaves out) and against a semi-honest one
 * with t > n/2; a larger t tolerates fewer dropouts (n − t, or k − t per neighbourhood).
 * @example defaultThreshold(100) // 67
 */
export function defaultThreshold(numClients: number, neighbours: number | null = null): number {
  const m = neighbours !== null && neighbours < numClients - 1 ? neighbours : numClients;
  return Math.min(m, Math.max(2, Math.floor((2 * m) / 3) + 1));
}

/**
 * Checks the options once, at the door, and fills the session id. Throws BAD_ARGUMENT naming the option:
 * n an integer ≥ 2, t an integer in [1, n], vectorLength an integer in [1, 2^28], R a finite number > 0;
 * for SecAgg+, neighbours an even integer ≥ 2 with t ≤ k (≥ n − 1 means the complete graph).
 * @example const config = secAggConfig({ numClients: 20, threshold: defaultThreshold(20), vectorLength: 10, clipRange: 1 });
 */
export function secAggConfig(opts: SecAggConfigOptions): SecAggConfig {
  checkKeys('secAggConfig', opts, ['numClients', 'threshold', 'vectorLength', 'clipRange', 'sessionId', 'neighbours']);
  const numClients = integerIn(opts.numClients, 2, 2 ** 20, 'secAgg.numClients',
    'secure aggregation needs at least 2 clients; without it the sum is the update');
  const threshold = integerIn(opts.threshold, 1, numClients, 'secAgg.threshold',
    `pass t in [1, ${numClients}]; ${defaultThreshold(numClients)} (⌊2n/3⌋ + 1) is a good default`);
  const vectorLength = integerIn(opts.vectorLength, 1, 2 ** 28, 'secAgg.vectorLength',
    'pass the number of values in each client update');
  const clipRange = positiveNumber(opts.clipRange, 'secAgg.clipRange',
    'pass R, the largest |coordinate| to encode, e.g. the clipping norm C');
  const sessionId = opts.sessionId ?? hex(randomBytes(16));
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 200) {
    throw badOption('secAgg.sessionId', 'a non-empty string of at most 200 characters', sessionId, 'omit it for a random one');
  }
  let neighbours: number | null = null;
  if (opts.neighbours !== undefined && opts.neighbours !== null) {
    const k = integerIn(opts.neighbours, 2, 2 ** 20, 'secAgg.neighbours', 'pass an even number of neighbours such as 2⌈log₂ n⌉');
    if (k < numClients - 1) {
      if (k % 2 !== 0) throw badOption('secAgg.neighbours', 'an even number (a Harary graph)', k, `use ${k + 1}`);
      if (threshold > k) {
        throw badOption('secAgg.threshold', `at most neighbours = ${k} (a dropped client's key is rebuilt from its neighbours' shares)`,
          threshold, `lower the threshold to ≤ ${k}, e.g. ${defaultThreshold(numClients, k)}, or raise neighbours`);
      }
      neighbours = k;
    }
  }
  return { numClients, threshold, vectorLength, clipRange, sessionId, neighbours };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
