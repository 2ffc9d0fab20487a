/**
 * What the server of a round gets to see when it reads aggregates: the SecAgg sum (or the plain FedAvg mean), and
 * the part of it that its sybils' known updates leave (PAPER.md §7).
 */
import type { NamedArrays, Update } from '../types.js';
import { fedAvgAggregate } from '../fl/index.js';
import { isolateUnknown, subtractCodes, type Isolated } from '../attack/sybil.js';
import { quantizer, runSecAgg, roundNames, type SecAggDropout, type SecAggRound } from '../privacy/index.js';
import { secAggClipRange } from './defenses.js';
import { secAggThreshold, type Scenario } from './scenario.js';

/**
 * One participant of a round as the server's protocol sees it: its SecAgg id (its index in the round), whether
 * the server controls it, and the update it sends (after its mods).
 * @example const p: Participant = { id: 0, sybil: false, sent: update };
 */
export interface Participant {
  id: number;
  sybil: boolean;
  sent: Update;
}

/**
 * Figures of one secure-aggregation round: success or the abort's reason, who survived, time and traffic.
 * @example if (!stats.ok) console.error(stats.reason);
 */
export interface SecAggStats {
  ok: boolean;
  reason: string | null;
  /** n: participants, t: threshold, R: the code's range, k: SecAgg+ neighbours (null: all). */
  n: number;
  threshold: number;
  clipRange: number;
  neighbours: number | null;
  /** Clients dropping before each round's message (1 advertise keys … 4 unmasking). */
  dropouts: Record<SecAggRound, number>;
  /** Clients whose masked input is in the sum; null after an abort. */
  included: number | null;
  /** Whole round, all clients run one after another in this process. */
  ms: number;
  /** Per round: the slowest client's ms (deployed clients run in parallel) and the server's ms. */
  rounds: { round: SecAggRound; name: string; clientMaxMs: number; clientMs: number; serverMs: number }[];
  /** Bytes sent (received) by a client that stayed to the end; null after an abort. */
  bytesSentPerClient: number | null;
  bytesReceivedPerClient: number | null;
  /** Values the clients clamped to [−R, R] (a diagnostic the server never sees). */
  clampedValues: number;
  /** Values per client update. */
  vectorLength: number;
}

/**
 * The server's view of a round: the mean of the included updates (what the global model steps by) and the
 * isolated part, the weighted mean of the updates it does not know, with the noise std that part carries.
 * `ok: false` when SecAgg aborted (too few survivors): the server learns nothing that round.
 * @example const view = await serverView(s, participants, dropouts, noise); if (view.ok) read(view.isolated);
 */
export type ServerView =
  | { ok: true; mean: NamedArrays; isolated: Isolated; noiseStd: number; unknown: number; secagg: SecAggStats | null }
  | { ok: false; secagg: SecAggStats };

/**
 * Aggregates the round as the server would: through SecAgg (the sum of the included clients' fixed-point codes;
 * the sybils' codes are subtracted exactly, in Z_2^32) or, without SecAgg, as the FedAvg example-weighted mean
 * (the sybils' updates subtracted with their example counts). `noiseStd` is the per-coordinate noise each honest
 * client added (`clientNoiseStd`); sybils add none.
 * @example const view = await serverView(scenario, participants, planDropouts(ids, 0, 0.2, rng), 0);
 */
export async function serverView(
  s: Scenario,
  participants: readonly Participant[],
  dropouts: readonly SecAggDropout[],
  noiseStd: number,
): Promise<ServerView> {
  if (!s.secagg) {
    const updates = participants.map((p) => p.sent);
    const mean = fedAvgAggregate(updates);
    const total = updates.reduce((a, u) => a + u.numExamples, 0);
    const known = participants.filter((p) => p.sybil).map((p) => ({ arrays: p.sent.arrays, weight: p.sent.numExamples }));
    const unknown = participants.filter((p) => !p.sybil).map((p) => p.sent.numExamples);
    const isolated = known.length ? isolateUnknown(mean, total, known) : { arrays: mean, weight: total };
    const w = unknown.reduce((a, b) => a + b, 0);
    const w2 = unknown.reduce((a, b) => a + b * b, 0);
    return { ok: true, mean, isolated, noiseStd: (noiseStd * Math.sqrt(w2)) / w, unknown: unknown.length, secagg: null };
  }
  const clipRange = secAggClipRange(s);
  const threshold = secAggThreshold(s);
  const n = participants.length;
  const template = participants[0].sent.arrays;
  const inputs = participants.map((p) => flatten(p.sent.arrays));
  const r = await runSecAgg({ inputs, threshold, clipRange, dropouts, neighbours: s.secaggNeighbours ?? null });
  const counts = { 1: 0, 2: 0, 3: 0, 4: 0 } as Record<SecAggRound, number>;
  for (const d of dropouts) counts[d.round] += d.clientIds.length;
  const base = { n, threshold, clipRange, neighbours: s.secaggNeighbours ?? null, dropouts: counts, vectorLength: inputs[0].length };
  if (!r.ok) {
    return { ok: false, secagg: { ...base, ok: false, reason: r.reason, included: null, ms: 0, rounds: [],
      bytesSentPerClient: null, bytesReceivedPerClient: null, clampedValues: 0 } };
  }
  const finisher = r.survivors[4][0];
  const secagg: SecAggStats = {
    ...base, ok: true, reason: null, included: r.included.length, ms: r.timings.totalMs,
    rounds: r.timings.rounds.map((x) => ({ round: x.round, name: roundNames[x.round], clientMaxMs: x.clientMaxMs,
      clientMs: x.clientMs, serverMs: x.serverMs })),
    bytesSentPerClient: finisher === undefined ? null : r.bytesSentPerClient[finisher],
    bytesReceivedPerClient: finisher === undefined ? null : r.bytesReceivedPerClient[finisher],
    clampedValues: r.clampedValues,
  };
  const included = new Set(r.included);
  const mean = unflatten(r.sum, template, 1 / r.included.length);
  // The server runs its sybils' SecAgg clients, so it knows their codes: subtracting them leaves the unknown
  // clients' codes exactly.
  const qz = quantizer({ clipRange, numClients: n });
  let codes = r.quantizedSum;
  for (const p of participants) {
    if (p.sybil && included.has(p.id)) codes = subtractCodes(codes, [qz.quantize(inputs[p.id]).values]);
  }
  const unknown = participants.filter((p) => !p.sybil && included.has(p.id)).length;
  const isolated = { arrays: unflatten(qz.dequantizeSum(codes), template, 1 / unknown), weight: unknown };
  return { ok: true, mean, isolated, noiseStd: noiseStd / Math.sqrt(unknown), unknown, secagg };
}

function flatten(arrays: NamedArrays): Float32Array {
  const out = new Float32Array(arrays.reduce((a, x) => a + x.data.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a.data, o);
    o += a.data.length;
  }
  return out;
}

function unflatten(values: Float64Array, template: NamedArrays, factor: number): NamedArrays {
  let o = 0;
  return template.map((a) => {
    const data = new Float32Array(a.data.length);
    for (let j = 0; j < data.length; j++) data[j] = values[o + j] * factor;
    o += a.data.length;
    return { name: a.name, shape: [...a.shape], data };
  });
}
