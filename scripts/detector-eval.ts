/**
 * Evaluates the model inspection (src/defense) on honest and malicious models, on MNIST and CIFAR-10, and checks
 * the leakage preflight against the server's read-out on every malicious batch. Writes roc.json (every model),
 * roc.csv, roc.png and summary.md to --out (default docs/repro/inspect).
 *
 *   node --import tsx scripts/detector-eval.ts [--quick] [--datasets mnist,cifar10] [--out DIR]
 *   node --import tsx scripts/detector-eval.ts --from docs/repro/inspect/roc.json   # rewrite the outputs from its rows
 *
 * Honest: random inits (PyTorch default, Glorot, He-normal) and FedAvg-trained models (5 clients × 5 mini-batches
 * of 32 per round, η 0.05 and 0.1, every round's global model; η 0.5 reported apart: it kills ReLUs). Malicious:
 * CAH trap weights over scales 0.5–0.999, QBI over firers per neuron, the degree-shaped design, imprint (cumulative,
 * sparse), dead first layers (model inconsistency), and cnn-small pass-through models (trap inside). Each model
 * is inspected with one client batch (B cycles over 16, 32, 64, 128), and each malicious model's R is what its
 * server (`<design>+peel`, imprint) reads from that batch's FedSGD gradient.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attacks } from '../src/attack/registry.js';
import { deadFirstLayer } from '../src/attack/inconsistent.js';
import { passThrough as passThroughAttack } from '../src/attack/passthrough.js';
import { loadDataset } from '../src/data/registry.js';
import { subset } from '../src/data/subset.js';
import { inspectModel, defaultThreshold, type Inspection } from '../src/defense/inspect.js';
import { preflight } from '../src/defense/preflight.js';
import { auc, rate, rocCurve, thresholdForFpr } from '../src/defense/roc.js';
import { renderRocChart, type RocSeries } from '../src/defense/roc-chart.js';
import { evaluate } from '../src/eval/metrics.js';
import { computeGradient } from '../src/fl/gradient.js';
import { localUpdate } from '../src/fl/client.js';
import { applyUpdate, fedAvgAggregate } from '../src/fl/aggregate.js';
import { convFeatureValues } from '../src/model/cnn.js';
import { initParams } from '../src/model/init.js';
import { modelSpec } from '../src/model/spec.js';
import { setupBackend } from '../src/tensor/backend.js';
import { Rng, deriveSeed } from '../src/tensor/rng.js';
import type { Attack, Dataset, ModelSpec, NamedArrays, Update } from '../src/types.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const out = flag('out') ?? 'docs/repro/inspect';
const datasets = (flag('datasets') ?? 'mnist,cifar10').split(',');
const NEURONS = 1000;
const BATCHES = [16, 32, 64, 128];
const SEEDS = quick ? 1 : 2;
const INIT_SEEDS = quick ? 4 : 20;
const ROUNDS = quick ? 3 : 8;
const TRAP_SCALES = quick
  ? [0.5, 0.7, 0.9, 0.95, 0.99, 0.999]
  : [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999];

interface Row {
  dataset: string;
  cls: 'honest' | 'malicious' | 'honest-diverged';
  family: string;
  kind: string;
  batchSize: number;
  score: number;
  dataFreeScore: number;
  firingZ: number;
  z: Record<string, number>;
  verdict: Inspection['verdict'];
  flagged: string[];
  inspectMs: number;
  recall: number | null;
  preflight: { equal: boolean; predicted: number; actual: number; ms: number; readoutMs: number; psnrRest: number | null } | null;
}

/** A model to score, and the server that reads it (null: no server runs on it). */
interface Case {
  cls: Row['cls'];
  family: string;
  kind: string;
  spec: ModelSpec;
  params: NamedArrays;
  server: { attack: Attack<unknown>; secrets: unknown } | null;
}

await setupBackend('wasm');
mkdirSync(out, { recursive: true });
const from = flag('from');
const saved = from ? (JSON.parse(readFileSync(from, 'utf8')) as { meta: { command: string; seconds: number }; rows: Row[] }) : null;
const rows: Row[] = saved ? saved.rows : [];
const t0 = performance.now();

for (const name of saved ? [] : datasets) {
  const { clients, train, aux } = await splits(name);
  const d = clients.inputs.length / clients.size;
  const spec = modelSpec('fc-small', d, clients.numClasses, NEURONS);
  let caseNo = 0;
  const run = (c: Case) => {
    const b = BATCHES[caseNo % BATCHES.length];
    const pick = new Rng(deriveSeed(7, name, caseNo++)).permutation(clients.size).subarray(0, b);
    rows.push(score(name, c, subset(clients, Int32Array.from(pick)), b));
  };
  const log = (s: string) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${name}: ${s}\n`);

  // Honest random inits.
  for (let s = 0; s < INIT_SEEDS; s++) {
    for (const init of ['pytorch', 'glorot', 'he'] as const) {
      // 'he' is initParams's 'he-normal'; the seed keeps the label 'he', so the rows are the ones measured before.
      const params = initParams(spec, new Rng(deriveSeed(1, name, init, s)), init === 'he' ? 'he-normal' : init);
      run({ cls: 'honest', family: `init-${init}`, kind: `${init} seed ${s}`, spec, params, server: null });
    }
  }
  log(`${rows.length} rows after inits`);
  // Honest FedAvg-trained models, every round's global model.
  for (const lr of [0.05, 0.1, 0.5]) {
    for (let s = 0; s < (lr === 0.5 ? 1 : SEEDS); s++) {
      let params = initParams(spec, new Rng(deriveSeed(2, name, lr, s)));
      for (let r = 0; r < ROUNDS; r++) {
        params = fedAvgRound(spec, params, train, lr, deriveSeed(3, name, lr, s, r));
        const cls = lr === 0.5 ? 'honest-diverged' : 'honest';
        run({ cls, family: `fedavg-lr${lr}`, kind: `FedAvg η=${lr} seed ${s} round ${r + 1}`, spec, params, server: serverOf(attacks['passive+peel'](), spec, params, aux, 0) });
      }
      log(`trained η=${lr} seed ${s}`);
    }
  }
  // Malicious designs.
  for (let s = 0; s < SEEDS; s++) {
    const base = initParams(spec, new Rng(deriveSeed(4, name, s)));
    for (const scale of TRAP_SCALES) {
      const c = craft(attacks['trap+peel']({ scale }), spec, base, aux, BATCHES[caseNo % BATCHES.length], s);
      run({ cls: 'malicious', family: 'trap', kind: `trap s=${scale}`, spec, ...c });
    }
    for (const firers of [1, 2, 4, 8]) {
      const b = BATCHES[caseNo % BATCHES.length];
      if (firers >= b) continue;
      const c = craft(attacks['qbi+peel']({ firers }), spec, base, aux, b, s);
      run({ cls: 'malicious', family: 'qbi', kind: `QBI firers=${firers}`, spec, ...c });
    }
    for (const maxDegree of [8, 64]) {
      const c = craft(attacks['degree+peel']({ maxDegree }), spec, base, aux, BATCHES[caseNo % BATCHES.length], s);
      run({ cls: 'malicious', family: 'degree', kind: `degree D=${maxDegree}`, spec, ...c });
    }
    for (const variant of ['cumulative', 'sparse'] as const) {
      const c = craft(attacks.imprint({ variant }), spec, base, aux, BATCHES[caseNo % BATCHES.length], s);
      run({ cls: 'malicious', family: 'imprint', kind: `imprint ${variant}`, spec, ...c });
    }
    const trapped = attacks.trap({ scale: 0.7 }).craft(spec, base, { seed: s }).params;
    for (const [kind, p] of [['dead layer (honest init)', base], ['dead layer (trap)', trapped]] as const) {
      const dead = deadFirstLayer(p);
      run({ cls: 'malicious', family: 'inconsistent', kind, spec, params: dead, server: serverOf(attacks['passive+peel'](), spec, dead, aux, 0) });
    }
    log(`malicious seed ${s}`);
  }
  // CNNs: honest cnn-small inits and pass-through models with a trap in dense0 (N = 256 keeps the conv features' layer small).
  const cnn = modelSpec('cnn-small', d, clients.numClasses, 256, { inputShape: clients.shape });
  for (let s = 0; s < SEEDS; s++) {
    for (const init of ['pytorch', 'glorot'] as const) {
      const params = initParams(cnn, new Rng(deriveSeed(5, name, init, s)), init);
      run({ cls: 'honest', family: 'cnn-init', kind: `cnn-small ${init} seed ${s}`, spec: cnn, params, server: null });
    }
    const base = initParams(cnn, new Rng(deriveSeed(6, name, s)));
    for (const scale of name === 'mnist' ? [0.6, 0.7] : [0.95, 0.97]) {
      const c = craft(passThroughAttack(attacks['trap+peel']({ scale })), cnn, base, aux, BATCHES[caseNo % BATCHES.length], s);
      run({ cls: 'malicious', family: 'cnn-passthrough', kind: `cnn-small pass-through + trap s=${scale}`, spec: cnn, ...c });
    }
  }
  log('CNNs');
}

writeOutputs();

/** Client batches, a training pool for the honest FedAvg runs and the attacker's auxiliary data, all disjoint. */
async function splits(name: string): Promise<{ clients: Dataset; train: Dataset; aux: Dataset }> {
  const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  if (name === 'mnist') {
    const all = await loadDataset('mnist');
    return { train: subset(all, range(0, 6000)), aux: subset(all, range(6000, 7000)), clients: subset(all, range(7000, all.size)) };
  }
  // CIFAR-10: client batches from the exact records; training and auxiliary data from the JPEG-derived copy's
  // records after them (records 0–1016 of that copy are the same images with JPEG noise).
  const exact = await loadDataset('cifar10');
  const jpeg = await loadDataset('cifar10-jpeg');
  return { clients: exact, train: subset(jpeg, range(1017, 9000)), aux: subset(jpeg, range(9000, 10000)) };
}

/** One FedAvg round: 5 clients, each 5 mini-batches of 32 from the training pool, one local epoch. */
function fedAvgRound(spec: ModelSpec, params: NamedArrays, train: Dataset, lr: number, seed: number): NamedArrays {
  const updates: Update[] = [];
  for (let c = 0; c < 5; c++) {
    const pick = new Rng(deriveSeed(seed, c)).permutation(train.size).subarray(0, 160);
    const local = subset(train, Int32Array.from(pick));
    updates.push(localUpdate(spec, params, { inputs: local.inputs, labels: local.labels, count: 160 }, {
      algorithm: 'fedavg', batchSize: 32, batches: 5, localEpochs: 1, learningRate: lr, clientId: `c${c}`, round: 0,
    }));
  }
  return applyUpdate(params, fedAvgAggregate(updates), 'delta', 1);
}

function craft(attack: Attack<unknown>, spec: ModelSpec, base: NamedArrays, aux: Dataset, batchSize: number, seed: number) {
  const { params, secrets } = attack.craft(spec, base, { seed: deriveSeed(8, attack.name, seed), aux, batchSize });
  return { params, server: { attack, secrets } };
}

function serverOf(attack: Attack<unknown>, spec: ModelSpec, params: NamedArrays, aux: Dataset, seed: number) {
  return { attack, secrets: attack.craft(spec, params, { seed, aux }).secrets };
}

/** Inspects a model with one client batch; for a model with a server, reads its gradient and runs the preflight. */
function score(dataset: string, c: Case, batch: Dataset, b: number): Row {
  const features = c.spec.conv ? convFeatureValues(c.spec.conv, c.params, batch.inputs, b) : batch.inputs;
  const r = inspectModel(c.params, { batch: { inputs: features, count: b } });
  const z = Object.fromEntries(r.features.map((f) => [f.name, f.z]));
  const dataFree = r.features.filter((f) => !f.usesData).reduce((m, f) => Math.max(m, f.z), -Infinity);
  let recall: number | null = null;
  let pre: Row['preflight'] = null;
  if (c.server) {
    const arrays = computeGradient(c.spec, c.params, batch.inputs, batch.labels, b);
    const update: Update = { clientId: 'c', round: 0, kind: 'gradient', numExamples: b, arrays };
    const actual = evaluate({ inputs: batch.inputs, count: b, shape: batch.shape }, c.server.attack.reconstruct(update, c.server.secrets)).exactInputs;
    recall = actual.length / b;
    const shape = c.spec.conv ? [features.length / b] : batch.shape;
    const p = preflight(c.params, update, { inputs: features, count: b, shape });
    pre = { equal: sameSet(p.exactInputs, actual), predicted: p.exactInputs.length, actual: actual.length, ms: p.timings.totalMs, readoutMs: p.timings.readoutMs, psnrRest: p.psnrRest };
  }
  return {
    dataset, cls: c.cls, family: c.family, kind: c.kind, batchSize: b, score: r.score, dataFreeScore: dataFree,
    firingZ: z['firing-asymmetry'] ?? 0, z, verdict: r.verdict, flagged: r.flagged, inspectMs: r.timings.inspectMs, recall, preflight: pre,
  };
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function writeOutputs(): void {
  const honest = rows.filter((r) => r.cls === 'honest');
  const malicious = rows.filter((r) => r.cls === 'malicious');
  const scoreKinds = { full: (r: Row) => r.score, 'firing test only': (r: Row) => r.firingZ, 'model only (no data)': (r: Row) => r.dataFreeScore } as const;
  const summary: Record<string, unknown> = {};
  const series: RocSeries[] = [];
  const colours: [number, number, number][] = [[0, 90, 200], [220, 100, 0], [0, 150, 70], [150, 60, 180], [120, 120, 120], [200, 40, 90]];
  let colour = 0;
  for (const ds of datasets) {
    const h = honest.filter((r) => r.dataset === ds);
    const m = malicious.filter((r) => r.dataset === ds);
    for (const [label, fn] of Object.entries(scoreKinds)) {
      const hs = h.map(fn);
      const ms = m.map(fn);
      const strong = m.filter((r) => (r.recall ?? 0) >= 0.2).map(fn);
      const calibrated = thresholdForFpr(hs, 0.01);
      const curve = rocCurve(hs, ms);
      summary[`${ds} / ${label}`] = {
        honest: hs.length, malicious: ms.length, maliciousR02: strong.length, auc: auc(curve),
        atDefault: { threshold: defaultThreshold, fpr: rate(hs, defaultThreshold), tpr: rate(ms, defaultThreshold), tprR02: strong.length ? rate(strong, defaultThreshold) : null },
        atCalibrated: { threshold: calibrated, fpr: rate(hs, calibrated), tpr: rate(ms, calibrated), tprR02: strong.length ? rate(strong, calibrated) : null },
        curve,
      };
      if (label !== 'model only (no data)' || ds === datasets[0]) {
        series.push({ label: `${ds} ${label} AUC ${auc(curve).toFixed(3)}`, colour: colours[colour++ % colours.length], points: curve });
      }
    }
  }
  const tradeoff = tradeoffs();
  const pre = rows.filter((r) => r.preflight);
  const preMs = pre.map((r) => r.preflight!.ms).sort((a, b) => a - b);
  const readMs = pre.map((r) => r.preflight!.readoutMs).sort((a, b) => a - b);
  const fcPre = pre.filter((r) => r.family !== 'cnn-passthrough' && r.dataset === datasets[0]).map((r) => r.preflight!.ms).sort((a, b) => a - b);
  const diverged = rows.filter((r) => r.cls === 'honest-diverged');
  const meta = {
    generated: new Date().toISOString(),
    command: saved?.meta.command ?? `node --import tsx scripts/detector-eval.ts${quick ? ' --quick' : ''} --datasets ${datasets.join(',')}`,
    neurons: NEURONS, batches: BATCHES, defaultThreshold, seconds: saved?.meta.seconds ?? (performance.now() - t0) / 1000,
  };
  writeFileSync(join(out, 'roc.json'), JSON.stringify({ meta, summary, tradeoff, rows }, null, 1) + '\n');
  const cols = ['dataset', 'cls', 'family', 'kind', 'batchSize', 'score', 'dataFreeScore', 'firingZ', 'verdict', 'flagged', 'recall', 'preflightEqual', 'preflightMs'];
  const csv = [cols.join(',')].concat(rows.map((r) => [
    r.dataset, r.cls, r.family, JSON.stringify(r.kind), r.batchSize, r.score.toFixed(3), r.dataFreeScore.toFixed(3), r.firingZ.toFixed(3), r.verdict,
    JSON.stringify(r.flagged.join(' ')), r.recall ?? '', r.preflight ? r.preflight.equal : '', r.preflight ? r.preflight.ms.toFixed(1) : '',
  ].join(',')));
  writeFileSync(join(out, 'roc.csv'), csv.join('\n') + '\n');
  writeFileSync(join(out, 'roc.png'), renderRocChart(series, { title: 'Model inspection ROC (honest vs malicious)', markFpr: 0.01, size: 480 }));

  const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
  const lines = [
    '# Model inspection: detector evaluation', '',
    `Generated by \`${meta.command}\` in ${meta.seconds.toFixed(0)} s (fc-small N = ${NEURONS}, batch sizes ${BATCHES.join('/')}; see docs/inspection.md).`, '',
    '| dataset / score | honest | malicious (R ≥ 0.2) | AUC | FPR @ 4 | TPR @ 4 | TPR (R ≥ 0.2) @ 4 | calibrated τ (FPR ≤ 1%) | FPR @ τ | TPR (R ≥ 0.2) @ τ |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [k, v] of Object.entries(summary) as [string, { honest: number; malicious: number; maliciousR02: number; auc: number; atDefault: { fpr: number; tpr: number; tprR02: number | null }; atCalibrated: { threshold: number; fpr: number; tprR02: number | null } }][]) {
    lines.push(`| ${k} | ${v.honest} | ${v.malicious} (${v.maliciousR02}) | ${v.auc.toFixed(4)} | ${pct(v.atDefault.fpr)} | ${pct(v.atDefault.tpr)} | ${pct(v.atDefault.tprR02)} | ${v.atCalibrated.threshold.toFixed(2)} | ${pct(v.atCalibrated.fpr)} | ${pct(v.atCalibrated.tprR02)} |`);
  }
  lines.push('', '## Per family (full score, threshold 4)', '', '| dataset | class | family | models | flagged | max R | max R of a model not flagged | score range |', '|---|---|---|---|---|---|---|---|');
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.dataset}|${r.cls}|${r.family}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, g] of groups) {
    const [ds, cls, fam] = key.split('|');
    const unflagged = g.filter((r) => r.score < defaultThreshold && r.recall !== null).map((r) => r.recall as number);
    const rs = g.filter((r) => r.recall !== null).map((r) => r.recall as number);
    const sc = g.map((r) => r.score);
    lines.push(`| ${ds} | ${cls} | ${fam} | ${g.length} | ${g.filter((r) => r.score >= defaultThreshold).length} | ${rs.length ? Math.max(...rs).toFixed(2) : '–'} | ${unflagged.length ? Math.max(...unflagged).toFixed(2) : '–'} | ${Math.min(...sc).toFixed(1)} … ${Math.max(...sc).toFixed(1)} |`);
  }
  lines.push('', '## What an attacker gives up to stay under the threshold', '',
    'Largest R among models of a family that score below 4, for the full detector and for the firing test alone (what remains if an attacker hid every structural sign, e.g. drew the trap\'s sign split at random):', '',
    '| dataset | family | max R (any) | max R, full score < 4 | max R, firing z < 4 |', '|---|---|---|---|---|');
  for (const t of tradeoff) lines.push(`| ${t.dataset} | ${t.family} | ${t.maxR.toFixed(2)} | ${t.maxRFull.toFixed(2)} | ${t.maxRFiring.toFixed(2)} |`);
  lines.push('', 'The same per batch size, beside what an honest-but-curious server with certified peeling (`passive+peel`) reads from the honest FedAvg-trained models at that batch size: a design under the threshold is worth only what it adds to that.', '',
    '| dataset | B | honest models, passive+peel R (mean, max) | trap: max R, firing z < 4 | QBI/degree: max R, firing z < 4 | all malicious: max R, full score < 4 |', '|---|---|---|---|---|---|');
  for (const ds of datasets) {
    for (const b of BATCHES) {
      const at = rows.filter((r) => r.dataset === ds && r.batchSize === b && r.recall !== null);
      const hr = at.filter((r) => r.cls === 'honest').map((r) => r.recall as number);
      const maxOf = (list: Row[]) => (list.length ? Math.max(...list.map((r) => r.recall as number)).toFixed(2) : '–');
      const mal = at.filter((r) => r.cls === 'malicious');
      lines.push(`| ${ds} | ${b} | ${hr.length ? `${(hr.reduce((a, c) => a + c, 0) / hr.length).toFixed(2)}, ${Math.max(...hr).toFixed(2)}` : '–'} | ` +
        `${maxOf(mal.filter((r) => r.family === 'trap' && r.firingZ < defaultThreshold))} | ${maxOf(mal.filter((r) => (r.family === 'qbi' || r.family === 'degree') && r.firingZ < defaultThreshold))} | ` +
        `${maxOf(mal.filter((r) => r.score < defaultThreshold))} |`);
    }
  }
  lines.push('', '## Preflight against the server', '',
    `${pre.filter((r) => r.preflight!.equal).length} of ${pre.length} measured batches: the preflight's predicted exact set equals the server's actual set` +
    ` (malicious: ${pre.filter((r) => r.cls === 'malicious' && r.preflight!.equal).length} of ${pre.filter((r) => r.cls === 'malicious').length}).`,
    `Preflight time per update (this machine, 2 shared cores): median ${median(preMs).toFixed(0)} ms, max ${(preMs.at(-1) ?? 0).toFixed(0)} ms in all;` +
    ` the read-outs alone (rows, peeling, imprint differences) median ${median(readMs).toFixed(0)} ms, max ${(readMs.at(-1) ?? 0).toFixed(0)} ms; the rest is matching` +
    ` candidates to the batch for PSNR. fc-small on ${datasets[0]}: median ${median(fcPre).toFixed(0)} ms in all.`,
    ...pre.filter((r) => !r.preflight!.equal).map((r) => `- differs: ${r.dataset} ${r.kind} B=${r.batchSize}: predicted ${r.preflight!.predicted}, server ${r.preflight!.actual}`),
    '', '## Honest models trained with η = 0.5 (kept apart)', '',
    `${diverged.filter((r) => r.score >= defaultThreshold).length} of ${diverged.length} flagged; their own passive leakage R: ${diverged.map((r) => (r.recall ?? 0).toFixed(2)).join(', ')}.`,
  );
  writeFileSync(join(out, 'summary.md'), lines.join('\n') + '\n');
  process.stdout.write(lines.join('\n') + '\n');
}

function tradeoffs() {
  const out: { dataset: string; family: string; maxR: number; maxRFull: number; maxRFiring: number }[] = [];
  for (const ds of datasets) {
    for (const fam of ['trap', 'qbi', 'degree', 'imprint', 'cnn-passthrough']) {
      const g = rows.filter((r) => r.dataset === ds && r.family === fam && r.recall !== null);
      if (!g.length) continue;
      const maxOf = (list: Row[]) => list.reduce((m, r) => Math.max(m, r.recall as number), 0);
      out.push({
        dataset: ds, family: fam, maxR: maxOf(g),
        maxRFull: maxOf(g.filter((r) => r.score < defaultThreshold)),
        maxRFiring: maxOf(g.filter((r) => r.firingZ < defaultThreshold)),
      });
    }
  }
  return out;
}

function median(v: number[]): number {
  return v.length ? v[Math.floor(v.length / 2)] : 0;
}
