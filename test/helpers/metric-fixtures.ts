import { readFileSync } from 'node:fs';
import { featureMatrix, type FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';

/** Reference values from numpy/scipy (test/fixtures/make-metric-fixtures.py), not from this code. */
export const metricFixtures = JSON.parse(
  readFileSync(new URL('../fixtures/metrics.json', import.meta.url), 'utf8'),
) as {
  fid: { real: number[][]; fake: number[][]; fid: number }[];
  precisionRecall: {
    real: number[][];
    fake: number[][];
    results: { k: number; precision: number; recall: number }[];
  };
};

/** Rows of a fixture as a float64 feature matrix. */
export const fixtureMatrix = (rows: number[][]): FeatureMatrix =>
  featureMatrix(rows.length, rows[0]!.length, Float64Array.from(rows.flat()));
