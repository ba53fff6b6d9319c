import { trainAndTestDetector, type DetectorModelSpec } from '../../../lib/detection/detector.ts';
import { logRadialProfiles } from '../../../lib/detection/power-spectrum.ts';
import type { FeatureMatrix } from '../../../lib/metrics/feature-matrix.ts';
import { Rng } from '../../../lib/rng.ts';
import type { DetectorFeatureKind } from '../../../lib/studies/detection-result.ts';

/** The rows of one side (train or test): packed 8-bit images, or feature rows, and labels. */
export interface DetectorRows {
  count: number;
  /** count x H x W x C pixels (features `pixels` and `log-spectrum`). */
  pixels?: Uint8Array;
  /** count x cols features (features `embedding`). */
  features?: Float32Array | Float64Array;
  cols?: number;
  /** 0 real, 1 generated. */
  labels: Uint8Array;
}

/** The feature matrix of `kind` for a side's rows. */
function featuresOf(
  kind: DetectorFeatureKind,
  rows: DetectorRows,
  shape: { width: number; height: number; channels: number },
): FeatureMatrix {
  if (kind === 'embedding') return { rows: rows.count, cols: rows.cols!, data: rows.features! };
  if (kind === 'log-spectrum') return logRadialProfiles(rows.pixels!, rows.count, shape);
  const cols = shape.width * shape.height * shape.channels;
  return {
    rows: rows.count,
    cols,
    data: Float64Array.from(rows.pixels!.subarray(0, rows.count * cols), (p) => p / 255),
  };
}

/** Features, then a detector trained and tested (lib/detection/detector.ts); randomness from seed + stream. */
export default (a: {
  features: DetectorFeatureKind;
  shape: { width: number; height: number; channels: number };
  train: DetectorRows;
  test: DetectorRows;
  model: DetectorModelSpec;
  seed: number;
  stream: string;
}) => {
  const train = featuresOf(a.features, a.train, a.shape);
  const test = featuresOf(a.features, a.test, a.shape);
  const evaluation = trainAndTestDetector(
    { train, trainLabels: a.train.labels, test, testLabels: a.test.labels },
    a.model,
    Rng.stream(a.seed, a.stream),
  );
  return { ...evaluation, dims: train.cols };
};
