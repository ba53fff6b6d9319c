import { percentile } from './percentile.ts';
import type { ScoreDirection } from './score-direction.ts';

/** The default calibration level: 1 in 1000 held-out real images is flagged by construction. */
export const DEFAULT_CALIBRATION_PERCENTILE = 99.9;

export interface CalibratedThreshold {
  threshold: number;
  direction: ScoreDirection;
  /** q: the share (100 - q)% of held-out images lie beyond the threshold. */
  percentile: number;
  calibrated: true;
}

/**
 * A threshold that fixed values cannot give across datasets: the level that only (100 - q)% of
 * held-out real images (never trained on) reach against the training set. For similarities that
 * is the q-th percentile of the held-out best scores, for distances the (100 - q)-th (numpy's
 * linear interpolation, `percentile.ts`). A replication rate at this threshold reads as "how much
 * more often than an unseen real image does a generated image match the training set this well".
 */
export function calibratedThreshold(
  heldOutScores: ArrayLike<number>,
  direction: ScoreDirection,
  q: number = DEFAULT_CALIBRATION_PERCENTILE,
): CalibratedThreshold {
  const level = direction === 'higher-is-copy' ? q : 100 - q;
  return {
    threshold: percentile(heldOutScores, level),
    direction,
    percentile: q,
    calibrated: true,
  };
}
