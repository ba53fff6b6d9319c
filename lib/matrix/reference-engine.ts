import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import { assertSameWidth } from '../metrics/feature-matrix.ts';
import { assertFiniteFeatures } from './finite-features.ts';
import type { MatrixEngine, TopK, TopKOptions } from './matrix-engine.ts';
import { checkTopKArguments } from './top-k-arguments.ts';
import { covarianceFromUpper, rowDot, rowSquaredDistance } from './row-kernels.ts';
import { TopKCollector } from './top-k-collector.ts';

/** Query rows processed together, so each key row is read once per block (cache reuse). */
const QUERY_BLOCK = 32;

/**
 * The pure TypeScript reference: float64 accumulation everywhere, exact differences for squared
 * distances (no |a|^2 + |b|^2 - 2 a.b cancellation), two-pass covariance. Single-threaded and
 * O(n m d) scalar; the onnxruntime engine is tested against it.
 */
export const referenceEngine: MatrixEngine = {
  name: 'reference (TypeScript, float64)',

  async gram(a, b) {
    assertSameWidth(a, b, 'gram');
    assertFiniteFeatures(a, 'gram: A');
    assertFiniteFeatures(b, 'gram: B');
    const out = new Float64Array(a.rows * b.rows);
    for (let i = 0; i < a.rows; i++)
      for (let j = 0; j < b.rows; j++) out[i * b.rows + j] = rowDot(a, i, b, j);
    return { rows: a.rows, cols: b.rows, data: out };
  },

  async covariance(x, options) {
    assertFiniteFeatures(x, options?.name ?? 'covariance');
    return twoPassCovariance(x);
  },

  async topKInnerProduct(queries, keys, k, options) {
    checkTopKArguments(queries, keys, k, options, 'topKInnerProduct');
    return search(queries, keys, k, options, 'largest', rowDot);
  },

  async topKNearest(queries, keys, k, options) {
    checkTopKArguments(queries, keys, k, options, 'topKNearest');
    return search(queries, keys, k, options, 'smallest', rowSquaredDistance);
  },

  async coveredByBalls(queries, centres, radiiSquared) {
    checkBalls(queries, centres, radiiSquared);
    const covered = new Uint8Array(queries.rows);
    for (let i = 0; i < queries.rows; i++)
      covered[i] = insideSomeBall(queries, i, centres, radiiSquared) ? 1 : 0;
    return covered;
  },
};

/** Query i is within radiiSquared[j] of some centre j (squared distances from exact differences). */
export function insideSomeBall(
  queries: FeatureMatrix,
  i: number,
  centres: FeatureMatrix,
  radiiSquared: Float64Array,
): boolean {
  for (let j = 0; j < centres.rows; j++)
    if (rowSquaredDistance(queries, i, centres, j) <= radiiSquared[j]!) return true;
  return false;
}

export function checkBalls(
  queries: FeatureMatrix,
  centres: FeatureMatrix,
  radiiSquared: Float64Array,
): void {
  assertSameWidth(queries, centres, 'coveredByBalls');
  assertFiniteFeatures(queries, 'coveredByBalls: queries');
  assertFiniteFeatures(centres, 'coveredByBalls: centres');
  if (radiiSquared.length !== centres.rows)
    throw new RangeError(
      `coveredByBalls: ${centres.rows} centres but ${radiiSquared.length} radii`,
    );
}

/**
 * Mean, then the centred cross-products sum (x - mu)(x - mu)^T / (n - 1): the two-pass algorithm
 * (Chan, Golub & LeVeque, 1983, "Algorithms for computing the sample variance"), whose error does
 * not grow with |mean| / std as the one-pass X^T X - n mu mu^T does.
 */
export function twoPassCovariance(x: FeatureMatrix): {
  n: number;
  dim: number;
  mean: Float64Array;
  cov: Float64Array;
} {
  const n = x.rows;
  const d = x.cols;
  if (n < 2) throw new RangeError(`Covariance needs at least 2 samples, got ${n}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += x.data[r * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) centred[j] = x.data[r * d + j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const ci = centred[i]!;
      if (ci === 0) continue;
      const base = i * d;
      for (let j = i; j < d; j++) cov[base + j]! += ci * centred[j]!;
    }
  }
  covarianceFromUpper(cov, d, n);
  return { n, dim: d, mean, cov };
}

function search(
  queries: FeatureMatrix,
  keys: FeatureMatrix,
  k: number,
  options: TopKOptions | undefined,
  best: 'largest' | 'smallest',
  score: (a: FeatureMatrix, i: number, b: FeatureMatrix, j: number) => number,
): TopK {
  const excludeSelf = options?.excludeSelf === true;
  const collector = new TopKCollector(queries.rows, k, best);
  for (let q0 = 0; q0 < queries.rows; q0 += QUERY_BLOCK) {
    const q1 = Math.min(queries.rows, q0 + QUERY_BLOCK);
    for (let j = 0; j < keys.rows; j++) {
      for (let i = q0; i < q1; i++) {
        if (excludeSelf && i === j) continue;
        collector.offer(i, j, score(queries, i, keys, j));
      }
    }
  }
  return collector.result();
}
