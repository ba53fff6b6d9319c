import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import type { TopK } from '../../lib/matrix/matrix-engine.ts';
import { FLOAT32_CHUNK_ROWS, OnnxMatrixEngine } from '../../lib/matrix/onnx-engine.ts';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix, type FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { Rng } from '../../lib/rng.ts';

const engine = new OnnxMatrixEngine({ threads: 2 });

function gaussian(rng: Rng, rows: number, cols: number, mean = 0, scale = 1): FeatureMatrix {
  return featureMatrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => mean + scale * rng.normal()),
  );
}

/** Same indices, and scores equal to float64 rounding. */
function expectSameTopK(actual: TopK, expected: TopK): void {
  expect(Array.from(actual.indices)).toEqual(Array.from(expected.indices));
  for (let i = 0; i < expected.scores.length; i++)
    expect(actual.scores[i]).toBeCloseTo(expected.scores[i]!, 9);
}

function maxAbsoluteDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  return diff;
}

/**
 * How far two float64 column means may differ when summed in different orders: each within
 * (n - 1) u sum_r |x_rj| / n of the exact mean (recursive summation, Higham 2002, eq. 4.4).
 */
function meanRoundingBound(x: FeatureMatrix): number {
  let bound = 0;
  for (let j = 0; j < x.cols; j++) {
    let sum = 0;
    for (let r = 0; r < x.rows; r++) sum += Math.abs(x.data[r * x.cols + j]!);
    bound = Math.max(bound, (2 * (x.rows - 1) * 2 ** -53 * sum) / x.rows);
  }
  return bound;
}

function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

describe('onnxruntime matrix engine against the TypeScript reference', () => {
  const rng = Rng.stream(7, 'matrix-onnx-engine');

  it('gram in float64 agrees to rounding; float32 within d 2^-24', async () => {
    const a = gaussian(rng, 37, 19);
    const b = gaussian(rng, 23, 19);
    const expected = await referenceEngine.gram(a, b);
    expect(maxRelativeDifference((await engine.gram(a, b)).data, expected.data)).toBeLessThan(
      1e-14,
    );
    const single = await engine.gram(a, b, { precision: 'float32' });
    expect(single.data).toBeInstanceOf(Float32Array);
    expect(maxRelativeDifference(single.data, expected.data)).toBeLessThan(19 * 2 ** -24 * 4);
  });

  it('covariance: two-pass agrees with the reference under a mean 1e6 times the spread', async () => {
    const x = gaussian(rng, 301, 13, 1e6, 1);
    const expected = await referenceEngine.covariance(x);
    const actual = await engine.covariance(x);
    expect(maxAbsoluteDifference(actual.mean, expected.mean)).toBeLessThan(meanRoundingBound(x));
    // Unit variances; the one-pass X^T X - n mu mu^T would be off by ~ n 1e12 2^-53 ~ 1e-2 here.
    expect(maxRelativeDifference(actual.cov, expected.cov)).toBeLessThan(1e-12);
  });

  it('float32 covariance: within its stated bound of the float64 one, |mean| >> std included', async () => {
    // 2,500 rows: three float32 chunks of 1,024 rows summed in float64.
    for (const mean of [0, 1e4]) {
      const x = gaussian(rng, 2500, 17, mean, 1);
      const exact = await referenceEngine.covariance(x);
      const single = await engine.covariance(x, { precision: 'float32' });
      expect(maxAbsoluteDifference(single.mean, exact.mean)).toBeLessThan(meanRoundingBound(x));
      // Worst case (CHUNK + 2) 2^-24 sum |x_ri x_rj| / (n - 1), with sum |x_ri x_rj| <= (n - 1)
      // sqrt(S_ii S_jj) (Cauchy-Schwarz) and sqrt(S_ii S_jj) ~ 1 here.
      const bound = (FLOAT32_CHUNK_ROWS + 2) * 2 ** -24;
      expect(maxRelativeDifference(single.cov, exact.cov)).toBeLessThan(bound);
      // Typical error ~ sqrt(CHUNK): an order below the worst case.
      expect(maxRelativeDifference(single.cov, exact.cov)).toBeLessThan(bound / 10);
    }
  });

  it('covariance in column bands (upper triangle, uneven bands, several chunks) equals the full product', async () => {
    // 13 columns in bands of 4 (4, 4, 4, 1); float32 with 2,500 rows: three chunks
    const banded = new OnnxMatrixEngine({ threads: 2, covarianceBand: 4 });
    const x = gaussian(rng, 2500, 13, 3, 2);
    for (let j = 0; j < 13; j++) x.data[j] = 40 + j; // one outlying row: no entry is ~0
    const expected = await referenceEngine.covariance(x);
    const actual = await banded.covariance(x);
    expect(maxRelativeDifference(actual.cov, expected.cov)).toBeLessThan(1e-13);
    // float32 Gemms (other rounding than the unbanded ones): within the typical-error bound
    const single = await banded.covariance(x, { precision: 'float32' });
    expect(maxRelativeDifference(single.cov, expected.cov)).toBeLessThan(
      ((FLOAT32_CHUNK_ROWS + 2) * 2 ** -24) / 10,
    );
  });

  it('float64 covariance over several chunks and column bands (90,001 x 100, bands of 32)', async () => {
    // 2^23 / 100 = 83,886 rows a chunk: two chunks; bands 32, 32, 32, 4
    const x = gaussian(rng, 90_001, 100, 5, 1);
    const expected = await referenceEngine.covariance(x);
    const actual = await new OnnxMatrixEngine({ covarianceBand: 32 }).covariance(x);
    expect(maxRelativeDifference(actual.cov, expected.cov)).toBeLessThan(1e-12);
  });

  it('rejects a covariance band that is not a positive integer', () => {
    for (const band of [0, -1, 2.5])
      expect(() => new OnnxMatrixEngine({ covarianceBand: band })).toThrow(/covarianceBand/);
  });

  it('covariance of a rank-deficient set (more dims than samples, a repeated column)', async () => {
    const base = gaussian(rng, 8, 20);
    for (let r = 0; r < 8; r++) base.data[r * 20 + 19] = base.data[r * 20]!;
    const expected = await referenceEngine.covariance(base);
    const actual = await engine.covariance(base);
    expect(maxRelativeDifference(actual.cov, expected.cov)).toBeLessThan(1e-13);
  });

  it.each([
    ['random', 0],
    ['far from the origin', 1e4],
  ])('top-k inner product and nearest on %s data, with and without self', async (_, mean) => {
    const keys = gaussian(rng, 600, 24, mean);
    const queries = gaussian(rng, 97, 24, mean);
    for (const k of [1, 5, 20]) {
      expectSameTopK(
        await engine.topKInnerProduct(queries, keys, k),
        await referenceEngine.topKInnerProduct(queries, keys, k),
      );
      expectSameTopK(
        await engine.topKNearest(queries, keys, k),
        await referenceEngine.topKNearest(queries, keys, k),
      );
      expectSameTopK(
        await engine.topKNearest(keys, keys, k, { excludeSelf: true }),
        await referenceEngine.topKNearest(keys, keys, k, { excludeSelf: true }),
      );
      expectSameTopK(
        await engine.topKInnerProduct(keys, keys, k, { excludeSelf: true }),
        await referenceEngine.topKInnerProduct(keys, keys, k, { excludeSelf: true }),
      );
    }
  });

  it('near-duplicates below float32 resolution: ranked by exact differences, ties to the lower index', async () => {
    // 40 keys differ from the query in one coordinate by 0..39 1e-8 (1e-10 relative: float32
    // cannot tell them apart), two of them exact copies; then 200 far keys.
    const d = 16;
    const near = 40;
    const centre = gaussian(rng, 1, d, 100, 10).data;
    const offsets = Array.from({ length: near }, (_, r) => ((r * 17) % near) * 1e-8);
    offsets[25] = 0; // a second exact copy (row 0 has offset 0), which must rank after row 0
    const keys = featureMatrix(near + 200, d, new Float64Array((near + 200) * d));
    offsets.forEach((o, r) => {
      for (let j = 0; j < d; j++) keys.data[r * d + j] = centre[j]! + (j === 3 ? o : 0);
    });
    keys.data.set(gaussian(rng, 200, d, 100, 10).data, near * d);
    const query = featureMatrix(1, d, Float64Array.from(centre));
    const byOffset = offsets
      .map((o, r) => [Math.abs(keys.data[r * d + 3]! - centre[3]!), r] as const)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([, r]) => r);
    const before = engine.stats.exactRescans;
    const found = await engine.topKNearest(query, keys, 6);
    expect(Array.from(found.indices)).toEqual(byOffset.slice(0, 6));
    expect(Array.from(found.indices).slice(0, 2)).toEqual([0, 25]);
    expectSameTopK(found, await referenceEngine.topKNearest(query, keys, 6));
    expect(engine.stats.exactRescans).toBe(before + 1); // the float32 certificate failed: rescanned
  });

  it('coveredByBalls matches the reference, including a query exactly on a zero-radius ball', async () => {
    const centres = gaussian(rng, 300, 10, 50);
    const radii = Float64Array.from({ length: 300 }, () => 8 + 8 * rng.uniform());
    radii[7] = 0;
    const queries = gaussian(rng, 400, 10, 50, 1.3);
    queries.data.set(centres.data.subarray(7 * 10, 8 * 10), 0);
    // Row 1 on the edge of ball 3: at distance exactly sqrt(radii[3]) (float64 rounding aside).
    const expected = await referenceEngine.coveredByBalls(queries, centres, radii);
    expect(Array.from(await engine.coveredByBalls(queries, centres, radii))).toEqual(
      Array.from(expected),
    );
    expect(expected[0]).toBe(1);
  });

  it('gives the same bytes with 1 and 2 onnxruntime threads', async () => {
    const a = gaussian(rng, 300, 64);
    const one = new OnnxMatrixEngine({ threads: 1 });
    const [c1, c2] = [await one.covariance(a), await engine.covariance(a)];
    expect(Buffer.from(c1.cov.buffer).equals(Buffer.from(c2.cov.buffer))).toBe(true);
    const [g1, g2] = [
      await one.gram(a, a, { precision: 'float32' }),
      await engine.gram(a, a, { precision: 'float32' }),
    ];
    expect(Buffer.from(g1.data.buffer).equals(Buffer.from(g2.data.buffer))).toBe(true);
  });

  it('rejects NaN features with an InputError naming the input', async () => {
    const bad = gaussian(rng, 3, 2);
    bad.data[5] = NaN;
    await expect(engine.covariance(bad)).rejects.toThrow(InputError);
    await expect(engine.topKNearest(gaussian(rng, 2, 2), bad, 1)).rejects.toThrow(
      /topKNearest: keys: the features hold NaN at row 2, column 1/,
    );
    // The means double as the finiteness check: the entry is still named, with the caller's name.
    bad.data[5] = -Infinity;
    await expect(engine.covariance(bad, { name: 'fake features' })).rejects.toThrow(
      /fake features: the features hold -Infinity at row 2, column 1/,
    );
    // Finite, but the column sum overflows float64: no covariance of it is representable.
    const huge = featureMatrix(2, 2, Float64Array.of(1e308, 1, 1e308, 2));
    await expect(engine.covariance(huge)).rejects.toThrow(
      /covariance: the features of column 0 overflow float64/,
    );
  });
});
