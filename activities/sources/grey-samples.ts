import type { ResizeRecord } from '../../lib/datasets/source.ts';
import type { RawImage } from '../png.ts';
import { resizeGrey } from './resize.ts';
import type { SourceSample } from './source-sample.ts';

/** Images resized at once (sharp runs them on libuv's thread pool). */
const RESIZE_BATCH = 64;

/** Image i of a grey source, at its native size. */
export interface GreyImage {
  pixels: Uint8Array;
  label: number;
  /** Where it is in the source file, recorded in the sample's JSON. */
  source: string;
}

/**
 * Samples [start, end) of a grey source whose images are `width` x `height` (`image(i)`), resized
 * to `resize` when the index asks for it, RESIZE_BATCH at a time; `shape` is the samples' image
 * shape (the resized one, or the native one).
 */
export async function greySamples(
  start: number,
  end: number,
  native: { width: number; height: number },
  shape: Omit<RawImage, 'data'>,
  resize: ResizeRecord | undefined,
  image: (i: number) => GreyImage,
): Promise<SourceSample[]> {
  const samples: SourceSample[] = [];
  for (let from = start; from < end; from += RESIZE_BATCH) {
    const indices = Array.from({ length: Math.min(RESIZE_BATCH, end - from) }, (_, k) => from + k);
    const batch = await Promise.all(
      indices.map(async (i): Promise<SourceSample> => {
        const { pixels, label, source } = image(i);
        const data = resize
          ? await resizeGrey(pixels, native.width, native.height, resize)
          : Buffer.from(pixels);
        return { index: i, label, source, image: { data, ...shape } };
      }),
    );
    samples.push(...batch);
  }
  return samples;
}
