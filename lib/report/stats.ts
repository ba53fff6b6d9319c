/** A mean over replicates (e.g. seeds) and its standard error (NaN with fewer than two values). */
export interface MeanSe {
  mean: number;
  se: number;
  n: number;
}

/**
 * Mean and standard error of the mean, s / sqrt(n) with the sample standard deviation
 * s = sqrt(sum (x - mean)^2 / (n - 1)); the mean is NaN for n = 0 and the error NaN for n < 2.
 */
export function meanSe(values: readonly number[]): MeanSe {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { mean, se: NaN, n };
  const ss = values.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1) / n), n };
}

/**
 * `81.23 +- 0.40` (`scale` 100 for percent), the mean alone for a single value, `-` for none.
 */
export function formatMeanSe(v: MeanSe, { scale = 1, digits = 2 } = {}): string {
  if (!Number.isFinite(v.mean)) return '-';
  const mean = (scale * v.mean).toFixed(digits);
  return Number.isFinite(v.se) ? `${mean} +- ${(scale * v.se).toFixed(digits)}` : mean;
}
