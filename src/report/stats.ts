/** Summary statistics over runs: mean, sample standard deviation, median. */

/** Mean and sample standard deviation (n − 1); std is 0 for a single value. */
export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * @example meanStd([1, 2, 3]) // { mean: 2, std: 1 }
 */
export function meanStd(values: number[]): MeanStd {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, std: 0 };
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (values.length - 1)) };
}

/**
 * Median (mean of the two middle values for an even count).
 * @example median([3, 1, 2]) // 2
 */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
