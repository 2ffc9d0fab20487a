/** The terminal table of A, P, R and timings that `attack` and `demo` print. */
import type { Results } from '../sim/results.js';
import { toText } from '../report/table.js';

const pct = (v: number) => v.toFixed(3);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));

/**
 * One row per labelled result: A, P, R (mean ± std over extractions), PSNR, SSIM, scale and median timings.
 * @example process.stdout.write(formatSummary([{ label: 'trap', results }]))
 */
export function formatSummary(rows: { label: string; results: Results }[]): string {
  if (rows.some((r) => r.results.summary.tokenAccuracy !== null)) return formatTextSummary(rows);
  return summaryTable(rows, ['PSNR rest dB', 'SSIM', 'scale', 'train ms', 'read-out ms', 'eval ms'], (s) => [
    s.meanPsnrInexact === null ? '-' : s.meanPsnrInexact.toFixed(1),
    s.meanSsim === null ? '-' : s.meanSsim.toFixed(3),
    scales(s),
    ms(s.medianMs.trainMs),
    ms(s.medianMs.readoutMs),
    ms(s.medianMs.evalMs),
  ]);
}

/**
 * The summary of text runs: A, P, R (whole reviews), token accuracy, scale and median timings; PSNR and SSIM do not
 * apply to token ids.
 * @example process.stdout.write(formatTextSummary([{ label: 'trap', results }]))
 */
export function formatTextSummary(rows: { label: string; results: Results }[]): string {
  return summaryTable(rows, ['token acc', 'scale', 'craft ms', 'train ms', 'read-out ms', 'eval ms'], (s) => [
    s.tokenAccuracy === null ? '-' : pct(s.tokenAccuracy),
    scales(s),
    ms(s.medianMs.craftMs),
    ms(s.medianMs.trainMs),
    ms(s.medianMs.readoutMs),
    ms(s.medianMs.evalMs),
  ]);
}

type Summary = Results['summary'];

/** The table both summaries share: server, A, P, R, R std, then `columns` filled by `cells`. */
function summaryTable(rows: { label: string; results: Results }[], columns: string[], cells: (s: Summary) => string[]): string {
  return toText({
    columns: ['server', 'A', 'P', 'R', 'R std', ...columns],
    rows: rows.map(({ label, results: { summary: s } }) => [label, pct(s.active), pct(s.precision), pct(s.recall), pct(s.recallStd), ...cells(s)]),
  });
}

/** The trap scales of a run, '/'-joined, or '-'. */
const scales = (s: Summary) => (s.scales.length ? s.scales.map((x) => x.toFixed(3)).join('/') : '-');

/**
 * Lines on the defenses of a run, printed under the summary table when any is on: the client pipeline, what the
 * server read and the noise in it, R on the same batch without defenses, ε per round (claimed and against this
 * server) and SecAgg's cost. Empty when no defense is on.
 * @example process.stdout.write(formatDefenses(results));
 */
export function formatDefenses(results: Results): string {
  const { scenario: s, privacy: p, summary } = results;
  const ex = results.extractions;
  const defended = p.mods !== 'none' || s.secagg || s.sybils > 0 || s.inconsistentModels;
  if (!defended) return '';
  const lines = [`client mods: ${p.mods}`];
  const first = ex[0]?.defense;
  if (first) {
    const what = first.view === 'update'
      ? 'each client update as sent'
      : `the round's ${s.secagg ? 'SecAgg sum' : 'aggregate'}` +
        (first.sybils ? ` minus its ${first.sybils} sybils' updates` : '') +
        (s.inconsistentModels ? ' (non-targets got a dead first layer)' : '') +
        `: ${first.unknown} honest update${first.unknown === 1 ? '' : 's'} left`;
    lines.push(`server read: ${what}; DP noise std ${sci(first.noiseStd)} per coordinate` +
      (first.effectiveNoiseMultiplier !== null ? ` (σ the target faces: ${sci(first.effectiveNoiseMultiplier)})` : ''));
  }
  if (summary.baselineRecall !== null) {
    lines.push(`R with defenses ${summary.recall.toFixed(3)}; R undefended on the same batches and model ${summary.baselineRecall.toFixed(3)}`);
  }
  if (p.byRound) {
    lines.push(`ε per round (δ = ${p.delta}, q = ${round3(p.sampleRate)}, σ = ${p.noiseMultiplier}): ${curve(p.byRound)}`);
    if (p.againstServer) {
      lines.push(`ε against this server (σ = ${sci(p.againstServer.noiseMultiplier)}): ${curve(p.againstServer.byRound)}`);
    }
  }
  if (summary.secagg) {
    const sa = summary.secagg;
    const r0 = results.secagg.find((r) => r.ok) ?? results.secagg[0];
    lines.push(`SecAgg: ${sa.rounds} round(s), ${sa.aborted} aborted` +
      (r0 ? `; n = ${r0.n}, t = ${r0.threshold}, R = ${round3(r0.clipRange)}, ${r0.vectorLength} values per client` : '') +
      (sa.medianMs !== null ? `; median ${(sa.medianMs / 1000).toFixed(2)} s per round (all clients in one process)` : '') +
      (sa.bytesSentPerClient !== null ? `; ${(sa.bytesSentPerClient / 1e6).toFixed(2)} MB sent per client` : '') +
      `; clients clamped at most ${sa.maxClampedValues} value(s) to ±R in a round (a diagnostic the server does not see)`);
    for (const r of results.secagg.filter((x) => !x.ok)) lines.push(`  run ${r.run} round ${r.round} aborted: ${r.reason}`);
  }
  return lines.join('\n') + '\n';
}

function curve(byRound: { round: number; epsilon: number }[]): string {
  const shown = byRound.length <= 6 ? byRound : [...byRound.slice(0, 3), ...byRound.slice(-2)];
  return shown.map((e, i) => `${i === 3 && byRound.length > 6 ? '… ' : ''}${e.round}: ${eps(e.epsilon)}`).join(', ');
}

function eps(v: number): string {
  return Number.isFinite(v) ? (v < 100 ? v.toFixed(2) : v.toExponential(2)) : '∞';
}

function sci(v: number): string {
  return v === 0 ? '0' : v >= 0.01 && v < 1000 ? String(round3(v)) : v.toExponential(2);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
