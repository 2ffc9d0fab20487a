import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attacks, attackNames, isAttackName } from './registry.js';
import { isFedleakError } from '../errors.js';

test('the registry lists every attack under the name it reports', () => {
  assert.deepEqual(attackNames, ['passive', 'trap', 'qbi', 'degree', 'imprint', 'passive+peel', 'trap+peel', 'qbi+peel', 'degree+peel']);
  for (const name of attackNames) assert.equal(attacks[name]({}).name, name);
  assert.ok(isAttackName('trap'));
  assert.ok(isAttackName('qbi+peel'));
  assert.ok(!isAttackName('toString'));
  assert.ok(!isAttackName('dlg'));
  assert.ok(!isAttackName('imprint+peel'), 'imprint is read by differences: nothing to peel');
});

test('<design>+peel factories take the design’s options plus `peel`, and check both', () => {
  assert.equal(attacks['trap+peel']({ scale: 0.7, peel: { gridTolerance: 0.05 } }).name, 'trap+peel');
  assert.equal(attacks['passive+peel']({ peel: {} }).name, 'passive+peel');
  assert.throws(() => attacks['trap+peel']({ scale: 2 }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'trap.scale');
  assert.throws(() => attacks['qbi+peel']({ peel: { levels: 0 } }), (e) => isFedleakError(e, 'BAD_ARGUMENT') && e.path === 'peel.levels');
  assert.throws(() => attacks['passive+peel']({ scale: 0.5 } as never), (e) => isFedleakError(e, 'BAD_ARGUMENT'));
});

test('src/attack imports no ground truth: nothing from src/eval, src/fl or src/sim', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = new URL('.', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const src = readFileSync(new URL(file, dir), 'utf8');
    assert.doesNotMatch(src, /from '\.\.\/(eval|fl|sim)\//, file);
  }
});
