import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Image8 } from '../lib/images/shifts.ts';
import type { ImageSet } from './image-sets.ts';

// Images between yields to the event loop, so heartbeats keep going on large sets.
const YIELD_EVERY = 500;

/**
 * The pixels of a set with every image passed through `transform` (same shape out), one image at
 * a time in order, so a transform may draw from one shared random stream. Also the mean absolute
 * change per value, a sanity figure for the stage's facts.
 */
export async function mapImages(
  set: ImageSet,
  transform: (image: Image8, index: number) => Image8 | Promise<Image8>,
): Promise<{ pixels: Uint8Array; meanAbsChange: number }> {
  const { width, height, channels } = set;
  const size = width * height * channels;
  const pixels = new Uint8Array(set.pixels.length);
  let absChange = 0;
  for (let i = 0; i < set.count; i++) {
    const image: Image8 = {
      width,
      height,
      channels,
      data: set.pixels.subarray(i * size, (i + 1) * size),
    };
    const out = await transform(image, i);
    if (out.data.length !== size)
      throw new RangeError(
        `Image ${i}: the transform returned ${out.data.length} values, not ${size}`,
      );
    pixels.set(out.data, i * size);
    for (let j = 0; j < size; j++) absChange += Math.abs(out.data[j]! - image.data[j]!);
    if ((i + 1) % YIELD_EVERY === 0) await yieldToEventLoop();
  }
  return { pixels, meanAbsChange: set.count ? absChange / (set.count * size) : 0 };
}
