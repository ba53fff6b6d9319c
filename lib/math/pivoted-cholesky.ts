import type { MatMulTransposed } from './mat-mul.ts';

/**
 * S ~ G G^T for a symmetric positive semi-definite d x d matrix, by Cholesky with complete
 * (diagonal) pivoting, stopping when the largest remaining pivot is <= `tolerance` (default
 * d 2^-52 max_i S_ii, as LAPACK dpstrf): G has rank r <= d columns, so singular covariances are
 * handled (Higham, "Accuracy and Stability of Numerical Algorithms", 2002, sec. 10.3). Blocked:
 * `panel` columns are formed from the Schur complement as of the panel's start plus their own
 * corrections, then the complement takes the panel's rank-`panel` update as one GEMM. The
 * complement is kept compact over the not-yet-pivoted indices (m x m, m shrinking), so the GEMMs
 * total ~2/3 d^3 flops (the right-looking update of Golub & Van Loan, 4th ed., 4.2.9, on a
 * symmetrically permuted matrix), not the 2 d^3 of updating all d x d entries per panel.
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
  // The Schur complement over the original indices `rest` (compact m x m); where[i] is index i's
  // position in it.
  let rest = Int32Array.from({ length: d }, (_, i) => i);
  const where = Int32Array.from(rest);
  let complement = s;
  let done = false;
  while (!done && columns.length < d) {
    const start = columns.length;
    const m = rest.length;
    for (let t = 0; t < panel && columns.length < d; t++) {
      let p = -1;
      for (let i = 0; i < d; i++)
        if (!pivoted[i] && (p < 0 || remaining[i]! > remaining[p]!)) p = i;
      if (!(remaining[p]! > tolerance)) {
        done = true;
        break;
      }
      const g = new Float64Array(d);
      const row = where[p]! * m;
      for (let c = 0; c < m; c++) g[rest[c]!] = complement[row + c]!;
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
    // Schur complement over the indices still unpivoted, minus P P^T (P: their rows of the panel).
    const next = rest.filter((i) => !pivoted[i]);
    const k = next.length;
    const panelRows = new Float64Array(k * width);
    for (let u = 0; u < width; u++) {
      const column = columns[start + u]!;
      for (let a = 0; a < k; a++) panelRows[a * width + u] = column[next[a]!]!;
    }
    const update = await matMul(panelRows, k, panelRows, k, width);
    const trailing = new Float64Array(k * k);
    for (let a = 0; a < k; a++) {
      const from = where[next[a]!]! * m;
      for (let b = 0; b < k; b++)
        trailing[a * k + b] = complement[from + where[next[b]!]!]! - update[a * k + b]!;
    }
    next.forEach((i, a) => (where[i] = a));
    rest = next;
    complement = trailing;
  }
  const rank = columns.length;
  const factorTransposed = new Float64Array(rank * d);
  columns.forEach((column, t) => factorTransposed.set(column, t * d));
  return { factorTransposed, rank };
}
