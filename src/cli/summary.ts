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
  return toText({
    columns: ['server', 'A', 'P', 'R', 'R std', 'PSNR rest dB', 'SSIM', 'scale', 'train ms', 'read-out ms', 'eval ms'],
    rows: rows.map(({ label, results: { summary: s } }) => [
      label,
      pct(s.active),
      pct(s.precision),
      pct(s.recall),
      pct(s.recallStd),
      s.meanPsnrInexact === null ? '-' : s.meanPsnrInexact.toFixed(1),
      s.meanSsim === null ? '-' : s.meanSsim.toFixed(3),
      s.scales.length ? s.scales.map((x) => x.toFixed(3)).join('/') : '-',
      ms(s.medianMs.trainMs),
      ms(s.medianMs.readoutMs),
      ms(s.medianMs.evalMs),
    ]),
  });
}
