import { describe, expect, it } from 'vitest';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { calibratedThreshold } from '../../lib/replication/calibrated-threshold.ts';
import { replicationAudit } from '../../lib/replication/replication-audit.ts';
import { replicationRate } from '../../lib/replication/replication-rate.ts';
import { Rng } from '../../lib/rng.ts';
import { blobImages } from '../fixtures/replication/blob-images.ts';

// No copies: generated, train and test are independent draws from one distribution, so a
// generated image reaches the held-out q-th percentile as often as a held-out image does: the rate
// at the calibrated threshold is 1 - q/100 up to sampling error. The rate r = 1 - F(t_hat) on n_gen
// draws, with t_hat estimated from n_test draws, has variance about p(1-p)(1/n_gen + 1/n_test);
// the assertions allow 4.5 standard deviations (a false failure about once in 150,000 seeds).
const N = 4000;
const rng = Rng.stream(2023, 'replication-no-copies');
const gaussian = (rows: number, cols: number) =>
  featureMatrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => rng.normal()),
  );

const embeddings = { generated: gaussian(N, 32), train: gaussian(300, 32), test: gaussian(N, 32) };
const images = {
  generated: blobImages(rng, N, 16, 16),
  train: blobImages(rng, 300, 16, 16),
  test: blobImages(rng, N, 16, 16),
};
const audit = await replicationAudit(
  { embeddings, images },
  {
    topK: 5,
    calibrationPercentile: 99,
    splitProductChunks: 4,
    pixel: { candidates: 4, grid: { rows: 4, cols: 4 } },
  },
  referenceEngine,
);

const tolerance = (p: number) => 4.5 * Math.sqrt(p * (1 - p) * (2 / N));

describe('a generated set with no copies', () => {
  for (const kind of ['cosine', 'split-product', 'normalised-l2', 'tiled-l2', 'nn-ratio'] as const)
    it(`${kind}: rate ~ 1% at the 99th-percentile calibration, ~10% at the 90th`, () => {
      const s = audit.scores.find((x) => x.kind === kind)!;
      expect(s.generated.scores.length).toBe(N);
      expect(Math.abs(s.calibrated.rate - 0.01)).toBeLessThan(tolerance(0.01));
      const at90 = calibratedThreshold(s.test.scores, s.direction, 90);
      const rate90 = replicationRate(s.generated, at90.threshold, s.direction).rate;
      expect(Math.abs(rate90 - 0.1)).toBeLessThan(tolerance(0.1));
    });
});
