import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/**
 * Feature standardisation fitted on the training rows only: x' = (x - mean) / sd per column, with
 * the population standard deviation sd = sqrt((1/n) sum (x - mean)^2). A constant column (sd = 0)
 * is only centred, so it becomes 0 and carries no weight.
 */
export interface Standardizer {
  mean: Float64Array;
  /** 1 / sd, or 1 for a constant column. */
  scale: Float64Array;
}

export function fitStandardizer(x: FeatureMatrix): Standardizer {
  const { rows: n, cols: d, data } = x;
  if (n < 1) throw new RangeError('Expected at least one row to standardise on');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const ss = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) ss[j]! += (data[i * d + j]! - mean[j]!) ** 2;
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(ss[j]! / n);
    scale[j] = sd > 0 ? 1 / sd : 1;
  }
  return { mean, scale };
}

/** The standardised copy of `x` (any rows: training or test). */
export function standardize(
  x: FeatureMatrix,
  s: Standardizer,
): { rows: number; cols: number; data: Float64Array } {
  const { rows: n, cols: d, data } = x;
  if (d !== s.mean.length) throw new RangeError(`Expected ${s.mean.length} features, got ${d}`);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j]! - s.mean[j]!) * s.scale[j]!;
  return { rows: n, cols: d, data: out };
}
