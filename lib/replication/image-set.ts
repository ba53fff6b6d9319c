import { InputError } from '../input-error.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/** `count` images of height x width x channels, row-major (h, w, c), values in [0, 1]. */
export interface ImageSet {
  count: number;
  height: number;
  width: number;
  channels: number;
  data: Float32Array | Float64Array;
}

/** Checks an image set: the value count fits the shape, every value is finite and within [0, 1] (InputError naming `name` and the image). */
export function assertImageSet(images: ImageSet, name: string): void {
  const { count, height, width, channels, data } = images;
  for (const [what, v] of [
    ['count', count],
    ['height', height],
    ['width', width],
    ['channels', channels],
  ] as const)
    if (!Number.isInteger(v) || v < (what === 'count' ? 0 : 1))
      throw new InputError(`${name}: the image ${what} must be a whole number, got ${v}`);
  const size = height * width * channels;
  if (data.length !== count * size)
    throw new InputError(
      `${name}: expected ${count} images of ${height}x${width}x${channels} = ${count * size} values, got ${data.length}`,
    );
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 1))
      throw new InputError(
        `${name}: image ${Math.floor(i / size)} holds ${v}; pixel values must lie in [0, 1]`,
      );
  }
}

/** Both sets hold images of the same height, width and channels (InputError otherwise). */
export function assertSameImageShape(a: ImageSet, aName: string, b: ImageSet, bName: string): void {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels)
    throw new InputError(
      `${aName} are ${a.height}x${a.width}x${a.channels} and ${bName} ${b.height}x${b.width}x${b.channels}; ` +
        'pixel scores compare images of one shape',
    );
}

/** The images as flattened rows (a view, no copy), for the matrix engine. */
export function flattened(images: ImageSet): FeatureMatrix {
  return {
    rows: images.count,
    cols: images.height * images.width * images.channels,
    data: images.data,
  };
}

/** Image `i` as a view of its values. */
export function imageAt(images: ImageSet, i: number): Float32Array | Float64Array {
  const size = images.height * images.width * images.channels;
  return images.data.subarray(i * size, (i + 1) * size);
}
