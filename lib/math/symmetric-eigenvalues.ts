/**
 * Eigenvalues only of a real symmetric n x n matrix (row-major; the lower triangle is read):
 * Householder reduction to tridiagonal form without accumulating the transformations (~4/3 n^3
 * flops, a third of a full eigendecomposition), then implicit QL iterations with Wilkinson shifts
 * on the tridiagonal matrix (O(n^2)); Golub & Van Loan, "Matrix Computations", 4th ed., 8.3.1 and
 * 8.3.5. Returns the eigenvalues in ascending order.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n)
    throw new RangeError(`Expected an ${n}x${n} matrix (${n * n} values), got ${a.length}`);
  const { diagonal, offDiagonal } = tridiagonalize(Float64Array.from(a), n);
  return tridiagonalEigenvalues(diagonal, offDiagonal).sort();
}

/**
 * In-place Householder tridiagonalization of the lower triangle of `m`: step k reflects rows and
 * columns k+1.. with H = I - 2 v v^T / v^T v, updating the trailing block as
 * A - v w^T - w v^T with p = 2 A v / v^T v, w = p - (v^T p / v^T v) v.
 */
export function tridiagonalize(
  m: Float64Array,
  n: number,
): { diagonal: Float64Array; offDiagonal: Float64Array } {
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(0, n - 1));
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const s = k + 1; // first row of the trailing block
    let norm2 = 0;
    for (let i = s; i < n; i++) norm2 += m[i * n + k]! ** 2;
    const x0 = m[s * n + k]!;
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    diagonal[k] = m[k * n + k]!;
    // Already tridiagonal in this column: no reflection.
    if (norm2 - x0 * x0 === 0) {
      offDiagonal[k] = x0;
      continue;
    }
    offDiagonal[k] = alpha;
    for (let i = s; i < n; i++) v[i] = m[i * n + k]!;
    v[s]! -= alpha;
    const vv = norm2 - 2 * alpha * x0 + alpha * alpha; // |x - alpha e1|^2
    // p = (2 / vv) A22 v from the lower triangle (symmetric matrix-vector product).
    p.fill(0, s, n);
    for (let i = s; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let sum = m[row + i]! * vi;
      for (let j = s; j < i; j++) {
        const aij = m[row + j]!;
        sum += aij * v[j]!;
        p[j]! += aij * vi;
      }
      p[i]! += sum;
    }
    let vp = 0;
    for (let i = s; i < n; i++) {
      p[i]! *= 2 / vv;
      vp += v[i]! * p[i]!;
    }
    const half = vp / vv;
    for (let i = s; i < n; i++) p[i]! -= half * v[i]!; // p is now w
    for (let i = s; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = p[i]!;
      for (let j = s; j <= i; j++) m[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
  }
  if (n >= 2) {
    diagonal[n - 2] = m[(n - 2) * n + n - 2]!;
    offDiagonal[n - 2] = m[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) diagonal[n - 1] = m[(n - 1) * n + n - 1]!;
  return { diagonal, offDiagonal };
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d on the diagonal, e below it) by implicit QL
 * with Wilkinson shifts: the bottom-up chase of a bulge by Givens rotations, deflating when an
 * off-diagonal entry is below eps times the matrix's norm (max row sum |e_i-1| + |d_i| + |e_i|),
 * the level of the reduction's own backward error. A test relative to the two neighbouring
 * diagonal entries only never deflates among many near-zero eigenvalues (a low-rank covariance:
 * their off-diagonals stay at rounding size of the large ones) and stalls. Overwrites d.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const off = new Float64Array(n);
  off.set(e.subarray(0, Math.max(0, n - 1)));
  const eps = 2 ** -52;
  let norm = 0;
  for (let i = 0; i < n; i++)
    norm = Math.max(
      norm,
      Math.abs(d[i]!) + Math.abs(off[i]!) + (i > 0 ? Math.abs(off[i - 1]!) : 0),
    );
  const negligible = eps * norm;
  for (let l = 0; l < n; l++) {
    for (let iteration = 0; ; iteration++) {
      let m = l;
      while (m < n - 1 && Math.abs(off[m]!) > negligible) m++;
      if (m === l) break;
      if (iteration === 60)
        throw new Error(`tridiagonalEigenvalues: no convergence at eigenvalue ${l} of ${n}`);
      // Wilkinson shift from the leading 2 x 2 block of the unreduced part.
      const theta = (d[l + 1]! - d[l]!) / (2 * off[l]!);
      const root = Math.hypot(theta, 1);
      let g = d[m]! - d[l]! + off[l]! / (theta + (theta >= 0 ? root : -root));
      let sin = 1;
      let cos = 1;
      let shift = 0;
      let underflow = false;
      for (let i = m - 1; i >= l; i--) {
        const f = sin * off[i]!;
        const b = cos * off[i]!;
        const r = Math.hypot(f, g);
        off[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= shift;
          off[m] = 0;
          underflow = true;
          break;
        }
        sin = f / r;
        cos = g / r;
        const h = d[i + 1]! - shift;
        const t = (d[i]! - h) * sin + 2 * cos * b;
        shift = sin * t;
        d[i + 1] = h + shift;
        g = cos * t - b;
      }
      if (underflow) continue;
      d[l]! -= shift;
      off[l] = g;
      off[m] = 0;
    }
  }
  return d;
}
