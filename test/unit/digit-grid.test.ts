import { describe, expect, it } from 'vitest';
import {
  OPENCV_DIGITS_GRID,
  checkGridImage,
  cutCell,
  gridCell,
  gridCellPixels,
  gridCount,
  gridImageSize,
} from '../../lib/datasets/digit-grid.ts';
import type { DigitGridLayout } from '../../lib/datasets/source.ts';
import { InputError } from '../../lib/input-error.ts';

// A 6x4 image of 2x2 cells, 3 columns by 2 rows, 2 cells per class; pixel (x, y) = 10 y + x.
const tiny: DigitGridLayout = { columns: 3, rows: 2, cellWidth: 2, cellHeight: 2, perClass: 2 };
const pixels = Uint8Array.from({ length: 24 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6));

describe('digit grid', () => {
  it('places samples row-major and labels them in runs of perClass', () => {
    expect(gridCount(tiny)).toBe(6);
    expect(gridImageSize(tiny)).toEqual({ width: 6, height: 4 });
    expect([0, 1, 2, 3, 4, 5].map((i) => gridCell(tiny, i))).toEqual([
      { row: 0, column: 0, label: 0 },
      { row: 0, column: 1, label: 0 },
      { row: 0, column: 2, label: 1 },
      { row: 1, column: 0, label: 1 },
      { row: 1, column: 1, label: 2 },
      { row: 1, column: 2, label: 2 },
    ]);
    expect(() => gridCell(tiny, 6)).toThrowError(RangeError);
  });

  it('cuts each cell out of the image', () => {
    expect(Array.from(gridCellPixels(tiny, pixels, 0))).toEqual([0, 1, 10, 11]);
    expect(Array.from(gridCellPixels(tiny, pixels, 2))).toEqual([4, 5, 14, 15]);
    expect(Array.from(gridCellPixels(tiny, pixels, 4))).toEqual([22, 23, 32, 33]);
    expect(Array.from(cutCell(pixels, 6, 1, 1, 3, 2))).toEqual([11, 12, 13, 21, 22, 23]);
    expect(() => cutCell(pixels, 6, 5, 0, 2, 2)).toThrowError(
      'The 2x2 cell at (5, 0) is outside the 6x4 image',
    );
  });

  it("OpenCV's layout: 5,000 cells of 20x20 in a 2000x1000 image, 500 per class", () => {
    expect(gridCount(OPENCV_DIGITS_GRID)).toBe(5000);
    expect(gridImageSize(OPENCV_DIGITS_GRID)).toEqual({ width: 2000, height: 1000 });
    expect(gridCell(OPENCV_DIGITS_GRID, 499)).toEqual({ row: 4, column: 99, label: 0 });
    expect(gridCell(OPENCV_DIGITS_GRID, 500)).toEqual({ row: 5, column: 0, label: 1 });
    expect(gridCell(OPENCV_DIGITS_GRID, 4999)).toEqual({ row: 49, column: 99, label: 9 });
  });

  it('rejects an image of the wrong size or channel count, naming the file (bad input)', () => {
    const check = (width: number, height: number, channels: number) => () =>
      checkGridImage(OPENCV_DIGITS_GRID, { width, height, channels }, '/data/digits.png');
    expect(check(2000, 1000, 1)).not.toThrow();
    expect(check(1990, 1000, 1)).toThrowError(InputError);
    expect(check(1990, 1000, 1)).toThrowError(
      '/data/digits.png: expected a 2000x1000 greyscale image (50 rows of 100 20x20 digits), got 1990x1000 with 1 channel',
    );
    expect(check(2000, 1000, 3)).toThrowError(/got 2000x1000 with 3 channels$/);
  });
});
