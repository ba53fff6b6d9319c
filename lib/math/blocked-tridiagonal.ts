import type { MatMulTransposed } from './mat-mul.ts';
import { pureMatVec, type MatVec } from './mat-vec.ts';
import { tridiagonalEigenvalues } from './symmetric-eigenvalues.ts';

/**
 * Eigenvalues of a symmetric n x n matrix with the Householder tridiagonalization blocked as in
 * LAPACK's dsytrd/dlatrd (Golub & Van Loan, 4th ed., 8.3.1 and 5.1.7; Dongarra, Sorensen &
 * Hammarling, 1989): `panel` reflectors are formed from the matrix as of the panel's start plus
 * their pending rank-2 corrections, each needing one product A22 v (level 2, memory-bound: on
 * `matVec`, the panel's A22 bound once), and the trailing block then takes the rank-2 panel update
 * A22 - V W^T - W V^T as one GEMM on `matMul`: half of the 4/3 n^3 flops run on an engine's GEMM,
 * the other half stream A22 once per reflector (an engine's GEMV beats JavaScript loops ~3x here).
 */
export async function blockedSymmetricEigenvalues(
  a: Float64Array,
  n: number,
  matMul: MatMulTransposed,
  panel = 48,
  matVec: MatVec = pureMatVec,
): Promise<Float64Array> {
  if (a.length !== n * n)
    throw new RangeError(`Expected an ${n}x${n} matrix (${n * n} values), got ${a.length}`);
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(0, n - 1));
  // The trailing block from index k0, contiguous (m x m), as of the current panel's start.
  let block = Float64Array.from(a);
  let k0 = 0;
  while (n - k0 > 2) {
    const m = n - k0;
    const width = Math.min(panel, m - 2);
    // Reflectors v_t and w_t of this panel, in block coordinates (length m, zero above t + 1).
    const a22 = matVec(block, m, m);
    const vs: Float64Array[] = [];
    const ws: Float64Array[] = [];
    for (let t = 0; t < width; t++) {
      const column = new Float64Array(m);
      for (let i = t; i < m; i++) column[i] = block[i * m + t]!;
      for (let u = 0; u < t; u++) {
        const [v, w] = [vs[u]!, ws[u]!];
        const vt = v[t]!;
        const wt = w[t]!;
        for (let i = t; i < m; i++) column[i]! -= v[i]! * wt + w[i]! * vt;
      }
      diagonal[k0 + t] = column[t]!;
      const s = t + 1;
      let norm2 = 0;
      for (let i = s; i < m; i++) norm2 += column[i]! ** 2;
      const x0 = column[s]!;
      const v = new Float64Array(m);
      const w = new Float64Array(m);
      vs.push(v);
      ws.push(w);
      if (norm2 - x0 * x0 === 0) {
        offDiagonal[k0 + t] = x0; // nothing to annihilate: v = w = 0
        continue;
      }
      const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
      offDiagonal[k0 + t] = alpha;
      for (let i = s; i < m; i++) v[i] = column[i]!;
      v[s]! -= alpha;
      const vv = norm2 - 2 * alpha * x0 + alpha * alpha;
      // p = (2 / vv) (A22 - sum_u v_u w_u^T + w_u v_u^T) v, rows s.. of the block.
      // A22 v over the whole block: v is zero above s, rows above s are not read.
      const p = await a22(v);
      for (let u = 0; u < t; u++) {
        const [vu, wu] = [vs[u]!, ws[u]!];
        let wv = 0;
        let vvu = 0;
        for (let i = s; i < m; i++) {
          wv += wu[i]! * v[i]!;
          vvu += vu[i]! * v[i]!;
        }
        for (let i = s; i < m; i++) p[i]! -= vu[i]! * wv + wu[i]! * vvu;
      }
      let vp = 0;
      for (let i = s; i < m; i++) {
        p[i]! *= 2 / vv;
        vp += v[i]! * p[i]!;
      }
      const half = vp / vv;
      for (let i = s; i < m; i++) w[i] = p[i]! - half * v[i]!;
    }
    // Trailing block from k0 + width: A22 - [V W] [W V]^T.
    const next = m - width;
    const left = new Float64Array(next * 2 * width);
    const right = new Float64Array(next * 2 * width);
    for (let i = 0; i < next; i++) {
      for (let u = 0; u < width; u++) {
        left[i * 2 * width + u] = vs[u]![width + i]!;
        left[i * 2 * width + width + u] = ws[u]![width + i]!;
        right[i * 2 * width + u] = ws[u]![width + i]!;
        right[i * 2 * width + width + u] = vs[u]![width + i]!;
      }
    }
    const update = await matMul(left, next, right, next, 2 * width);
    const trailing = new Float64Array(next * next);
    for (let i = 0; i < next; i++) {
      const from = (width + i) * m + width;
      for (let j = 0; j < next; j++)
        trailing[i * next + j] = block[from + j]! - update[i * next + j]!;
    }
    block = trailing;
    k0 += width;
  }
  const m = n - k0;
  if (m === 2) {
    diagonal[k0] = block[0]!;
    offDiagonal[k0] = block[2]!;
    diagonal[k0 + 1] = block[3]!;
  } else if (m === 1) diagonal[k0] = block[0]!;
  return tridiagonalEigenvalues(diagonal, offDiagonal).sort();
}
