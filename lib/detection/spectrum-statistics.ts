import { normalQuantile } from './normal.ts';

/**
 * Statistics of the log radial profiles (power-spectrum.ts, (5)) of two image sets, per radius bin:
 * mean and standard deviation over each set (paper Figure 6), and how far apart the two means are
 * in standard errors.
 */

/** Mean and sample standard deviation of each column over n rows. */
export interface BinStatistics {
  count: number;
  mean: number[];
  std: number[];
}

/**
 * Per bin r over the rows i = 1..n: mean m_r = (1/n) sum_i x_ir and sample standard deviation
 * s_r = sqrt(sum_i (x_ir - m_r)^2 / (n - 1)) (0 for n = 1). Two passes, for accuracy.
 */
export function binStatistics(m: {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}): BinStatistics {
  const { rows: n, cols, data } = m;
  if (n < 1) throw new RangeError('Expected at least one profile');
  const mean = new Array<number>(cols).fill(0);
  for (let i = 0; i < n; i++) for (let r = 0; r < cols; r++) mean[r]! += data[i * cols + r]!;
  for (let r = 0; r < cols; r++) mean[r]! /= n;
  const ss = new Array<number>(cols).fill(0);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < cols; r++) ss[r]! += (data[i * cols + r]! - mean[r]!) ** 2;
  const std = ss.map((s) => (n > 1 ? Math.sqrt(s / (n - 1)) : 0));
  return { count: n, mean, std };
}

/**
 * Welch's z-score of the difference of the means of set b and set a in each bin:
 *
 *   z_r = (m_b,r - m_a,r) / sqrt(s_a,r^2 / n_a + s_b,r^2 / n_b),
 *
 * positive where b has more (log) power. With no spread in either set the ratio is 0 for equal
 * means and +-Infinity otherwise.
 */
export function welchZ(a: BinStatistics, b: BinStatistics): number[] {
  if (a.mean.length !== b.mean.length)
    throw new RangeError(`Expected equal bin counts, got ${a.mean.length} and ${b.mean.length}`);
  return a.mean.map((ma, r) => {
    const diff = b.mean[r]! - ma;
    const se = Math.sqrt(a.std[r]! ** 2 / a.count + b.std[r]! ** 2 / b.count);
    if (se > 0) return diff / se;
    return diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  });
}

/**
 * The two-sided critical |z| at family-wise level `alpha` over `bins` bins (Bonferroni): a bin is
 * significant when |z| > z_{1 - alpha / (2 bins)}. For 21 bins at alpha = 0.05: 3.04.
 */
export function bonferroniCriticalZ(bins: number, alpha = 0.05): number {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`Expected bins >= 1, got ${bins}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`Expected alpha in (0, 1), got ${alpha}`);
  return normalQuantile(1 - alpha / (2 * bins));
}
