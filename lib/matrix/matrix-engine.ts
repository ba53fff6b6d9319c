import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/** The k best matches of each query row among the key rows, best first. */
export interface TopK {
  /** Query count. */
  rows: number;
  k: number;
  /** rows x k key indices, row-major; ties go to the lower key index. */
  indices: Int32Array;
  /** rows x k scores (inner products, or squared distances), in the order of `indices`. */
  scores: Float64Array;
}

export interface TopKOptions {
  /**
   * Query i and key i are the same item (a set searched against itself): key i is never a match
   * of query i, e.g. for the train -> train background of a replication audit.
   */
  excludeSelf?: boolean;
}

export interface CovarianceOptions {
  /**
   * float64 (default): the centred cross-products in one float64 Gemm, exact to rounding.
   * float32: each chunk of CHUNK rows in a float32 Gemm (centred in float64, then rounded), the
   * chunks summed in float64; entry error ~ (sqrt(CHUNK) + 2) 2^-24 sqrt(sum_r x_ri^2 x_rj^2)
   * typical, at most (CHUNK + 2) 2^-24 sum_r |x_ri x_rj| (Higham 2002, eq. 3.5), ~2x faster.
   */
  precision?: 'float32' | 'float64';
  /** What the features are, for error messages (default "covariance"). */
  name?: string;
}

export interface GramOptions {
  /** float64 (default): exact to rounding; float32: ~d 2^-24 |a||b| absolute error, faster. */
  precision?: 'float32' | 'float64';
}

/**
 * The dense linear algebra every embedding-space metric needs, behind one narrow interface: the
 * pure TypeScript reference (`reference-engine.ts`) and the onnxruntime engine implement it, and
 * the tests hold them to each other.
 */
export interface MatrixEngine {
  readonly name: string;
  /** A B^T (n x m) for A n x d and B m x d (float64 unless `precision` asks for float32). */
  gram(a: FeatureMatrix, b: FeatureMatrix, options?: GramOptions): Promise<FeatureMatrix>;
  /** Mean and unbiased covariance (float64, two-pass: robust when |mean| >> std). */
  covariance(
    x: FeatureMatrix,
    options?: CovarianceOptions,
  ): Promise<{ n: number; dim: number; mean: Float64Array; cov: Float64Array }>;
  /** For each query row, the k largest inner products with the key rows (blocked; O((n+m)d + block^2) memory). */
  topKInnerProduct(
    queries: FeatureMatrix,
    keys: FeatureMatrix,
    k: number,
    options?: TopKOptions,
  ): Promise<TopK>;
  /** For each query row, the k smallest squared Euclidean distances to the key rows (no bad cancellation for near-duplicates). */
  topKNearest(
    queries: FeatureMatrix,
    keys: FeatureMatrix,
    k: number,
    options?: TopKOptions,
  ): Promise<TopK>;
  /**
   * For each query row, 1 when it lies in at least one ball |q - c_j|^2 <= radiiSquared[j]
   * (exact differences decide borderline cases), else 0: the membership test of improved
   * precision/recall.
   */
  coveredByBalls(
    queries: FeatureMatrix,
    centres: FeatureMatrix,
    radiiSquared: Float64Array,
  ): Promise<Uint8Array>;
}
