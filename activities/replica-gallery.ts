import sharp from 'sharp';
import type { ImageSet } from './image-sets.ts';

/** One gallery row: a generated image, then its best training matches (best first). */
export interface GalleryRow {
  generated: number;
  train: number[];
}

const GAP = 2;
/** The wider gap between a generated image and its matches. */
const SEPARATOR = 8;
/** Nearest-neighbour upscaling, so 28 x 28 images stay readable. */
const SCALE = 2;

/**
 * A PNG of replica candidates: one row per generated image, the image itself, a gap, then its
 * training matches. Both sets must have the same image shape (the audit checks it).
 */
export async function renderReplicaGallery(
  generated: ImageSet,
  train: ImageSet,
  rows: readonly GalleryRow[],
  matches: number,
): Promise<Uint8Array> {
  const { width: w, height: h, channels } = generated;
  const cols = 1 + matches;
  const gridW = GAP + w + SEPARATOR + matches * (w + GAP);
  const gridH = Math.max(1, rows.length) * (h + GAP) + GAP;
  const grid = Buffer.alloc(gridW * gridH * channels, 255);
  const size = w * h * channels;
  const blit = (set: ImageSet, index: number, row: number, col: number) => {
    const x0 = col === 0 ? GAP : GAP + w + SEPARATOR + (col - 1) * (w + GAP);
    const y0 = GAP + row * (h + GAP);
    for (let y = 0; y < h; y++) {
      const src = index * size + y * w * channels;
      grid.set(set.pixels.subarray(src, src + w * channels), ((y0 + y) * gridW + x0) * channels);
    }
  };
  rows.forEach((row, r) => {
    blit(generated, row.generated, r, 0);
    row.train.slice(0, cols - 1).forEach((t, i) => blit(train, t, r, i + 1));
  });
  let image = sharp(grid, {
    raw: { width: gridW, height: gridH, channels: channels as 1 | 3 | 4 },
  });
  if (channels === 1) image = image.toColourspace('b-w');
  return image
    .resize(gridW * SCALE, gridH * SCALE, { kernel: 'nearest' })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}
