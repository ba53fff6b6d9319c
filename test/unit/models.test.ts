import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import {
  fitGaussianMixture,
  meanLogLikelihood,
  sampleGaussianMixture,
  type GaussianMixture,
} from '../../lib/models/gaussian-mixture.ts';
import { fitPca, pcaDecode, pcaEncode } from '../../lib/models/pca.ts';
import { Rng } from '../../lib/rng.ts';

const matrix = (
  rows: number,
  cols: number,
  f: (r: number, c: number) => number,
): FeatureMatrix => ({
  rows,
  cols,
  data: Float64Array.from({ length: rows * cols }, (_, i) => f(Math.floor(i / cols), i % cols)),
});

describe('PCA', () => {
  it('reconstructs rank-2 data exactly with 2 components and orders axes by variance', () => {
    // points on a plane spanned by two orthonormal 5-D vectors, with uncorrelated coordinates
    // (cos and sin over a full period) so the sample covariance's axes are exactly q1 and q2
    const q1 = [1, 1, 0, 0, 0].map((v) => v / Math.SQRT2);
    const q2 = [0, 0, 1, 1, 1].map((v) => v / Math.sqrt(3));
    const z = Array.from({ length: 500 }, (_, r) => [
      3 * Math.cos((2 * Math.PI * r) / 500),
      Math.sin((2 * Math.PI * r) / 500),
    ]);
    const data = matrix(500, 5, (r, c) => 10 + z[r]![0]! * q1[c]! + z[r]![1]! * q2[c]!);
    const model = fitPca(data, 2);
    const back = pcaDecode(model, pcaEncode(model, data));
    let err = 0;
    for (let i = 0; i < data.data.length; i++)
      err = Math.max(err, Math.abs(back.data[i]! - data.data[i]!));
    expect(err).toBeLessThan(1e-9);
    expect(model.variances[0]).toBeGreaterThan(model.variances[1]!);
    // the first axis is q1 (up to the sign convention: largest entry positive)
    const dot = model.basis.filter((_, i) => i % 2 === 0).reduce((s, v, i) => s + v * q1[i]!, 0);
    expect(Math.abs(dot)).toBeCloseTo(1, 9);
  });

  it('names the allowed range of components', () => {
    expect(() =>
      fitPca(
        matrix(3, 2, () => 0),
        3,
      ),
    ).toThrowError('Expected `components` to be a whole number from 1 to 2, got `3`');
  });
});

describe('Gaussian mixture (EM)', () => {
  it('with one component is the closed-form ML Gaussian (1/n covariance)', () => {
    const data = matrix(
      4,
      2,
      (r, c) =>
        [
          [0, 0],
          [2, 0],
          [0, 2],
          [2, 2],
        ][r]![c]!,
    );
    const { model } = fitGaussianMixture(data, Rng.stream(1, 'em'), {
      components: 1,
      iterations: 10,
      regularization: 0,
    });
    expect(Array.from(model.means[0]!)).toEqual([1, 1]);
    expect(Array.from(model.covariances[0]!)).toEqual([1, 0, 0, 1]); // sum (x-mu)^2 / n = 4/4
  });

  it('recovers two well-separated clusters: weights, means and covariances', () => {
    const rng = Rng.stream(2, 'clusters');
    const rows = 3000;
    const data = matrix(rows, 2, () => 0);
    for (let r = 0; r < rows; r++) {
      const first = r < 1000; // weights 1/3 and 2/3
      data.data[r * 2] = first ? -10 + rng.normal() : 10 + 2 * rng.normal();
      data.data[r * 2 + 1] = first ? rng.normal() : 5 + 0.5 * rng.normal();
    }
    const { model } = fitGaussianMixture(data, Rng.stream(2, 'em'), {
      components: 2,
      iterations: 100,
    });
    const order = model.means[0]![0]! < 0 ? [0, 1] : [1, 0];
    const [a, b] = order.map((k) => ({
      w: model.weights[k]!,
      mu: model.means[k]!,
      cov: model.covariances[k]!,
    }));
    expect(a!.w).toBeCloseTo(1 / 3, 6);
    expect(a!.mu[0]).toBeCloseTo(-10, 0);
    expect(b!.mu[1]).toBeCloseTo(5, 1);
    expect(b!.cov[0]).toBeGreaterThan(3.5);
    expect(b!.cov[0]).toBeLessThan(4.5); // variance 4 within sampling error (SE ~ 0.18)
  });

  it('samples with the model covariance, scaled by the temperature', () => {
    const model = {
      dim: 1,
      weights: [1],
      means: [Float64Array.from([2])],
      covariances: [Float64Array.from([4])],
    };
    const n = 100_000;
    for (const temperature of [1, 0.25]) {
      const s = sampleGaussianMixture(model, n, Rng.stream(3, `t${temperature}`), temperature);
      const values = Array.from(s.data);
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      const expected = 4 * temperature;
      expect(Math.abs(mean - 2)).toBeLessThan(5 * Math.sqrt(expected / n));
      expect(Math.abs(variance - expected)).toBeLessThan(5 * expected * Math.sqrt(2 / n));
    }
  });

  it('EM never lowers the likelihood of its own data', () => {
    const rng = Rng.stream(4, 'data');
    const data = matrix(400, 3, () => rng.normal() * (rng.uniform() < 0.5 ? 1 : 3));
    const few = fitGaussianMixture(data, Rng.stream(4, 'em'), {
      components: 3,
      iterations: 2,
      tolerance: -Infinity,
    });
    const many = fitGaussianMixture(data, Rng.stream(4, 'em'), {
      components: 3,
      iterations: 40,
      tolerance: -Infinity,
    });
    expect(meanLogLikelihood(many.model, data)).toBeGreaterThanOrEqual(
      meanLogLikelihood(few.model, data) - 1e-9,
    );
  });
});

describe('theory check: ML Gaussian refitted on its own n samples (replace mode)', () => {
  it('E[var_g] = var_0 ((n-1)/n)^g, within 4 standard errors from the exact sampling distribution', () => {
    // Each generation multiplies the ML variance by an independent factor f ~ chi2(n-1)/n with
    // E f = (n-1)/n and E f^2 = ((n-1)/n)^2 + 2(n-1)/n^2, so over C chains the mean of var_g/var_0
    // has standard error sqrt((E f^2)^g - (E f)^(2g)) / sqrt(C).
    const n = 20;
    const G = 5;
    const chains = 3000;
    const sums = new Array<number>(G + 1).fill(0);
    for (let c = 0; c < chains; c++) {
      const rng = Rng.stream(c, 'theory-check');
      let model: GaussianMixture = {
        dim: 1,
        weights: [1],
        means: [Float64Array.from([0])],
        covariances: [Float64Array.from([1])],
      };
      sums[0]! += 1;
      for (let g = 1; g <= G; g++) {
        const samples = sampleGaussianMixture(model, n, rng);
        model = fitGaussianMixture(samples, rng, {
          components: 1,
          iterations: 1,
          regularization: 0,
        }).model;
        sums[g]! += model.covariances[0]![0]!;
      }
    }
    const ef = (n - 1) / n;
    const ef2 = ef * ef + (2 * (n - 1)) / (n * n);
    for (let g = 1; g <= G; g++) {
      const expected = ef ** g;
      const se = Math.sqrt(ef2 ** g - ef ** (2 * g)) / Math.sqrt(chains);
      expect(Math.abs(sums[g]! / chains - expected)).toBeLessThan(4 * se);
    }
  });
});
