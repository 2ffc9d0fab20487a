/**
 * The messages of secure aggregation (Bonawitz et al. 2017, Fig. 4, semi-honest variant): plain objects with a
 * string tag and binary fields, so a transport can carry them as they are; plus the abort value and wire sizes.
 */
import { SEED_BYTES } from './prg.js';
import { elementsFor, primeField } from './shamir.js';

/** Bytes of one encoded share of a 32-byte secret over the default field (3 elements of 16 bytes). @example SHARE_BYTES === 48 */
export const SHARE_BYTES = primeField().elementBytes * elementsFor(SEED_BYTES);
/** Plaintext of a share box: u (4) ‖ v (4) ‖ share of s^SK (48) ‖ share of b (48). @example PLAINTEXT_BYTES === 104 */
export const PLAINTEXT_BYTES = 8 + 2 * SHARE_BYTES;
/** A sealed share box: IV (12) ‖ ciphertext ‖ GCM tag (16). @example BOX_BYTES === 132 */
export const BOX_BYTES = 12 + PLAINTEXT_BYTES + 16;

/** A client's id in the session: 0..n−1 (its Shamir point is id + 1). @example const id: ClientId = 3; */
export type ClientId = number;

/**
 * The four rounds, numbered as in the paper: 1 AdvertiseKeys, 2 ShareKeys, 3 MaskedInputCollection, 4 Unmasking.
 * @example const r: SecAggRound = 3;
 */
export type SecAggRound = 1 | 2 | 3 | 4;

/** Round names for messages and reports. @example roundNames[2] // 'share keys' */
export const roundNames: Record<SecAggRound, string> = {
  1: 'advertise keys',
  2: 'share keys',
  3: 'masked input',
  4: 'unmasking',
};

/** Round 1, client → server: the two public keys (c for encrypting shares, s for masking). @example msg.type === 'advertise-keys' */
export interface AdvertiseKeysMsg {
  type: 'advertise-keys';
  clientId: ClientId;
  cPublicKey: Uint8Array;
  sPublicKey: Uint8Array;
}

/**
 * Round 1 reply, server → each client in U1: the public keys of its neighbourhood (itself and its neighbours:
 * all of U1 in SecAgg, k others in SecAgg+).
 * @example roster.keys.length >= t
 */
export interface RosterMsg {
  type: 'roster';
  to: ClientId;
  keys: { clientId: ClientId; cPublicKey: Uint8Array; sPublicKey: Uint8Array }[];
}

/**
 * Round 2, client u → server: for each neighbour v, Enc(c_uv, u ‖ v ‖ share of s_u^SK ‖ share of b_u).
 * @example msg.boxes.length === roster.keys.length - 1
 */
export interface ShareKeysMsg {
  type: 'share-keys';
  clientId: ClientId;
  boxes: { to: ClientId; box: Uint8Array }[];
}

/** Round 2 reply, server → each v in U2: the boxes addressed to v by its neighbours in U2. @example inbox.to === myId */
export interface SharesInboxMsg {
  type: 'shares-inbox';
  to: ClientId;
  boxes: { from: ClientId; box: Uint8Array }[];
}

/**
 * Round 3, client → server: y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2^32, v over its
 * neighbours in U2.
 * @example msg.y.length === config.vectorLength
 */
export interface MaskedInputMsg {
  type: 'masked-input';
  clientId: ClientId;
  y: Uint32Array;
}

/** Round 3 reply, server → each u in U3: who sent a masked input (U3). @example req.survivors.includes(myId) */
export interface UnmaskRequestMsg {
  type: 'unmask-request';
  survivors: ClientId[];
}

/**
 * Round 4, client → server: the b-shares it holds for its neighbours in U3 (and its own) and the s-key shares it
 * holds for its neighbours in U2 \ U3.
 * @example msg.selfMaskShares.length
 */
export interface UnmaskMsg {
  type: 'unmask';
  clientId: ClientId;
  selfMaskShares: { of: ClientId; share: Uint8Array }[];
  keyShares: { of: ClientId; share: Uint8Array }[];
}

/**
 * A client that sent nothing in a round: failures are values, so a dropout is ordinary input to the server.
 * @example server.receive({ type: 'dropped', clientId: 4, error: 'timed out' });
 */
export interface DroppedMsg {
  type: 'dropped';
  clientId: ClientId;
  error: string;
}

/** Any message a client sends (or its absence). @example const m: ClientMessage = { type: 'dropped', clientId: 1, error: 'offline' }; */
export type ClientMessage = AdvertiseKeysMsg | ShareKeysMsg | MaskedInputMsg | UnmaskMsg | DroppedMsg;

/** Any message the server sends. @example const m: ServerMessage = { type: 'unmask-request', survivors: [0, 1, 2] }; */
export type ServerMessage = RosterMsg | SharesInboxMsg | UnmaskRequestMsg;

/**
 * The round ended without a sum: too few clients survived (or a client found the server's messages
 * inconsistent). A value, not an exception.
 * @example { ok: false, round: 2, reason: 'only 12 clients survived round 2 (share keys), threshold t = 15', survivors: 12, threshold: 15 }
 */
export interface SecAggAbort {
  ok: false;
  round: SecAggRound;
  reason: string;
  survivors: number;
  threshold: number;
}

/**
 * The abort for `survivors` < t clients left in `round`, with the reason spelt out.
 * @example tooFewAbort(2, 12, 15).reason // 'only 12 clients survived round 2 (share keys), threshold t = 15'
 */
export function tooFewAbort(round: SecAggRound, survivors: number, threshold: number): SecAggAbort {
  return { ok: false, round, survivors, threshold,
    reason: `only ${survivors} clients survived round ${round} (${roundNames[round]}), threshold t = ${threshold}` };
}

/**
 * True for an abort value (as opposed to a message or result).
 * @example const r = await client.shareKeys(roster); if (isAbort(r)) return r;
 */
export function isAbort(v: unknown): v is SecAggAbort {
  return typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false;
}

/**
 * Bytes of a message in a compact binary encoding: 1 byte for the tag, 4 per integer, a 4-byte length before
 * each array or byte string, then its contents. What `runSecAgg` reports as bytes sent.
 * @example messageBytes({ type: 'masked-input', clientId: 0, y: new Uint32Array(10) }) // 1 + 4 + 4 + 40 = 49
 */
export function messageBytes(msg: ClientMessage | ServerMessage): number {
  return sizeOf(msg);
}

function sizeOf(v: unknown): number {
  if (ArrayBuffer.isView(v)) return 4 + v.byteLength;
  if (typeof v === 'number') return 4;
  if (typeof v === 'string') return 4 + new TextEncoder().encode(v).length;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + sizeOf(x), 4);
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).reduce((s, [k, x]) => s + (k === 'type' ? 1 : sizeOf(x)), 0);
  }
  return 0;
}
