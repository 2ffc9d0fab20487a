/** Log-space arithmetic and log erfc in float64 for the RDP accountant (Mironov et al. 2019, §3.3). */

/**
 * log(eˣ + eʸ) without overflow; −∞ stands for 0.
 * @example logAdd(Math.log(2), Math.log(3)) // ≈ Math.log(5)
 */
export function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  if (a === -Infinity) return b;
  return Math.log1p(Math.exp(a - b)) + b;
}

/**
 * log(eˣ − eʸ) for x ≥ y without overflow; −∞ stands for 0. Returns NaN when y > x (a negative result), which
 * the accountant treats as "no bound at this order", like Opacus's nanargmin.
 * @example logSub(Math.log(5), Math.log(3)) // ≈ Math.log(2)
 */
export function logSub(x: number, y: number): number {
  if (y > x) return NaN;
  if (y === -Infinity) return x;
  if (x === y) return -Infinity;
  const d = x - y;
  // expm1 overflows past ~709; then eʸ is negligible next to eˣ.
  return d > 700 ? x : Math.log(Math.expm1(d)) + y;
}

/**
 * erfc(x) = 1 − erf(x) to about 1e-14 relative: a positive-term series for erf below 2, Lentz's continued fraction
 * (Laplace) above; for x < 0, 2 − erfc(−x).
 * @example erfc(1) // 0.15729920705028513
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  return Math.exp(-x * x + logCf(x)) / Math.sqrt(Math.PI);
}

/**
 * log(erfc(x)) without underflow for large x (erfc(30) ≈ 1e-393 is below the smallest double, its log is not).
 * @example logErfc(30) // ≈ −903.8
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x < 2) return Math.log(erfc(x));
  return -x * x + logCf(x) - 0.5 * Math.log(Math.PI);
}

/** erf(x) = (2/√π)·e^(−x²)·Σ (2x²)ⁿ·x/(2n+1)!!, every term positive, for 0 ≤ x < 2. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * log K(x) where erfc(x) = e^(−x²)/√π · K(x), K(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified
 * Lentz method; converges quickly for x ≥ 2.
 */
function logCf(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/**
 * log|C(α, i)| and the sign of the generalised binomial coefficient C(α, i) = α(α−1)…(α−i+1)/i! for real α.
 * @example logAbsBinomial(5, 2) // { log: Math.log(10), sign: 1 }
 */
export function logAbsBinomial(alpha: number, i: number): { log: number; sign: 1 | -1 | 0 } {
  let log = 0;
  let sign: 1 | -1 | 0 = 1;
  for (let k = 0; k < i; k++) {
    const f = alpha - k;
    if (f === 0) return { log: -Infinity, sign: 0 };
    if (f < 0) sign = sign === 1 ? -1 : 1;
    log += Math.log(Math.abs(f)) - Math.log(k + 1);
  }
  return { log, sign };
}
