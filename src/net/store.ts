/**
 * What `fedleak serve` keeps on disk under --out, written as it happens so a restart loses nothing: the
 * deployment state and global model after each round, one JSON record and picture per client update, the
 * round summaries and the first layer's picture. A restarted server resumes after the last completed round.
 *
 * out/server.json                  deployment fingerprint, completed rounds, next client number
 * out/model.msgpack                global parameters after the completed rounds
 * out/rounds/0002/round.json       who was selected, who replied, failures, timings
 * out/rounds/0002/layer.png        the first layer the clients got (trap weights when malicious)
 * out/rounds/0002/c3.json, c3.png  what the server read from client c3 (record, picture)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { NamedArrays } from '../types.js';
import { FedleakError } from '../errors.js';
import { decodeFrame, encodeValue } from './codec.js';
import { extractionRecordSchema, namedArraySchema, type ExtractionRecord, type ReportSummary } from './protocol.js';

const stateSchema = z.strictObject({
  tool: z.literal('fedleak-serve'),
  fingerprint: z.string(),
  completedRounds: z.number().int().min(0),
  nextClient: z.number().int().min(1),
  updatedAt: z.string(),
});

/** Where a deployment stands: rounds completed and the next client number to hand out. */
export interface StoredState {
  completedRounds: number;
  nextClient: number;
}

/**
 * The on-disk record of one deployment (or an in-memory stand-in when `dir` is null: nothing is written).
 * @example const store = new ResultStore('fedleak-out/serve'); const resumed = store.open(fingerprint);
 */
export class ResultStore {
  constructor(readonly dir: string | null) {
    if (dir) mkdirSync(join(dir, 'rounds'), { recursive: true });
  }

  /**
   * Reads the saved state of this deployment, or null for a fresh folder. A folder that holds another deployment
   * (another model or training settings) is refused, so results never mix.
   */
  open(fingerprint: string): { state: StoredState; global: NamedArrays | null } | null {
    if (!this.dir || !existsSync(join(this.dir, 'server.json'))) return null;
    const raw = stateSchema.safeParse(JSON.parse(readFileSync(join(this.dir, 'server.json'), 'utf8')));
    if (!raw.success) {
      throw new FedleakError('FILE_CORRUPT', 'server.json does not hold a fedleak serve state', {
        path: join(this.dir, 'server.json'), hint: 'use a fresh --out folder' });
    }
    if (raw.data.fingerprint !== fingerprint) {
      throw new FedleakError('BAD_ARGUMENT', 'the --out folder holds results of another deployment (model or training settings differ)', {
        path: '--out', hint: 'pass a fresh --out folder, or the same model and training flags as before' });
    }
    let global: NamedArrays | null = null;
    const modelPath = join(this.dir, 'model.msgpack');
    if (existsSync(modelPath)) {
      const bytes = readFileSync(modelPath);
      const d = decodeFrame(bytes, bytes.byteLength);
      const parsed = d.ok ? z.strictObject({ arrays: z.array(namedArraySchema) }).safeParse(d.message) : null;
      if (!parsed?.success) {
        throw new FedleakError('FILE_CORRUPT', 'model.msgpack cannot be read', { path: modelPath, hint: 'use a fresh --out folder' });
      }
      // Copy out of the file buffer so the arrays own their memory.
      global = parsed.data.arrays.map((a) => ({ name: a.name, shape: a.shape, data: a.data.slice() }));
    }
    return { state: { completedRounds: raw.data.completedRounds, nextClient: raw.data.nextClient }, global };
  }

  /** Saves the state and the global model after a round (each file replaced atomically). */
  save(fingerprint: string, state: StoredState, global: NamedArrays): void {
    if (!this.dir) return;
    atomicWrite(join(this.dir, 'model.msgpack'), encodeValue({ arrays: global }));
    atomicWrite(join(this.dir, 'server.json'), JSON.stringify({ tool: 'fedleak-serve', fingerprint, ...state,
      updatedAt: new Date().toISOString() }, null, 2) + '\n');
  }

  /** Saves only the client counter (after a registration), keeping the rest. */
  saveClientCounter(fingerprint: string, state: StoredState): void {
    if (!this.dir) return;
    atomicWrite(join(this.dir, 'server.json'), JSON.stringify({ tool: 'fedleak-serve', fingerprint, ...state,
      updatedAt: new Date().toISOString() }, null, 2) + '\n');
  }

  /** Writes one update's record and picture; returns the picture's path relative to the folder (or null). */
  writeExtraction(record: ExtractionRecord, png: Uint8Array | null): string | null {
    if (!this.dir) return null;
    const dir = this.roundDir(record.round);
    const rel = png ? relative(this.dir, join(dir, `${record.clientId}.png`)) : null;
    if (png) atomicWrite(join(dir, `${record.clientId}.png`), png);
    atomicWrite(join(dir, `${record.clientId}.json`), JSON.stringify({ ...record, png: rel }, null, 2) + '\n');
    return rel;
  }

  /** Writes a round's summary. */
  writeRound(round: number, summary: unknown): void {
    if (this.dir) atomicWrite(join(this.roundDir(round), 'round.json'), JSON.stringify(summary, null, 2) + '\n');
  }

  /** Writes the picture of the first layer sent in a round. */
  writeLayer(round: number, png: Uint8Array): void {
    if (this.dir) atomicWrite(join(this.roundDir(round), 'layer.png'), png);
  }

  /** Every update record on disk, by round then client (what a restarted server shows again). */
  records(): ExtractionRecord[] {
    if (!this.dir) return [];
    const out: ExtractionRecord[] = [];
    for (const r of safeList(join(this.dir, 'rounds')).sort()) {
      for (const f of safeList(join(this.dir, 'rounds', r)).filter((f) => /^c\d+\.json$/.test(f)).sort()) {
        try {
          const rec = extractionRecordSchema.safeParse(JSON.parse(readFileSync(join(this.dir, 'rounds', r, f), 'utf8')));
          if (rec.success) out.push(rec.data);
        } catch {
          // A record cut short by a crash is skipped; the round's others still load.
        }
      }
    }
    return out;
  }

  /** The bytes of a picture written earlier, or null. */
  readPng(rel: string | null): Uint8Array | null {
    if (!this.dir || rel === null || rel.includes('..')) return null;
    try {
      return readFileSync(join(this.dir, rel));
    } catch {
      return null;
    }
  }

  private roundDir(round: number): string {
    const dir = join(this.dir as string, 'rounds', String(round).padStart(4, '0'));
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

/**
 * Summaries of saved simulation results (`results.json` of `fedleak attack`/`demo`) under `root`, two levels
 * deep at most, newest first; unreadable files are skipped.
 * @example scanReports('fedleak-out') // [{ path: 'attack/results.json', attack: 'trap', recall: 0.53, … }]
 */
export function scanReports(root: string, max = 100): ReportSummary[] {
  const files: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const f of safeList(dir)) {
      const p = join(dir, f);
      if (f === 'results.json') files.push(p);
      else if (depth < 2 && f !== 'rounds' && isDir(p)) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  const out: ReportSummary[] = [];
  for (const p of files.slice(0, max)) {
    try {
      const r = JSON.parse(readFileSync(p, 'utf8'));
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      out.push({
        path: relative(root, p),
        createdAt: String(r.createdAt ?? '').slice(0, 64),
        attack: String(r.scenario?.attack ?? '?').slice(0, 64),
        dataset: String(r.dataset?.name ?? r.scenario?.dataset ?? '?').slice(0, 64),
        neurons: num(r.scenario?.neurons),
        batchSize: num(r.scenario?.batchSize),
        runs: num(r.summary?.runs ?? r.scenario?.runs),
        recall: num(r.summary?.recall),
        precision: num(r.summary?.precision),
        active: num(r.summary?.active),
      });
    } catch {
      // not a results file we can read
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
