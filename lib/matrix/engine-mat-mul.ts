import type { MatMulTransposed } from '../math/mat-mul.ts';
import type { MatrixEngine } from './matrix-engine.ts';

/** The float64 A B^T of lib/math's blocked factorizations, on a matrix engine's gram. */
export function engineMatMul(engine: MatrixEngine): MatMulTransposed {
  return async (a, aRows, b, bRows, cols) => {
    const out = await engine.gram(
      { rows: aRows, cols, data: a.subarray(0, aRows * cols) },
      { rows: bRows, cols, data: b.subarray(0, bRows * cols) },
    );
    return out.data as Float64Array;
  };
}
