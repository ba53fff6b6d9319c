import type { FeatureMatrix } from './feature-matrix.ts';
import { assertSameWidth } from './feature-matrix.ts';

export interface PrecisionRecall {
  precision: number;
  recall: number;
  k: number;
}

/**
 * Improved precision and recall (Kynkäänniemi et al., 2019, "Improved Precision and Recall Metric
 * for Assessing Generative Models", eqs. 1-3). Each sample's k-NN radius is the distance to its
 * k-th nearest neighbour within its own set (the sample itself counts as the 0th, as in the
 * authors' code); then
 *
 *   precision = (1/|F|) sum_f 1[ exists r in R: |f - r| <= radius_R(r) ]
 *   recall    = (1/|R|) sum_r 1[ exists f in F: |r - f| <= radius_F(f) ]
 *
 * Distances are computed on the fly, never stored as a matrix: memory is O(n k), time O(n^2 d).
 */
export function precisionRecall(real: FeatureMatrix, fake: FeatureMatrix, k = 3): PrecisionRecall {
  assertSameWidth(real, fake, 'precision/recall');
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`Expected \`k\` to be a whole number from 1 and up, got \`${k}\``);
  for (const [name, m] of [
    ['real', real],
    ['fake', fake],
  ] as const) {
    if (m.rows <= k)
      throw new RangeError(
        `precision/recall: the ${name} set has ${m.rows} samples; k = ${k} needs more than k`,
      );
  }
  const r = prepared(real);
  const f = prepared(fake);
  const realRadii = knnRadiiSquared(r, k);
  const fakeRadii = knnRadiiSquared(f, k);
  return { precision: coveredShare(f, r, realRadii), recall: coveredShare(r, f, fakeRadii), k };
}

interface Prepared {
  rows: number;
  cols: number;
  data: Float64Array;
  norms: Float64Array;
}

function prepared(m: FeatureMatrix): Prepared {
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const norms = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) norms[i] = dot(data, i * m.cols, data, i * m.cols, m.cols);
  return { rows: m.rows, cols: m.cols, data, norms };
}

/** Squared distance via |a|^2 + |b|^2 - 2 a.b, clamped at 0 against rounding. */
function squaredDistance(a: Prepared, i: number, b: Prepared, j: number): number {
  return Math.max(
    0,
    a.norms[i]! + b.norms[j]! - 2 * dot(a.data, i * a.cols, b.data, j * b.cols, a.cols),
  );
}

/** Squared distance from each row to its k-th nearest neighbour in the same set (self = 0th). */
function knnRadiiSquared(m: Prepared, k: number): Float64Array {
  const radii = new Float64Array(m.rows);
  const nearest = new Float64Array(k + 1);
  for (let i = 0; i < m.rows; i++) {
    nearest.fill(Infinity);
    for (let j = 0; j < m.rows; j++) {
      const d = i === j ? 0 : squaredDistance(m, i, m, j);
      if (d >= nearest[k]!) continue;
      let p = k;
      while (p > 0 && nearest[p - 1]! > d) {
        nearest[p] = nearest[p - 1]!;
        p--;
      }
      nearest[p] = d;
    }
    radii[i] = nearest[k]!;
  }
  return radii;
}

/** Share of `query` rows inside at least one `ref` row's ball (squared radii). */
function coveredShare(query: Prepared, ref: Prepared, radii: Float64Array): number {
  let covered = 0;
  for (let i = 0; i < query.rows; i++) {
    for (let j = 0; j < ref.rows; j++) {
      if (squaredDistance(query, i, ref, j) <= radii[j]!) {
        covered++;
        break;
      }
    }
  }
  return covered / query.rows;
}

function dot(a: Float64Array, ai: number, b: Float64Array, bi: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    s0 += a[ai + t]! * b[bi + t]!;
    s1 += a[ai + t + 1]! * b[bi + t + 1]!;
    s2 += a[ai + t + 2]! * b[bi + t + 2]!;
    s3 += a[ai + t + 3]! * b[bi + t + 3]!;
  }
  for (; t < n; t++) s0 += a[ai + t]! * b[bi + t]!;
  return s0 + s1 + s2 + s3;
}
