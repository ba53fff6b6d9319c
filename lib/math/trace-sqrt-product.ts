import type { MatMulTransposed } from './mat-mul.ts';
import { pivotedCholesky } from './pivoted-cholesky.ts';
import { symmetricEigenvalues } from './symmetric-eigenvalues.ts';
import { twoStageSymmetricEigenvalues } from './two-stage-eigenvalues.ts';

/**
 * Panel width of the pivoted Cholesky: 32 columns up to 512 dimensions, 64 above (measured, ms,
 * panels 16/32/64/unblocked: 7.0/4.5/5.8/16.1 at 256, 38.6/23.7/25.2/124 at 512,
 * 203/143/125/1012 at 1,024).
 */
const choleskyPanel = (d: number): number => (d <= 512 ? 32 : 64);
/**
 * Up to this rank the one-stage JavaScript tridiagonalisation beats the two-stage one, whose GEMM
 * calls cost more than they save (measured, one-stage vs two-stage: 19 vs 22 ms at 256, 60 vs
 * 50 ms at 384, 128 vs 97 ms at 512).
 */
const SMALL_EIGEN = 320;

/**
 * Tr((S1 S2)^(1/2)) for symmetric PSD S1, S2 (the cross term of the Fréchet distance, Heusel et
 * al., 2017, eq. 6) without a matrix square root: with S2 = G G^T (pivoted Cholesky, rank r),
 * S1 S2 = S1 G G^T has the eigenvalues of G^T S1 G (r x r, symmetric PSD) plus zeros, so the
 * trace is sum_i sqrt(lambda_i(G^T S1 G)); only eigenvalues are needed, no eigenvectors. Tiny
 * negative eigenvalues from rounding count as 0. Products run on `matMul`, and so, above SMALL_EIGEN,
 * does the first stage of the eigenvalues' two-stage tridiagonalization.
 */
export async function traceSqrtProduct(
  s1: Float64Array,
  s2: Float64Array,
  d: number,
  matMul: MatMulTransposed,
): Promise<number> {
  const { factorTransposed: gt, rank: r } = await pivotedCholesky(s2, d, matMul, {
    panel: choleskyPanel(d),
  });
  if (r === 0) return 0;
  const gtS1 = await matMul(gt, r, s1, d, d); // G^T S1 (S1 symmetric)
  const m = await matMul(gtS1, r, gt, r, d); // G^T S1 G
  for (let i = 0; i < r; i++) {
    for (let j = i + 1; j < r; j++) {
      const v = (m[i * r + j]! + m[j * r + i]!) / 2;
      m[i * r + j] = v;
      m[j * r + i] = v;
    }
  }
  const values =
    r <= SMALL_EIGEN
      ? symmetricEigenvalues(m, r)
      : await twoStageSymmetricEigenvalues(m, r, matMul);
  let sum = 0;
  for (const v of values) sum += Math.sqrt(Math.max(0, v));
  return sum;
}
