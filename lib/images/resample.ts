/**
 * Inverse-mapped bilinear resampling shared by the image transforms (test-time shifts, web-like
 * training transforms): the output keeps the input's shape, and output pixel (x, y) reads the
 * input at `source(x, y)` (pixel centres at integer coordinates). Works in floating point; callers
 * round once at the end.
 */

/** An interleaved image (row-major, `channels` values per pixel) of any numeric values. */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
}

/** How a read outside the image resolves: 0, or the nearest edge pixel (replicated border). */
export type Fill = 'zero' | 'edge';

export type SourceMap = (x: number, y: number) => [number, number];

export function resampleBilinear(image: Raster, source: SourceMap, fill: Fill): Float64Array {
  const { width, height, channels, data } = image;
  const value =
    fill === 'zero'
      ? (x: number, y: number, ch: number) =>
          x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + ch]!
      : (x: number, y: number, ch: number) =>
          data[(clampIndex(y, height) * width + clampIndex(x, width)) * channels + ch]!;
  const out = new Float64Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < channels; ch++)
        out[(y * width + x) * channels + ch] =
          (1 - fy) * ((1 - fx) * value(x0, y0, ch) + fx * value(x0 + 1, y0, ch)) +
          fy * ((1 - fx) * value(x0, y0 + 1, ch) + fx * value(x0 + 1, y0 + 1, ch));
    }
  return out;
}

/**
 * The inverse map of a rotation by `degrees` counter-clockwise as displayed (y down), about the
 * centre ((w-1)/2, (h-1)/2): output p reads the input at c + R(p - c), R = [[cos, -sin], [sin, cos]].
 */
export function rotationMap(width: number, height: number, degrees: number): SourceMap {
  const t = (degrees * Math.PI) / 180;
  // exact values at multiples of 90 degrees (Math.cos(pi / 2) is 6e-17, not 0)
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  const [cos, sin] = [snap(Math.cos(t)), snap(Math.sin(t))];
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return (x, y) => [cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)];
}

function clampIndex(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}
