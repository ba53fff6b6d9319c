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
 * Streams sum(x) and X^T X in float64 (as torchmetrics' FID does), so reference statistics can be
 * built batch by batch; `stats()` gives mu = sum/n and the unbiased
 * Sigma = (X^T X - n mu mu^T) / (n - 1).
 */
export class GaussianAccumulator {
  readonly dim: number;
  #n = 0;
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
    const d = this.dim;
    const row = new Float64Array(d);
    for (let r = 0; r < features.rows; r++) {
      for (let j = 0; j < d; j++) row[j] = features.data[r * d + j]!;
      for (let i = 0; i < d; i++) {
        const xi = row[i]!;
        this.#sum[i]! += xi;
        const base = i * d;
        for (let j = i; j < d; j++) this.#xtx[base + j]! += xi * row[j]!;
      }
    }
    this.#n += features.rows;
    return this;
  }

  stats(): GaussianStats {
    const n = this.#n;
    const d = this.dim;
    if (n < 2) throw new RangeError(`Covariance needs at least 2 samples, got ${n}`);
    const mean = Float64Array.from(this.#sum, (s) => s / n);
    const cov = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = (this.#xtx[i * d + j]! - n * mean[i]! * mean[j]!) / (n - 1);
        cov[i * d + j] = v;
        cov[j * d + i] = v;
      }
    }
    return { n, dim: d, mean, cov };
  }
}

export function gaussianStats(features: FeatureMatrix): GaussianStats {
  return new GaussianAccumulator(features.cols).update(features).stats();
}
