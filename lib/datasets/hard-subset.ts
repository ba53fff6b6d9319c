/**
 * A hard test subset (the offline stand-in for ImageNet-A): the test images that at least
 * `minWrong` of k reference classifiers misclassify.
 */

/** The default threshold: a strict majority of the k classifiers. */
export function majorityOf(k: number): number {
  return Math.floor(k / 2) + 1;
}

/** How many of the prediction vectors get each image wrong. */
export function wrongCounts(
  labels: ArrayLike<number>,
  predictions: readonly ArrayLike<number>[],
): number[] {
  predictions.forEach((p, j) => {
    if (p.length !== labels.length)
      throw new RangeError(
        `Prediction vector ${j} has ${p.length} entries for ${labels.length} images`,
      );
  });
  return Array.from({ length: labels.length }, (_, i) =>
    predictions.reduce((n, p) => n + (p[i] !== labels[i] ? 1 : 0), 0),
  );
}

/** The indices, ascending, of the images at least `minWrong` (1 to k) of the predictions get wrong. */
export function hardRows(
  labels: ArrayLike<number>,
  predictions: readonly ArrayLike<number>[],
  minWrong: number,
): number[] {
  if (!Number.isInteger(minWrong) || minWrong < 1 || minWrong > predictions.length)
    throw new RangeError(
      `Expected minWrong to be a whole number from 1 to ${predictions.length}, got \`${minWrong}\``,
    );
  const rows: number[] = [];
  wrongCounts(labels, predictions).forEach((n, i) => n >= minWrong && rows.push(i));
  return rows;
}
