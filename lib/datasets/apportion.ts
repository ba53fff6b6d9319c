/** Splits `total` in proportion to `weights` by largest remainders (ties to the lower index). */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new RangeError('Cannot apportion over empty weights');
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = total - out.reduce((a, b) => a + b, 0), j = 0; r > 0; r--, j++) out[order[j]![1]]!++;
  return out;
}
