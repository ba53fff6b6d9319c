import type { Rng } from '../rng.ts';
import { resampleBilinear, rotationMap } from './resample.ts';

/**
 * Shifted test sets for robustness (the contamination study's offline stand-in for ImageNet-A/R,
 * in the style of ImageNet-C: a fixed table of transforms, each with five severities). All
 * transforms work on 8-bit interleaved images with 1 (grey) or 3 (RGB) channels, keep the shape,
 * compute in floating point and round once at the end (halves up), clamped to [0, 255]. Pixels
 * outside the image read as 0 for the geometric transforms and as the nearest edge pixel for the
 * filters (blur, Sobel).
 *
 * Severity tables (the values are this project's choice for small images, 8 to 64 px):
 *
 * | shift          | parameter                                        |    1 |    2 |    3 |    4 |    5 |
 * | -------------- | ------------------------------------------------ | ---: | ---: | ---: | ---: | ---: |
 * | gaussian-noise | sigma, as a fraction of 255                      | 0.04 | 0.08 | 0.12 | 0.18 | 0.26 |
 * | blur           | Gaussian sigma, pixels                           |  0.5 | 0.75 |    1 |  1.5 |    2 |
 * | low-contrast   | factor c (1 = unchanged)                         |  0.6 | 0.45 |  0.3 |  0.2 |  0.1 |
 * | rotation       | angle, degrees (sign drawn per image)            |    8 |   15 |   22 |   30 |   45 |
 * | translation    | distance, fraction of size (direction per image) | 0.04 | 0.08 | 0.12 | 0.16 | 0.20 |
 * | jpeg           | JPEG quality (sharp / libjpeg)                   |   60 |   40 |   25 |   15 |    8 |
 * | edges          | blend weight a of the Sobel edge map             |  0.2 |  0.4 |  0.6 |  0.8 |    1 |
 * | silhouette     | blend weight a of the black/white silhouette     |  0.2 |  0.4 |  0.6 |  0.8 |    1 |
 * | pixelate       | resolution factor (w' = round(f w))              |  0.8 | 0.65 |  0.5 |  0.4 |  0.3 |
 *
 * The table is `SHIFTS`; each entry says how its parameter is used. `jpeg` is not computed here
 * (it needs a codec): the stage runs it through sharp with the table's quality.
 */
export const SHIFTS = {
  'gaussian-noise': {
    kind: 'corruption',
    parameter: 'sigma as a fraction of 255: x + 255 sigma z, z ~ N(0, 1) per pixel and channel',
    severities: [0.04, 0.08, 0.12, 0.18, 0.26],
  },
  blur: {
    kind: 'corruption',
    parameter:
      'Gaussian sigma in pixels (separable kernel, radius ceil(3 sigma), edge pixels repeat)',
    severities: [0.5, 0.75, 1, 1.5, 2],
  },
  'low-contrast': {
    kind: 'corruption',
    parameter: 'factor c: m + c (x - m), m the mean of the image per channel',
    severities: [0.6, 0.45, 0.3, 0.2, 0.1],
  },
  rotation: {
    kind: 'corruption',
    parameter:
      'angle in degrees about the centre, counter-clockwise or clockwise with probability 1/2 each; bilinear, zero fill',
    severities: [8, 15, 22, 30, 45],
  },
  translation: {
    kind: 'corruption',
    parameter:
      'distance as a fraction of the width (x) and height (y), in a direction uniform on the circle; bilinear, zero fill',
    severities: [0.04, 0.08, 0.12, 0.16, 0.2],
  },
  jpeg: {
    kind: 'corruption',
    parameter: 'JPEG quality (encoded and decoded by sharp, 4:2:0 chroma for RGB)',
    severities: [60, 40, 25, 15, 8],
  },
  edges: {
    kind: 'rendition',
    parameter:
      'blend weight a: (1 - a) x + a E, E = min(255, |Sobel gradient of the luminance| / 4) (a full 0-255 step gives 255)',
    severities: [0.2, 0.4, 0.6, 0.8, 1],
  },
  silhouette: {
    kind: 'rendition',
    parameter:
      'blend weight a: (1 - a) x + a B, B = 255 where the luminance exceeds its image mean, else 0',
    severities: [0.2, 0.4, 0.6, 0.8, 1],
  },
  pixelate: {
    kind: 'corruption',
    parameter:
      "resolution factor f: the mean of each block of an f-scaled grid (w' = max(1, round(f w))), upsampled by nearest neighbour",
    severities: [0.8, 0.65, 0.5, 0.4, 0.3],
  },
} as const satisfies Record<
  string,
  { kind: 'corruption' | 'rendition'; parameter: string; severities: readonly number[] }
>;

export type ShiftName = keyof typeof SHIFTS;
export const SHIFT_NAMES = Object.keys(SHIFTS) as ShiftName[];

/** An 8-bit interleaved image (row-major, `channels` values per pixel). */
export interface Image8 {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export function isShiftName(name: unknown): name is ShiftName {
  return typeof name === 'string' && Object.hasOwn(SHIFTS, name);
}

/** The table's parameter for a shift and severity (1 to 5). */
export function shiftParameter(shift: ShiftName, severity: number): number {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5)
    throw new RangeError(`Expected a severity from 1 to 5, got \`${severity}\``);
  return SHIFTS[shift].severities[severity - 1]!;
}

/**
 * Applies a shift at a severity to one image, drawing what is random (noise, rotation sign,
 * translation direction) from `rng`. Every shift but `jpeg` (which needs a codec; see the stage).
 */
export function applyShift(
  image: Image8,
  shift: Exclude<ShiftName, 'jpeg'>,
  severity: number,
  rng: Rng,
): Image8 {
  checkImage(image);
  const p = shiftParameter(shift, severity);
  switch (shift) {
    case 'gaussian-noise':
      return gaussianNoise(image, p, rng);
    case 'blur':
      return gaussianBlur(image, p);
    case 'low-contrast':
      return scaleContrast(image, p);
    case 'rotation':
      return rotate(image, rng.uniform() < 0.5 ? p : -p);
    case 'translation': {
      const phi = 2 * Math.PI * rng.uniform();
      return translate(image, p * image.width * Math.cos(phi), p * image.height * Math.sin(phi));
    }
    case 'edges':
      return blend(image, sobelEdges(image), p);
    case 'silhouette':
      return blend(image, silhouette(image), p);
    case 'pixelate':
      return pixelate(image, p);
  }
}

/** x + 255 sigma z per value, z standard normal from `rng`, drawn in the data order (row-major, channels interleaved). */
export function gaussianNoise(image: Image8, sigma: number, rng: Rng): Image8 {
  const out = new Float64Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i]! + 255 * sigma * rng.normal();
  return withData(image, out);
}

/** m_ch + c (x - m_ch), m_ch the mean of channel ch over the image. */
export function scaleContrast(image: Image8, c: number): Image8 {
  const { channels, data } = image;
  const pixels = data.length / channels;
  const means = Array.from({ length: channels }, (_, ch) => {
    let s = 0;
    for (let i = ch; i < data.length; i += channels) s += data[i]!;
    return s / pixels;
  });
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const m = means[i % channels]!;
    out[i] = m + c * (data[i]! - m);
  }
  return withData(image, out);
}

/**
 * Separable Gaussian blur: weights exp(-k^2 / (2 sigma^2)) for |k| <= ceil(3 sigma), normalised to
 * sum 1, first along rows then along columns, edge pixels repeated beyond the border.
 */
export function gaussianBlur(image: Image8, sigma: number): Image8 {
  if (!(sigma > 0)) throw new RangeError(`Expected sigma > 0, got \`${sigma}\``);
  const radius = Math.ceil(3 * sigma);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const kernel = weights.map((w) => w / sum);
  const { width, height, channels } = image;
  const at = (x: number, y: number, ch: number) => (y * width + x) * channels + ch;
  const rows = new Float64Array(image.data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let ch = 0; ch < channels; ch++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++)
          s += kernel[k + radius]! * image.data[at(clamp(x + k, 0, width - 1), y, ch)]!;
        rows[at(x, y, ch)] = s;
      }
  const out = new Float64Array(image.data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let ch = 0; ch < channels; ch++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++)
          s += kernel[k + radius]! * rows[at(x, clamp(y + k, 0, height - 1), ch)]!;
        out[at(x, y, ch)] = s;
      }
  return withData(image, out);
}

/**
 * Rotation by `degrees` counter-clockwise as displayed (y down), about the centre ((w-1)/2,
 * (h-1)/2): output pixel p reads the input at c + R(p - c), R = [[cos, -sin], [sin, cos]] (the
 * inverse map), bilinearly, with zeros outside the image.
 */
export function rotate(image: Image8, degrees: number): Image8 {
  return withData(
    image,
    resampleBilinear(image, rotationMap(image.width, image.height, degrees), 'zero'),
  );
}

/** Translation by (dx, dy) pixels (right, down): output (x, y) reads input (x - dx, y - dy) bilinearly, zeros outside. */
export function translate(image: Image8, dx: number, dy: number): Image8 {
  return withData(
    image,
    resampleBilinear(image, (x, y) => [x - dx, y - dy], 'zero'),
  );
}

/**
 * The Sobel gradient magnitude of the luminance, sqrt(gx^2 + gy^2) / 4 clamped to 255, with gx =
 * [-1 0 1; -2 0 2; -1 0 1] (and gy its transpose) and edge pixels repeated beyond the border; a
 * step from 0 to 255 gives 4 * 255 / 4 = 255 on both sides of the step. Every channel gets the
 * same value.
 */
export function sobelEdges(image: Image8): Image8 {
  const { width, height } = image;
  const lum = luminance(image);
  const l = (x: number, y: number) =>
    lum[clamp(y, 0, height - 1) * width + clamp(x, 0, width - 1)]!;
  const edge = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const gx =
        l(x + 1, y - 1) +
        2 * l(x + 1, y) +
        l(x + 1, y + 1) -
        l(x - 1, y - 1) -
        2 * l(x - 1, y) -
        l(x - 1, y + 1);
      const gy =
        l(x - 1, y + 1) +
        2 * l(x, y + 1) +
        l(x + 1, y + 1) -
        l(x - 1, y - 1) -
        2 * l(x, y - 1) -
        l(x + 1, y - 1);
      edge[y * width + x] = Math.hypot(gx, gy) / 4;
    }
  return fromPlane(image, edge);
}

/** 255 where the luminance exceeds its mean over the image, else 0; every channel the same. */
export function silhouette(image: Image8): Image8 {
  const lum = luminance(image);
  const mean = lum.reduce((a, b) => a + b, 0) / lum.length;
  return fromPlane(
    image,
    lum.map((v) => (v > mean ? 255 : 0)),
  );
}

/**
 * Pixelation at factor f: a grid of w' = max(1, round(f w)) by h' columns and rows, pixel x in
 * column floor(x w' / w) (likewise rows); every pixel becomes the mean of its grid cell (the
 * downsampled value, upsampled by nearest neighbour).
 */
export function pixelate(image: Image8, factor: number): Image8 {
  if (!(factor > 0 && factor <= 1))
    throw new RangeError(`Expected 0 < factor <= 1, got \`${factor}\``);
  const { width, height, channels } = image;
  const w2 = Math.max(1, Math.round(factor * width));
  const h2 = Math.max(1, Math.round(factor * height));
  const col = (x: number) => Math.floor((x * w2) / width);
  const row = (y: number) => Math.floor((y * h2) / height);
  const sums = new Float64Array(w2 * h2 * channels);
  const counts = new Float64Array(w2 * h2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell = row(y) * w2 + col(x);
      counts[cell]!++;
      for (let ch = 0; ch < channels; ch++)
        sums[cell * channels + ch]! += image.data[(y * width + x) * channels + ch]!;
    }
  const out = new Float64Array(image.data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell = row(y) * w2 + col(x);
      for (let ch = 0; ch < channels; ch++)
        out[(y * width + x) * channels + ch] = sums[cell * channels + ch]! / counts[cell]!;
    }
  return withData(image, out);
}

/** (1 - a) x + a y, per value. */
export function blend(x: Image8, y: Image8, a: number): Image8 {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - a) * x.data[i]! + a * y.data[i]!;
  return withData(x, out);
}

/** The values of an image as 8-bit: rounded (halves up) and clamped to [0, 255]. */
export function toUint8(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = clamp(Math.round(values[i]!), 0, 255);
  return out;
}

export function checkImage(image: Image8): void {
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3)
    throw new RangeError(
      `Shifts take grey (1 channel) or RGB (3 channel) images, got ${channels} channels`,
    );
  if (data.length !== width * height * channels)
    throw new RangeError(`Expected ${width}x${height}x${channels} values, got ${data.length}`);
}

/** Rec. 601 luma (0.299 R + 0.587 G + 0.114 B), or the grey value. */
function luminance(image: Image8): Float64Array {
  const { channels, data } = image;
  const out = new Float64Array(data.length / channels);
  for (let i = 0; i < out.length; i++)
    out[i] =
      channels === 1
        ? data[i]!
        : 0.299 * data[3 * i]! + 0.587 * data[3 * i + 1]! + 0.114 * data[3 * i + 2]!;
  return out;
}

function fromPlane(image: Image8, plane: ArrayLike<number>): Image8 {
  const out = new Float64Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = plane[Math.floor(i / image.channels)]!;
  return withData(image, out);
}

function withData(image: Image8, values: ArrayLike<number>): Image8 {
  return {
    width: image.width,
    height: image.height,
    channels: image.channels,
    data: toUint8(values),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
