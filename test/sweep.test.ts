// End-to-end: `fedleak sweep` writes a table with one row per (N, B, scale) cell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../bin/fedleak.js', import.meta.url).pathname;

test('sweep over N and B writes markdown, CSV and JSON', () => {
  const out = mkdtempSync(join(tmpdir(), 'fedleak-sweep-'));
  const r = spawnSync(
    process.execPath,
    [bin, 'sweep', '--model', 'fc-small', '--neurons', '100,300', '--batch', '5,10', '--scale', '0.7', '--runs', '2', '--out', out],
    { encoding: 'utf8', env: { ...process.env, CI: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(out, 'sweep.md'), 'utf8');
  assert.match(md, /\| N \| B \| scale/);
  const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 4);
  const json = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.deepEqual(
    json.cells.map((c: { neurons: number; batchSize: number }) => [c.neurons, c.batchSize]),
    [[100, 5], [100, 10], [300, 5], [300, 10]],
  );
  // More neurons isolate more inputs of the same batch size (averaged over runs; a wide margin).
  const r5 = json.cells.filter((c: { batchSize: number }) => c.batchSize === 5).map((c: { summary: { recall: number } }) => c.summary.recall);
  assert.ok(r5[1] >= r5[0] - 0.2);
});

test('a bad list value names the flag', () => {
  const r = spawnSync(process.execPath, [bin, 'sweep', '--batch', '20,,50'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--batch: expected a comma-separated list/);
});
