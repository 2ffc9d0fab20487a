// `fedleak serve` and `fedleak join` as a user runs them: separate processes over loopback.
// (The commands are called through a one-line runner with main.ts's error handling, so this test does not
// depend on their registration in src/cli/main.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const runner = (command: 'serve' | 'join') => `
import { ${command}Command as run } from './src/cli/${command}.ts';
import { FedleakError, exitCodes } from './src/errors.ts';
try { process.exitCode = await run(process.argv.slice(1)); }
catch (e) {
  if (!(e instanceof FedleakError)) throw e;
  process.stderr.write('fedleak: error [' + e.code + '] ' + e.message + '\\n  fix: ' + e.hint + '\\n');
  process.exitCode = exitCodes[e.code];
}`;

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function fedleak(command: 'serve' | 'join', args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runner(command), '--', ...args], {
    cwd: root, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitFor(p: Proc, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = p.out().match(re);
    if (m) return m;
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`no ${re} in:\n${p.out()}\n${p.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('serve + two join processes: two rounds, extractions on disk, clean exit', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'fedleak-net-cli-'));
  const token = 'cli-test-token-123';
  const server = fedleak('serve', ['--model', 'fc-small', '--neurons', '400', '--batch', '6', '--scale', '0.7', '--rounds', '2',
    '--clients-per-round', '2', '--port', '0', '--token', token, '--out', out, '--exit-when-done', '--round-timeout', '60']);
  try {
    const [, url] = await waitFor(server, /fedleak join --server (ws:\/\/127\.0\.0\.1:\d+\/ws)/, 60_000);
    assert.match(server.out(), /malicious server \(trap, scale 0\.70\)/);
    assert.match(server.out(), /dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard\?token=cli-test-token-123/);
    const joins = [0, 1].map((i) => fedleak('join', ['--server', url, '--token', token, '--client-index', String(i), '--num-clients', '2',
      '--reveal', '--name', `cli-${i}`]));
    const codes = await Promise.all(joins.map((j) => j.exit));
    assert.deepEqual(codes, [0, 0], joins.map((j) => j.err()).join('\n'));
    for (const j of joins) assert.match(j.out(), /done: 2 updates accepted \(rounds 0, 1\)/);
    assert.equal(await server.exit, 0, server.err());
    assert.match(server.out(), /round 1: aggregated \(2 of 2 updates\)/);
    assert.match(server.out(), /revealed: R = \d\.\d{3}/);
    const state = JSON.parse(readFileSync(join(out, 'server.json'), 'utf8'));
    assert.equal(state.completedRounds, 2);
    const files = readdirSync(join(out, 'rounds', '0001'));
    assert.deepEqual(files.filter((f) => /^c\d+\.json$/.test(f)).sort(), ['c1.json', 'c2.json']);
    const rec = JSON.parse(readFileSync(join(out, 'rounds', '0001', 'c1.json'), 'utf8'));
    assert.equal(rec.metrics.count, 6);
  } finally {
    server.child.kill('SIGTERM');
  }
});

test('bad usage exits 2 with the fix: unknown role, wrong token, bad URL', { timeout: 120_000 }, async () => {
  const role = fedleak('serve', ['--role', 'evil']);
  assert.equal(await role.exit, 2);
  assert.match(role.err(), /BAD_ARGUMENT.*--role: expected honest \| curious \| malicious, got 'evil'/);

  const out = mkdtempSync(join(tmpdir(), 'fedleak-net-cli-'));
  const server = fedleak('serve', ['--model', 'fc-small', '--neurons', '50', '--scale', '0.7', '--port', '0', '--token', 'right-token-1', '--out', out]);
  try {
    const [, url] = await waitFor(server, /--server (ws:\/\/127\.0\.0\.1:\d+\/ws)/, 60_000);
    const join = fedleak('join', ['--server', url, '--token', 'wrong-token-1']);
    assert.equal(await join.exit, 2);
    assert.match(join.err(), /UNAUTHORIZED/);
    assert.match(join.err(), /fix: pass the token `fedleak serve` printed/);
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exit, 0, 'serve exits cleanly on SIGTERM');
  }
  const url = fedleak('join', ['--server', 'http://nowhere', '--token', 'x']);
  assert.equal(await url.exit, 2);
  assert.match(url.err(), /--server: expected a ws:\/\/ or wss:\/\/ URL/);
});
