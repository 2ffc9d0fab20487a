/**
 * A secure-aggregation client (Bonawitz et al. 2017, Fig. 4, user side; SecAgg+ of Bell et al. 2020 when its
 * roster is a neighbourhood): one object per client and session, with explicit state, that turns each server
 * message into its next message or an abort value.
 */
import { FedleakError } from '../../errors.js';
import { randomBytes } from '../csprng.js';
import type { SecAggConfig } from './config.js';
import { exportPrivateKey, generateKeyPair, open, pairwiseKey, seal, utf8, X25519_BYTES, type KeyPair } from './keys.js';
import {
  PLAINTEXT_BYTES, SHARE_BYTES, type AdvertiseKeysMsg, type ClientId, type MaskedInputMsg, type RosterMsg, type SecAggAbort,
  type SecAggRound,
  type ShareKeysMsg, type SharesInboxMsg, type UnmaskMsg, type UnmaskRequestMsg,
} from './messages.js';
import { addMask, expandMask, SEED_BYTES } from './prg.js';
import { quantizer } from './quantize.js';
import { encodeShare, shareBytes } from './shamir.js';

/** Where a client is in the protocol; each method needs one state and moves to the next. @example client.state === 'new' */
export type SecAggClientState = 'new' | 'advertised' | 'shared' | 'masked' | 'done' | 'aborted';

/** PRG expansions a client keeps in flight; Web Crypto runs them off the main thread. */
const PARALLEL_MASKS = 4;

/**
 * One client of one session. Its input is clamped and encoded at construction (the door); secrets live only in
 * this object and are dropped when it finishes or aborts. Methods called out of order throw BAD_ARGUMENT
 * (misuse); an inconsistent server message gives a `SecAggAbort` value.
 * @example
 * const client = new SecAggClient(config, 3, update);
 * const hello = await client.advertiseKeys();
 * // … the server answers with a roster, an inbox, an unmask request:
 * const shares = await client.shareKeys(roster);
 */
export class SecAggClient {
  readonly config: SecAggConfig;
  readonly clientId: ClientId;
  /** Values of the input that were outside [−R, R] and got clamped (known to the client only). */
  readonly clampedValues: number;
  private stateValue: SecAggClientState = 'new';
  private x: Uint32Array | null;
  private c: KeyPair | null = null;
  private s: KeyPair | null = null;
  private bSeed: Uint8Array | null = null;
  private ownBShare: Uint8Array | null = null;
  private roster = new Map<ClientId, { cPublicKey: Uint8Array; sPublicKey: Uint8Array }>();
  private encKeys = new Map<ClientId, Uint8Array>();
  private inbox = new Map<ClientId, Uint8Array>();

  /**
   * Throws BAD_ARGUMENT for an id outside [0, n) and SHAPE_MISMATCH for an input of the wrong length, NOT_FINITE
   * for NaN or ±∞ in it.
   */
  constructor(config: SecAggConfig, clientId: ClientId, input: ArrayLike<number>) {
    if (!Number.isInteger(clientId) || clientId < 0 || clientId >= config.numClients) {
      throw new FedleakError('BAD_ARGUMENT', `expected a client id in [0, ${config.numClients}), got ${clientId}`, {
        path: 'clientId', hint: 'number the clients of a session 0..n−1' });
    }
    if (!input || input.length !== config.vectorLength) {
      throw new FedleakError('SHAPE_MISMATCH', `expected an input of ${config.vectorLength} values, got ${input?.length}`, {
        path: `inputs[${clientId}]`, hint: 'every client of a session sends a vector of the same length' });
    }
    this.config = config;
    this.clientId = clientId;
    const { values, clamped } = quantizer({ clipRange: config.clipRange, numClients: config.numClients }).quantize(input);
    this.x = values;
    this.clampedValues = clamped;
  }

  /** The current state. @example if (client.state === 'aborted') … */
  get state(): SecAggClientState {
    return this.stateValue;
  }

  /**
   * Round 1: fresh key pairs (c for encrypting shares, s for masking) and the message advertising their public keys.
   * @example server.receive(await client.advertiseKeys());
   */
  async advertiseKeys(): Promise<AdvertiseKeysMsg> {
    this.expect('new', 'advertiseKeys');
    this.c = await generateKeyPair();
    this.s = await generateKeyPair();
    this.stateValue = 'advertised';
    return { type: 'advertise-keys', clientId: this.clientId, cPublicKey: this.c.publicKey, sPublicKey: this.s.publicKey };
  }

  /**
   * Round 2: checks the roster (its neighbourhood: at least t members, itself with its own keys, ids and keys
   * distinct), draws the self-mask seed b_u, t-of-m shares both b_u and its s private key over the m roster
   * members, and seals each neighbour's pair of shares under their agreed c key.
   * @example const msg = await client.shareKeys(roster); if (isAbort(msg)) …
   */
  async shareKeys(roster: RosterMsg): Promise<ShareKeysMsg | SecAggAbort> {
    this.expect('advertised', 'shareKeys');
    const problem = this.checkRoster(roster);
    if (problem) return this.abort(2, problem, roster?.keys?.length ?? 0);
    for (const k of roster.keys) this.roster.set(k.clientId, { cPublicKey: k.cPublicKey, sPublicKey: k.sPublicKey });
    const ids = [...this.roster.keys()].sort((a, b) => a - b);
    this.bSeed = randomBytes(SEED_BYTES);
    const sRaw = await exportPrivateKey(this.s!.privateKey);
    const xs = ids.map((id) => id + 1);
    const sShares = shareBytes(sRaw, this.config.threshold, xs);
    const bShares = shareBytes(this.bSeed, this.config.threshold, xs);
    sRaw.fill(0);
    const boxes: ShareKeysMsg['boxes'] = [];
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (v === this.clientId) {
        this.ownBShare = encodeShare(bShares[i].y);
        continue;
      }
      let key: Uint8Array;
      try {
        key = await pairwiseKey(this.c!.privateKey, this.roster.get(v)!.cPublicKey, 'encrypt', this.config.sessionId);
      } catch {
        return this.abort(2, `client ${v}'s advertised encryption key is not a usable X25519 key`, ids.length);
      }
      this.encKeys.set(v, key);
      const plaintext = new Uint8Array(PLAINTEXT_BYTES);
      const view = new DataView(plaintext.buffer);
      view.setUint32(0, this.clientId, true);
      view.setUint32(4, v, true);
      plaintext.set(encodeShare(sShares[i].y), 8);
      plaintext.set(encodeShare(bShares[i].y), 8 + SHARE_BYTES);
      boxes.push({ to: v, box: await seal(key, plaintext, utf8(`${this.clientId}->${v}`)) });
      plaintext.fill(0);
    }
    this.stateValue = 'shared';
    return { type: 'share-keys', clientId: this.clientId, boxes };
  }

  /**
   * Round 3: its neighbours in U2 are the senders in `inbox` (with itself, at least t). Masks the encoded input:
   * y = x + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod 2^32 over those v, s_uv from X25519 + HKDF.
   * @example const msg = await client.maskedInput(inbox);
   */
  async maskedInput(inbox: SharesInboxMsg): Promise<MaskedInputMsg | SecAggAbort> {
    this.expect('shared', 'maskedInput');
    const boxes = inbox?.boxes;
    if (inbox?.type !== 'shares-inbox' || inbox.to !== this.clientId || !Array.isArray(boxes)) {
      return this.abort(3, 'the server sent a malformed inbox', 0);
    }
    for (const b of boxes) {
      if (b.from === this.clientId || !this.roster.has(b.from) || this.inbox.has(b.from) || !(b.box instanceof Uint8Array)) {
        return this.abort(3, `the inbox holds an unexpected box from ${b.from}`, boxes.length + 1);
      }
      this.inbox.set(b.from, b.box);
    }
    const survivors = this.inbox.size + 1;
    if (survivors < this.config.threshold) return this.abort(3, tooFew(2, survivors, this.config.threshold), survivors);
    const L = this.config.vectorLength;
    const y = this.x!.slice();
    const jobs: { seed: () => Promise<Uint8Array>; sign: 1 | -1 }[] = [{ seed: async () => this.bSeed!, sign: 1 }];
    for (const v of this.inbox.keys()) {
      jobs.push({ seed: () => pairwiseKey(this.s!.privateKey, this.roster.get(v)!.sPublicKey, 'mask', this.config.sessionId),
        sign: v > this.clientId ? 1 : -1 });
    }
    for (let i = 0; i < jobs.length; i += PARALLEL_MASKS) {
      const batch = jobs.slice(i, i + PARALLEL_MASKS);
      const masks = await Promise.all(batch.map(async (j) => expandMask(await j.seed(), L)));
      masks.forEach((m, k) => addMask(y, m, batch[k].sign));
    }
    this.x = null;
    this.stateValue = 'masked';
    return { type: 'masked-input', clientId: this.clientId, y };
  }

  /**
   * Round 4: checks U3 (at least t, itself included, and every neighbour named in it shared keys with it), opens
   * the boxes it received and reveals the b-shares of its neighbours in U3 (its own b-share too: b_u is revealed
   * for every u ∈ U3 anyway, and it lets exactly t survivors unmask) and the s-key shares of its neighbours in
   * U2 \ U3. Never both for one client.
   * @example const msg = await client.unmask(request);
   */
  async unmask(request: UnmaskRequestMsg): Promise<UnmaskMsg | SecAggAbort> {
    this.expect('masked', 'unmask');
    const u3 = request?.survivors;
    if (request?.type !== 'unmask-request' || !Array.isArray(u3) || new Set(u3).size !== u3.length) {
      return this.abort(4, 'the server sent a malformed unmask request', 0);
    }
    const set = new Set(u3);
    if (!set.has(this.clientId)) return this.abort(4, 'the unmask request leaves out this client, which sent its input', u3.length);
    for (const v of u3) {
      // SecAgg: every other member of U3 must have shared keys with this client. SecAgg+: every neighbour in U3.
      const mustKnow = this.config.neighbours === null || this.roster.has(v);
      if (v !== this.clientId && mustKnow && !this.inbox.has(v)) {
        return this.abort(4, `the unmask request names client ${v}, which did not share keys with this client`, u3.length);
      }
    }
    if (u3.length < this.config.threshold) return this.abort(4, tooFew(3, u3.length, this.config.threshold), u3.length);
    const selfMaskShares: UnmaskMsg['selfMaskShares'] = [{ of: this.clientId, share: this.ownBShare! }];
    const keyShares: UnmaskMsg['keyShares'] = [];
    for (const [v, box] of this.inbox) {
      const plaintext = await open(this.encKeys.get(v)!, box, utf8(`${v}->${this.clientId}`));
      if (!plaintext || plaintext.length !== PLAINTEXT_BYTES) {
        return this.abort(4, `the box from client ${v} failed authentication`, u3.length);
      }
      const view = new DataView(plaintext.buffer);
      if (view.getUint32(0, true) !== v || view.getUint32(4, true) !== this.clientId) {
        return this.abort(4, `the box from client ${v} names other clients`, u3.length);
      }
      if (set.has(v)) selfMaskShares.push({ of: v, share: plaintext.slice(8 + SHARE_BYTES) });
      else keyShares.push({ of: v, share: plaintext.slice(8, 8 + SHARE_BYTES) });
    }
    this.forget();
    this.stateValue = 'done';
    return { type: 'unmask', clientId: this.clientId, selfMaskShares, keyShares };
  }

  private checkRoster(roster: RosterMsg): string | null {
    const keys = roster?.keys;
    if (roster?.type !== 'roster' || roster.to !== this.clientId || !Array.isArray(keys)) return 'the server sent a malformed roster';
    if (keys.length < this.config.threshold) return tooFew(1, keys.length, this.config.threshold);
    const ids = new Set<number>();
    const publicKeys = new Set<string>();
    for (const k of keys) {
      if (!Number.isInteger(k.clientId) || k.clientId < 0 || k.clientId >= this.config.numClients || ids.has(k.clientId)) {
        return `the roster holds a bad or repeated client id ${k.clientId}`;
      }
      ids.add(k.clientId);
      for (const pk of [k.cPublicKey, k.sPublicKey]) {
        if (!(pk instanceof Uint8Array) || pk.length !== X25519_BYTES) return `client ${k.clientId}'s public key is malformed`;
        const hex = Array.from(pk, (b) => b.toString(16).padStart(2, '0')).join('');
        if (publicKeys.has(hex)) return `a public key appears twice in the roster (client ${k.clientId})`;
        publicKeys.add(hex);
      }
    }
    const me = keys.find((k) => k.clientId === this.clientId);
    if (!me || !equal(me.cPublicKey, this.c!.publicKey) || !equal(me.sPublicKey, this.s!.publicKey)) {
      return 'the roster does not hold this client with its own keys';
    }
    return null;
  }

  private expect(state: SecAggClientState, method: string): void {
    if (this.stateValue !== state) {
      throw new FedleakError('BAD_ARGUMENT', `${method} needs state '${state}', the client is '${this.stateValue}'`, {
        path: `client ${this.clientId}`, hint: 'call advertiseKeys, shareKeys, maskedInput, unmask in order, once each' });
    }
  }

  private abort(round: SecAggRound, reason: string, survivors: number): SecAggAbort {
    this.forget();
    this.stateValue = 'aborted';
    return { ok: false, round, reason: `client ${this.clientId}: ${reason}`, survivors, threshold: this.config.threshold };
  }

  private forget(): void {
    this.bSeed?.fill(0);
    this.bSeed = null;
    this.ownBShare = null;
    this.x = null;
    this.c = null;
    this.s = null;
    this.encKeys.clear();
    this.inbox.clear();
  }
}

function tooFew(round: SecAggRound, survivors: number, t: number): string {
  return `only ${survivors} clients survived round ${round}, threshold t = ${t}`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
