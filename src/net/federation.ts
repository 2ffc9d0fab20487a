/**
 * The FL server without its sockets: client registry, round scheduling (minimum clients, clients per round,
 * timeouts), FedAvg as updates arrive, and — when curious or malicious — the read-out of every update, kept on
 * disk and streamed as events. server.ts wires it to WebSockets; tests and the bench can drive it directly.
 */
import type { Attack, Dataset, ModelSpec, NamedArrays, Reconstruction } from '../types.js';
import { modelSpec, initParams, paramShapes } from '../model/index.js';
import { applyUpdate } from '../fl/index.js';
import { Rng, deriveSeed } from '../tensor/rng.js';
import { FedleakError } from '../errors.js';
import { tuneScale } from '../attack/tuner.js';
import { findDense } from '../attack/layer.js';
import { buildAttack, tunesScale } from '../sim/attacks.js';
import { examplesPerUpdate, type Scenario } from '../sim/scenario.js';
import { newToken, tokenMatches } from './auth.js';
import { FedAvgAccumulator } from './accumulator.js';
import { encodeMessage } from './codec.js';
import { renderLayer } from './images.js';
import {
  PROTOCOL_VERSION,
  type ClientInfo,
  type DashboardEvent,
  type Hello,
  type RevealMessage,
  type ServerInfo,
  type ServerMessage,
  type TrainingConfig,
  type UpdateMessage,
  type Welcome,
} from './protocol.js';
import { ResultStore } from './store.js';
import { UpdateReader } from './reader.js';
import { checkUpdate, type Refusal } from './validate.js';

/** What the server does with updates: aggregate only, also read them, or also plant trap weights first. */
export const serverRoles = ['honest', 'curious', 'malicious'] as const;
/** One of `serverRoles`. @example const role: ServerRole = 'malicious'; */
export type ServerRole = (typeof serverRoles)[number];

/**
 * Settings of a federation. `scenario` supplies the model, training and attack fields (and `clientsPerRound`,
 * `rounds`, `seed`); `data` the input shape and classes; `aux` the attacker's own data (tuning the trap scale
 * when no `scenario.scale` is given, or statistics for other designs).
 * @example const fed = await Federation.create({ scenario, role: 'malicious', data, minClients: 3, roundTimeoutMs: 30000 });
 */
export interface FederationOptions {
  scenario: Scenario;
  role: ServerRole;
  data: Pick<Dataset, 'name' | 'shape' | 'numClasses'>;
  aux?: Dataset;
  minClients: number;
  roundTimeoutMs: number;
  store?: ResultStore;
  /** Called with every reconstruction as it is read (instrumentation for tests and the bench). */
  onReconstruction?: (e: { round: number; clientId: string; reconstruction: Reconstruction }) => void;
  /** Draw pictures of extractions and layers (default true). */
  images?: boolean;
}

/** A connected client's outbox (server.ts implements it over a WebSocket). */
export interface Peer {
  send(message: ServerMessage): void;
  sendFrame(frame: Uint8Array): void;
  close(): void;
}

interface Member {
  info: ClientInfo;
  key: string;
  peer: Peer | null;
}

type Reply = { ok: true } | { ok: false; error: string };

interface RoundState {
  round: number;
  selected: string[];
  replies: Map<string, Reply>;
  acc: FedAvgAccumulator;
  params: NamedArrays;
  secrets: unknown;
  paramsFrame: Uint8Array;
  /** Clients whose update was read and whose batch is still to come (reveal). */
  awaiting: Set<string>;
  finish: () => void;
}

/**
 * The networked FL server's state machine.
 * @example
 * const fed = await Federation.create(opts);
 * const welcome = fed.register(hello, peer);   // after the token check
 * fed.receive(clientId, update, decodeMs);     // → ack or error reply
 * await fed.run();                             // all rounds
 */
export class Federation {
  readonly spec: ModelSpec;
  readonly config: TrainingConfig;
  readonly info: ServerInfo;
  private readonly fingerprint: string;
  private readonly store: ResultStore;
  private readonly attack: Attack<unknown> | null;
  private readonly members = new Map<string, Member>();
  private readonly listeners = new Set<(e: DashboardEvent) => void>();
  private readonly reader: UpdateReader | null;
  private readonly roundLog: Extract<DashboardEvent, { event: 'round' }>[] = [];
  private global: NamedArrays;
  private nextClient: number;
  private completed: number;
  private current: RoundState | null = null;
  private lastLayer: { round: number; png: Uint8Array } | null = null;
  private phase: 'waiting' | 'training' | 'done' = 'waiting';
  private stopped = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly opts: FederationOptions, scale: number | null) {
    const s = opts.scenario;
    if (s.model === 'text') {
      throw new FedleakError('BAD_SCENARIO', 'the networked federation serves the image models; the text model runs in the simulator', {
        path: 'scenario.model',
        hint: 'run `fedleak attack --dataset imdb --model text`',
      });
    }
    // the CNNs' conv stack needs the image shape and the scenario's width and strides, as in the simulator
    this.spec = modelSpec(s.model, opts.data.shape.reduce((a, b) => a * b, 1), opts.data.numClasses, s.neurons, {
      inputShape: opts.data.shape,
      width: s.cnnWidth,
      strides: s.cnnStrides,
    });
    this.config = {
      dataset: opts.data.name.slice(0, 256),
      inputShape: [...opts.data.shape],
      numClasses: opts.data.numClasses,
      algorithm: s.algorithm,
      batchSize: s.batchSize,
      batches: s.algorithm === 'fedavg' ? s.batches : 1,
      localEpochs: s.algorithm === 'fedavg' ? s.localEpochs : 1,
      learningRate: s.learningRate,
      rounds: s.rounds,
    };
    this.attack =
      opts.role === 'honest' ? null : buildAttack(opts.role === 'curious' ? { ...s, attack: 'passive' } : s, scale);
    this.info = {
      role: opts.role,
      attack: this.attack?.name ?? 'none',
      spec: this.spec,
      config: this.config,
      minClients: opts.minClients,
      clientsPerRound: s.clientsPerRound,
      roundTimeoutMs: opts.roundTimeoutMs,
      scale: opts.role === 'malicious' ? scale : null,
    };
    // What must not change across a restart (the number of rounds may: a restart can extend training).
    const { rounds: _rounds, ...training } = this.config;
    this.fingerprint = JSON.stringify({ spec: this.spec, training, role: opts.role, attack: this.info.attack, seed: s.seed });
    this.store = opts.store ?? new ResultStore(null);
    const resumed = this.store.open(this.fingerprint);
    this.completed = resumed?.state.completedRounds ?? 0;
    this.nextClient = resumed?.state.nextClient ?? 1;
    this.global = resumed?.global ?? initParams(this.spec, new Rng(deriveSeed(s.seed, 'init')), s.init);
    this.reader = this.attack
      ? new UpdateReader({ attack: this.attack, spec: this.spec, config: this.config, store: this.store, images: opts.images !== false,
        emit: (e) => this.emit(e), onReconstruction: opts.onReconstruction })
      : null;
  }

  /**
   * Builds the federation: the model, the attack (tuning the trap scale once on `aux` when none is given) and,
   * when the store holds this deployment, its saved state (rounds done, global model, records).
   */
  static async create(opts: FederationOptions): Promise<Federation> {
    const s = opts.scenario;
    let scale = s.scale ?? null;
    if (opts.role === 'malicious' && tunesScale(s)) {
      if (!opts.aux) throw new Error('Federation.create: tuning the trap scale needs auxiliary data (aux) or scenario.scale');
      scale = tuneScale(opts.aux, s.neurons, examplesPerUpdate(s), { seed: deriveSeed(s.seed, 'tune') }).scale;
    }
    return new Federation(opts, scale);
  }

  /** Rounds completed so far (including those of an earlier run of this deployment). */
  get completedRounds(): number {
    return this.completed;
  }

  /** Clients connected now. */
  get connected(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.peer && !m.info.left) n++;
    return n;
  }

  /** Clients ever registered in this run (connected or not). */
  get registered(): number {
    return this.members.size;
  }

  /** True when `resume` names a client this server knows (it keeps its id instead of taking a new one). */
  knows(resume: Hello['resume']): boolean {
    return resume !== undefined && this.members.has(resume.clientId);
  }

  /** Listens to the server's events (dashboards, logs); returns the unsubscribe function. */
  subscribe(fn: (e: DashboardEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The whole picture, for a dashboard that just connected. */
  snapshot(reports: Extract<DashboardEvent, { event: 'state' }>['reports'] = []): DashboardEvent {
    return {
      event: 'state',
      server: this.info,
      round: this.current?.round ?? this.completed - 1,
      phase: this.phase,
      clients: [...this.members.values()].map((m) => ({ ...m.info })),
      extractions: (this.reader?.recent ?? []).map((x) => ({ record: x.record, png: x.png })),
      layer: this.lastLayer,
      rounds: [...this.roundLog],
      reports,
    };
  }

  /**
   * Registers a client whose token was checked: a new id and resume key, or its old identity when `resume`
   * matches. Returns the welcome to send; call `attached` after sending it.
   */
  register(hello: Hello, peer: Peer): Welcome {
    let m = hello.resume ? this.members.get(hello.resume.clientId) : undefined;
    if (m && (!hello.resume || !tokenMatches(m.key, hello.resume.key) || m.info.left)) m = undefined;
    if (m) {
      if (m.peer && m.peer !== peer) m.peer.close();
      m.peer = peer;
      m.info.connected = true;
    } else {
      const clientId = `c${this.nextClient++}`;
      m = {
        key: newToken(),
        peer,
        info: { clientId, name: (hello.name ?? clientId).slice(0, 64), platform: hello.platform, connected: true,
          updates: 0, lastRound: -1, reveal: hello.reveal === true, left: false },
      };
      this.members.set(clientId, m);
      this.store.saveClientCounter(this.fingerprint, { completedRounds: this.completed, nextClient: this.nextClient });
    }
    this.emit({ event: 'client', client: { ...m.info } });
    this.poke();
    return { type: 'welcome', protocol: PROTOCOL_VERSION, clientId: m.info.clientId, key: m.key, spec: this.spec, config: this.config };
  }

  /** After the welcome went out: a resumed client gets its pending params again; late joiners learn it is over. */
  attached(clientId: string): void {
    const m = this.members.get(clientId);
    if (!m?.peer) return;
    const r = this.current;
    if (this.phase === 'done') m.peer.send({ type: 'done', rounds: this.completed });
    else if (r && r.selected.includes(clientId) && !r.replies.has(clientId)) m.peer.sendFrame(r.paramsFrame);
    else m.peer.send(this.status(clientId, this.phase === 'training' ? 'training' : 'waiting'));
  }

  /** The connection of `peer` closed: the client stays registered (it may resume) but is not selected meanwhile. */
  detach(clientId: string, peer: Peer): void {
    const m = this.members.get(clientId);
    if (!m || m.peer !== peer) return;
    m.peer = null;
    m.info.connected = false;
    this.emit({ event: 'client', client: { ...m.info } });
  }

  /**
   * Handles a registered client's update, reveal or leave; returns the reply (ack or error). Never throws for
   * bad input: a refused message changes nothing.
   */
  receive(clientId: string, msg: UpdateMessage | RevealMessage | { type: 'leave' }, decodeMs = 0): ServerMessage | null {
    const m = this.members.get(clientId);
    if (!m) return refuse({ code: 'NOT_REGISTERED', message: `unknown client ${clientId}` }, msg.type);
    switch (msg.type) {
      case 'update':
        return this.onUpdate(m, msg, decodeMs);
      case 'reveal':
        return this.onReveal(m, msg);
      case 'leave': {
        m.info.left = true;
        this.reader?.drop(clientId);
        this.settle(clientId, { ok: false, error: 'left' });
        const peer = m.peer;
        if (peer) {
          this.detach(clientId, peer);
          peer.close();
        }
        return null;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Plays the remaining rounds; resolves when all are done or `stop` was called. */
  async run(): Promise<void> {
    const s = this.opts.scenario;
    while (this.completed < s.rounds && !this.stopped) {
      const round = this.completed;
      this.phase = 'waiting';
      while (this.connected < this.opts.minClients && !this.stopped) await this.waitForChange();
      if (this.stopped) break;
      await this.playRound(round);
    }
    if (!this.stopped) {
      this.phase = 'done';
      for (const m of this.members.values()) m.peer?.send({ type: 'done', rounds: this.completed });
      this.emit({ event: 'done', rounds: this.completed });
    }
  }

  /** Ends the run: the current round finishes at once with what it has. */
  stop(): void {
    this.stopped = true;
    this.current?.finish();
    this.poke();
  }

  private async playRound(round: number): Promise<void> {
    const s = this.opts.scenario;
    const ids = [...this.members.values()].filter((m) => m.peer && !m.info.left).map((m) => m.info.clientId).sort(byNumber);
    const order = new Rng(deriveSeed(s.seed, 'select', round)).permutation(ids.length);
    const selected = Array.from(order.subarray(0, Math.min(s.clientsPerRound, ids.length)), (k) => ids[k]).sort(byNumber);
    const crafted = this.attack
      ? this.attack.craft(this.spec, this.global, { seed: deriveSeed(s.seed, 'craft', round), batchSize: examplesPerUpdate(s), aux: this.opts.aux })
      : { params: this.global, secrets: null };
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const r: RoundState = {
      round, selected, replies: new Map(), acc: new FedAvgAccumulator(paramShapes(this.spec)), params: crafted.params,
      secrets: crafted.secrets, awaiting: new Set(), paramsFrame: encodeMessage({ type: 'params', round, arrays: crafted.params, deadlineMs: this.opts.roundTimeoutMs }),
      finish,
    };
    this.current = r;
    this.phase = 'training';
    this.emit({ event: 'round', round, phase: 'started', selected, received: 0, failures: [] });
    if (this.opts.images !== false) {
      const k = findDense(crafted.params, 'dense0', 'params');
      const png = renderLayer(k.kernel.data, k.inputDim, k.neurons, this.config.inputShape);
      this.lastLayer = { round, png };
      this.store.writeLayer(round, png);
      this.emit({ event: 'layer', round, png });
    }
    for (const m of this.members.values()) {
      if (!m.peer) continue;
      if (selected.includes(m.info.clientId)) m.peer.sendFrame(r.paramsFrame);
      else m.peer.send(this.status(m.info.clientId, 'training'));
    }
    const timer = setTimeout(finish, this.opts.roundTimeoutMs);
    await done;
    clearTimeout(timer);
    this.current = null;
    // Reads whose batch never came are kept without metrics.
    this.reader?.flush(round);
    const failures = selected
      .filter((id) => r.replies.get(id)?.ok !== true)
      .map((id) => {
        const reply = r.replies.get(id);
        return { clientId: id, error: reply && !reply.ok ? reply.error : this.members.get(id)?.peer ? 'timeout' : 'disconnected' };
      });
    const aggregated = r.acc.count > 0;
    if (aggregated) {
      const kind = this.config.algorithm === 'fedsgd' ? 'gradient' : 'delta';
      // As in the simulator: the aggregate steps the model the clients trained (the crafted one), η = 1.
      this.global = applyUpdate(r.params, r.acc.mean(), kind, 1);
    }
    if (!this.stopped || aggregated) {
      this.completed = round + 1;
      this.store.save(this.fingerprint, { completedRounds: this.completed, nextClient: this.nextClient }, this.global);
      this.store.writeRound(round, { round, selected, received: r.acc.count, failures, aggregated, endedAt: new Date().toISOString() });
    }
    this.emit({ event: 'round', round, phase: aggregated ? 'aggregated' : 'failed', selected, received: r.acc.count, failures });
    for (const m of this.members.values()) m.peer?.send(this.status(m.info.clientId, aggregated ? 'aggregated' : 'failed', round, r.acc.count));
  }

  private onUpdate(m: Member, msg: UpdateMessage, decodeMs: number): ServerMessage {
    const r = this.current;
    const id = m.info.clientId;
    if (!r) return refuse({ code: 'WRONG_ROUND', message: `no round is collecting updates (round ${msg.round} is over or not started)` }, 'update');
    if (!r.selected.includes(id)) return refuse({ code: 'NOT_SELECTED', message: `${id} is not selected for round ${r.round}` }, 'update');
    if (r.replies.get(id)?.ok) return refuse({ code: 'DUPLICATE', message: `round ${r.round}: the update of ${id} was already accepted` }, 'update');
    const t0 = performance.now();
    const bad = checkUpdate(msg, { spec: this.spec, config: this.config, round: r.round });
    const validateMs = performance.now() - t0;
    if (bad) return refuse(bad, 'update');
    const t1 = performance.now();
    r.acc.add(msg.arrays, msg.numExamples);
    const aggregateMs = performance.now() - t1;
    m.info.updates++;
    m.info.lastRound = r.round;
    if (this.reader) {
      const update = { clientId: id, round: r.round, kind: msg.kind, numExamples: msg.numExamples, arrays: msg.arrays };
      // A revealing client sends its batch right after the update: the round waits for it, so its record is complete.
      if (this.reader.read(m.info, update, r.secrets, { decodeMs, validateMs, aggregateMs })) r.awaiting.add(id);
    }
    this.emit({ event: 'client', client: { ...m.info } });
    this.settle(id, { ok: true });
    return { type: 'ack', round: msg.round, of: 'update' };
  }

  private onReveal(m: Member, msg: RevealMessage): ServerMessage {
    if (!this.reader) return refuse({ code: 'UNEXPECTED', message: 'reveal: this server reads nothing (honest role)' }, 'reveal');
    const bad = this.reader.reveal(m.info.clientId, msg);
    if (!bad || bad.code !== 'UNEXPECTED') this.revealed(m.info.clientId);
    return bad ? refuse(bad, 'reveal') : { type: 'ack', round: msg.round, of: 'reveal' };
  }

  /** A pending reveal was settled (accepted or refused): the round may end now. */
  private revealed(clientId: string): void {
    const r = this.current;
    if (!r) return;
    r.awaiting.delete(clientId);
    this.checkDone(r);
  }

  /** Records a selected client's outcome; the round ends when every selected client has one. */
  private settle(clientId: string, reply: Reply): void {
    const r = this.current;
    if (!r || !r.selected.includes(clientId)) return;
    if (reply.ok || !r.replies.has(clientId)) r.replies.set(clientId, reply);
    if (!reply.ok) r.awaiting.delete(clientId);
    this.checkDone(r);
  }

  private checkDone(r: RoundState): void {
    if (r.awaiting.size === 0 && r.selected.every((id) => r.replies.has(id))) r.finish();
  }

  private status(clientId: string, phase: 'waiting' | 'training' | 'aggregated' | 'failed', round = this.current?.round ?? this.completed, received = this.current?.acc.count ?? 0): ServerMessage {
    return { type: 'round-status', round, phase, selected: this.current?.selected.includes(clientId) ?? false, connected: this.connected, received };
  }

  private emit(e: DashboardEvent): void {
    if (e.event === 'round' && e.phase !== 'started') {
      this.roundLog.push(e);
      if (this.roundLog.length > 200) this.roundLog.shift();
    }
    for (const fn of this.listeners) fn(e);
  }

  private waitForChange(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

function refuse(r: Refusal, ref: string): ServerMessage {
  return { type: 'error', code: r.code, message: r.message.slice(0, 1024), fatal: false, ref };
}

function byNumber(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}
