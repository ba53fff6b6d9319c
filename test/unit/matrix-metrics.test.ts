import { describe, expect, it } from 'vitest';
import { fixtureMatrix as matrix, metricFixtures as fixtures } from '../helpers/metric-fixtures.ts';
import { InputError } from '../../lib/input-error.ts';
import { reduceToBand } from '../../lib/math/band-reduction.ts';
import { bandToTridiagonal } from '../../lib/math/band-to-tridiagonal.ts';
import { pureMatMulTransposed } from '../../lib/math/mat-mul.ts';
import { pivotedCholesky } from '../../lib/math/pivoted-cholesky.ts';
import { symmetricEigen } from '../../lib/math/symmetric-eigen.ts';
import {
  symmetricEigenvalues,
  tridiagonalEigenvalues,
} from '../../lib/math/symmetric-eigenvalues.ts';
import { twoStageSymmetricEigenvalues } from '../../lib/math/two-stage-eigenvalues.ts';
import { engineMatMul } from '../../lib/matrix/engine-mat-mul.ts';
import { OnnxMatrixEngine } from '../../lib/matrix/onnx-engine.ts';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix, type FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import {
  fid,
  fidWithEngine,
  frechetDistance,
  frechetDistanceWithEngine,
} from '../../lib/metrics/fid.ts';
import { GaussianAccumulator, gaussianStats } from '../../lib/metrics/gaussian-stats.ts';
import { precisionRecall, precisionRecallWithEngine } from '../../lib/metrics/precision-recall.ts';
import { Rng } from '../../lib/rng.ts';

const engine = new OnnxMatrixEngine({ threads: 2 });
const rng = Rng.stream(3, 'matrix-metrics');

function randomSymmetric(n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

/** X^T X / (rows - 1) of a random rows x d Gaussian matrix: rank min(rows - 1, d) after centring. */
function covarianceOfRows(rows: number, d: number, mean = 0): FeatureMatrix {
  return featureMatrix(
    rows,
    d,
    Float64Array.from({ length: rows * d }, () => mean + rng.normal()),
  );
}

describe('eigenvalues only', () => {
  it('match the closed form of the second-difference matrix: 2 - 2 cos(k pi / (n + 1))', async () => {
    const n = 37;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
    }
    const expected = Array.from(
      { length: n },
      (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)),
    );
    for (const values of [
      symmetricEigenvalues(a, n),
      await twoStageSymmetricEigenvalues(a, n, pureMatMulTransposed, 4),
    ])
      values.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 12));
  });

  it('two-stage on the engine (its GEMM for the band reduction) match the unblocked loops', async () => {
    const n = 70;
    const a = randomSymmetric(n);
    const plain = symmetricEigenvalues(a, n);
    const onEngine = await twoStageSymmetricEigenvalues(a, n, engineMatMul(engine), 16);
    for (let i = 0; i < n; i++) expect(onEngine[i]).toBeCloseTo(plain[i]!, 11);
  });

  it('match the full JAMA-style decomposition on random matrices, two-stage or not, any band', async () => {
    // bands of 1 (tridiagonal at once), narrower than, equal to and wider than n - 1
    for (const [n, band] of [
      [1, 5],
      [2, 1],
      [3, 1],
      [9, 8],
      [9, 20],
      [17, 4],
      [64, 5],
      [64, 1],
      [40, 7],
    ] as const) {
      const a = randomSymmetric(n);
      const expected = symmetricEigen(a, n).values;
      const twoStage = await twoStageSymmetricEigenvalues(a, n, pureMatMulTransposed, band);
      const plain = symmetricEigenvalues(a, n);
      for (let i = 0; i < n; i++) {
        expect(twoStage[i]).toBeCloseTo(expected[i]!, 11);
        expect(plain[i]).toBeCloseTo(expected[i]!, 11);
      }
    }
  });

  it('of a rank-20 PSD matrix: 80 zero eigenvalues found, one-stage and two-stage', async () => {
    const [n, rank] = [100, 20];
    const g = Float64Array.from({ length: n * rank }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += g[i * rank + k]! * g[j * rank + k]!;
        a[i * n + j] = s;
      }
    const expected = symmetricEigen(a, n).values;
    for (const values of [
      symmetricEigenvalues(a, n),
      await twoStageSymmetricEigenvalues(a, n, pureMatMulTransposed),
      await twoStageSymmetricEigenvalues(a, n, pureMatMulTransposed, 7),
    ]) {
      for (let i = 0; i < n; i++) expect(values[i]! - expected[i]!).toBeCloseTo(0, 10);
      expect(values.filter((v) => Math.abs(v) < 1e-9)).toHaveLength(n - rank);
    }
  });

  it('the band stage leaves a band similar to A, and the chase a tridiagonal one', async () => {
    // Similar matrices share the Frobenius norm: sum of squares kept by each orthogonal stage,
    // and every entry outside the band is zero (it is not even stored).
    const [n, band] = [30, 4];
    const a = randomSymmetric(n);
    const frobenius = a.reduce((s, v) => s + v * v, 0);
    const lower = await reduceToBand(a, n, band, pureMatMulTransposed);
    let bandSum = 0;
    for (let i = 0; i < n; i++)
      for (let t = 0; t <= Math.min(i, band + 1); t++)
        bandSum += (t === 0 ? 1 : 2) * lower[i * (band + 2) + t]! ** 2;
    expect(bandSum).toBeCloseTo(frobenius, 9);
    const { diagonal, offDiagonal } = bandToTridiagonal(lower, n, band);
    const tridiagonalSum =
      diagonal.reduce((s, v) => s + v * v, 0) + 2 * offDiagonal.reduce((s, v) => s + v * v, 0);
    expect(tridiagonalSum).toBeCloseTo(frobenius, 9);
    const values = tridiagonalEigenvalues(diagonal, offDiagonal).sort();
    const expected = symmetricEigenvalues(a, n);
    for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(expected[i]!, 11);
  });
});

describe('pivoted Cholesky', () => {
  // Panels of 2 and 3 shrink the compact Schur complement several times before the rank is found.
  it.each([
    [12, 6, 2, 5],
    [30, 200, 3, 30],
    [30, 12, 4, 11],
  ])(
    'reconstructs the %i-dim covariance of %i rows (panel %i) and reports its rank %i',
    async (d, rows, panel, expectedRank) => {
      const stats = gaussianStats(covarianceOfRows(rows, d));
      const { factorTransposed: gt, rank } = await pivotedCholesky(
        stats.cov,
        d,
        pureMatMulTransposed,
        { panel },
      );
      expect(rank).toBe(expectedRank);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let t = 0; t < rank; t++) s += gt[t * d + i]! * gt[t * d + j]!;
          expect(s).toBeCloseTo(stats.cov[i * d + j]!, 12);
        }
    },
  );
});

describe('FID on the matrix engine', () => {
  it('matches scipy.linalg.sqrtm-based FID (the fixtures) within 1e-6 relative', async () => {
    for (const c of fixtures.fid) {
      const value = await fidWithEngine(matrix(c.real), matrix(c.fake), engine);
      expect(Math.abs(value - c.fid) / c.fid).toBeLessThan(1e-6);
    }
  });

  // Singular covariances: Tr sqrt is ill-conditioned at zero eigenvalues (sqrt of a rounding-size
  // eigenvalue ~ sqrt(2^-52 |S|) each), in the reference as much as here: a looser tolerance.
  it('agrees with the pure reference on full-rank, rank-deficient and far-from-origin sets', async () => {
    for (const [rowsA, rowsB, d, mean, tolerance] of [
      [300, 250, 40, 0, 1e-10],
      [30, 300, 40, 0, 1e-7], // S1 singular (rank 29)
      [300, 25, 40, 0, 1e-7], // S2 singular: the pivoted Cholesky stops at rank 24
      // S1 of rank 49 in 200 dims: 151 zero eigenvalues of G^T S1 G (a QL deflating only
      // relative to neighbouring diagonal entries stalled on these)
      [50, 600, 200, 0, 1e-7],
      // |mean| / std = 1e5: each mean carries ~sqrt(n) 2^-53 1e5 ~ 2e-10 of summation rounding,
      // different in the two (sums in different orders), which reaches the FID (~1) through
      // |mu_1 - mu_2|^2 (differences ~0.05 per dimension)
      [400, 400, 16, 1e5, 1e-9],
    ] as const) {
      const a = covarianceOfRows(rowsA, d, mean);
      const b = covarianceOfRows(rowsB, d, mean * 1.0000001);
      const expected = fid(a, b);
      const actual = await fidWithEngine(a, b, engine);
      expect(Math.abs(actual - expected) / expected).toBeLessThan(tolerance);
    }
  });

  it('agrees with the pure reference above 384 dims, where the eigenvalues take the two-stage path', async () => {
    for (const [rowsA, rowsB, tolerance] of [
      [900, 800, 1e-10],
      [100, 800, 1e-7], // S1 of rank 99; S2 full rank 400 > 384: two-stage, 301 zero eigenvalues
    ] as const) {
      const a = covarianceOfRows(rowsA, 400, 3);
      const b = covarianceOfRows(rowsB, 400, 3.1);
      const expected = fid(a, b);
      const actual = await fidWithEngine(a, b, engine);
      expect(Math.abs(actual - expected) / expected).toBeLessThan(tolerance);
    }
  });

  it('with float32 covariances stays within 1e-6 relative of the float64 reference', async () => {
    const a = covarianceOfRows(3000, 24, 50);
    const b = covarianceOfRows(2500, 24, 50.1);
    const expected = fid(a, b);
    const actual = await fidWithEngine(a, b, engine, { covariance: 'float32' });
    expect(Math.abs(actual - expected) / expected).toBeLessThan(1e-6);
  });

  it('is zero for identical statistics and matches the diagonal closed form', async () => {
    const stats = gaussianStats(covarianceOfRows(50, 10));
    expect(Math.abs(await frechetDistanceWithEngine(stats, stats, engine))).toBeLessThan(1e-10);
    const diag = (v: number[]) =>
      Float64Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? v[i / 4]! : 0));
    const a = { n: 10, dim: 3, mean: Float64Array.from([1, 2, 3]), cov: diag([4, 1, 9]) };
    const b = { n: 10, dim: 3, mean: Float64Array.from([0, 2, 5]), cov: diag([1, 16, 4]) };
    expect(await frechetDistanceWithEngine(a, b, engine)).toBeCloseTo(16, 10);
    expect(frechetDistance(a, b)).toBeCloseTo(16, 10);
  });

  it('names the input holding NaN', async () => {
    const x = covarianceOfRows(5, 3);
    const bad = covarianceOfRows(5, 3);
    bad.data[4] = NaN;
    await expect(fidWithEngine(x, bad, engine)).rejects.toThrow(InputError);
    await expect(fidWithEngine(x, bad, engine)).rejects.toThrow(/fake features/);
  });
});

describe('streamed Gaussian statistics', () => {
  it('keep their precision when |mean| >> std (shifted algorithm) and agree with two-pass', () => {
    const x = covarianceOfRows(200, 5, 1e8);
    const accumulator = new GaussianAccumulator(5);
    accumulator.update(featureMatrix(80, 5, x.data.subarray(0, 400)));
    accumulator.update(featureMatrix(120, 5, x.data.subarray(400)));
    const streamed = accumulator.stats();
    const reference = gaussianStats(x);
    for (let i = 0; i < 25; i++) expect(streamed.cov[i]).toBeCloseTo(reference.cov[i]!, 6);
  });
});

describe('precision/recall on the matrix engine', () => {
  it('matches the numpy reference (k = 3 and k = 5)', async () => {
    const { real, fake, results } = fixtures.precisionRecall;
    for (const expected of results) {
      const got = await precisionRecallWithEngine(matrix(real), matrix(fake), expected.k, engine);
      expect(got.precision).toBeCloseTo(expected.precision, 12);
      expect(got.recall).toBeCloseTo(expected.recall, 12);
    }
  });

  it('equals the pure reference with duplicates (zero radii) and far from the origin', async () => {
    const base = covarianceOfRows(150, 6, 1e4);
    const real = featureMatrix(200, 6, new Float64Array(1200));
    real.data.set(base.data);
    real.data.set(base.data.subarray(0, 300), 900); // rows 150..199 repeat rows 0..49
    const fake = covarianceOfRows(180, 6, 1e4);
    fake.data.set(base.data.subarray(0, 60), 0); // fake rows 0..9 are copies of real rows
    for (const k of [1, 3]) {
      const expected = precisionRecall(real, fake, k);
      expect(await precisionRecallWithEngine(real, fake, k, engine)).toEqual(expected);
      expect(await precisionRecallWithEngine(real, fake, k, referenceEngine)).toEqual(expected);
    }
  });
});
