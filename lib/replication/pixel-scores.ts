import type { MatrixEngine, TopK } from '../matrix/matrix-engine.ts';
import type { ImageSet } from './image-set.ts';
import { flattened, imageAt } from './image-set.ts';
import { nearestNeighbourRatio } from './nearest-neighbour-ratio.ts';
import type { TileGrid } from './pixel-distances.ts';
import { DEFAULT_TILE_GRID, normalisedL2, tiledL2 } from './pixel-distances.ts';
import type { BestMatches } from './replication-rate.ts';

export interface PixelSearchOptions {
  /** Nearest training images kept per query by normalised L2 (at least 2, for the ratio). */
  candidates: number;
  grid: TileGrid;
  /** Queries are the training set itself: image i never matches itself (the background). */
  excludeSelf?: boolean;
}

export const DEFAULT_PIXEL_SEARCH: PixelSearchOptions = { candidates: 20, grid: DEFAULT_TILE_GRID };

export interface PixelMatches {
  /** Per query, the candidates by exact normalised L2, nearest first (ties: lower index). */
  candidates: TopK;
  /** Tiled L2 of each candidate, in the order of `candidates` (rows x k). */
  candidateTiledL2: Float64Array;
  /** Per query, the nearest training image and its normalised L2 (Carlini et al. 2023). */
  normalisedL2: BestMatches;
  /** Per query, the smallest tiled L2 among the candidates and that training image. */
  tiledL2: BestMatches;
  /**
   * 1 where the candidate tiled L2 is provably the smallest over the whole training set: it does
   * not exceed the k-th candidate's normalised L2, and every other training image has tiled L2 >=
   * its normalised L2 >= that (exact given an exact engine top-k; all candidates => always 1).
   */
  tiledL2Exact: Uint8Array;
  /** Per query, nearest / second-nearest normalised L2 (Gu et al. 2023); `train` is the nearest. */
  ratio: BestMatches;
}

/**
 * Pixel-space nearest training images of each query image. The engine's k nearest by squared
 * distance on flattened pixels are re-scored by the exact normalised L2 (so near-duplicates get
 * their small distances to full precision) and re-sorted; from them come the nearest (normalised
 * L2), the ratio of the two nearest, and the tiled L2. The tiled L2 is searched among these
 * normalised-L2 candidates only, not the whole training set: a copy that is close in every tile is
 * close overall and so among the candidates; `tiledL2Exact` says where this is provably exact.
 */
export async function pixelMatches(
  queries: ImageSet,
  train: ImageSet,
  engine: MatrixEngine,
  options: PixelSearchOptions = DEFAULT_PIXEL_SEARCH,
): Promise<PixelMatches> {
  const excludeSelf = options.excludeSelf === true;
  const available = train.count - (excludeSelf ? 1 : 0);
  if (!Number.isInteger(options.candidates) || options.candidates < 2)
    throw new RangeError(
      `pixel search: candidates must be a whole number of at least 2, got ${options.candidates}`,
    );
  if (available < 2)
    throw new RangeError(`pixel search: ${available} training images to match; the ratio needs 2`);
  const k = Math.min(options.candidates, available);
  const found = await engine.topKNearest(flattened(queries), flattened(train), k, { excludeSelf });
  const shape = { height: train.height, width: train.width, channels: train.channels };
  const n = queries.count;
  const indices = new Int32Array(n * k);
  const scores = new Float64Array(n * k);
  const candidateTiledL2 = new Float64Array(n * k);
  const nearest = emptyMatches(n);
  const tiled = emptyMatches(n);
  const ratio = emptyMatches(n);
  const tiledL2Exact = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const query = imageAt(queries, i);
    const rescored = Array.from(found.indices.subarray(i * k, (i + 1) * k), (j) => ({
      j,
      l2: normalisedL2(query, imageAt(train, j)),
    })).sort((a, b) => a.l2 - b.l2 || a.j - b.j);
    let bestTiled = Infinity;
    let bestTiledIndex = -1;
    rescored.forEach(({ j, l2 }, p) => {
      const t = tiledL2(query, imageAt(train, j), shape, options.grid);
      indices[i * k + p] = j;
      scores[i * k + p] = l2;
      candidateTiledL2[i * k + p] = t;
      if (t < bestTiled || (t === bestTiled && j < bestTiledIndex)) {
        bestTiled = t;
        bestTiledIndex = j;
      }
    });
    const [first, second] = [rescored[0]!, rescored[1]!];
    nearest.scores[i] = first.l2;
    nearest.train[i] = first.j;
    tiled.scores[i] = bestTiled;
    tiled.train[i] = bestTiledIndex;
    tiledL2Exact[i] = k === available || bestTiled <= rescored[k - 1]!.l2 ? 1 : 0;
    ratio.scores[i] = nearestNeighbourRatio(first.l2, second.l2);
    ratio.train[i] = first.j;
  }
  return {
    candidates: { rows: n, k, indices, scores },
    candidateTiledL2,
    normalisedL2: nearest,
    tiledL2: tiled,
    tiledL2Exact,
    ratio,
  };
}

function emptyMatches(n: number): BestMatches {
  return { scores: new Float64Array(n), train: new Int32Array(n) };
}
