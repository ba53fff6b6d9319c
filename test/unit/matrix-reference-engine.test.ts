import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix } from '../../lib/metrics/feature-matrix.ts';

const m = (rows: number, cols: number, values: number[]) =>
  featureMatrix(rows, cols, Float64Array.from(values));

describe('reference matrix engine', () => {
  it('gram: A B^T by hand', async () => {
    const g = await referenceEngine.gram(m(2, 2, [1, 2, 3, 4]), m(3, 2, [1, 0, 0, 1, 1, 1]));
    expect([g.rows, g.cols]).toEqual([2, 3]);
    expect(Array.from(g.data)).toEqual([1, 2, 3, 3, 4, 7]);
  });

  it('covariance: unbiased, exact under a huge mean (two-pass)', async () => {
    // x = 1e9 + [1, 2, 3, 4]: var = 5/3 exactly in the reference, whatever the offset.
    const x = featureMatrix(
      4,
      1,
      Float64Array.from([1, 2, 3, 4], (v) => 1e9 + v),
    );
    const { mean, cov } = await referenceEngine.covariance(x);
    expect(mean[0]).toBe(1e9 + 2.5);
    expect(cov[0]).toBeCloseTo(5 / 3, 12);
  });

  it('topKInnerProduct: best first, ties to the lower key index, self excluded on request', async () => {
    const keys = m(4, 1, [1, 3, 3, 2]);
    const r = await referenceEngine.topKInnerProduct(m(1, 1, [1]), keys, 3);
    expect(Array.from(r.indices)).toEqual([1, 2, 3]);
    expect(Array.from(r.scores)).toEqual([3, 3, 2]);
    const self = await referenceEngine.topKInnerProduct(keys, keys, 1, { excludeSelf: true });
    expect(Array.from(self.indices)).toEqual([1, 2, 1, 1]);
  });

  it('topKNearest: exact squared distances for near-duplicates far from the origin', async () => {
    // Offsets of h = 2^-20 on a base of 2^26 are exact in float64; |a|^2 + |b|^2 - 2 a.b at
    // |a|^2 ~ 2^53 cannot resolve anything below ~1, exact differences give (h/4)^2 exactly.
    const base = 2 ** 26;
    const h = 2 ** -20;
    const keys = m(3, 2, [base, base, base + h, base, base + 2 * h, base]);
    const r = await referenceEngine.topKNearest(m(1, 2, [base + 1.25 * h, base]), keys, 3);
    expect(Array.from(r.indices)).toEqual([1, 2, 0]);
    expect(Array.from(r.scores)).toEqual([(h / 4) ** 2, (0.75 * h) ** 2, (1.25 * h) ** 2]);
  });

  it('rejects NaN and infinite features with an InputError naming the input', async () => {
    const bad = m(2, 2, [0, 1, NaN, 2]);
    await expect(referenceEngine.covariance(bad)).rejects.toThrow(InputError);
    await expect(referenceEngine.topKNearest(m(1, 2, [0, Infinity]), bad, 1)).rejects.toThrow(
      /queries: the features hold Infinity at row 0, column 1/,
    );
  });

  it('explains a k larger than the keys', async () => {
    await expect(
      referenceEngine.topKNearest(m(1, 1, [0]), m(2, 1, [0, 1]), 2, { excludeSelf: true }),
    ).rejects.toThrow(/k must be a whole number from 1 to 1/);
  });
});
