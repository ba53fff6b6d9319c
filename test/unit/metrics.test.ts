import { describe, expect, it } from 'vitest';
import { fixtureMatrix as matrix, metricFixtures as fixtures } from '../helpers/metric-fixtures.ts';
import {
  accuracy,
  classHistogramDistance,
  confusionMatrix,
} from '../../lib/metrics/class-metrics.ts';
import { fid, frechetDistance } from '../../lib/metrics/fid.ts';
import { gaussianStats } from '../../lib/metrics/gaussian-stats.ts';
import { precisionRecall } from '../../lib/metrics/precision-recall.ts';

describe('FID', () => {
  it('matches the closed form for diagonal covariances: |mu1-mu2|^2 + sum (a_i + b_i - 2 sqrt(a_i b_i))', () => {
    const a = [4, 1, 9];
    const b = [1, 16, 4];
    const diag = (v: number[]) =>
      Float64Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? v[i / 4]! : 0));
    const value = frechetDistance(
      { n: 10, dim: 3, mean: Float64Array.from([1, 2, 3]), cov: diag(a) },
      { n: 10, dim: 3, mean: Float64Array.from([0, 2, 5]), cov: diag(b) },
    );
    // (1 + 0 + 4) + (4+1-4) + (1+16-8) + (9+4-12) = 5 + 1 + 9 + 1
    expect(value).toBeCloseTo(16, 10);
  });

  it('is zero for a set against itself', () => {
    const x = matrix(fixtures.fid[0]!.real);
    expect(Math.abs(fid(x, x))).toBeLessThan(1e-8);
  });

  it('matches scipy.linalg.sqrtm-based FID on random non-commuting covariances within 1e-6 relative', () => {
    for (const c of fixtures.fid) {
      const value = fid(matrix(c.real), matrix(c.fake));
      expect(Math.abs(value - c.fid) / c.fid).toBeLessThan(1e-6);
    }
  });

  it('computes the unbiased covariance (divides by n - 1)', () => {
    const stats = gaussianStats(matrix([[1], [2], [3], [4]]));
    expect(stats.mean[0]).toBe(2.5);
    expect(stats.cov[0]).toBeCloseTo(5 / 3, 12);
    expect(() => gaussianStats(matrix([[1]]))).toThrowError(
      'Covariance needs at least 2 samples, got 1',
    );
  });

  it('refuses feature sets of different widths', () => {
    expect(() =>
      fid(
        matrix([
          [1, 2],
          [3, 4],
        ]),
        matrix([[1], [2]]),
      ),
    ).toThrowError('FID: the two feature sets have 2 and 1 dimensions; they must match');
  });
});

describe('improved precision and recall', () => {
  it('matches the numpy reference (k = 3 and k = 5)', () => {
    const { real, fake, results } = fixtures.precisionRecall;
    for (const expected of results) {
      const got = precisionRecall(matrix(real), matrix(fake), expected.k);
      expect(got.precision).toBeCloseTo(expected.precision, 12);
      expect(got.recall).toBeCloseTo(expected.recall, 12);
    }
  });

  it('is 1 and 1 for identical sets', () => {
    const x = matrix(fixtures.precisionRecall.real);
    expect(precisionRecall(x, x, 3)).toEqual({ precision: 1, recall: 1, k: 3 });
  });

  it('follows a hand-computed 1-D case', () => {
    // real {0, 1, 2, 10}, k = 1: radii 1, 1, 1, 8 -> fake {0.5, 5, 20}: 0.5 in ball of 0, 5 in ball of 10 (|5-10| <= 8), 20 not: precision 2/3
    // fake radii k = 1: 0.5 -> 4.5, 5 -> 4.5, 20 -> 15: real 0, 1, 2 within 4.5 of 0.5; 10 within 15 of 20: recall 1
    const got = precisionRecall(matrix([[0], [1], [2], [10]]), matrix([[0.5], [5], [20]]), 1);
    expect(got.precision).toBeCloseTo(2 / 3, 12);
    expect(got.recall).toBe(1);
  });

  it('explains a k too large for the sets', () => {
    expect(() =>
      precisionRecall(matrix([[0], [1], [2]]), matrix([[0], [1], [2], [3]]), 3),
    ).toThrowError('precision/recall: the real set has 3 samples; k = 3 needs more than k');
  });
});

describe('class metrics', () => {
  it('total variation distance between class histograms', () => {
    expect(classHistogramDistance([10, 10], [10, 10])).toBe(0);
    expect(classHistogramDistance([5, 0], [0, 7])).toBe(1);
    expect(classHistogramDistance([3, 1], [1, 1])).toBeCloseTo(0.25, 12); // (|0.75-0.5| + |0.25-0.5|)/2
  });

  it('confusion matrix and accuracy', () => {
    const m = confusionMatrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], 3);
    expect(m).toEqual([
      [1, 1, 0],
      [1, 2, 0],
      [0, 0, 1],
    ]);
    const acc = accuracy(m);
    expect(acc.overall).toBeCloseTo(4 / 6, 12);
    expect(acc.perClass).toEqual([0.5, 2 / 3, 1]);
    expect(() => confusionMatrix([3], [0], 3)).toThrowError(
      'Sample 0: label 3 or prediction 0 is outside 0..2',
    );
  });
});
