import { basename } from 'node:path';
import {
  OPENCV_DIGITS_GRID,
  checkGridImage,
  gridCell,
  gridCellPixels,
  gridCount,
} from '../../lib/datasets/digit-grid.ts';
import {
  DIGIT_CLASSES,
  OPENCV_DIGITS_FILE,
  resizedName,
  type ImageSize,
  type SourceIndex,
} from '../../lib/datasets/source.ts';
import { decodeImage } from '../png.ts';
import { gunzipIfCompressed, packagedFile } from './packaged-file.ts';
import { pinFile, readPinnedFile } from './read-pinned-file.ts';
import { checkResizer, resizeGrey, resizeRecord } from './resize.ts';
import type { SourceSample } from './source-sample.ts';

type OpencvDigitsIndex = Extract<SourceIndex, { kind: 'opencv-digits' }>;

/** Cells resized at once (sharp runs them on libuv's thread pool). */
const RESIZE_BATCH = 64;

/**
 * Indexes OpenCV's digits.png (lib/datasets/digit-grid.ts describes its layout): pins the file by
 * digest and checks that it decodes to the 2000x1000 grey grid that the labels depend on.
 */
export async function indexOpencvDigits(spec: {
  file?: string;
  resize?: ImageSize;
}): Promise<OpencvDigitsIndex> {
  const path = await packagedFile(spec.file, OPENCV_DIGITS_FILE, 'opencv-doc');
  const resize = resizeRecord(spec.resize, `opencv-digits (${path})`);
  const { file, bytes } = await pinFile(path);
  const grid = OPENCV_DIGITS_GRID;
  await decodeGrid(path, bytes);
  return {
    kind: 'opencv-digits',
    name: resizedName('opencv-digits', spec.resize),
    classes: DIGIT_CLASSES,
    count: gridCount(grid),
    grid,
    image: resize
      ? { width: resize.width, height: resize.height, channels: 1 }
      : { width: grid.cellWidth, height: grid.cellHeight, channels: 1 },
    ...(resize ? { resize } : {}),
    file,
  };
}

// The decoded grid, once per worker process: every shard of an ingest reads the same file.
let cache: { key: string; pixels: Buffer } | undefined;

/** Samples [start, end): cells of the pinned (verified) file, resized if the index says so. */
export async function readOpencvDigitsSamples(
  index: OpencvDigitsIndex,
  start: number,
  end: number,
): Promise<SourceSample[]> {
  checkResizer(index.resize, index.name);
  const key = `${index.file.path}:${index.file.sha256}`;
  if (cache?.key !== key) {
    const bytes = await readPinnedFile(index.file);
    cache = { key, pixels: await decodeGrid(index.file.path, bytes) };
  }
  const { pixels } = cache;
  const { grid, resize } = index;
  const file = basename(index.file.path);
  const samples: SourceSample[] = [];
  for (let from = start; from < end; from += RESIZE_BATCH) {
    const indices = Array.from({ length: Math.min(RESIZE_BATCH, end - from) }, (_, k) => from + k);
    const batch = await Promise.all(
      indices.map(async (i): Promise<SourceSample> => {
        const { row, column, label } = gridCell(grid, i);
        const cell = gridCellPixels(grid, pixels, i);
        const data = resize
          ? await resizeGrey(cell, grid.cellWidth, grid.cellHeight, resize)
          : Buffer.from(cell);
        return {
          index: i,
          label,
          source: `${file}#r${row}c${column}`,
          image: { data, ...index.image },
        };
      }),
    );
    samples.push(...batch);
  }
  return samples;
}

/** The file's pixels (gunzipped first if it is a .png.gz), failing unless it is the expected grid. */
async function decodeGrid(path: string, bytes: Buffer): Promise<Buffer> {
  const image = await decodeImage(gunzipIfCompressed(path, bytes), path);
  checkGridImage(OPENCV_DIGITS_GRID, image, path);
  return image.data;
}
