// End-to-end: the CLI as a user runs it (a child process), small sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../bin/fedleak.js', import.meta.url).pathname;

function fedleak(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('attack --json prints results with summary figures in [0, 1]', () => {
  const out = mkdtempSync(join(tmpdir(), 'fedleak-cli-'));
  const r = fedleak(['attack', '--model', 'fc-small', '--neurons', '300', '--batch', '10', '--scale', '0.7', '--runs', '2', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  for (const k of ['recall', 'precision', 'active']) {
    assert.equal(typeof res.summary[k], 'number');
    assert.ok(res.summary[k] >= 0 && res.summary[k] <= 1, `${k} = ${res.summary[k]}`);
  }
  assert.ok(res.summary.recall > 0.5, `trap on 10 digits with 300 neurons should extract most: R = ${res.summary.recall}`);
  assert.equal(res.extractions.length, 2);
  assert.equal(res.scenario.seed, 0);
  assert.ok(existsSync(join(out, 'results.json')));
  assert.ok(existsSync(join(out, 'grid.png')));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).summary, res.summary);
});

test('the same seed gives the same results', () => {
  const args = ['attack', '--model', 'fc-small', '--neurons', '200', '--batch', '8', '--scale', '0.7', '--json', '--seed', '7', '--out', mkdtempSync(join(tmpdir(), 'fedleak-cli-'))];
  const a = JSON.parse(fedleak(args).stdout);
  const b = JSON.parse(fedleak(args).stdout);
  assert.deepEqual(a.extractions.map((e: { exactInputs: number[] }) => e.exactInputs), b.extractions.map((e: { exactInputs: number[] }) => e.exactInputs));
  assert.equal(a.summary.recall, b.summary.recall);
});

test('unknown flags and bad values are refused with a clear message and exit 2', () => {
  const unknown = fedleak(['attack', '--neurone', '10']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /UNKNOWN_FLAG.*--neurone/);
  assert.doesNotMatch(unknown.stderr, /at .*\.ts:\d+/); // no stack trace
  const bad = fedleak(['attack', '--batch', 'ten']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--batch: expected an integer, got 'ten'/);
  const scale = fedleak(['attack', '--scale', '1.4']);
  assert.equal(scale.status, 2);
  assert.match(scale.stderr, /scale/);
  const cmd = fedleak(['atack']);
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /unknown command 'atack'/);
});

test('a missing dataset path names the path and exits 3', () => {
  const r = fedleak(['attack', '--dataset', '/nonexistent/data.bin']);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /nonexistent/);
});

test('help lists the commands', () => {
  const r = fedleak(['help']);
  assert.equal(r.status, 0);
  for (const c of ['demo', 'attack', 'sweep']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});
