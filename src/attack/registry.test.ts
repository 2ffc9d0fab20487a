import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attacks, attackNames, isAttackName } from './registry.js';

test('the registry lists every attack under the name it reports', () => {
  assert.deepEqual(attackNames, ['passive', 'trap']);
  for (const name of attackNames) assert.equal(attacks[name]({}).name, name);
  assert.ok(isAttackName('trap'));
  assert.ok(!isAttackName('toString'));
  assert.ok(!isAttackName('dlg'));
});

test('src/attack imports no ground truth: nothing from src/eval, src/fl or src/sim', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = new URL('.', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const src = readFileSync(new URL(file, dir), 'utf8');
    assert.doesNotMatch(src, /from '\.\.\/(eval|fl|sim)\//, file);
  }
});
