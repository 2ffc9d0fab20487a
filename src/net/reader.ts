/**
 * What a curious or malicious server does with each accepted update: the attack's read-out (CAH §2; never with
 * ground truth), one JSON record and picture on disk, an `extraction` event — and, when the client discloses its
 * batch (demo), A/P/R of the read-out against it (eval/, CAH §7.1) with an original | extracted picture.
 */
import type { Attack, ModelSpec, Reconstruction, Update } from '../types.js';
import { evaluate } from '../eval/index.js';
import { renderCandidates, renderRevealed, uniqueCandidates } from './images.js';
import type { ClientInfo, DashboardEvent, ExtractionRecord, RevealMessage, TrainingConfig } from './protocol.js';
import type { ResultStore } from './store.js';
import { checkReveal, type Refusal } from './validate.js';

/** Extractions kept in memory (with pictures) for dashboards that connect later. */
const RECENT = 60;

/** A read update whose client will reveal its batch: published once the batch (or the round's end) comes. */
interface PendingReveal {
  round: number;
  rec: Reconstruction;
  record: ExtractionRecord;
  png: Uint8Array | null;
}

/**
 * Settings of an {@link UpdateReader}.
 * @example new UpdateReader({ attack, spec, config, store, images: true, emit: (e) => broadcast(e) })
 */
export interface ReaderOptions {
  attack: Attack<unknown>;
  spec: ModelSpec;
  config: TrainingConfig;
  store: ResultStore;
  images: boolean;
  emit: (e: DashboardEvent) => void;
  onReconstruction?: (e: { round: number; clientId: string; reconstruction: Reconstruction }) => void;
}

/**
 * Reads updates and keeps what it read. At most one reconstruction per revealing client waits for its batch.
 * @example
 * const waits = reader.read(client, update, secrets, { decodeMs, validateMs, aggregateMs });
 * // later: reader.reveal(clientId, msg) → null (ok) | Refusal
 */
export class UpdateReader {
  /** The latest records with their pictures, oldest first (a restarted server starts with those on disk). */
  readonly recent: { record: ExtractionRecord; png: Uint8Array | null }[] = [];
  private readonly pending = new Map<string, PendingReveal>();

  constructor(private readonly opts: ReaderOptions) {
    for (const record of opts.store.records().slice(-RECENT)) this.recent.push({ record, png: opts.store.readPng(record.png) });
  }

  /**
   * Reads one accepted update. Returns true when the client announced a reveal: the record is published when the
   * batch comes (`reveal`) or the round ends (`flush`); otherwise it is published now.
   */
  read(client: ClientInfo, update: Update, secrets: unknown, t: { decodeMs: number; validateMs: number; aggregateMs: number }): boolean {
    const t0 = performance.now();
    const rec = this.opts.attack.reconstruct(update, secrets);
    const readoutMs = performance.now() - t0;
    this.opts.onReconstruction?.({ round: update.round, clientId: client.clientId, reconstruction: rec });
    const t1 = performance.now();
    const unique = uniqueCandidates(rec.candidates);
    const png = this.opts.images ? renderCandidates(unique, this.opts.config.inputShape) : null;
    const record: ExtractionRecord = {
      round: update.round, clientId: client.clientId, name: client.name, platform: client.platform,
      receivedAt: new Date().toISOString(), numExamples: update.numExamples, kind: update.kind, attack: rec.attack,
      activeNeurons: rec.activeNeurons, totalNeurons: rec.totalNeurons, candidates: rec.candidates.length, unique: unique.length,
      timings: { ...t, readoutMs, renderMs: performance.now() - t1 }, metrics: null, png: null,
    };
    if (!client.reveal) {
      this.publish(record, png);
      return false;
    }
    this.pending.set(client.clientId, { round: update.round, rec, record, png });
    return true;
  }

  /**
   * Scores the waiting read of `clientId` against its revealed batch and publishes it. Returns null when accepted,
   * or the refusal (UNEXPECTED when nothing waits; a bad batch publishes the read without metrics).
   */
  reveal(clientId: string, msg: RevealMessage): Refusal | null {
    const p = this.pending.get(clientId);
    if (!p) {
      return { code: 'UNEXPECTED', message: 'reveal: no read update of this client is waiting for its batch (announce reveal in hello, send the update first)' };
    }
    this.pending.delete(clientId);
    const bad = checkReveal(msg, { spec: this.opts.spec, round: p.round, numExamples: p.record.numExamples });
    if (bad) {
      this.publish(p.record, p.png);
      return bad;
    }
    const shape = this.opts.config.inputShape;
    const metrics = evaluate({ inputs: msg.inputs, count: msg.count, shape }, p.rec);
    const t0 = performance.now();
    const png = this.opts.images ? renderRevealed(msg.inputs, metrics, p.rec.candidates, shape) : null;
    this.publish({
      ...p.record,
      timings: { ...p.record.timings, renderMs: p.record.timings.renderMs + performance.now() - t0 },
      metrics: { active: metrics.active, precision: metrics.precision, recall: metrics.recall, exactInputs: metrics.exactInputs, count: msg.count },
    }, png);
    return null;
  }

  /** Publishes, without metrics, the reads of `round` whose batch never came. */
  flush(round: number): void {
    for (const [id, p] of this.pending) {
      if (p.round !== round) continue;
      this.pending.delete(id);
      this.publish(p.record, p.png);
    }
  }

  /** Forgets a waiting read (its client left). */
  drop(clientId: string): void {
    const p = this.pending.get(clientId);
    if (!p) return;
    this.pending.delete(clientId);
    this.publish(p.record, p.png);
  }

  /** Writes a record (JSON first, then its picture), keeps it for late dashboards and streams it. */
  private publish(record: ExtractionRecord, png: Uint8Array | null): void {
    const rel = this.opts.store.writeExtraction(record, png);
    const withPath = { ...record, png: rel };
    const at = this.recent.findIndex((x) => x.record.round === record.round && x.record.clientId === record.clientId);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.push({ record: withPath, png });
    if (this.recent.length > RECENT) this.recent.shift();
    this.opts.emit({ event: 'extraction', record: withPath, png });
  }
}
