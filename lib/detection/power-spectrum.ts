/**
 * The power spectrum of an image and its azimuthal average (the 1-D spectrum of Durall et al.
 * 2020 and Hataya et al. 2023, Figure 6): pure code, no I/O.
 *
 * For an image f(x, y), x < W, y < H (grey, in [0, 1]), the 2-D discrete Fourier transform is
 *
 *   F(u, v) = sum_y sum_x f(x, y) exp(-2 pi i (u x / W + v y / H))                        (1)
 *
 * and its power is normalised by the pixel count,
 *
 *   P(u, v) = |F(u, v)|^2 / (W H),                                                        (2)
 *
 * so that Parseval's theorem reads sum_{u,v} P(u, v) = sum_{x,y} f(x, y)^2.
 * Frequencies are centred: index u stands for the signed frequency u' = u for u <= W / 2 and
 * u - W above (v likewise), and a frequency's radius is r(u, v) = round(sqrt(u'^2 + v'^2)) (3),
 * one bin per integer radius, from 0 (the mean, DC) to round(sqrt(floor(W/2)^2 + floor(H/2)^2)).
 * The azimuthal average of bin r is the mean power over its frequencies,
 *
 *   A(r) = (1 / N_r) sum_{(u, v): r(u, v) = r} P(u, v),                                   (4)
 *
 * and the profile the studies compare is its logarithm, log10(A(r) + LOG_FLOOR) (5).
 */

/** Added to A(r) before the logarithm (5): far below 8-bit quantisation noise, (1/255)^2 / 12. */
export const LOG_FLOOR = 1e-12;

/** Everything that depends only on the image size: twiddle tables and the bin of each frequency. */
export interface SpectrumPlan {
  width: number;
  height: number;
  /** cos / sin(2 pi u x / W) at [u * W + x] (row pass of (1)). */
  cosW: Float64Array;
  sinW: Float64Array;
  /** cos / sin(2 pi v y / H) at [v * H + y] (column pass of (1)). */
  cosH: Float64Array;
  sinH: Float64Array;
  /** The radius bin (3) of frequency (u, v) at [v * W + u]. */
  binOf: Int32Array;
  /** N_r: how many frequencies each bin holds. */
  binSizes: number[];
}

/** |u'|: the magnitude of the signed (centred) frequency of DFT index k of an n-point transform. */
export function centredFrequency(k: number, n: number): number {
  return Math.min(k, n - k);
}

/** The radius bin (3) of the frequency at DFT indices (u, v) of a W x H image. */
export function radiusBin(u: number, v: number, width: number, height: number): number {
  const a = centredFrequency(u, width);
  const b = centredFrequency(v, height);
  return Math.round(Math.sqrt(a * a + b * b));
}

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n * n);
  const sin = new Float64Array(n * n);
  for (let k = 0; k < n; k++)
    for (let x = 0; x < n; x++) {
      // (k x) mod n keeps the angle small, so that equal angles give identical values
      const angle = (2 * Math.PI * ((k * x) % n)) / n;
      cos[k * n + x] = Math.cos(angle);
      sin[k * n + x] = Math.sin(angle);
    }
  return { cos, sin };
}

/** The plan of a W x H spectrum; compute it once per image size. */
export function spectrumPlan(width: number, height: number): SpectrumPlan {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`Expected a positive image size, got ${width}x${height}`);
  const w = twiddles(width);
  const h = twiddles(height);
  const binOf = new Int32Array(width * height);
  const bins = radiusBin(Math.floor(width / 2), Math.floor(height / 2), width, height) + 1;
  const binSizes = new Array<number>(bins).fill(0);
  for (let v = 0; v < height; v++)
    for (let u = 0; u < width; u++) {
      const r = radiusBin(u, v, width, height);
      binOf[v * width + u] = r;
      binSizes[r]!++;
    }
  return { width, height, cosW: w.cos, sinW: w.sin, cosH: h.cos, sinH: h.sin, binOf, binSizes };
}

/**
 * P(u, v) of (2) for a real image (`image[y * W + x]`), at [v * W + u]. Separable: the row pass
 * transforms each row over x, the column pass each resulting column over y, O(W H (W + H)).
 * A real image's spectrum is conjugate-symmetric, P(u, v) = P(W - u, H - v), so only the
 * columns u <= W / 2 are transformed and the others are mirrored.
 */
export function powerSpectrum(image: ArrayLike<number>, plan: SpectrumPlan): Float64Array {
  const { width: W, height: H, cosW, sinW, cosH, sinH } = plan;
  if (image.length !== W * H)
    throw new RangeError(`Expected ${W}x${H} = ${W * H} pixels, got ${image.length}`);
  const half = Math.floor(W / 2) + 1;
  // G(u, y) = sum_x f(x, y) exp(-2 pi i u x / W), for u < half
  const gRe = new Float64Array(half * H);
  const gIm = new Float64Array(half * H);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let u = 0; u < half; u++) {
      let re = 0;
      let im = 0;
      const t = u * W;
      for (let x = 0; x < W; x++) {
        const f = image[row + x]!;
        re += f * cosW[t + x]!;
        im -= f * sinW[t + x]!;
      }
      gRe[u * H + y] = re;
      gIm[u * H + y] = im;
    }
  }
  // F(u, v) = sum_y G(u, y) exp(-2 pi i v y / H)
  const power = new Float64Array(W * H);
  const norm = 1 / (W * H);
  for (let u = 0; u < half; u++) {
    const col = u * H;
    for (let v = 0; v < H; v++) {
      let re = 0;
      let im = 0;
      const t = v * H;
      for (let y = 0; y < H; y++) {
        const c = cosH[t + y]!;
        const s = sinH[t + y]!;
        const a = gRe[col + y]!;
        const b = gIm[col + y]!;
        // (a + ib)(c - is) = (ac + bs) + i(bc - as)
        re += a * c + b * s;
        im += b * c - a * s;
      }
      const p = (re * re + im * im) * norm;
      power[v * W + u] = p;
      const mu = (W - u) % W;
      if (mu >= half) power[((H - v) % H) * W + mu] = p;
    }
  }
  return power;
}

/** A(r) of (4): the mean power of each radius bin. */
export function azimuthalAverage(power: ArrayLike<number>, plan: SpectrumPlan): Float64Array {
  const sums = new Float64Array(plan.binSizes.length);
  for (let i = 0; i < power.length; i++) sums[plan.binOf[i]!]! += power[i]!;
  for (let r = 0; r < sums.length; r++) sums[r]! /= plan.binSizes[r]!;
  return sums;
}

/**
 * The grey image in [0, 1] of image `index` of a packed 8-bit set (count x H x W x C, channels
 * interleaved): the mean over channels, divided by 255.
 */
export function greyImage(
  pixels: Uint8Array,
  index: number,
  shape: { width: number; height: number; channels: number },
): Float64Array {
  const { width, height, channels } = shape;
  const n = width * height;
  const out = new Float64Array(n);
  const base = index * n * channels;
  const scale = 1 / (255 * channels);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += pixels[base + i * channels + c]!;
    out[i] = sum * scale;
  }
  return out;
}

/** The profile (5) of one grey image: log10(A(r) + LOG_FLOOR) per radius bin. */
export function logRadialProfile(image: ArrayLike<number>, plan: SpectrumPlan): Float64Array {
  const a = azimuthalAverage(powerSpectrum(image, plan), plan);
  for (let r = 0; r < a.length; r++) a[r] = Math.log10(a[r]! + LOG_FLOOR);
  return a;
}

/**
 * The profiles (5) of the first `count` images of a packed 8-bit set, one row of `bins` values
 * per image (row-major).
 */
export function logRadialProfiles(
  pixels: Uint8Array,
  count: number,
  shape: { width: number; height: number; channels: number },
): { rows: number; cols: number; data: Float64Array } {
  const plan = spectrumPlan(shape.width, shape.height);
  const bins = plan.binSizes.length;
  const data = new Float64Array(count * bins);
  for (let i = 0; i < count; i++)
    data.set(logRadialProfile(greyImage(pixels, i, shape), plan), i * bins);
  return { rows: count, cols: bins, data };
}
