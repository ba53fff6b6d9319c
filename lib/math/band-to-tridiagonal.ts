/**
 * The tridiagonal matrix similar to a symmetric band matrix, by Givens rotations with bulge
 * chasing (Schwarz, "Tridiagonalization of a symmetric band matrix", Numer. Math. 12, 1968;
 * LAPACK's dsbtrd without the vectors): column j's entries below the subdiagonal are zeroed from
 * the bottom up, each rotation of rows/columns (k-1, k) leaves a bulge b + 1 below the diagonal,
 * which is chased down the band b rows at a time. ~n^2/2 rotations of O(b) work each: O(n^2 b),
 * against the O(n^3) of the first stage.
 *
 * `lower` holds row i's entries A(i, i - t), t = 0..band + 1, at `i * (band + 2) + t` (the last
 * diagonal zero: room for the bulge) and is overwritten.
 */
export function bandToTridiagonal(
  lower: Float64Array,
  n: number,
  band: number,
): { diagonal: Float64Array; offDiagonal: Float64Array } {
  const width = band + 2;
  if (lower.length !== n * width)
    throw new RangeError(`Expected ${n} rows of ${width} band entries, got ${lower.length} values`);
  const at = (i: number, j: number) => i * width + (i - j); // A(i, j), i >= j
  /** (x_p, x_q) <- (c x_p + s x_q, c x_q - s x_p) for the entries at indices ip, iq. */
  const turn = (ip: number, iq: number, c: number, s: number): void => {
    const a = lower[ip]!;
    const b = lower[iq]!;
    lower[ip] = c * a + s * b;
    lower[iq] = c * b - s * a;
  };
  /** Rotates rows and columns p, p + 1 (col < p) so that A(p + 1, col) becomes 0. */
  const rotate = (p: number, col: number): void => {
    const q = p + 1;
    const xp = lower[at(p, col)]!;
    const xq = lower[at(q, col)]!;
    if (xq === 0) return;
    const r = Math.hypot(xp, xq);
    const c = xp / r;
    const s = xq / r;
    // columns t < p: A(p, t), A(q, t) (nonzero only for t >= col)
    for (let t = col; t < p; t++) turn(at(p, t), at(q, t), c, s);
    lower[at(p, col)] = r;
    lower[at(q, col)] = 0;
    // the 2 x 2 block [app apq; apq aqq] -> G [...] G^T
    const app = lower[at(p, p)]!;
    const aqq = lower[at(q, q)]!;
    const apq = lower[at(q, p)]!;
    lower[at(p, p)] = c * c * app + 2 * c * s * apq + s * s * aqq;
    lower[at(q, q)] = s * s * app - 2 * c * s * apq + c * c * aqq;
    lower[at(q, p)] = c * s * (aqq - app) + (c * c - s * s) * apq;
    // rows t > q: A(t, p), A(t, q), within the band of q (the last one, A(q + band, p), is the bulge)
    const last = Math.min(n - 1, q + band);
    for (let t = q + 1; t <= last; t++) turn(at(t, p), at(t, q), c, s);
  };
  for (let j = 0; j + 2 < n; j++) {
    for (let k = Math.min(j + band, n - 1); k >= j + 2; k--) {
      if (lower[at(k, j)] === 0) continue;
      rotate(k - 1, j);
      // chase the bulge at (k + band, k - 1) down the band
      for (let row = k + band, col = k - 1; row < n; row += band, col += band) {
        if (lower[at(row, col)] === 0) break;
        rotate(row - 1, col);
      }
    }
  }
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) diagonal[i] = lower[at(i, i)]!;
  for (let i = 1; i < n; i++) offDiagonal[i - 1] = lower[at(i, i - 1)]!;
  return { diagonal, offDiagonal };
}
