import { InputError } from '../input-error.ts';
import type { DigitGridLayout } from './source.ts';

/**
 * OpenCV's samples/data/digits.png: a 2000x1000 greyscale image of 50 rows of 100 cells, each a
 * 20x20 MNIST-derived digit (white on black); rows 0-4 hold digit 0, rows 5-9 digit 1, and so on,
 * 500 digits per class. Sample i is the cell at row floor(i / 100), column i mod 100, so the
 * samples of a class are consecutive. (Checked by decoding the file: see the integration test.)
 */
export const OPENCV_DIGITS_GRID: DigitGridLayout = {
  columns: 100,
  rows: 50,
  cellWidth: 20,
  cellHeight: 20,
  perClass: 500,
};

export function gridCount(grid: DigitGridLayout): number {
  return grid.columns * grid.rows;
}

/** The image size a grid needs: columns x cellWidth by rows x cellHeight. */
export function gridImageSize(grid: DigitGridLayout): { width: number; height: number } {
  return { width: grid.columns * grid.cellWidth, height: grid.rows * grid.cellHeight };
}

/** Fails, naming `name`, unless the decoded image is exactly the grid's size with one channel. */
export function checkGridImage(
  grid: DigitGridLayout,
  image: { width: number; height: number; channels: number },
  name: string,
): void {
  const want = gridImageSize(grid);
  if (image.width !== want.width || image.height !== want.height || image.channels !== 1) {
    throw new InputError(
      `${name}: expected a ${want.width}x${want.height} greyscale image (${grid.rows} rows of ` +
        `${grid.columns} ${grid.cellWidth}x${grid.cellHeight} digits), got ${image.width}x${image.height} ` +
        `with ${image.channels} channel${image.channels === 1 ? '' : 's'}`,
    );
  }
}

/** Where sample `index` sits in the grid, and its label (cells are labelled in runs of `perClass`). */
export function gridCell(
  grid: DigitGridLayout,
  index: number,
): { row: number; column: number; label: number } {
  if (!Number.isInteger(index) || index < 0 || index >= gridCount(grid)) {
    throw new RangeError(
      `Expected a sample index from 0 to ${gridCount(grid) - 1} of the digit grid, got ${index}`,
    );
  }
  return {
    row: Math.floor(index / grid.columns),
    column: index % grid.columns,
    label: Math.floor(index / grid.perClass),
  };
}

/**
 * Copies the `width` x `height` rectangle at (x, y) out of a one-channel image stored row-major,
 * `imageWidth` pixels per row.
 */
export function cutCell(
  pixels: Uint8Array,
  imageWidth: number,
  x: number,
  y: number,
  width: number,
  height: number,
): Uint8Array {
  const imageHeight = pixels.length / imageWidth;
  if (x < 0 || y < 0 || x + width > imageWidth || y + height > imageHeight) {
    throw new RangeError(
      `The ${width}x${height} cell at (${x}, ${y}) is outside the ${imageWidth}x${imageHeight} image`,
    );
  }
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    const from = (y + row) * imageWidth + x;
    out.set(pixels.subarray(from, from + width), row * width);
  }
  return out;
}

/** The pixels of sample `index` of a decoded grid image. */
export function gridCellPixels(
  grid: DigitGridLayout,
  pixels: Uint8Array,
  index: number,
): Uint8Array {
  const { row, column } = gridCell(grid, index);
  const { width } = gridImageSize(grid);
  return cutCell(
    pixels,
    width,
    column * grid.cellWidth,
    row * grid.cellHeight,
    grid.cellWidth,
    grid.cellHeight,
  );
}
