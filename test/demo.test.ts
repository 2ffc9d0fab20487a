// End-to-end: `fedleak demo` as the README's first command runs it (paper's FC net, N = 1000, B = 100).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const bin = new URL('../bin/fedleak.js', import.meta.url).pathname;

test('demo extracts more with trap weights than passively and writes its files', () => {
  const out = mkdtempSync(join(tmpdir(), 'fedleak-demo-'));
  const r = spawnSync(process.execPath, [bin, 'demo', '--out', out], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /malicious \(trap\)/);
  assert.match(r.stdout, /honest-but-curious/);
  assert.match(r.stdout, new RegExp(`wrote ${out}`));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const trap = results.trap.summary;
  const passive = results.passive.summary;
  assert.ok(trap.recall > 0.3, `trap R = ${trap.recall}`);
  assert.ok(trap.recall > passive.recall, `trap R ${trap.recall} vs passive R ${passive.recall}`);
  for (const f of ['malicious.png', 'curious.png']) {
    assert.ok(existsSync(join(out, f)));
    const png = PNG.sync.read(readFileSync(join(out, f)));
    assert.ok(png.width > 500 && png.height > 100);
  }
});
