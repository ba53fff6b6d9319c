/**
 * A B^T (aRows x bRows, row-major) for row-major A (aRows x cols) and B (bRows x cols), float64:
 * the one product the blocked factorizations need, so they run on the pure loops below or on a
 * matrix engine's GEMM.
 */
export type MatMulTransposed = (
  a: Float64Array,
  aRows: number,
  b: Float64Array,
  bRows: number,
  cols: number,
) => Promise<Float64Array>;

/** The pure TypeScript product (float64, i-k-j loops): the reference and the small-case path. */
export const pureMatMulTransposed: MatMulTransposed = (a, aRows, b, bRows, cols) => {
  const out = new Float64Array(aRows * bRows);
  for (let i = 0; i < aRows; i++) {
    for (let j = 0; j < bRows; j++) {
      let s = 0;
      for (let t = 0; t < cols; t++) s += a[i * cols + t]! * b[j * cols + t]!;
      out[i * bRows + j] = s;
    }
  }
  return Promise.resolve(out);
};
