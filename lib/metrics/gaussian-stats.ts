import { assertFiniteFeatures } from '../matrix/finite-features.ts';
import type { MatrixEngine } from '../matrix/matrix-engine.ts';
import { twoPassCovariance } from '../matrix/reference-engine.ts';
import type { FeatureMatrix } from './feature-matrix.ts';

/** Mean and unbiased covariance of a feature set, as FID needs them (float64 throughout). */
export interface GaussianStats {
  n: number;
  dim: number;
  mean: Float64Array;
  /** dim x dim, row-major. */
  cov: Float64Array;
}

/**
 * Streams the statistics batch by batch with the shifted-data algorithm (Chan, Golub & LeVeque,
 * 1983): sums of y = x - c and y y^T in float64, with c the first batch's mean, so that
 * Sigma = (Y^T Y - n m m^T) / (n - 1), m = mean(y), does not cancel when |mean| >> std as the
 * one-pass X^T X - n mu mu^T does; mu = c + m.
 */
export class GaussianAccumulator {
  readonly dim: number;
  #n = 0;
  #shift: Float64Array | undefined;
  readonly #sum: Float64Array;
  readonly #xtx: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.#sum = new Float64Array(dim);
    this.#xtx = new Float64Array(dim * dim);
  }

  update(features: FeatureMatrix): this {
    if (features.cols !== this.dim)
      throw new RangeError(`Expected ${this.dim}-dimensional features, got ${features.cols}`);
    assertFiniteFeatures(features, 'covariance');
    const d = this.dim;
    const shift = (this.#shift ??= batchMean(features));
    const { data, rows } = features;
    const sum = this.#sum;
    const xtx = this.#xtx;
    // Four rows per pass over the upper triangle: each entry still adds rows r, r+1, r+2, r+3 in
    // that order (bit-identical to a row at a time), with a quarter of the loads and stores.
    const y0 = new Float64Array(d);
    const y1 = new Float64Array(d);
    const y2 = new Float64Array(d);
    const y3 = new Float64Array(d);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      for (let j = 0; j < d; j++) {
        const c = shift[j]!;
        y0[j] = data[r * d + j]! - c;
        y1[j] = data[(r + 1) * d + j]! - c;
        y2[j] = data[(r + 2) * d + j]! - c;
        y3[j] = data[(r + 3) * d + j]! - c;
      }
      for (let i = 0; i < d; i++) {
        const a0 = y0[i]!;
        const a1 = y1[i]!;
        const a2 = y2[i]!;
        const a3 = y3[i]!;
        sum[i] = sum[i]! + a0 + a1 + a2 + a3;
        const base = i * d;
        for (let j = i; j < d; j++)
          xtx[base + j] = xtx[base + j]! + a0 * y0[j]! + a1 * y1[j]! + a2 * y2[j]! + a3 * y3[j]!;
      }
    }
    for (; r < rows; r++) {
      for (let j = 0; j < d; j++) y0[j] = data[r * d + j]! - shift[j]!;
      for (let i = 0; i < d; i++) {
        const xi = y0[i]!;
        sum[i]! += xi;
        const base = i * d;
        for (let j = i; j < d; j++) xtx[base + j]! += xi * y0[j]!;
      }
    }
    this.#n += rows;
    return this;
  }

  stats(): GaussianStats {
    const n = this.#n;
    const d = this.dim;
    if (n < 2) throw new RangeError(`Covariance needs at least 2 samples, got ${n}`);
    const shifted = Float64Array.from(this.#sum, (s) => s / n);
    const mean = Float64Array.from(shifted, (m, j) => m + this.#shift![j]!);
    const cov = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = (this.#xtx[i * d + j]! - n * shifted[i]! * shifted[j]!) / (n - 1);
        cov[i * d + j] = v;
        cov[j * d + i] = v;
      }
    }
    return { n, dim: d, mean, cov };
  }
}

function batchMean(features: FeatureMatrix): Float64Array {
  const { rows, cols, data } = features;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) mean[j]! += data[r * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j]! /= Math.max(1, rows);
  return mean;
}

/** Mean and unbiased covariance, two-pass in float64 (the pure reference). */
export function gaussianStats(features: FeatureMatrix, name = 'features'): GaussianStats {
  assertFiniteFeatures(features, name);
  return twoPassCovariance(features);
}

/** gaussianStats on a matrix engine (its GEMM forms the centred cross-products, float64 by default). */
export async function gaussianStatsWithEngine(
  features: FeatureMatrix,
  engine: MatrixEngine,
  name = 'features',
  precision: 'float32' | 'float64' = 'float64',
): Promise<GaussianStats> {
  return engine.covariance(features, { precision, name });
}
