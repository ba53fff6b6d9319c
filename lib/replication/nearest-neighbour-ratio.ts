/** Gu et al. 2023's cut-off: memorised when the nearest is 3 times closer than the second nearest. */
export const GU_RATIO_THRESHOLD = 1 / 3;

/**
 * The nearest / second-nearest distance ratio (Gu et al. 2023, "On Memorization in Diffusion
 * Models", after Yoon et al. 2023): l2(x, NN1) / l2(x, NN2), memorised below 1/3. Scale-free, so
 * plain and normalised L2 give the same ratio. When both distances are 0 (x equals two identical
 * training images) the ratio is taken as 1: no single training image stands out, which is what the
 * ratio measures; the normalised L2 still flags such a copy.
 */
export function nearestNeighbourRatio(nearest: number, secondNearest: number): number {
  if (!(nearest >= 0 && secondNearest >= nearest))
    throw new RangeError(
      `nearest-neighbour ratio: expected 0 <= nearest <= second nearest, got ${nearest} and ${secondNearest}`,
    );
  return secondNearest === 0 ? 1 : nearest / secondNearest;
}
