import sharp from 'sharp';
import type { ImageSize, ResizeRecord } from '../../lib/datasets/source.ts';
import { InputError } from '../../lib/input-error.ts';

/**
 * Resizing a source's images to a common size (e.g. 8x8 or 20x20 digits to Fashion-MNIST's 28x28).
 * Always sharp's `cubic` kernel (Catmull-Rom) with `fit: 'fill'` (each axis scaled on its own, no
 * crop or padding), one image at a time so that neighbouring grid cells never bleed into each
 * other. libvips shrinks with that kernel and enlarges with its bicubic (Catmull-Rom) interpolator;
 * for enlarging, sharp's other smooth kernels (mitchell, lanczos2, lanczos3) give the same pixels.
 * Deterministic for a given libvips version, which the index records.
 */
export const RESIZE_KERNEL = 'cubic' as const;
export const MAX_RESIZE_SIDE = 4096;

/** Checks a requested size and makes the record the index keeps; undefined without a resize. */
export function resizeRecord(
  size: ImageSize | undefined,
  source: string,
): ResizeRecord | undefined {
  if (size === undefined) return undefined;
  for (const side of ['width', 'height'] as const) {
    const value = size[side];
    if (!Number.isInteger(value) || value < 1 || value > MAX_RESIZE_SIDE) {
      throw new InputError(
        `${source}: expected resize.${side} to be a whole number from 1 to ${MAX_RESIZE_SIDE}, got ${String(value)}`,
      );
    }
  }
  return {
    width: size.width,
    height: size.height,
    kernel: RESIZE_KERNEL,
    libvips: sharp.versions.vips,
  };
}

/** Fails unless this worker's libvips is the one that the index was made with (same pixels). */
export function checkResizer(resize: ResizeRecord | undefined, source: string): void {
  if (resize && resize.libvips !== sharp.versions.vips) {
    throw new InputError(
      `${source} was indexed to be resized with libvips ${resize.libvips} but this worker has libvips ${sharp.versions.vips}, which may round pixels differently: re-index the source`,
    );
  }
}

/** Resizes one greyscale image (row-major, one byte per pixel) as the record says. */
export async function resizeGrey(
  pixels: Uint8Array,
  width: number,
  height: number,
  resize: ResizeRecord,
): Promise<Buffer> {
  const { data, info } = await sharp(pixels, { raw: { width, height, channels: 1 } })
    .resize(resize.width, resize.height, { kernel: resize.kernel, fit: 'fill' })
    .toColourspace('b-w') // raw output would otherwise widen to three channels
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== resize.width || info.height !== resize.height || info.channels !== 1) {
    throw new Error(
      `sharp resized a ${width}x${height} grey image to ${info.width}x${info.height}x${info.channels}, expected ${resize.width}x${resize.height}x1`,
    );
  }
  return data;
}
