/**
 * The standard normal distribution's upper tail and quantile, computed from its density alone (no
 * tabulated approximation): what the per-bin significance threshold and the Wilson interval need.
 *
 *   phi(t) = exp(-t^2 / 2) / sqrt(2 pi),   Q(z) = P(Z > z) = integral_z^inf phi(t) dt.       (1)
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Beyond z + 12 the density is below phi(z) exp(-72): nothing a double can hold is left. */
const TAIL_SPAN = 12;
const INTERVALS = 16384;

/** The density phi(t) of (1). */
export function normalDensity(t: number): number {
  return Math.exp(-0.5 * t * t) / SQRT_2PI;
}

/**
 * Q(z) of (1). For z >= 0, composite Simpson's rule on [z, z + 12] (16,384 intervals: the error,
 * of order h^4 max|phi''''|, is below 1e-11 relative for z <= 8); for z < 0, Q(z) = 1 - Q(-z).
 */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 1 - normalUpperTail(-z);
  if (!Number.isFinite(z)) return 0;
  const h = TAIL_SPAN / INTERVALS;
  let sum = normalDensity(z) + normalDensity(z + TAIL_SPAN);
  for (let i = 1; i < INTERVALS; i++) sum += (i % 2 ? 4 : 2) * normalDensity(z + i * h);
  return (sum * h) / 3;
}

/**
 * The quantile z_p with P(Z <= z_p) = p, for 0 < p < 1: bisection on Q (monotone), to the
 * precision of a double.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Expected a probability in (0, 1), got ${p}`);
  if (p < 0.5) return -normalQuantile(1 - p);
  const tail = 1 - p;
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (normalUpperTail(mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
