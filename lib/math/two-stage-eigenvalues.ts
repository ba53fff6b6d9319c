import { reduceToBand } from './band-reduction.ts';
import { bandToTridiagonal } from './band-to-tridiagonal.ts';
import type { MatMulTransposed } from './mat-mul.ts';
import { tridiagonalEigenvalues } from './symmetric-eigenvalues.ts';

/**
 * Eigenvalues (ascending) of a symmetric n x n matrix by two-stage tridiagonalization: dense to
 * band on `matMul`'s GEMM (band-reduction.ts), band to tridiagonal by Givens bulge chasing
 * (band-to-tridiagonal.ts), then implicit QL on the tridiagonal matrix. Half-bandwidth by default
 * 16 below n = 1,024 and 32 from there: measured on 2 cores, at n = 2,048 a band of 16 makes the
 * first stage's GEMMs too thin (3.7 s vs 2.2 s) and 64 doubles the second stage's scalar work
 * (0.9 s vs 0.5 s); at 512, 16 takes 0.12 s and 32 0.29 s.
 */
export async function twoStageSymmetricEigenvalues(
  a: Float64Array,
  n: number,
  matMul: MatMulTransposed,
  band = n < 1024 ? 16 : 32,
): Promise<Float64Array> {
  const b = Math.max(1, Math.min(band, n - 1));
  const lower = await reduceToBand(a, n, b, matMul);
  const { diagonal, offDiagonal } = bandToTridiagonal(lower, n, b);
  return tridiagonalEigenvalues(diagonal, offDiagonal).sort();
}
