import type { ScoreDirection } from './score-direction.ts';
import { isBeyond } from './score-direction.ts';

/** Each query's best score and the training image that gave it. */
export interface BestMatches {
  /** Best score per query image. */
  scores: Float64Array;
  /** Training index of that best score per query image. */
  train: Int32Array;
}

export interface FlaggedPair {
  generated: number;
  train: number;
  score: number;
}

export interface ReplicationRate {
  threshold: number;
  direction: ScoreDirection;
  /** Generated images beyond the threshold. */
  flaggedCount: number;
  /** flaggedCount / generated count (Somepalli et al. 2023: 1.88% of Stable Diffusion generations above 0.5). */
  rate: number;
  /** Distinct training images that are the best match of a flagged image (many copies of one image count once). */
  distinctMatches: number;
  /** The flagged pairs, most copy-like first (ties: lower generated index first). */
  flagged: FlaggedPair[];
}

/** The replication rate of `best` at `threshold`: share flagged, distinct training images matched, flagged pairs. */
export function replicationRate(
  best: BestMatches,
  threshold: number,
  direction: ScoreDirection,
): ReplicationRate {
  const n = best.scores.length;
  if (best.train.length !== n)
    throw new RangeError(`Expected one match per score, got ${best.train.length} for ${n}`);
  const flagged: FlaggedPair[] = [];
  for (let i = 0; i < n; i++) {
    const score = best.scores[i]!;
    if (isBeyond(score, threshold, direction))
      flagged.push({ generated: i, train: best.train[i]!, score });
  }
  const sign = direction === 'higher-is-copy' ? -1 : 1;
  flagged.sort((a, b) => sign * (a.score - b.score) || a.generated - b.generated);
  return {
    threshold,
    direction,
    flaggedCount: flagged.length,
    rate: n === 0 ? 0 : flagged.length / n,
    distinctMatches: new Set(flagged.map((f) => f.train)).size,
    flagged,
  };
}
