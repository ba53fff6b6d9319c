/** Image shape (height x width x channels, row-major) for the tiled distance. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Tile grid of the tiled L2: `rows` x `cols` tiles. */
export interface TileGrid {
  rows: number;
  cols: number;
}

/** 4 x 4 = 16 tiles, as Carlini et al. 2023 (16 non-overlapping 128 x 128 tiles of a 512 x 512 image). */
export const DEFAULT_TILE_GRID: TileGrid = { rows: 4, cols: 4 };

/**
 * Normalised L2 distance (Carlini et al. 2023, "Extracting Training Data from Diffusion Models"):
 * l2(a, b) = sqrt( sum_i (a_i - b_i)^2 / d ), the root-mean-square pixel difference; for values in
 * [0, 1] it lies in [0, 1] whatever the image size. Exact differences (no |a|^2 + |b|^2 - 2 a.b).
 */
export function normalisedL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new RangeError(`normalised L2: images of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = a[i]! - b[i]!;
    s += diff * diff;
  }
  return Math.sqrt(s / a.length);
}

/**
 * Tiled L2 (Carlini et al. 2023): both images cut into the same grid of non-overlapping tiles,
 * the normalised L2 of each pair of corresponding tiles, and the maximum over tiles. A pair is
 * close only if every tile is close, so a large shared background cannot make two different
 * images look alike. Tile row r spans pixel rows [floor(r h / R), floor((r + 1) h / R)), likewise
 * columns; all channels of a pixel belong to its tile. Always >= the whole-image normalised L2
 * (the whole mean square is a weighted mean of the tiles' mean squares).
 */
export function tiledL2(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: ImageShape,
  grid: TileGrid = DEFAULT_TILE_GRID,
): number {
  const { height, width, channels } = shape;
  if (a.length !== b.length || a.length !== height * width * channels)
    throw new RangeError(
      `tiled L2: images of ${a.length} and ${b.length} values for a ${height}x${width}x${channels} shape`,
    );
  checkGrid(shape, grid);
  let worst = 0;
  for (let tr = 0; tr < grid.rows; tr++) {
    const y0 = Math.floor((tr * height) / grid.rows);
    const y1 = Math.floor(((tr + 1) * height) / grid.rows);
    for (let tc = 0; tc < grid.cols; tc++) {
      const x0 = Math.floor((tc * width) / grid.cols);
      const x1 = Math.floor(((tc + 1) * width) / grid.cols);
      let s = 0;
      for (let y = y0; y < y1; y++) {
        const rowStart = (y * width + x0) * channels;
        const rowEnd = (y * width + x1) * channels;
        for (let i = rowStart; i < rowEnd; i++) {
          const diff = a[i]! - b[i]!;
          s += diff * diff;
        }
      }
      worst = Math.max(worst, Math.sqrt(s / ((y1 - y0) * (x1 - x0) * channels)));
    }
  }
  return worst;
}

/** A grid no finer than the image (every tile holds at least one pixel). */
export function checkGrid(shape: ImageShape, grid: TileGrid): void {
  for (const [what, parts, size] of [
    ['rows', grid.rows, shape.height],
    ['cols', grid.cols, shape.width],
  ] as const)
    if (!Number.isInteger(parts) || parts < 1 || parts > size)
      throw new RangeError(
        `tiled L2: grid ${what} must be a whole number from 1 to ${size}, got ${parts}`,
      );
}
