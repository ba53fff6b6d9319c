import type { MatMulTransposed } from './mat-mul.ts';

/**
 * S ~ G G^T for a symmetric positive semi-definite d x d matrix, by Cholesky with complete
 * (diagonal) pivoting, stopping when the largest remaining pivot is <= `tolerance` (default
 * d 2^-52 max_i S_ii, as LAPACK dpstrf): G has rank r <= d columns, so singular covariances are
 * handled (Higham, "Accuracy and Stability of Numerical Algorithms", 2002, sec. 10.3). Blocked:
 * `panel` columns are formed from the Schur complement as of the panel's start plus their own
 * corrections, then the complement takes the panel's rank-`panel` update as one GEMM.
 * Returns G^T (r x d, row-major: row t is column t of G, in the original index order).
 */
export async function pivotedCholesky(
  s: Float64Array,
  d: number,
  matMul: MatMulTransposed,
  options: { panel?: number; tolerance?: number } = {},
): Promise<{ factorTransposed: Float64Array; rank: number }> {
  if (s.length !== d * d)
    throw new RangeError(`Expected a ${d}x${d} matrix (${d * d} values), got ${s.length}`);
  const panel = options.panel ?? 64;
  const remaining = new Float64Array(d);
  let maxDiagonal = 0;
  for (let i = 0; i < d; i++) {
    remaining[i] = s[i * d + i]!;
    maxDiagonal = Math.max(maxDiagonal, remaining[i]!);
  }
  const tolerance = options.tolerance ?? d * 2 ** -52 * maxDiagonal;
  const pivoted = new Uint8Array(d);
  const columns: Float64Array[] = [];
  let complement = s;
  let done = false;
  while (!done && columns.length < d) {
    const start = columns.length;
    for (let t = 0; t < panel && columns.length < d; t++) {
      let p = -1;
      for (let i = 0; i < d; i++)
        if (!pivoted[i] && (p < 0 || remaining[i]! > remaining[p]!)) p = i;
      if (!(remaining[p]! > tolerance)) {
        done = true;
        break;
      }
      const g = Float64Array.from(complement.subarray(p * d, (p + 1) * d));
      for (let u = start; u < columns.length; u++) {
        const column = columns[u]!;
        const c = column[p]!;
        for (let i = 0; i < d; i++) g[i]! -= column[i]! * c;
      }
      const root = Math.sqrt(remaining[p]!);
      pivoted[p] = 1;
      for (let i = 0; i < d; i++) {
        if (pivoted[i]) g[i] = 0;
        else {
          g[i]! /= root;
          remaining[i]! -= g[i]! ** 2;
        }
      }
      g[p] = root;
      remaining[p] = 0;
      columns.push(g);
    }
    const width = columns.length - start;
    if (done || columns.length === d || width === 0) break;
    // Schur complement minus P P^T, P = this panel's columns (d x width).
    const p = new Float64Array(d * width);
    for (let u = 0; u < width; u++) {
      const column = columns[start + u]!;
      for (let i = 0; i < d; i++) p[i * width + u] = column[i]!;
    }
    const update = await matMul(p, d, p, d, width);
    const next = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) next[i] = complement[i]! - update[i]!;
    complement = next;
  }
  const rank = columns.length;
  const factorTransposed = new Float64Array(rank * d);
  columns.forEach((column, t) => factorTransposed.set(column, t * d));
  return { factorTransposed, rank };
}
