/**
 * Tests for the RDP accountant against reference values of well-known accountants (TF Privacy, Google
 * dp_accounting, Opacus), against closed forms, and against direct numerical integration of A_α.
 * Target: every reference matched to 1e-3 relative (most match to 1e-9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultOrders, epsilon, epsilonByRound, rdpGaussian, rdpToEpsilon } from './accountant.js';
import { isFedleakError } from '../errors.js';

const REL = 1e-3;
const close = (actual: number, expected: number, what: string, rel = REL) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual}, expected ${expected}`);

/** The orders of TF Privacy's compute_dp_sgd_privacy_lib: [1.25, …, 4.5] + 5..63 + [128, 256, 512]. */
const tfOrders = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, k) => 5 + k), 128, 256, 512];

test('defaultOrders are Opacus\'s: 1 + x/10 for x = 1..99, then 12..63', () => {
  assert.equal(defaultOrders.length, 99 + 52);
  assert.equal(defaultOrders[0], 1.1);
  assert.equal(defaultOrders[98], 1 + 99 / 10);
  assert.deepEqual(defaultOrders.slice(99, 101), [12, 13]);
  assert.equal(defaultOrders.at(-1), 63);
});

test('q = 1: RDP is exactly steps·α/(2σ²), and ε follows by hand from both conversions', () => {
  const sigma = 3;
  const steps = 10;
  const delta = 1e-5;
  const { orders, rdp } = rdpGaussian({ noiseMultiplier: sigma, sampleRate: 1, steps });
  orders.forEach((a, i) => close(rdp[i], (steps * a) / (2 * sigma * sigma), `rdp at α = ${a}`, 1e-14));
  let improved = Infinity;
  let classic = Infinity;
  for (const a of orders) {
    const r = (steps * a) / 18;
    improved = Math.min(improved, r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1));
    classic = Math.min(classic, r - Math.log(delta) / (a - 1));
  }
  close(epsilon({ noiseMultiplier: sigma, sampleRate: 1, steps, delta }).epsilon, improved, 'improved', 1e-12);
  close(epsilon({ noiseMultiplier: sigma, sampleRate: 1, steps, delta, conversion: 'classic' }).epsilon, classic, 'classic', 1e-12);
});

test('Gaussian mechanism calibrated to exactly (1, 1e-6)-DP: σ = 4.530877117 gives ε = 1 (TF Privacy / dp_accounting, improved)', () => {
  // tensorflow/privacy rdp_accountant_test.py test_get_privacy_spent_check_target_delta and google/differential-privacy
  // dp_accounting rdp_privacy_accountant_test.py test_compute_epsilon_delta_gaussian: orders 1.000..99.999 by 0.001.
  const orders = Array.from({ length: 99_000 }, (_, i) => 0.001 * (i + 1000)).filter((a) => a > 1);
  const r = epsilon({ noiseMultiplier: 4.530877117, sampleRate: 1, steps: 1, orders, delta: 1e-6 });
  close(r.epsilon, 1, 'ε', 1e-6);
});

test('pure DP (constant RDP 1.1 at orders 2..32) gives ε = 1.32783806176 at order 32 (dp_accounting, improved)', () => {
  // dp_accounting test_compute_epsilon_delta_pure_dp; the same figure in TF Privacy's rdp_accountant_test.py.
  const orders = Array.from({ length: 31 }, (_, i) => i + 2);
  const r = rdpToEpsilon({ orders, rdp: orders.map(() => 1.1), delta: 1e-5 });
  close(r.epsilon, 1.32783806176, 'ε', 1e-9);
  assert.equal(r.bestOrder, 32);
  assert.equal(r.atBoundary, true);
});

test('DP-SGD figures of TF Privacy compute_dp_sgd_privacy_test.py, both conversions', () => {
  // (n, batch, σ, epochs, δ) → q = batch/n, steps = ⌈epochs·n/batch⌉, TF Privacy's orders.
  // improved: the current test (eps via dp_accounting); classic: the test before the 2020 conversion change.
  const cases = [
    { n: 60000, batch: 150, sigma: 1.3, epochs: 15, delta: 1e-5, improved: 0.7242234026109595, classic: 0.941870567, order: 19 },
    { n: 100000, batch: 100, sigma: 1.0, epochs: 30, delta: 1e-7, improved: 1.4154988495444845, classic: 1.70928734, order: 13 },
    { n: 100000000, batch: 1024, sigma: 0.1, epochs: 10, delta: 1e-7, improved: 5907982.31138195, classic: 5907984.81339406, order: 1.25 },
  ];
  for (const c of cases) {
    const opts = { noiseMultiplier: c.sigma, sampleRate: c.batch / c.n, steps: Math.ceil((c.epochs * c.n) / c.batch),
      delta: c.delta, orders: tfOrders };
    const improved = epsilon(opts);
    const classic = epsilon({ ...opts, conversion: 'classic' });
    close(improved.epsilon, c.improved, `improved ε for n = ${c.n}`, 1e-8);
    close(classic.epsilon, c.classic, `classic ε for n = ${c.n}`, 1e-8);
    assert.equal(improved.bestOrder, c.order);
    assert.equal(classic.bestOrder, c.order);
  }
});

test('Opacus accountants_test.py: σ = 1.5, q = 0.04, 2250 steps, δ = 1e-5 → ε = 7.32911117143 (improved, default orders)', () => {
  const r = epsilon({ noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250, delta: 1e-5 });
  close(r.epsilon, 7.32911117143, 'ε', 1e-9);
  assert.equal(r.bestOrder, 3.9); // a fractional order: this also checks the fractional series
});

test('composition of two mechanisms, classic conversion: ε = 8.509656 at order 2.5 (TF Privacy test_check_composition)', () => {
  // tensorflow/privacy rdp_accountant_test.py, the figures kept in a comment as "the old RDP -> approx DP conversion".
  const orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
  const a = rdpGaussian({ noiseMultiplier: 0.4, sampleRate: 1e-4, steps: 40000, orders }).rdp;
  const b = rdpGaussian({ noiseMultiplier: 2, sampleRate: 0.1, steps: 100, orders }).rdp;
  const rdp = a.map((v, i) => v + b[i]);
  const classic = rdpToEpsilon({ orders, rdp, delta: 1e-5, conversion: 'classic' });
  close(classic.epsilon, 8.509656, 'classic ε', 1e-6);
  assert.equal(classic.bestOrder, 2.5);
  // the improved conversion is an upper bound that is never larger (the test's assertLessEqual)
  assert.ok(rdpToEpsilon({ orders, rdp, delta: 1e-5 }).epsilon <= 8.509656);
});

test('RDP values: q = 0.01, σ = 2.5, 50 steps (TF Privacy test_compute_rdp_sequence, dp_accounting)', () => {
  const { rdp } = rdpGaussian({ noiseMultiplier: 2.5, sampleRate: 0.01, steps: 50, orders: [1.5, 2.5, 5, 50, 100, Infinity] });
  // Integer orders: dp_accounting's 9-digit figures.
  close(rdp[2], 2.18075656e-3, 'α = 5');
  close(rdp[3], 2.38460375e-2, 'α = 50');
  close(rdp[4], 1.67416308e2, 'α = 100');
  assert.equal(rdp[5], Infinity);
  // Fractional orders: TF Privacy's figures (its test allows ±1e-5). dp_accounting ≥ 0.4 reports 6.70579741e-4 and
  // 1.08548710e-3 because it sums |terms| of the alternating series (an upper bound); the signed series, used
  // by Opacus and TF Privacy, is what direct integration confirms (next test).
  assert.ok(Math.abs(rdp[0] - 0.00065) <= 1e-5 && rdp[0] <= 6.70579741e-4, `α = 1.5: ${rdp[0]}`);
  assert.ok(Math.abs(rdp[1] - 0.001085) <= 1e-5 && rdp[1] <= 1.08548710e-3, `α = 2.5: ${rdp[1]}`);
  // TF Privacy test_compute_rdp_scalar: compute_rdp(q = 0.1, σ = 2, steps = 10, α = 5) = 0.07737 (5 places)
  const scalar = rdpGaussian({ noiseMultiplier: 2, sampleRate: 0.1, steps: 10, orders: [5] }).rdp[0];
  assert.ok(Math.abs(scalar - 0.07737) < 5e-6, `scalar ${scalar}`);
});

/** log A_α = log ∫ μ₀(z)·((1 − q) + q·e^((2z − 1)/(2σ²)))^α dz, μ₀ = N(0, σ²): trapezoid rule in log space. */
function logAByIntegration(q: number, sigma: number, alpha: number): number {
  const s2 = sigma * sigma;
  const lo = -40 * sigma - 10;
  const hi = 40 * sigma + 10 + alpha;
  const n = 200_000;
  const h = (hi - lo) / n;
  const f = (z: number) => -(z * z) / (2 * s2) - 0.5 * Math.log(2 * Math.PI * s2)
    + alpha * Math.log1p(q * Math.expm1((2 * z - 1) / (2 * s2)));
  let m = -Infinity;
  for (let i = 0; i <= n; i++) m = Math.max(m, f(lo + i * h));
  let sum = 0;
  for (let i = 0; i <= n; i++) sum += (i === 0 || i === n ? 0.5 : 1) * Math.exp(f(lo + i * h) - m);
  return m + Math.log(sum * h);
}

test('independent check: the series matches direct numerical integration of A_α at fractional and integer orders', () => {
  // Parameters partly from the mpmath comparisons of TF Privacy and dp_accounting (test_compute_log_a_equals_mp).
  const cases: [number, number, number][] = [
    [0.01, 2.5, 1.5], [0.01, 2.5, 2.5], [1e-3, 1, 2], [0.01, 10, 20], [0.1, 100, 20.5], [0.04, 1.5, 3.9], [0.3, 0.8, 7.3],
    [0.5, 1.2, 12.75],
  ];
  for (const [q, sigma, alpha] of cases) {
    const series = rdpGaussian({ noiseMultiplier: sigma, sampleRate: q, steps: 1, orders: [alpha] }).rdp[0] * (alpha - 1);
    const integral = logAByIntegration(q, sigma, alpha);
    close(series, integral, `log A at q = ${q}, σ = ${sigma}, α = ${alpha}`, 1e-6);
  }
});

test('special cases: q = 0 is free, σ = 0 is no privacy, ε grows with steps and shrinks with σ', () => {
  assert.equal(epsilon({ noiseMultiplier: 1, sampleRate: 0, steps: 100, delta: 1e-5 }).epsilon, 0);
  assert.equal(epsilon({ noiseMultiplier: 0, sampleRate: 0.1, steps: 1, delta: 1e-5 }).epsilon, Infinity);
  const curve = epsilonByRound({ noiseMultiplier: 1.1, sampleRate: 0.01, delta: 1e-5, rounds: [0, 1, 10, 100, 1000] });
  assert.equal(curve[0].epsilon, 0);
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i].epsilon > curve[i - 1].epsilon);
  close(curve[3].epsilon, epsilon({ noiseMultiplier: 1.1, sampleRate: 0.01, steps: 100, delta: 1e-5 }).epsilon, 'ε at 100', 1e-12);
  const more = epsilon({ noiseMultiplier: 3, sampleRate: 0.01, steps: 1000, delta: 1e-5 }).epsilon;
  assert.ok(more < curve[4].epsilon);
});

test('bad options fail with BAD_ARGUMENT naming the option', () => {
  const bad = (f: () => unknown, path: RegExp) => assert.throws(f, (e) => isFedleakError(e, 'BAD_ARGUMENT') && path.test(e.path ?? ''));
  bad(() => epsilon({ noiseMultiplier: -1, sampleRate: 0.1, steps: 1, delta: 1e-5 }), /noiseMultiplier/);
  bad(() => epsilon({ noiseMultiplier: 1, sampleRate: 1.5, steps: 1, delta: 1e-5 }), /sampleRate/);
  bad(() => epsilon({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1.5, delta: 1e-5 }), /steps/);
  bad(() => epsilon({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1, delta: 0 }), /delta/);
  bad(() => epsilon({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1, delta: 1e-5, orders: [1] }), /orders\[0\]/);
  bad(() => epsilon({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1, delta: 1e-5, conversion: 'tight' as 'classic' }), /conversion/);
  bad(() => rdpToEpsilon({ orders: [2, 3], rdp: [1], delta: 1e-5 }), /rdp/);
});
