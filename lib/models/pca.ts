import { symmetricEigen } from '../math/symmetric-eigen.ts';
import { GaussianAccumulator } from '../metrics/gaussian-stats.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/** A fitted PCA: x ~ mean + z W^T with W the top `components` eigenvectors of the covariance. */
export interface PcaModel {
  inputDim: number;
  components: number;
  mean: Float64Array;
  /** inputDim x components, row-major; column c is the c-th principal axis. */
  basis: Float64Array;
  /** Variance along each axis (eigenvalues, descending). */
  variances: Float64Array;
}

/**
 * Principal component analysis by eigendecomposition of the sample covariance (Pearson 1901;
 * Jolliffe 2002, ch. 1). Each axis' sign is fixed so its largest-magnitude entry is positive,
 * so the same data always gives the same basis.
 */
export function fitPca(data: FeatureMatrix, components: number): PcaModel {
  const d = data.cols;
  if (!Number.isInteger(components) || components < 1 || components > d) {
    throw new RangeError(
      `Expected \`components\` to be a whole number from 1 to ${d}, got \`${components}\``,
    );
  }
  const { mean, cov } = new GaussianAccumulator(d).update(data).stats();
  const { values, vectors } = symmetricEigen(cov, d);
  const basis = new Float64Array(d * components);
  const variances = new Float64Array(components);
  for (let c = 0; c < components; c++) {
    const col = d - 1 - c; // eigenvalues ascend; take from the largest
    variances[c] = Math.max(0, values[col]!);
    let pivot = 0;
    for (let i = 0; i < d; i++)
      if (Math.abs(vectors[i * d + col]!) > Math.abs(vectors[pivot * d + col]!)) pivot = i;
    const sign = vectors[pivot * d + col]! < 0 ? -1 : 1;
    for (let i = 0; i < d; i++) basis[i * components + c] = sign * vectors[i * d + col]!;
  }
  return { inputDim: d, components, mean, basis, variances };
}

/** z = (x - mean) W, one row per sample. */
export function pcaEncode(model: PcaModel, data: FeatureMatrix): FeatureMatrix {
  const { inputDim: d, components: k, mean, basis } = model;
  if (data.cols !== d)
    throw new RangeError(`PCA expects ${d}-dimensional inputs, got ${data.cols}`);
  const out = new Float64Array(data.rows * k);
  const centred = new Float64Array(d);
  for (let r = 0; r < data.rows; r++) {
    for (let i = 0; i < d; i++) centred[i] = data.data[r * d + i]! - mean[i]!;
    for (let i = 0; i < d; i++) {
      const x = centred[i]!;
      if (x === 0) continue;
      for (let c = 0; c < k; c++) out[r * k + c]! += x * basis[i * k + c]!;
    }
  }
  return { rows: data.rows, cols: k, data: out };
}

/** x = mean + z W^T, one row per sample. */
export function pcaDecode(model: PcaModel, latent: FeatureMatrix): FeatureMatrix {
  const { inputDim: d, components: k, mean, basis } = model;
  if (latent.cols !== k)
    throw new RangeError(`PCA decodes ${k}-dimensional latents, got ${latent.cols}`);
  const out = new Float64Array(latent.rows * d);
  for (let r = 0; r < latent.rows; r++) {
    for (let i = 0; i < d; i++) {
      let x = mean[i]!;
      for (let c = 0; c < k; c++) x += latent.data[r * k + c]! * basis[i * k + c]!;
      out[r * d + i] = x;
    }
  }
  return { rows: latent.rows, cols: d, data: out };
}
