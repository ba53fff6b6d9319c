/**
 * Total variation distance between two class histograms after normalising each to a distribution:
 * TV(p, q) = 1/2 sum_c |p_c - q_c|, in [0, 1] (0: same class balance, 1: disjoint classes).
 */
export function classHistogramDistance(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length)
    throw new RangeError(`Histograms over ${a.length} and ${b.length} classes cannot be compared`);
  const sa = a.reduce((x, y) => x + y, 0);
  const sb = b.reduce((x, y) => x + y, 0);
  if (sa <= 0 || sb <= 0) throw new RangeError('Histograms must hold at least one sample each');
  let tv = 0;
  for (let c = 0; c < a.length; c++) tv += Math.abs(a[c]! / sa - b[c]! / sb);
  return tv / 2;
}

/** confusion[t][p] = number of samples of true class t predicted as p. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (truth.length !== predicted.length)
    throw new RangeError(`${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (t < 0 || t >= classes || p < 0 || p >= classes)
      throw new RangeError(
        `Sample ${i}: label ${t} or prediction ${p} is outside 0..${classes - 1}`,
      );
    m[t]![p]!++;
  }
  return m;
}

/** Accuracy = trace(confusion) / total; per-class accuracy = diagonal / row sum (NaN for an empty class). */
export function accuracy(confusion: number[][]): { overall: number; perClass: number[] } {
  let correct = 0;
  let total = 0;
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((x, y) => x + y, 0);
    correct += row[c]!;
    total += n;
    return n === 0 ? NaN : row[c]! / n;
  });
  return { overall: total === 0 ? NaN : correct / total, perClass };
}

/**
 * The predicted class of each row of a row-major `rows` x `cols` score matrix (logits or
 * probabilities): the index of the row's largest value, the lowest such index on ties. A NaN score
 * never wins (a row of NaNs predicts class 0).
 */
export function argmaxRows(scores: ArrayLike<number>, rows: number, cols: number): Uint8Array {
  if (scores.length !== rows * cols)
    throw new RangeError(`${scores.length} scores do not make ${rows} rows of ${cols}`);
  if (cols < 1 || cols > 256) throw new RangeError(`Expected 1 to 256 classes, got ${cols}`);
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) {
      const v = scores[r * cols + c]!;
      const b = scores[r * cols + best]!;
      if (v > b || (Number.isNaN(b) && !Number.isNaN(v))) best = c;
    }
    out[r] = best;
  }
  return out;
}

/** What a classifier's evaluation on one labelled set reports (STUDIES.md "Metrics, defined once"). */
export interface ClassificationReport {
  count: number;
  accuracy: number;
  /** Correct / images of the class; null for a class with no images. */
  perClassAccuracy: (number | null)[];
  /** confusion[t][p]: images of true class t predicted as p. */
  confusion: number[][];
}

/** Accuracy, per-class accuracy and the confusion matrix of predictions against labels. */
export function classificationReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  const confusion = confusionMatrix(truth, predicted, classes);
  const { overall, perClass } = accuracy(confusion);
  return {
    count: truth.length,
    accuracy: overall,
    perClassAccuracy: perClass.map((a) => (Number.isNaN(a) ? null : a)),
    confusion,
  };
}
