import { normalQuantile } from './normal.ts';

/** An accuracy k / n with its confidence interval. */
export interface AccuracyInterval {
  correct: number;
  count: number;
  accuracy: number;
  low: number;
  high: number;
  /** The coverage of [low, high], e.g. 0.95. */
  level: number;
}

/**
 * The Wilson score interval (Wilson 1927) of a binomial proportion p = k / n at confidence
 * `level`, with z = z_{(1 + level) / 2} (1.96 for 95%):
 *
 *   centre = (p + z^2 / (2n)) / (1 + z^2 / n)
 *   half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
 *
 * Unlike p +- z sqrt(p (1 - p) / n) it stays inside [0, 1] and is not empty at p = 0 or 1.
 */
export function wilsonInterval(correct: number, count: number, level = 0.95): AccuracyInterval {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`Expected a positive whole count, got ${count}`);
  if (!Number.isInteger(correct) || correct < 0 || correct > count)
    throw new RangeError(`Expected 0 <= correct <= ${count}, got ${correct}`);
  const z = normalQuantile((1 + level) / 2);
  const n = count;
  const p = correct / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return {
    correct,
    count,
    accuracy: p,
    // the interval always holds p; at p = 0 and p = 1 its end is exactly 0 or 1
    low: correct === 0 ? 0 : Math.min(p, centre - half),
    high: correct === count ? 1 : Math.max(p, centre + half),
    level,
  };
}
