import type { MatMulTransposed } from './mat-mul.ts';

/**
 * The lower band (half-bandwidth `band`) of a symmetric matrix similar to A: the first stage of a
 * two-stage tridiagonalization (Bischof, Lang & Sun, "A framework for symmetric band reduction",
 * 2000; LAPACK's dsytrd_sy2sb). Panel by panel, the columns k0..k0+b-1 below the band are reduced
 * by a Householder QR, P = Q R with Q = I - V T V^T (compact WY, Schreiber & Van Loan, 1989), and
 * the trailing block takes Q^T A22 Q = A22 - V W^T - W V^T with X = A22 V T and
 * W = X - 1/2 V (T^T V^T X) (Golub & Van Loan, 4th ed., 5.1.7 and 8.3): two GEMMs per panel on
 * `matMul`, so all ~2 n^3 flops run as level 3, none as the level-2 matrix-vector products that
 * bound a one-stage reduction.
 *
 * Returns row i's entries A(i, i - t) for t = 0..band + 1 at `i * (band + 2) + t` (the extra
 * diagonal holds the bulges of the second stage; zero here).
 */
export async function reduceToBand(
  a: Float64Array,
  n: number,
  band: number,
  matMul: MatMulTransposed,
): Promise<Float64Array> {
  if (a.length !== n * n)
    throw new RangeError(`Expected an ${n}x${n} matrix (${n * n} values), got ${a.length}`);
  if (!Number.isInteger(band) || band < 1) throw new RangeError(`band must be >= 1, got ${band}`);
  const width = band + 2;
  const out = new Float64Array(n * width);
  // The trailing block from k0 (s x s, contiguous), as reduced so far.
  let block: Float64Array = Float64Array.from(a);
  let k0 = 0;
  for (; n - 1 - k0 > band; k0 += band) {
    const s = n - k0;
    const m = s - band; // panel rows: k0 + band .. n - 1
    const reflectors = Math.min(band, m - 1);
    // The panel P (m x band, block rows band.., columns 0..band-1), column-major for the QR.
    const panel = new Float64Array(band * m);
    for (let i = 0; i < m; i++)
      for (let c = 0; c < band; c++) panel[c * m + i] = block[(band + i) * s + c]!;
    const { v, tau } = householderQr(panel, m, band, reflectors);
    // The band rows of this panel: the diagonal block and R.
    for (let i = 0; i < band; i++)
      for (let c = 0; c <= i; c++) out[(k0 + i) * width + (i - c)] = block[i * s + c]!;
    for (let i = 0; i < Math.min(band, m); i++)
      for (let c = i; c < band; c++)
        out[(k0 + band + i) * width + (band + i - c)] = panel[c * m + i]!;
    // Trailing block A22 (m x m) and its update.
    const a22 = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      a22.set(block.subarray((band + i) * s + band, (band + i + 1) * s), i * m);
    const t = triangularFactor(v, tau, m, reflectors);
    const x = await a22TimesVT(a22, v, t, m, reflectors, matMul);
    const w = correctedW(x, v, t, m, reflectors);
    block = await rankTwoUpdate(a22, v, w, m, reflectors, matMul);
  }
  // What remains is within the band already.
  const s = n - k0;
  for (let i = 0; i < s; i++)
    for (let c = 0; c <= i; c++) out[(k0 + i) * width + (i - c)] = block[i * s + c]!;
  return out;
}

/**
 * In-place Householder QR of the column-major m x cols panel, `count` reflectors
 * H_c = I - tau_c v_c v_c^T (v_c zero above c, 1 at c): the panel's upper triangle becomes R.
 * Returns V as count rows of length m (row c = v_c) and the tau's.
 */
function householderQr(
  panel: Float64Array,
  m: number,
  cols: number,
  count: number,
): { v: Float64Array; tau: Float64Array } {
  const v = new Float64Array(count * m);
  const tau = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    const col = c * m;
    let tail = 0;
    for (let i = c + 1; i < m; i++) tail += panel[col + i]! ** 2;
    const alpha = panel[col + c]!;
    v[c * m + c] = 1;
    if (tail === 0) continue; // nothing below the diagonal: H = I
    const beta = alpha > 0 ? -Math.sqrt(alpha * alpha + tail) : Math.sqrt(alpha * alpha + tail);
    tau[c] = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = c + 1; i < m; i++) v[c * m + i] = panel[col + i]! * scale;
    panel[col + c] = beta;
    for (let i = c + 1; i < m; i++) panel[col + i] = 0;
    for (let l = c + 1; l < cols; l++) {
      const other = l * m;
      let dot = panel[other + c]!;
      for (let i = c + 1; i < m; i++) dot += v[c * m + i]! * panel[other + i]!;
      const f = tau[c]! * dot;
      panel[other + c]! -= f;
      for (let i = c + 1; i < m; i++) panel[other + i]! -= f * v[c * m + i]!;
    }
  }
  return { v, tau };
}

/**
 * The upper-triangular T of H_0 H_1 ... H_{k-1} = I - V T V^T (LAPACK's dlarft, forward,
 * columnwise): T_ii = tau_i, T_{0:i, i} = -tau_i T_{0:i, 0:i} V_{:, 0:i}^T v_i. Row-major k x k.
 */
function triangularFactor(v: Float64Array, tau: Float64Array, m: number, k: number): Float64Array {
  const t = new Float64Array(k * k);
  const dots = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    t[i * k + i] = tau[i]!;
    if (tau[i] === 0) continue;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let r = i; r < m; r++) s += v[j * m + r]! * v[i * m + r]!; // v_i is zero above i
      dots[j] = s;
    }
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let l = j; l < i; l++) s += t[j * k + l]! * dots[l]!;
      t[j * k + i] = -tau[i]! * s;
    }
  }
  return t;
}

/** X = A22 V T (m x k, row-major): the product on `matMul` (A22 symmetric: A22 V = A22 (V^T)^T). */
async function a22TimesVT(
  a22: Float64Array,
  v: Float64Array,
  t: Float64Array,
  m: number,
  k: number,
  matMul: MatMulTransposed,
): Promise<Float64Array> {
  const av = await matMul(a22, m, v, k, m); // m x k
  const x = new Float64Array(m * k);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l <= j; l++) s += av[i * k + l]! * t[l * k + j]!;
      x[i * k + j] = s;
    }
  return x;
}

/** W = X - 1/2 V (T^T (V^T X)) (m x k, row-major). */
function correctedW(
  x: Float64Array,
  v: Float64Array,
  t: Float64Array,
  m: number,
  k: number,
): Float64Array {
  const vtx = new Float64Array(k * k); // V^T X
  for (let i = 0; i < k; i++)
    for (let r = i; r < m; r++) {
      const vi = v[i * m + r]!;
      if (vi === 0) continue;
      for (let j = 0; j < k; j++) vtx[i * k + j]! += vi * x[r * k + j]!;
    }
  const c = new Float64Array(k * k); // T^T V^T X
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l <= i; l++) s += t[l * k + i]! * vtx[l * k + j]!;
      c[i * k + j] = s;
    }
  const w = Float64Array.from(x);
  for (let r = 0; r < m; r++)
    for (let l = 0; l < k; l++) {
      const vl = v[l * m + r]!;
      if (vl === 0) continue;
      for (let j = 0; j < k; j++) w[r * k + j]! -= 0.5 * vl * c[l * k + j]!;
    }
  return w;
}

/** A22 - V W^T - W V^T as one GEMM: A22 - [V W] [W V]^T. */
async function rankTwoUpdate(
  a22: Float64Array,
  v: Float64Array,
  w: Float64Array,
  m: number,
  k: number,
  matMul: MatMulTransposed,
): Promise<Float64Array> {
  const left = new Float64Array(m * 2 * k);
  const right = new Float64Array(m * 2 * k);
  for (let r = 0; r < m; r++)
    for (let l = 0; l < k; l++) {
      left[r * 2 * k + l] = v[l * m + r]!;
      left[r * 2 * k + k + l] = w[r * k + l]!;
      right[r * 2 * k + l] = w[r * k + l]!;
      right[r * 2 * k + k + l] = v[l * m + r]!;
    }
  const update = await matMul(left, m, right, m, 2 * k);
  for (let i = 0; i < m * m; i++) a22[i]! -= update[i]!;
  return a22;
}
