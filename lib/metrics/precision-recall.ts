import { assertFiniteFeatures } from '../matrix/finite-features.ts';
import type { MatrixEngine } from '../matrix/matrix-engine.ts';
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
 * Distances come from exact differences (near-duplicates decide the balls), computed on the fly,
 * never stored as a matrix: memory is O(n k), time O(n^2 d). The pure TypeScript reference.
 */
export function precisionRecall(real: FeatureMatrix, fake: FeatureMatrix, k = 3): PrecisionRecall {
  checkArguments(real, fake, k);
  const r = prepared(real);
  const f = prepared(fake);
  const realRadii = knnRadiiSquared(r, k);
  const fakeRadii = knnRadiiSquared(f, k);
  return { precision: coveredShare(f, r, realRadii), recall: coveredShare(r, f, fakeRadii), k };
}

/**
 * precisionRecall on a matrix engine: the radii from its k-NN search (self excluded, so the k-th
 * other sample, as the sample itself counts as the 0th) and membership from coveredByBalls.
 */
export async function precisionRecallWithEngine(
  real: FeatureMatrix,
  fake: FeatureMatrix,
  k: number,
  engine: MatrixEngine,
): Promise<PrecisionRecall> {
  checkArguments(real, fake, k);
  const radii = async (m: FeatureMatrix) => {
    const found = await engine.topKNearest(m, m, k, { excludeSelf: true });
    return Float64Array.from({ length: m.rows }, (_, i) => found.scores[i * k + k - 1]!);
  };
  const share = (covered: Uint8Array) => covered.reduce((s, c) => s + c, 0) / covered.length;
  const [realRadii, fakeRadii] = [await radii(real), await radii(fake)];
  return {
    precision: share(await engine.coveredByBalls(fake, real, realRadii)),
    recall: share(await engine.coveredByBalls(real, fake, fakeRadii)),
    k,
  };
}

function checkArguments(real: FeatureMatrix, fake: FeatureMatrix, k: number): void {
  assertSameWidth(real, fake, 'precision/recall');
  assertFiniteFeatures(real, 'precision/recall: real features');
  assertFiniteFeatures(fake, 'precision/recall: fake features');
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
}

interface Prepared {
  rows: number;
  cols: number;
  data: Float64Array;
}

function prepared(m: FeatureMatrix): Prepared {
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  return { rows: m.rows, cols: m.cols, data };
}

/** Squared distance from exact differences (no |a|^2 + |b|^2 - 2 a.b cancellation). */
function squaredDistance(a: Prepared, i: number, b: Prepared, j: number): number {
  const x = a.data;
  const y = b.data;
  const ai = i * a.cols;
  const bj = j * b.cols;
  let s = 0;
  for (let t = 0; t < a.cols; t++) {
    const diff = x[ai + t]! - y[bj + t]!;
    s += diff * diff;
  }
  return s;
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
