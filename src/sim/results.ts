/** Collects simulator events into the results JSON: scenario, seed, per-run figures, summary with mean and std. */
import type { Scenario } from './scenario.js';
import type { SimEvent, StageTimings } from './simulate.js';
import { meanStd, median, type MeanStd } from '../report/stats.js';

/** One client's extraction in one round of one run. */
export interface ExtractionRecord {
  run: number;
  round: number;
  clientId: string;
  scale: number | null;
  batchSize: number;
  active: number;
  precision: number;
  precisionAll: number;
  recall: number;
  exactInputs: number[];
  candidates: number;
  meanPsnr: number | null;
  meanSsim: number | null;
  /** Mean PSNR over the inputs that were matched but not extracted exactly (exact ones are ~150 dB, meaningless to average). */
  meanPsnrInexact: number | null;
  timings: StageTimings;
}

/** The results file: everything needed to redo and to read a run. */
export interface Results {
  tool: 'fedleak';
  version: string;
  createdAt: string;
  scenario: Scenario;
  dataset: { name: string; source: string; size: number; shape: number[] };
  tuning: { scale: number; ms: number; table: { scale: number; recall: number }[] } | null;
  extractions: ExtractionRecord[];
  summary: {
    /** Mean over extractions of R, P (over active neurons), P over all neurons, A. */
    recall: number;
    precision: number;
    precisionAll: number;
    active: number;
    recallStd: number;
    precisionStd: number;
    activeStd: number;
    meanPsnr: number | null;
    meanSsim: number | null;
    meanPsnrInexact: number | null;
    scales: number[];
    /** Median milliseconds per stage over all extractions. */
    medianMs: StageTimings;
    runs: number;
  };
}

/**
 * Folds a stream of simulator events into {@link Results}.
 * @example const c = new ResultsCollector(s, ds, '0.1.0'); for await (const e of simulate(s, ds)) c.add(e); c.results();
 */
export class ResultsCollector {
  private tuning: Results['tuning'] = null;
  private readonly extractions: ExtractionRecord[] = [];
  constructor(
    private readonly scenario: Scenario,
    private readonly dataset: Results['dataset'],
    private readonly version: string,
  ) {}

  add(e: SimEvent): void {
    if (e.type === 'tuned') this.tuning = { scale: e.scale, ms: e.ms, table: e.table };
    if (e.type !== 'extraction') return;
    const m = e.metrics;
    this.extractions.push({
      run: e.run,
      round: e.round,
      clientId: e.clientId,
      scale: e.scale,
      batchSize: e.batch.count,
      active: m.active,
      precision: m.precision,
      precisionAll: m.precisionAll,
      recall: m.recall,
      exactInputs: m.exactInputs,
      candidates: e.reconstruction.candidates.length,
      meanPsnr: finiteOrNull(m.meanPsnr),
      meanSsim: finiteOrNull(m.meanSsim),
      meanPsnrInexact: finiteOrNull(meanOf(m.perInput.filter((p) => !p.exact && p.psnr !== null).map((p) => p.psnr as number))),
      timings: e.timings,
    });
  }

  results(): Results {
    const ex = this.extractions;
    const pick = (f: (r: ExtractionRecord) => number): MeanStd => meanStd(ex.map(f));
    const psnrs = ex.map((r) => r.meanPsnr).filter((v): v is number => v !== null);
    const ssims = ex.map((r) => r.meanSsim).filter((v): v is number => v !== null);
    const inexact = ex.map((r) => r.meanPsnrInexact).filter((v): v is number => v !== null);
    const timing = (k: keyof StageTimings) => median(ex.map((r) => r.timings[k]));
    const recall = pick((r) => r.recall);
    const precision = pick((r) => r.precision);
    const active = pick((r) => r.active);
    return {
      tool: 'fedleak',
      version: this.version,
      createdAt: new Date().toISOString(),
      scenario: this.scenario,
      dataset: this.dataset,
      tuning: this.tuning,
      extractions: ex,
      summary: {
        recall: recall.mean,
        precision: precision.mean,
        precisionAll: pick((r) => r.precisionAll).mean,
        active: active.mean,
        recallStd: recall.std,
        precisionStd: precision.std,
        activeStd: active.std,
        meanPsnr: psnrs.length ? meanStd(psnrs).mean : null,
        meanSsim: ssims.length ? meanStd(ssims).mean : null,
        meanPsnrInexact: inexact.length ? meanStd(inexact).mean : null,
        scales: [...new Set(ex.map((r) => r.scale).filter((s): s is number => s !== null))],
        medianMs: { craftMs: timing('craftMs'), trainMs: timing('trainMs'), readoutMs: timing('readoutMs'), evalMs: timing('evalMs') },
        runs: this.scenario.runs,
      },
    };
  }
}

function meanOf(v: number[]): number | null {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}
