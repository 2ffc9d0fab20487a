/** `fedleak sweep`: a grid over N, B and scale with R runs per cell, written as a markdown/CSV table and JSON. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, type Scenario } from '../sim/scenario.js';
import { runScenario, loadScenarioDataset } from '../sim/run.js';
import type { Results } from '../sim/results.js';
import { setupBackend } from '../tensor/backend.js';
import { parseFlags, scenarioFromFlags, convertFlag, flagHelp } from './flags.js';
import { outputDir, writeJson } from './output.js';
import { progressBar, isInteractive } from './progress.js';
import { toMarkdown, toCsv, toText, type Table } from '../report/table.js';
import { FedleakError } from '../errors.js';

export const sweepHelp = `fedleak sweep [flags]
  Runs every combination of the listed N, B and scale values (R runs each) and writes a table of A, P, R.
  List flags take comma-separated values:
  --neurons LIST       e.g. 200,500,1000,3000
  --batch LIST         e.g. 20,50,100,200
  --scale LIST         e.g. 0.5,0.7,0.9; omit to tune s per cell on auxiliary data
  Every other scenario flag takes one value:
${flagHelp().split('\n').filter((l) => !/--(neurons|batch|scale) /.test(l)).join('\n')}
  --out DIR            folder for sweep.md, sweep.csv, sweep.json (default ./fedleak-out/sweep)
  --json               print only the sweep JSON to stdout
`;

/** One finished cell of a sweep. */
export interface SweepCell {
  neurons: number;
  batchSize: number;
  scale: number | null;
  results: Results;
}

function list(flag: string, type: 'int' | 'number', raw: string | boolean | undefined): number[] | null {
  if (typeof raw !== 'string') return null;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) {
    throw new FedleakError('BAD_ARGUMENT', `expected a comma-separated list, got '${raw}'`, { path: `--${flag}` });
  }
  return parts.map((p) => convertFlag(flag, type, p) as number);
}

/** Runs the command; returns the exit status. */
export async function sweepCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv);
  if (values.help) {
    process.stdout.write(sweepHelp);
    return 0;
  }
  const base = scenarioFromFlags(values, ['neurons', 'batchSize', 'scale']);
  const neuronsList = list('neurons', 'int', values.neurons) ?? [1000];
  const batchList = list('batch', 'int', values.batch) ?? [100];
  const scaleList: (number | null)[] = list('scale', 'number', values.scale) ?? [null];
  const cells: Scenario[] = [];
  for (const neurons of neuronsList)
    for (const batchSize of batchList)
      for (const scale of scaleList)
        cells.push(parseScenario({ ...base, neurons, batchSize, ...(scale === null ? {} : { scale }) }));
  const json = values.json === true;
  await setupBackend(cells[0].backend);
  const dataset = await loadScenarioDataset(cells[0]);
  const dir = outputDir(values.out as string | undefined, 'fedleak-out/sweep');
  const bar = progressBar(cells.length, 'cells', !json && isInteractive());
  const done: SweepCell[] = [];
  for (const scenario of cells) {
    const results = await runScenario(scenario, { dataset });
    done.push({ neurons: scenario.neurons, batchSize: scenario.batchSize, scale: scenario.scale ?? null, results });
    bar.tick(`N=${scenario.neurons} B=${scenario.batchSize} R=${results.summary.recall.toFixed(3)}`);
    if (!json && !isInteractive()) {
      process.stderr.write(`N=${scenario.neurons} B=${scenario.batchSize} R=${results.summary.recall.toFixed(3)}\n`);
    }
  }
  bar.done();
  const table = sweepTable(done);
  const command = `fedleak sweep ${argv.join(' ')}`;
  const summary = {
    tool: 'fedleak',
    command,
    dataset: done[0].results.dataset,
    cells: done.map((c) => ({ neurons: c.neurons, batchSize: c.batchSize, scale: c.scale, summary: c.results.summary, tuning: c.results.tuning, scenario: c.results.scenario })),
  };
  const jsonPath = writeJson(dir, 'sweep.json', summary);
  writeFileSync(join(dir, 'sweep.csv'), toCsv(table));
  const md = `# fedleak sweep on ${dataset.name}\n\nCommand: \`${command}\`\n\n${toMarkdown(table)}`;
  writeFileSync(join(dir, 'sweep.md'), md);
  if (json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  }
  process.stdout.write(toText(table));
  process.stdout.write(`\nwrote ${jsonPath}\nwrote ${join(dir, 'sweep.md')}\nwrote ${join(dir, 'sweep.csv')}\n`);
  return 0;
}

/** The sweep's table: one row per cell, R as mean ± std over runs. */
export function sweepTable(cells: SweepCell[]): Table {
  return {
    columns: ['N', 'B', 'scale', 'runs', 'A', 'P', 'R', 'R std', 'read-out ms'],
    rows: cells.map((c) => {
      const s = c.results.summary;
      return [
        c.neurons,
        c.batchSize,
        s.scales.length ? s.scales.map((x) => x.toFixed(3)).join('/') + (c.scale === null ? ' (tuned)' : '') : '-',
        s.runs,
        s.active.toFixed(3),
        s.precision.toFixed(3),
        s.recall.toFixed(3),
        s.recallStd.toFixed(3),
        s.medianMs.readoutMs.toFixed(2),
      ];
    }),
  };
}
