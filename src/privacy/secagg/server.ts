/**
 * The secure-aggregation server (Bonawitz et al. 2017, Fig. 4, server side; SecAgg+ of Bell et al. 2020 with
 * `neighbours`): collects each round's messages
 * (dropouts included, as values), answers with the next round's messages or an abort, and finally removes the
 * masks from the sum. It only ever holds masked inputs and the sum.
 */
import { FedleakError } from '../../errors.js';
import type { SecAggConfig } from './config.js';
import { maskingGraph, type MaskingGraph } from './graph.js';
import { importPrivateKey, pairwiseKey, X25519_BYTES } from './keys.js';
import {
  BOX_BYTES, SHARE_BYTES, tooFewAbort, type ClientId, type ClientMessage, type RosterMsg, type SecAggAbort, type SecAggRound,
  type SharesInboxMsg, type UnmaskMsg, type UnmaskRequestMsg,
} from './messages.js';
import { addMask, expandMask, SEED_BYTES } from './prg.js';
import { decodeShare, elementsFor, reconstructBytes, type Share } from './shamir.js';

/**
 * Where the server is; `receive` takes the current round's messages, a close method ends the round.
 * @example server.state === 'advertise'
 */
export type SecAggServerState = 'advertise' | 'share-keys' | 'masked-input' | 'unmask' | 'done' | 'aborted';

/**
 * The unmasked sum: Σ_{u∈U3} x_u mod 2^32 over the clients whose masked input arrived (`included`, U3), and
 * who helped unmask it (U5).
 * @example const r = await server.finish(); if (r.ok) quantizer(...).dequantizeSum(r.sum);
 */
export interface SecAggSum {
  ok: true;
  sum: Uint32Array;
  included: ClientId[];
  unmaskedBy: ClientId[];
}

/**
 * A message the server refused (wrong round, unknown or repeated sender, malformed): its sender counts as dropped.
 * @example server.rejected // [{ clientId: 3, round: 3, reason: 'expected 785000 words, got 10' }]
 */
export interface RejectedMessage {
  clientId: unknown;
  round: SecAggRound;
  reason: string;
}

const stateRound: Record<'advertise' | 'share-keys' | 'masked-input' | 'unmask', SecAggRound> = {
  'advertise': 1, 'share-keys': 2, 'masked-input': 3, 'unmask': 4 };

/**
 * The server of one session. Feed it every client's message of a round with `receive` (a `{ type: 'dropped' }`
 * for a client that sent nothing), then call the round's close method. Calls out of order throw BAD_ARGUMENT.
 * @example
 * const server = new SecAggServer(config);
 * for (const c of clients) server.receive(await c.advertiseKeys());
 * const r1 = server.closeAdvertise(); if (!r1.ok) return r1; // an abort: too few clients
 */
export class SecAggServer {
  readonly config: SecAggConfig;
  readonly rejected: RejectedMessage[] = [];
  readonly dropped: { clientId: ClientId; round: SecAggRound; error: string }[] = [];
  private stateValue: SecAggServerState = 'advertise';
  private keys = new Map<ClientId, { cPublicKey: Uint8Array; sPublicKey: Uint8Array }>();
  private graph: MaskingGraph = new Map();
  private boxes = new Map<ClientId, { to: ClientId; box: Uint8Array }[]>();
  private u3: ClientId[] = [];
  private sum: Uint32Array;
  private unmasks = new Map<ClientId, UnmaskMsg>();

  constructor(config: SecAggConfig) {
    this.config = config;
    this.sum = new Uint32Array(config.vectorLength);
  }

  /** The current state. @example server.state */
  get state(): SecAggServerState {
    return this.stateValue;
  }

  /**
   * Takes one client message of the current round. A message that does not fit (wrong round, sender not
   * expected or repeated, bad sizes) is recorded in `rejected` and its sender treated as dropped; masked inputs
   * are added to the running sum at once, so the server holds one vector however many clients there are.
   * @example server.receive({ type: 'dropped', clientId: 7, error: 'timed out' });
   */
  receive(msg: ClientMessage): void {
    if (this.stateValue === 'done' || this.stateValue === 'aborted') {
      throw new FedleakError('BAD_ARGUMENT', `the session is ${this.stateValue}`, { path: 'server', hint: 'start a new session' });
    }
    const round = stateRound[this.stateValue];
    const reject = (reason: string) => { this.rejected.push({ clientId: msg?.clientId, round, reason }); };
    const expected = this.expectedSenders();
    const id = msg?.clientId;
    if (!Number.isInteger(id) || id < 0 || id >= this.config.numClients) return reject('unknown client id');
    if (!expected.has(id)) return reject(`client ${id} is not expected in round ${round}`);
    if (this.hasSent(id)) return reject(`client ${id} already sent in round ${round}`);
    if (msg.type === 'dropped') {
      this.dropped.push({ clientId: id, round, error: String(msg.error) });
      return;
    }
    switch (msg.type) {
      case 'advertise-keys': {
        if (this.stateValue !== 'advertise') return reject(`advertise-keys in round ${round}`);
        if (!isBytes(msg.cPublicKey, X25519_BYTES) || !isBytes(msg.sPublicKey, X25519_BYTES)) return reject('malformed public keys');
        this.keys.set(id, { cPublicKey: msg.cPublicKey, sPublicKey: msg.sPublicKey });
        return;
      }
      case 'share-keys': {
        if (this.stateValue !== 'share-keys') return reject(`share-keys in round ${round}`);
        const mine = this.graph.get(id)!;
        const to = new Set(Array.isArray(msg.boxes) ? msg.boxes.map((b) => b?.to) : []);
        const ok = Array.isArray(msg.boxes) && msg.boxes.length === mine.size && to.size === mine.size &&
          msg.boxes.every((b) => mine.has(b.to) && isBytes(b.box, BOX_BYTES));
        if (!ok) return reject(`expected one ${BOX_BYTES}-byte box for each of its ${mine.size} neighbours`);
        this.boxes.set(id, msg.boxes);
        return;
      }
      case 'masked-input': {
        if (this.stateValue !== 'masked-input') return reject(`masked-input in round ${round}`);
        if (!(msg.y instanceof Uint32Array) || msg.y.length !== this.config.vectorLength) {
          return reject(`expected ${this.config.vectorLength} words, got ${(msg.y as { length?: number })?.length}`);
        }
        addMask(this.sum, msg.y, 1);
        this.u3.push(id);
        return;
      }
      case 'unmask': {
        if (this.stateValue !== 'unmask') return reject(`unmask in round ${round}`);
        const u3 = new Set(this.u3);
        const near = [...this.graph.get(id)!].filter((v) => this.boxes.has(v)); // its neighbours in U2
        const okB = sameIds(msg.selfMaskShares, [id, ...near.filter((v) => u3.has(v))]) &&
          msg.selfMaskShares.every((s) => isBytes(s.share, SHARE_BYTES));
        const okS = sameIds(msg.keyShares, near.filter((v) => !u3.has(v))) && msg.keyShares.every((s) => isBytes(s.share, SHARE_BYTES));
        if (!okB || !okS) {
          return reject('expected one self-mask share per neighbour in U3 (and its own) and one key share per neighbour in U2 \\ U3');
        }
        this.unmasks.set(id, msg);
        return;
      }
      default: {
        const never: never = msg;
        return reject(`unknown message type ${(never as { type?: unknown }).type}`);
      }
    }
  }

  /**
   * Ends round 1: U1 = clients that advertised keys. Fewer than t → abort. Else it draws the masking graph over
   * U1 (complete for SecAgg, k-regular for SecAgg+, see `maskingGraph`) and returns one roster per member of U1:
   * the keys of itself and its neighbours.
   * @example const r = server.closeAdvertise(); if (r.ok) for (const m of r.rosters) send(m.to, m);
   */
  closeAdvertise(): { ok: true; rosters: RosterMsg[] } | SecAggAbort {
    this.expect('advertise', 'closeAdvertise');
    if (this.keys.size < this.config.threshold) return this.abort(1, this.keys.size);
    this.stateValue = 'share-keys';
    const u1 = [...this.keys.keys()].sort((a, b) => a - b);
    this.graph = maskingGraph(u1, this.config.neighbours);
    const rosters = u1.map((to): RosterMsg => ({
      type: 'roster', to,
      keys: [to, ...this.graph.get(to)!].sort((a, b) => a - b).map((clientId) => ({ clientId, ...this.keys.get(clientId)! })),
    }));
    return { ok: true, rosters };
  }

  /**
   * Ends round 2: U2 = clients that sent their boxes. Fewer than t → abort; else each member of U2 gets the
   * boxes addressed to it by its neighbours in U2.
   * @example const r = server.closeShareKeys(); if (r.ok) for (const m of r.inboxes) send(m.to, m);
   */
  closeShareKeys(): { ok: true; inboxes: SharesInboxMsg[] } | SecAggAbort {
    this.expect('share-keys', 'closeShareKeys');
    if (this.boxes.size < this.config.threshold) return this.abort(2, this.boxes.size);
    this.stateValue = 'masked-input';
    const u2 = [...this.boxes.keys()].sort((a, b) => a - b);
    const inboxes = u2.map((v): SharesInboxMsg => ({
      type: 'shares-inbox', to: v,
      boxes: u2.filter((u) => this.graph.get(v)!.has(u))
        .map((u) => ({ from: u, box: this.boxes.get(u)!.find((b) => b.to === v)!.box })),
    }));
    return { ok: true, inboxes };
  }

  /**
   * Ends round 3: U3 = clients whose masked input arrived (their inputs are in the sum). Fewer than t → abort;
   * else the unmask request naming U3, for every member of U3.
   * @example const r = server.closeMaskedInput(); if (r.ok) broadcast(r.request);
   */
  closeMaskedInput(): { ok: true; request: UnmaskRequestMsg } | SecAggAbort {
    this.expect('masked-input', 'closeMaskedInput');
    if (this.u3.length < this.config.threshold) return this.abort(3, this.u3.length);
    this.u3.sort((a, b) => a - b);
    this.stateValue = 'unmask';
    return { ok: true, request: { type: 'unmask-request', survivors: [...this.u3] } };
  }

  /**
   * Ends round 4 and unmasks. U5 = the clients that answered; fewer than t → abort. For every u ∈ U3 it rebuilds
   * b_u from t shares held by members of U5 (u's neighbours or u itself) and removes PRG(b_u). For every v ∈
   * U2 \ U3 with neighbours in U3 it rebuilds v's s private key from t shares held by its neighbours in U5,
   * checks it against the key v advertised, recomputes s_uv for each neighbour u ∈ U3 and removes u's pairwise
   * mask with v. A secret with fewer than t shares among the survivors (possible with SecAgg+) → abort. The
   * pairwise masks among U3 cancel by themselves.
   * @example const r = await server.finish(); if (r.ok) console.log(r.included.length, 'inputs summed');
   */
  async finish(): Promise<SecAggSum | SecAggAbort> {
    this.expect('unmask', 'finish');
    const u5 = [...this.unmasks.keys()].sort((a, b) => a - b);
    if (u5.length < this.config.threshold) return this.abort(4, u5.length);
    const t = this.config.threshold;
    const L = this.config.vectorLength;
    const elements = elementsFor(SEED_BYTES);
    /** t shares of `of`'s secret from the survivors that hold one, or a reason why not. */
    const sharesOf = (of: ClientId, kind: 'selfMaskShares' | 'keyShares') => {
      const holders = u5.filter((h) => (kind === 'selfMaskShares' && h === of) || this.graph.get(of)!.has(h));
      const what = kind === 'selfMaskShares' ? 'self-mask seed' : 'masking key';
      if (holders.length < t) {
        return `only ${holders.length} surviving clients hold shares of client ${of}'s ${what}, threshold t = ${t}`;
      }
      const shares: Share[] = [];
      for (const h of holders.slice(0, t)) {
        const y = decodeShare(this.unmasks.get(h)![kind].find((s) => s.of === of)!.share, elements);
        if (!y) return `a share of client ${of}'s ${what} is not a field element`;
        shares.push({ x: h + 1, y });
      }
      return shares;
    };
    for (const u of this.u3) {
      const shares = sharesOf(u, 'selfMaskShares');
      if (typeof shares === 'string') return this.corrupt(shares);
      addMask(this.sum, await expandMask(reconstructBytes(shares, SEED_BYTES), L), -1);
    }
    const u3 = new Set(this.u3);
    for (const v of [...this.boxes.keys()].filter((id) => !u3.has(id)).sort((a, b) => a - b)) {
      const masked = [...this.graph.get(v)!].filter((u) => u3.has(u)).sort((a, b) => a - b);
      if (masked.length === 0) continue;
      const shares = sharesOf(v, 'keyShares');
      if (typeof shares === 'string') return this.corrupt(shares);
      const { privateKey, publicKey } = await importPrivateKey(reconstructBytes(shares, X25519_BYTES));
      if (!publicKey.every((b, i) => b === this.keys.get(v)!.sPublicKey[i])) {
        return this.corrupt(`the masking key reconstructed for client ${v} does not match the key it advertised`);
      }
      for (const u of masked) {
        const seed = await pairwiseKey(privateKey, this.keys.get(u)!.sPublicKey, 'mask', this.config.sessionId);
        // u added +PRG(s_uv) if v > u and −PRG(s_uv) if v < u; take it back.
        addMask(this.sum, await expandMask(seed, L), v > u ? -1 : 1);
      }
    }
    this.stateValue = 'done';
    return { ok: true, sum: this.sum, included: [...this.u3], unmaskedBy: u5 };
  }

  /** Who may send in the current round: everybody in round 1, then U1, U2, U3. */
  private expectedSenders(): Set<ClientId> {
    switch (this.stateValue) {
      case 'advertise': return new Set(Array.from({ length: this.config.numClients }, (_, i) => i));
      case 'share-keys': return new Set(this.keys.keys());
      case 'masked-input': return new Set(this.boxes.keys());
      default: return new Set(this.u3);
    }
  }

  private hasSent(id: ClientId): boolean {
    if (this.dropped.some((d) => d.clientId === id && d.round === stateRound[this.stateValue as keyof typeof stateRound])) return true;
    switch (this.stateValue) {
      case 'advertise': return this.keys.has(id);
      case 'share-keys': return this.boxes.has(id);
      case 'masked-input': return this.u3.includes(id);
      default: return this.unmasks.has(id);
    }
  }

  private expect(state: SecAggServerState, method: string): void {
    if (this.stateValue !== state) {
      throw new FedleakError('BAD_ARGUMENT', `${method} needs state '${state}', the server is '${this.stateValue}'`, {
        path: 'server', hint: 'close the rounds in order: closeAdvertise, closeShareKeys, closeMaskedInput, finish' });
    }
  }

  private abort(round: SecAggRound, survivors: number): SecAggAbort {
    this.stateValue = 'aborted';
    this.sum = new Uint32Array(0);
    return tooFewAbort(round, survivors, this.config.threshold);
  }

  private corrupt(reason: string): SecAggAbort {
    this.stateValue = 'aborted';
    this.sum = new Uint32Array(0);
    return { ok: false, round: 4, reason, survivors: this.unmasks.size, threshold: this.config.threshold };
  }
}

function isBytes(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

function sameIds(list: unknown, ids: readonly ClientId[]): list is { of: ClientId; share: Uint8Array }[] {
  if (!Array.isArray(list) || list.length !== ids.length) return false;
  const want = new Set(ids);
  const seen = new Set<ClientId>();
  for (const s of list) {
    if (!want.has(s?.of) || seen.has(s.of)) return false;
    seen.add(s.of);
  }
  return true;
}
