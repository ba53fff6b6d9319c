/**
 * The q-th percentile (0 <= q <= 100) of `values` by linear interpolation between order
 * statistics, numpy's default (`np.percentile(values, q)`, method 'linear', Hyndman & Fan 1996
 * type 7): with x_(0) <= ... <= x_(n-1) sorted and h = (n - 1) q / 100,
 *
 *   percentile = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h)).
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`Expected a percentile from 0 to 100, got ${q}`);
  const n = values.length;
  if (n === 0) throw new RangeError('The percentile of an empty set of scores is undefined');
  const sorted = Float64Array.from(values);
  for (const v of sorted)
    if (Number.isNaN(v)) throw new RangeError('Cannot take a percentile of scores holding NaN');
  sorted.sort();
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1]!;
  const t = h - lo;
  const a = sorted[lo]!;
  const b = sorted[lo + 1]!;
  // numpy's lerp: from the nearer end, so t = 1 returns b exactly.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
