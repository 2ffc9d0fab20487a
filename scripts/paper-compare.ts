/** Compares `fedleak sweep` results with CAH's published Table 5 (and Table 1) and writes a markdown table. */
import { readFileSync } from 'node:fs';

/** CAH Table 5: extraction-recall R by (N, B) and dataset (trap weights, best scale, 10 runs). */
const table5: Record<string, Record<string, number>> = {
  mnist: { '200,20': 0.72, '200,100': 0.218, '500,20': 0.915, '500,100': 0.397, '1000,20': 0.95, '1000,50': 0.76, '1000,100': 0.54, '1000,200': 0.293, '3000,100': 0.746, '3000,200': 0.504 },
  cifar10: { '200,20': 0.695, '200,100': 0.269, '500,20': 0.87, '500,100': 0.422, '1000,20': 0.915, '1000,50': 0.724, '1000,100': 0.556, '1000,200': 0.256, '3000,100': 0.711, '3000,200': 0.414 },
  imagenet: { '200,20': 0.355, '200,100': 0.24, '500,20': 0.49, '500,100': 0.358, '1000,20': 0.595, '1000,50': 0.516, '1000,100': 0.457, '1000,200': 0.288, '3000,100': 0.579, '3000,200': 0.404 },
};

interface Cell {
  neurons: number;
  batchSize: number;
  summary: { recall: number; recallStd: number; scales: number[]; runs: number };
}

const [file, paperKey] = process.argv.slice(2);
if (!file || !paperKey || !(paperKey in table5)) {
  console.error(`usage: tsx scripts/paper-compare.ts SWEEP.json ${Object.keys(table5).join('|')}`);
  process.exit(2);
}
const sweep = JSON.parse(readFileSync(file, 'utf8')) as { command: string; cells: Cell[] };
const paper = table5[paperKey];
const rows = sweep.cells.map((c) => {
  const ref = paper[`${c.neurons},${c.batchSize}`];
  const r = c.summary.recall;
  const diff = ref === undefined ? null : r - ref;
  return `| ${c.neurons} | ${c.batchSize} | ${c.summary.scales.map((s) => s.toFixed(3)).join('/')} | ${r.toFixed(3)} ± ${c.summary.recallStd.toFixed(3)} | ${ref?.toFixed(3) ?? '–'} | ${diff === null ? '–' : (diff >= 0 ? '+' : '') + diff.toFixed(3)} | ${diff === null ? '' : Math.abs(diff) <= 0.05 ? 'yes' : '**no**'} |`;
});
const within = sweep.cells.filter((c) => {
  const ref = paper[`${c.neurons},${c.batchSize}`];
  return ref !== undefined && Math.abs(c.summary.recall - ref) <= 0.05;
}).length;
const published = sweep.cells.filter((c) => paper[`${c.neurons},${c.batchSize}`] !== undefined).length;
console.log(`Command: \`${sweep.command}\`\n`);
console.log('| N | B | scale | R (ours, mean ± std over runs) | R (CAH) | difference | within ±0.05 |');
console.log('|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
console.log(`\n${within} of ${published} published cells within ±0.05.`);
