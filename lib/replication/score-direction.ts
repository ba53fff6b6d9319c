/**
 * Which side of a threshold a copy lies on: similarities (cosine, split product) flag a copy
 * above the threshold, distances (normalised L2, tiled L2, the nearest-neighbour ratio) below it.
 */
export type ScoreDirection = 'higher-is-copy' | 'lower-is-copy';

/**
 * Whether `score` lies strictly beyond `threshold` on the copy side. Strict, as in Somepalli et
 * al. 2023 (similarity "greater than 0.5") and Gu et al. 2023 (ratio "< 1/3"); Carlini et al. 2023
 * write "<= delta", which differs only on exact ties.
 */
export function isBeyond(score: number, threshold: number, direction: ScoreDirection): boolean {
  return direction === 'higher-is-copy' ? score > threshold : score < threshold;
}
