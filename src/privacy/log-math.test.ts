/** Tests for the accountant's log-space helpers and erfc against tabulated values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, logAbsBinomial, logAdd, logErfc, logSub } from './log-math.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('erfc matches tabulated values (Abramowitz & Stegun / mpmath) to 1e-13 relative', () => {
  const table: [number, number][] = [
    [0.1, 0.8875370839817152], [0.5, 0.4795001221869535], [1, 0.15729920705028513],
    [2, 0.004677734981047266], [3, 2.209049699858544e-5], [5, 1.5374597944280349e-12],
    [10, 2.088487583762545e-45], [-1, 1.8427007929497148],
  ];
  for (const [x, v] of table) assert.ok(rel(erfc(x), v) < 1e-13, `erfc(${x}) = ${erfc(x)}, expected ${v}`);
  assert.equal(erfc(0), 1);
  // the two methods meet at x = 2 without a jump
  assert.ok(rel(erfc(2 - 1e-9), erfc(2 + 1e-9)) < 1e-7);
});

test('logErfc stays finite where erfc underflows, following the asymptote −x² − log(x√π)', () => {
  for (const x of [30, 100, 1e4]) {
    const asymptote = -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log1p(-1 / (2 * x * x));
    assert.ok(Math.abs(logErfc(x) - asymptote) < 1e-6 * Math.abs(asymptote), `logErfc(${x})`);
  }
  assert.ok(Math.abs(logErfc(1) - Math.log(0.15729920705028513)) < 1e-14);
  assert.equal(logErfc(Infinity), -Infinity);
});

test('logAdd and logSub work in log space, with −∞ as zero', () => {
  assert.ok(Math.abs(logAdd(Math.log(2), Math.log(3)) - Math.log(5)) < 1e-15);
  assert.equal(logAdd(-Infinity, 7), 7);
  assert.ok(Math.abs(logAdd(1000, 1000) - (1000 + Math.log(2))) < 1e-12);
  assert.ok(Math.abs(logSub(Math.log(5), Math.log(3)) - Math.log(2)) < 1e-15);
  assert.equal(logSub(3, -Infinity), 3);
  assert.equal(logSub(3, 3), -Infinity);
  assert.ok(Number.isNaN(logSub(1, 2)));
  assert.equal(logSub(2000, 1), 2000);
});

test('logAbsBinomial gives generalised binomial coefficients and their signs', () => {
  const b = logAbsBinomial(5, 2);
  assert.ok(Math.abs(b.log - Math.log(10)) < 1e-14 && b.sign === 1);
  // C(1.5, 3) = 1.5 · 0.5 · (−0.5) / 6 = −0.0625
  const f = logAbsBinomial(1.5, 3);
  assert.ok(Math.abs(f.log - Math.log(0.0625)) < 1e-14 && f.sign === -1);
  assert.equal(logAbsBinomial(3, 5).sign, 0);
});
