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
import { greySamples } from './grey-samples.ts';
import { checkResizer, resizeRecord } from './resize.ts';
import type { SourceSample } from './source-sample.ts';

type OpencvDigitsIndex = Extract<SourceIndex, { kind: 'opencv-digits' }>;

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
  const { grid } = index;
  const file = basename(index.file.path);
  const native = { width: grid.cellWidth, height: grid.cellHeight };
  return greySamples(start, end, native, index.image, index.resize, (i) => {
    const { row, column, label } = gridCell(grid, i);
    return { pixels: gridCellPixels(grid, pixels, i), label, source: `${file}#r${row}c${column}` };
  });
}

/** The file's pixels (gunzipped first if it is a .png.gz), failing unless it is the expected grid. */
async function decodeGrid(path: string, bytes: Buffer): Promise<Buffer> {
  const image = await decodeImage(gunzipIfCompressed(path, bytes), path);
  checkGridImage(OPENCV_DIGITS_GRID, image, path);
  return image.data;
}
