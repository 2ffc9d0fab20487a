/**
 * One secure-aggregation round in process (Bonawitz et al. 2017, Fig. 4; SecAgg+ of Bell et al. 2020 with
 * `neighbours`): n clients and a server exchange the four rounds' messages, with the dropouts you name.
 */
import { FedleakError } from '../../errors.js';
import type { NamedArrays } from '../../types.js';
import { badOption, checkKeys } from '../check.js';
import { SecAggClient } from './client.js';
import { secAggConfig } from './config.js';
import {
  isAbort, messageBytes, roundNames, type ClientId, type ClientMessage, type SecAggAbort, type SecAggRound, type ServerMessage,
} from './messages.js';
import { quantizer } from './quantize.js';
import { SecAggServer } from './server.js';

/**
 * Clients that stop before sending their message of `round` (and send nothing after it).
 * @example const d: SecAggDropout = { round: 3, clientIds: [4, 9] }; // 4 and 9 never send a masked input
 */
export interface SecAggDropout {
  round: SecAggRound;
  clientIds: ClientId[];
}

/**
 * Options of {@link runSecAgg}.
 * @example const opts: RunSecAggOptions = { inputs, threshold: 67, clipRange: 1, dropouts: [{ round: 2, clientIds: [0] }] };
 */
export interface RunSecAggOptions {
  /** One vector (or one update's named arrays, all alike) per client; client i gets id i. */
  inputs: readonly ArrayLike<number>[] | readonly NamedArrays[];
  /** t, see `secAggConfig` (e.g. `defaultThreshold(n)`). */
  threshold: number;
  /**
   * R: inputs are clamped to [−R, R] before encoding. After `clip` to C every coordinate is within C; with
   * distributed DP noise on top, leave room for it (e.g. R = C + 6σC/√M) or count `clampedValues`.
   */
  clipRange: number;
  dropouts?: readonly SecAggDropout[];
  sessionId?: string;
  /** SecAgg+ (Bell et al. 2020): k neighbours per client (even, ≥ t); omit for the original complete graph. */
  neighbours?: number | null;
}

/**
 * Milliseconds per round: `clientMs` summed over the clients (they run one after another here; deployed, they
 * run in parallel, so `clientMaxMs` is the per-client cost), `serverMs` for the server (taking the messages in,
 * and closing the round).
 * @example r.timings.rounds[2].clientMaxMs
 */
export interface SecAggTimings {
  totalMs: number;
  rounds: { round: SecAggRound; name: string; clientMs: number; clientMaxMs: number; serverMs: number }[];
}

/**
 * A completed round. `sum` is the decoded sum of the inputs of `included` (U3: the clients whose masked input
 * arrived, including those that dropped in round 4), within `errorBound` of the exact sum of their clamped
 * inputs; `quantizedSum` is the exact sum of their codes mod 2^32.
 * @example const r = await runSecAgg(opts); if (r.ok) console.log(r.sum, r.bytesSentPerClient);
 */
export interface SecAggRunResult {
  ok: true;
  sum: Float64Array;
  /** The sum as float32 named arrays, when the inputs were named arrays. */
  arrays?: NamedArrays;
  quantizedSum: Uint32Array;
  included: ClientId[];
  /** Clients still in after each round: U1, U2, U3, U5 of the paper. */
  survivors: Record<SecAggRound, ClientId[]>;
  /** Bytes each client sent (compact binary encoding, see `messageBytes`); 0 for a client that sent nothing. */
  bytesSentPerClient: number[];
  bytesReceivedPerClient: number[];
  errorBound: number;
  /** Input values outside [−R, R] that the clients clamped (a diagnostic the server never sees). */
  clampedValues: number;
  timings: SecAggTimings;
}

/**
 * Runs one full session: builds the config, n clients and the server, plays the four rounds with the given
 * dropouts (a dropped client arrives at the server as `{ type: 'dropped', clientId, error }`) and returns the
 * decoded sum, or the abort value when fewer than t clients survive a round. Throws BAD_ARGUMENT for bad options
 * (unknown client ids, a client dropped twice, bad t or R) and SHAPE_MISMATCH for inputs of different shapes.
 * @example
 * const r = await runSecAgg({ inputs: updates.map((u) => u.arrays), threshold: 67, clipRange: 1,
 *   dropouts: [{ round: 3, clientIds: [5] }] });
 * if (!r.ok) console.error(r.reason); // e.g. 'only 12 clients survived round 2 (share keys), threshold t = 15'
 */
export async function runSecAgg(opts: RunSecAggOptions): Promise<SecAggRunResult | SecAggAbort> {
  checkKeys('runSecAgg', opts, ['inputs', 'threshold', 'clipRange', 'dropouts', 'sessionId', 'neighbours']);
  const t0 = performance.now();
  const { vectors, template } = flattenInputs(opts.inputs);
  const n = vectors.length;
  const config = secAggConfig({ numClients: n, threshold: opts.threshold, vectorLength: vectors[0].length,
    clipRange: opts.clipRange, sessionId: opts.sessionId, neighbours: opts.neighbours });
  const dropRound = checkDropouts(opts.dropouts ?? [], n);
  const clients = vectors.map((v, i) => new SecAggClient(config, i, v));
  const server = new SecAggServer(config);
  const sent = new Array<number>(n).fill(0);
  const received = new Array<number>(n).fill(0);
  const timings: SecAggTimings = { totalMs: 0, rounds: [] };
  const survivors = { 1: [], 2: [], 3: [], 4: [] } as Record<SecAggRound, ClientId[]>;

  /** Runs `step` on each client in `ids` (or a dropout for those dropping at `round`), feeding the server. */
  const play = async (round: SecAggRound, ids: readonly ClientId[],
    step: (c: SecAggClient) => Promise<ClientMessage | SecAggAbort>) => {
    let clientMs = 0;
    let clientMaxMs = 0;
    let serverMs = 0;
    for (const id of ids) {
      let msg: ClientMessage;
      if (dropRound.get(id) !== undefined && dropRound.get(id)! <= round) {
        msg = { type: 'dropped', clientId: id, error: `dropped out before round ${round} (${roundNames[round]})` };
      } else {
        const s = performance.now();
        const out = await step(clients[id]);
        const ms = performance.now() - s;
        clientMs += ms;
        clientMaxMs = Math.max(clientMaxMs, ms);
        msg = isAbort(out) ? { type: 'dropped', clientId: id, error: `client aborted: ${out.reason}` } : out;
        if (msg.type !== 'dropped') sent[id] += messageBytes(msg);
      }
      const s = performance.now();
      server.receive(msg);
      serverMs += performance.now() - s;
    }
    timings.rounds.push({ round, name: roundNames[round], clientMs, clientMaxMs, serverMs });
  };
  const timeServer = async <T>(f: () => T | Promise<T>): Promise<T> => {
    const s = performance.now();
    const out = await f();
    timings.rounds[timings.rounds.length - 1].serverMs += performance.now() - s;
    return out;
  };
  const deliver = (to: readonly ClientId[], msg: ServerMessage) => { for (const id of to) received[id] += messageBytes(msg); };
  const everyone = Array.from({ length: n }, (_, i) => i);

  await play(1, everyone, (c) => c.advertiseKeys());
  const r1 = await timeServer(() => server.closeAdvertise());
  if (!r1.ok) return r1;
  const rosters = new Map(r1.rosters.map((m) => [m.to, m]));
  survivors[1] = [...rosters.keys()];
  for (const m of r1.rosters) deliver([m.to], m);

  await play(2, survivors[1], (c) => c.shareKeys(rosters.get(c.clientId)!));
  const r2 = await timeServer(() => server.closeShareKeys());
  if (!r2.ok) return r2;
  const inboxes = new Map(r2.inboxes.map((m) => [m.to, m]));
  survivors[2] = [...inboxes.keys()];
  for (const m of r2.inboxes) deliver([m.to], m);

  await play(3, survivors[2], (c) => c.maskedInput(inboxes.get(c.clientId)!));
  const r3 = await timeServer(() => server.closeMaskedInput());
  if (!r3.ok) return r3;
  survivors[3] = r3.request.survivors;
  deliver(survivors[3], r3.request);

  await play(4, survivors[3], (c) => c.unmask(r3.request));
  const r4 = await timeServer(() => server.finish());
  if (!r4.ok) return r4;
  survivors[4] = r4.unmaskedBy;

  const qz = quantizer({ clipRange: config.clipRange, numClients: n });
  const sum = qz.dequantizeSum(r4.sum);
  timings.totalMs = performance.now() - t0;
  return {
    ok: true, sum, arrays: template ? unflatten(sum, template) : undefined, quantizedSum: r4.sum,
    included: r4.included, survivors, bytesSentPerClient: sent, bytesReceivedPerClient: received,
    errorBound: qz.sumErrorBound(r4.included.length),
    clampedValues: r4.included.reduce((s, id) => s + clients[id].clampedValues, 0), timings,
  };
}

function flattenInputs(inputs: RunSecAggOptions['inputs']): { vectors: ArrayLike<number>[]; template?: NamedArrays } {
  if (!Array.isArray(inputs) || inputs.length < 2) {
    throw badOption('runSecAgg.inputs', 'an array of at least 2 client inputs', inputs, 'secure aggregation needs two or more clients');
  }
  if (!Array.isArray(inputs[0])) return { vectors: inputs as ArrayLike<number>[] };
  const template = inputs[0] as NamedArrays;
  const vectors = (inputs as NamedArrays[]).map((arrays, k) => {
    if (!Array.isArray(arrays) || arrays.length !== template.length ||
        arrays.some((a, i) => a.name !== template[i].name || a.data.length !== template[i].data.length)) {
      throw new FedleakError('SHAPE_MISMATCH', `client ${k}'s arrays differ from client 0's in names or sizes`, {
        path: `runSecAgg.inputs[${k}]`, hint: 'every client of a round sends an update of the same model' });
    }
    const flat = new Float32Array(arrays.reduce((s, a) => s + a.data.length, 0));
    let off = 0;
    for (const a of arrays) { flat.set(a.data, off); off += a.data.length; }
    return flat;
  });
  return { vectors, template };
}

function unflatten(sum: Float64Array, template: NamedArrays): NamedArrays {
  let off = 0;
  return template.map((a) => {
    const data = new Float32Array(sum.subarray(off, off + a.data.length));
    off += a.data.length;
    return { name: a.name, shape: [...a.shape], data };
  });
}

function checkDropouts(dropouts: readonly SecAggDropout[], n: number): Map<ClientId, SecAggRound> {
  if (!Array.isArray(dropouts)) throw badOption('runSecAgg.dropouts', 'an array of { round, clientIds }', dropouts, 'pass [] for none');
  const at = new Map<ClientId, SecAggRound>();
  dropouts.forEach((d, i) => {
    if (![1, 2, 3, 4].includes(d?.round)) {
      throw badOption(`runSecAgg.dropouts[${i}].round`, 'a round 1, 2, 3 or 4', d?.round,
        '1 advertise keys, 2 share keys, 3 masked input, 4 unmasking');
    }
    if (!Array.isArray(d.clientIds)) {
      throw badOption(`runSecAgg.dropouts[${i}].clientIds`, 'an array of client ids', d.clientIds, 'pass e.g. [0, 3]');
    }
    for (const id of d.clientIds) {
      if (!Number.isInteger(id) || id < 0 || id >= n) {
        throw badOption(`runSecAgg.dropouts[${i}].clientIds`, `client ids in [0, ${n})`, id, 'client i is inputs[i]');
      }
      if (at.has(id)) {
        throw badOption(`runSecAgg.dropouts[${i}].clientIds`, 'each client dropping at most once', id, 'list a client in one round only');
      }
      at.set(id, d.round);
    }
  });
  return at;
}
