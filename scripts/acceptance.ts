/**
 * Issue 4's acceptance runs: R with peeling at N = 1000 per (dataset, B), certified and wrongly certified inputs,
 * read-out times, through the simulator (`runScenario`), 10 runs per cell. Appends each cell as one JSON line to
 * `<out>/cells.jsonl` (so cells can run in separate processes) and rewrites `<out>/acceptance.md` from all lines.
 *
 * `node --import tsx scripts/acceptance.ts <out> <cell>[,<cell>…]`, cells by name (see CELLS), e.g.
 * `node --import tsx scripts/acceptance.ts docs/repro/acceptance mnist-100,mnist-256` (`-` for no cell: only the
 * table is rewritten).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario } from '../src/sim/run.js';
import { loadScenarioDataset } from '../src/sim/run.js';
import { parseScenario, type ScenarioInput } from '../src/sim/scenario.js';
import { unmatchedCount } from '../src/eval/exact.js';
import { setupBackend } from '../src/tensor/backend.js';
import type { CertifiedInput } from '../src/attack/peel.js';
import { median } from '../src/report/stats.js';

/** One measured cell: the scenario, the target, and what it measures against it. */
interface Cell {
  scenario: ScenarioInput;
  target: string;
  /** R the cell must reach (mean over runs), or a [low, high] band. */
  pass: (recall: number) => boolean;
  note?: string;
}

/** Runs per cell: 10 (the issue's), or $ACCEPT_RUNS for a quicker look. */
const RUNS = Number(process.env.ACCEPT_RUNS ?? 10);
const CELLS: Record<string, Cell> = {
  'mnist-100': { scenario: { dataset: 'mnist', attack: 'degree+peel', batchSize: 100 }, target: 'R ≥ 0.99', pass: (r) => r >= 0.99 },
  'mnist-256': { scenario: { dataset: 'mnist', attack: 'degree+peel', batchSize: 256 }, target: 'R ≥ 0.90', pass: (r) => r >= 0.9 },
  'cifar10-100': { scenario: { dataset: 'cifar10', attack: 'degree+peel', batchSize: 100 }, target: 'R ≥ 0.99', pass: (r) => r >= 0.99 },
  'cifar10-256': { scenario: { dataset: 'cifar10', attack: 'degree+peel', batchSize: 256 }, target: 'R ≥ 0.90', pass: (r) => r >= 0.9 },
  'imagenet-100': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'degree+peel', batchSize: 100 },
    target: 'R ≥ 0.99',
    pass: (r) => r >= 0.99,
  },
  'imagenet-256': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'degree+peel', batchSize: 256, tuneOn: 44 },
    target: 'R ≥ 0.90',
    pass: (r) => r >= 0.9,
    note: '300 photos: the attacker holds the other 44 (disjoint from the batch) for its statistics',
  },
  'imagenet-passive-64': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'passive+peel', batchSize: 64 },
    target: 'R ≥ 0.90',
    pass: (r) => r >= 0.9,
  },
  'imagenet-passive-64-he': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'passive+peel', batchSize: 64, init: 'he-normal' },
    target: 'R ≥ 0.90',
    pass: (r) => r >= 0.9,
    note: "the issue's Gaussian honest init: He-normal weights N(0, 2/fan-in), zero biases (imagenet-passive-64: PyTorch's uniform default)",
  },
  'imagenet-passive-64-glorot-normal': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'passive+peel', batchSize: 64, init: 'glorot-normal' },
    target: 'R ≥ 0.90',
    pass: (r) => r >= 0.9,
    note: 'Glorot-normal weights N(0, 2/(fan-in + fan-out)), zero biases',
  },
  'imagenet-trap-20': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'trap', batchSize: 20, scale: 0.99 },
    target: '.595 ± .07',
    pass: (r) => within(r, 0.595, 0.07),
  },
  'imagenet-trap-50': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'trap', batchSize: 50, scale: 0.99 },
    target: '.516 ± .07',
    pass: (r) => within(r, 0.516, 0.07),
  },
  'imagenet-trap-100': {
    scenario: { dataset: 'imagenet-sample', model: 'fc-small', attack: 'trap', batchSize: 100, scale: 0.99 },
    target: '.457 ± .07',
    pass: (r) => within(r, 0.457, 0.07),
  },
};

/** |r − centre| ≤ tol, allowing for the float error of a mean (10 runs of B = 20 give .665 as 0.6650000000000001). */
function within(r: number, centre: number, tol: number): boolean {
  return Math.abs(r - centre) <= tol + 1e-9;
}

/** What one cell measured. */
interface CellResult {
  cell: string;
  dataset: string;
  model: string;
  /** Honest initialisation (lines written before this field was added all used 'pytorch'). */
  init?: string;
  attack: string;
  batchSize: number;
  runs: number;
  recall: number;
  recallStd: number;
  recallMin: number;
  certified: number;
  wronglyCertified: number;
  readoutMsMedian: number;
  trainMsMedian: number;
  peakRssMiB: number;
  target: string;
  pass: boolean;
  note?: string;
  seconds: number;
}

async function runCell(name: string, cell: Cell): Promise<CellResult> {
  const scenario = parseScenario({ neurons: 1000, runs: RUNS, ...cell.scenario });
  await setupBackend(scenario.backend);
  const data = await loadScenarioDataset(scenario);
  const d = data.inputs.length / data.size;
  const t0 = performance.now();
  const recalls: number[] = [];
  const readout: number[] = [];
  const train: number[] = [];
  let certified = 0;
  let wrong = 0;
  await runScenario(scenario, {
    dataset: data,
    onEvent: (e) => {
      if (e.type !== 'extraction') return;
      recalls.push(e.metrics.recall);
      readout.push(e.timings.readoutMs);
      train.push(e.timings.trainMs);
      const cert = (e.reconstruction as { certified?: CertifiedInput[] }).certified ?? [];
      certified += cert.length;
      wrong += unmatchedCount(e.batch.inputs, e.batch.count, d, cert.map((c) => c.x));
      process.stderr.write(`${name} run ${recalls.length}: R ${e.metrics.recall.toFixed(3)} certified ${cert.length}\n`);
    },
  });
  const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
  const std = Math.sqrt(recalls.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, recalls.length - 1));
  return {
    cell: name,
    dataset: scenario.dataset,
    model: scenario.model,
    init: scenario.init,
    attack: scenario.attack,
    batchSize: scenario.batchSize,
    runs: recalls.length,
    recall: mean,
    recallStd: std,
    recallMin: Math.min(...recalls),
    certified,
    wronglyCertified: wrong,
    readoutMsMedian: median(readout),
    trainMsMedian: median(train),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    target: cell.target,
    pass: cell.pass(mean) && wrong === 0,
    ...(cell.note ? { note: cell.note } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

function table(rows: CellResult[]): string {
  const head =
    '| cell | dataset | model | init | attack | B | runs | R mean | R std | R min | certified | wrong | read-out ms | client ms | peak RSS MiB | target | met |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.cell} | ${r.dataset} | ${r.model} | ${r.init ?? 'pytorch'} | ${r.attack} | ${r.batchSize} | ${r.runs} | ${r.recall.toFixed(3)} | ` +
          `${r.recallStd.toFixed(3)} | ${r.recallMin.toFixed(3)} | ${r.certified} | ${r.wronglyCertified} | ` +
          `${r.readoutMsMedian.toFixed(0)} | ${r.trainMsMedian.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ${r.target} | ${r.pass ? 'yes' : 'no'} |`,
      )
      .join('\n') +
    '\n'
  );
}

const [out = 'docs/repro/acceptance', list = Object.keys(CELLS).join(',')] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
// '-' runs no cell and only rewrites acceptance.md from cells.jsonl.
for (const name of list === '-' ? [] : list.split(',')) {
  const cell = CELLS[name];
  if (!cell) throw new Error(`unknown cell ${name}; cells: ${Object.keys(CELLS).join(', ')}`);
  const r = await runCell(name, cell);
  appendFileSync(join(out, 'cells.jsonl'), JSON.stringify(r) + '\n');
  console.log(JSON.stringify(r));
}
const lines = existsSync(join(out, 'cells.jsonl')) ? readFileSync(join(out, 'cells.jsonl'), 'utf8').trim().split('\n') : [];
const latest = new Map<string, CellResult>();
for (const l of lines) {
  const r = JSON.parse(l) as CellResult;
  // The verdict follows the targets as written now (stored lines keep the measurement, not the judgement).
  const cell = CELLS[r.cell];
  if (cell) r.pass = cell.pass(r.recall) && r.wronglyCertified === 0;
  // So is the note (a description of the cell, not a measurement).
  if (cell?.note) r.note = cell.note;
  latest.set(r.cell, r);
}
const order = Object.keys(CELLS).filter((k) => latest.has(k));
writeFileSync(
  join(out, 'acceptance.md'),
  '# Issue 4 acceptance runs (N = 1000, FedSGD; runs per cell in the table)\n\n' +
    'Written by `scripts/acceptance.ts`; one JSON line per cell in `cells.jsonl` (the last line of a cell wins). ' +
    '"wrong": certified inputs that reproduce no input of their batch. Times are medians per update on a shared ' +
    '2-core machine (read-out: first read-out and peeling together; client: the FedSGD gradient).\n\n' +
    table(order.map((k) => latest.get(k)!)) +
    order
      .map((k) => latest.get(k)!)
      .filter((r) => r.note)
      .map((r) => `\n- ${r.cell}: ${r.note}`)
      .join('') +
    '\n',
);
