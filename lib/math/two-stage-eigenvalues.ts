import { reduceToBand } from './band-reduction.ts';
import { bandToTridiagonal } from './band-to-tridiagonal.ts';
import type { MatMulTransposed } from './mat-mul.ts';
import { tridiagonalEigenvalues } from './symmetric-eigenvalues.ts';

/**
 * Eigenvalues (ascending) of a symmetric n x n matrix by two-stage tridiagonalization: dense to
 * band on `matMul`'s GEMM (band-reduction.ts), band to tridiagonal by Givens bulge chasing
 * (band-to-tridiagonal.ts), then implicit QL on the tridiagonal matrix. Half-bandwidth 32:
 * measured at n = 2,048 on 2 cores, 16 makes the first stage's GEMMs too thin, 64 doubles the
 * second stage's scalar work (bench/metrics.ts prints the resulting FID times).
 */
export async function twoStageSymmetricEigenvalues(
  a: Float64Array,
  n: number,
  matMul: MatMulTransposed,
  band = 32,
): Promise<Float64Array> {
  const b = Math.max(1, Math.min(band, n - 1));
  const lower = await reduceToBand(a, n, b, matMul);
  const { diagonal, offDiagonal } = bandToTridiagonal(lower, n, b);
  return tridiagonalEigenvalues(diagonal, offDiagonal).sort();
}
