/**
 * Cholesky factor L (lower triangular, row-major) of a symmetric positive-definite d x d matrix,
 * S = L L^T. Throws when S is not positive definite (a pivot <= 0), naming the pivot.
 */
export function cholesky(s: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = s[i * d + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(sum > 0))
          throw new RangeError(
            `cholesky: the matrix is not positive definite (pivot ${i} is ${sum})`,
          );
        l[i * d + i] = Math.sqrt(sum);
      } else {
        l[i * d + j] = sum / l[j * d + j]!;
      }
    }
  }
  return l;
}

/** Solves L y = b for lower-triangular L (forward substitution), writing y into `out`. */
export function solveLower(
  l: Float64Array,
  d: number,
  b: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < d; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * d + k]! * out[k]!;
    out[i] = sum / l[i * d + i]!;
  }
  return out;
}

/** log det S = 2 sum_i log L_ii. */
export function logDetFromCholesky(l: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(l[i * d + i]!);
  return 2 * s;
}
