/**
 * y = A x for a row-major rows x cols float64 matrix A that stays fixed across many x (the level-2
 * half of a blocked tridiagonalization: one A per panel, one x per reflector). `bind` fixes A
 * once, so an engine can wrap it once and stream the x's.
 */
export type MatVec = (
  a: Float64Array,
  rows: number,
  cols: number,
) => (x: Float64Array) => Promise<Float64Array>;

/** The pure TypeScript product (float64 dot products by rows): the reference. */
export const pureMatVec: MatVec = (a, rows, cols) => (x) => {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += a[row + j]! * x[j]!;
    y[i] = s;
  }
  return Promise.resolve(y);
};
