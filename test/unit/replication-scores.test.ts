import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { calibratedThreshold } from '../../lib/replication/calibrated-threshold.ts';
import { embeddingScores } from '../../lib/replication/embedding-scores.ts';
import { assertImageSet, type ImageSet } from '../../lib/replication/image-set.ts';
import { nearestNeighbourRatio } from '../../lib/replication/nearest-neighbour-ratio.ts';
import { l2NormalisedRows } from '../../lib/replication/normalised-embeddings.ts';
import { percentile } from '../../lib/replication/percentile.ts';
import { normalisedL2, tiledL2 } from '../../lib/replication/pixel-distances.ts';
import { pixelMatches } from '../../lib/replication/pixel-scores.ts';
import {
  replicationAudit,
  DEFAULT_AUDIT_OPTIONS,
} from '../../lib/replication/replication-audit.ts';
import { replicationRate } from '../../lib/replication/replication-rate.ts';
import { splitProduct, splitProductTopK } from '../../lib/replication/split-product.ts';

// Hand-computed values on tiny inputs.
const rows = (r: number[][]) => featureMatrix(r.length, r[0]!.length, Float64Array.from(r.flat()));

describe('embedding normalisation', () => {
  it('divides each whole row by its norm: (3, 4) -> (0.6, 0.8); huge and tiny rows too', () => {
    const n = l2NormalisedRows(
      rows([
        [3, 4],
        [1e200, 1e200],
        [1e-200, 0],
        [-2, 0],
      ]),
      'x',
    );
    [0.6, 0.8, Math.SQRT1_2, Math.SQRT1_2, 1, 0, -1, 0].forEach((v, i) =>
      expect(n.data[i]).toBeCloseTo(v, 15),
    );
  });

  it('rejects a zero row, NaN and infinities with an InputError naming the input and the row', () => {
    expect(() =>
      l2NormalisedRows(
        rows([
          [1, 0],
          [0, 0],
        ]),
        'generated embeddings',
      ),
    ).toThrowError(
      new InputError(
        'generated embeddings: embedding row 1 is all zeros and has no direction to compare',
      ),
    );
    expect(() =>
      l2NormalisedRows(
        rows([
          [1, 0],
          [1, NaN],
        ]),
        'train embeddings',
      ),
    ).toThrowError(/^train embeddings: embedding row 1 holds NaN at column 1/);
    expect(() => l2NormalisedRows(rows([[Infinity, 0]]), 'test embeddings')).toThrowError(
      InputError,
    );
  });
});

describe('cosine and split-product similarity', () => {
  const train = rows([
    [1, 0],
    [0, 1],
    [1, 1],
  ]);

  it('ranks training images by cosine: (2, 0) -> train 0 (1), train 2 (1/sqrt 2), train 1 (0)', async () => {
    const s = await embeddingScores(
      { generated: rows([[2, 0]]), train, test: rows([[0, 3]]) },
      { kind: 'cosine' },
      referenceEngine,
      3,
    );
    expect(Array.from(s.generatedTopK.indices)).toEqual([0, 2, 1]);
    expect(s.generatedTopK.scores[1]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(s.generated.scores[0]).toBeCloseTo(1, 15);
    // background: each training image's best other training image; 0 and 1 both pick 2.
    expect(Array.from(s.background.train)).toEqual([2, 2, 0]);
    expect(s.background.scores[2]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(Array.from(s.test.train)).toEqual([1]);
    expect(s.test.scores[0]).toBeCloseTo(1, 15);
  });

  it('split product of (1,1,1,1)/2 and (1,1,-1,-1)/2 in 2 chunks is 1/2 while the cosine is 0 (chunks sum to it)', () => {
    const a = [0.5, 0.5, 0.5, 0.5];
    const b = [0.5, 0.5, -0.5, -0.5];
    expect(splitProduct(a, b, 2)).toBe(0.5);
    expect(splitProduct(a, b, 1)).toBe(0); // one chunk: the cosine
    expect(splitProduct(a, b, 4)).toBe(0.25);
    expect(() => splitProduct(a, b, 3)).toThrowError(/3 chunks must be a whole number dividing/);
  });

  it('split-product top-k finds the key that matches one chunk, which the cosine ranks last', async () => {
    const keys = l2NormalisedRows(
      rows([
        [1, 0, 1, 0],
        [0.6, 0.8, -0.6, 0.8],
        [1, 1, 0, 0],
      ]),
      'k',
    );
    const query = l2NormalisedRows(rows([[1, 0, 0, 1]]), 'q');
    // Hand: split scores max(chunk0, chunk1): key0 max(.5, 0) = .5; key1 max(.3, .4) = .4; key2 max(.5, 0) = .5.
    const top = await splitProductTopK(query, keys, 2, 3, referenceEngine);
    expect(Array.from(top.indices)).toEqual([0, 2, 1]);
    expect(top.scores[0]).toBeCloseTo(0.5, 15);
    expect(top.scores[2]).toBeCloseTo(0.4, 15);
    const self = await splitProductTopK(keys, keys, 2, 1, referenceEngine, { excludeSelf: true });
    expect(Array.from(self.indices)).not.toContain(-1);
    for (let i = 0; i < 3; i++) expect(self.indices[i]).not.toBe(i);
  });
});

describe('pixel distances on 2x2 images', () => {
  const shape = { height: 2, width: 2, channels: 1 };
  const zero = [0, 0, 0, 0];
  const onePixel = [1, 0, 0, 0];

  it('normalised L2 is the RMS difference: one of four pixels off by 1 -> sqrt(1/4) = 0.5', () => {
    expect(normalisedL2(zero, onePixel)).toBe(0.5);
    expect(normalisedL2([0.2, 0.4, 0.6, 0.8], [0.3, 0.3, 0.7, 0.7])).toBeCloseTo(0.1, 15);
  });

  it('tiled L2 is the worst tile: 1 for 2x2 one-pixel tiles, sqrt(1/2) for 1x2 column tiles, 0.5 for one tile', () => {
    expect(tiledL2(zero, onePixel, shape, { rows: 2, cols: 2 })).toBe(1);
    expect(tiledL2(zero, onePixel, shape, { rows: 1, cols: 2 })).toBeCloseTo(Math.SQRT1_2, 15);
    expect(tiledL2(zero, onePixel, shape, { rows: 1, cols: 1 })).toBe(0.5);
    expect(() => tiledL2(zero, onePixel, shape, { rows: 3, cols: 1 })).toThrowError(
      /grid rows must be a whole number from 1 to 2/,
    );
  });

  it('tiles split pixels, not channels: a 1x2x2 image in 1x2 tiles', () => {
    // Pixel 0 channels (0, 0) vs (1, 1): tile 0 RMS 1; pixel 1 equal.
    expect(
      tiledL2(
        [0, 0, 0.5, 0.5],
        [1, 1, 0.5, 0.5],
        { height: 1, width: 2, channels: 2 },
        { rows: 1, cols: 2 },
      ),
    ).toBe(1);
  });

  it('nearest-neighbour ratio: 0.1 / 0.4 = 0.25; 0 / 0 counts as 1 (no single image stands out)', () => {
    expect(nearestNeighbourRatio(0.1, 0.4)).toBe(0.25);
    expect(nearestNeighbourRatio(0, 0.3)).toBe(0);
    expect(nearestNeighbourRatio(0, 0)).toBe(1);
    expect(() => nearestNeighbourRatio(0.5, 0.4)).toThrowError(RangeError);
  });

  it('pixel matches: nearest, second nearest, ratio and tiled L2 of a 2x2 query against 3 training images', async () => {
    const set = (images: number[][]): ImageSet => ({
      count: images.length,
      ...shape,
      data: Float64Array.from(images.flat()),
    });
    const train = set([
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [0.4, 0, 0, 0],
    ]);
    const m = await pixelMatches(set([[0.2, 0, 0, 0]]), train, referenceEngine, {
      candidates: 3,
      grid: { rows: 2, cols: 2 },
    });
    // Distances: train 0 and train 2 both sqrt(0.04 / 4) = 0.1 (tie: lower index first), train 1 sqrt((0.64 + 3) / 4).
    expect(Array.from(m.candidates.indices)).toEqual([0, 2, 1]);
    expect(m.normalisedL2.scores[0]).toBeCloseTo(0.1, 15);
    expect(m.candidates.scores[2]).toBeCloseTo(Math.sqrt(3.64 / 4), 15);
    expect(m.ratio.scores[0]).toBe(1);
    expect(m.tiledL2.scores[0]).toBeCloseTo(0.2, 15); // the off pixel is a whole tile
    expect(m.tiledL2.train[0]).toBe(0);
    expect(m.tiledL2Exact[0]).toBe(1);
  });

  it('rejects pixel values outside [0, 1] or NaN with an InputError naming the set and image', () => {
    const images: ImageSet = {
      count: 2,
      ...shape,
      data: Float64Array.from([0, 0, 0, 0, 0, 1.5, 0, 0]),
    };
    expect(() => assertImageSet(images, 'train images')).toThrowError(
      new InputError('train images: image 1 holds 1.5; pixel values must lie in [0, 1]'),
    );
    images.data[5] = NaN;
    expect(() => assertImageSet(images, 'train images')).toThrowError(/image 1 holds NaN/);
  });
});

describe('thresholds and rates', () => {
  it('percentile interpolates linearly between order statistics as numpy: [4, 1, 3, 2] at 50 -> 2.5, at 90 -> 3.7', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 90)).toBeCloseTo(3.7, 15);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([7], 99.9)).toBe(7);
    expect(() => percentile([], 50)).toThrowError(RangeError);
    expect(() => percentile([1], 101)).toThrowError(RangeError);
  });

  it('calibrates similarities at the q-th percentile and distances at the (100 - q)-th', () => {
    const held = [0.1, 0.2, 0.3, 0.4, 0.5];
    expect(calibratedThreshold(held, 'higher-is-copy', 75).threshold).toBeCloseTo(0.4, 15);
    expect(calibratedThreshold(held, 'lower-is-copy', 75).threshold).toBeCloseTo(0.2, 15);
    expect(calibratedThreshold(held, 'lower-is-copy', 75)).toMatchObject({
      direction: 'lower-is-copy',
      percentile: 75,
      calibrated: true,
    });
  });

  it('rate, distinct matches and flagged pairs (most copy-like first), strictly beyond the threshold', () => {
    const best = {
      scores: Float64Array.from([0.9, 0.2, 0.7, 0.95, 0.5]),
      train: Int32Array.from([3, 1, 3, 0, 2]),
    };
    const high = replicationRate(best, 0.5, 'higher-is-copy');
    expect(high.rate).toBe(3 / 5);
    expect(high.distinctMatches).toBe(2); // train 3 twice, train 0 once
    expect(high.flagged).toEqual([
      { generated: 3, train: 0, score: 0.95 },
      { generated: 0, train: 3, score: 0.9 },
      { generated: 2, train: 3, score: 0.7 },
    ]);
    const low = replicationRate(best, 0.5, 'lower-is-copy');
    expect(low.flagged).toEqual([{ generated: 1, train: 1, score: 0.2 }]);
    expect(low.distinctMatches).toBe(1);
  });

  it('an audit needs some input, held-out images, and embeddings of one width', async () => {
    await expect(
      replicationAudit(
        {
          embeddings: {
            generated: rows([[1, 0]]),
            train: rows([
              [1, 0],
              [0, 1],
            ]),
            test: featureMatrix(0, 2, new Float64Array()),
          },
        },
        DEFAULT_AUDIT_OPTIONS,
        referenceEngine,
      ),
    ).rejects.toThrowError(
      'The test embeddings are empty; a calibrated threshold needs held-out images',
    );
    await expect(replicationAudit({}, DEFAULT_AUDIT_OPTIONS, referenceEngine)).rejects.toThrowError(
      InputError,
    );
    const train = rows([
      [1, 0],
      [0, 1],
    ]);
    await expect(
      replicationAudit(
        { embeddings: { generated: rows([[1, 0, 0]]), train, test: train } },
        DEFAULT_AUDIT_OPTIONS,
        referenceEngine,
      ),
    ).rejects.toThrowError(
      'generated embeddings have 3 dimensions and train embeddings 2; they must match',
    );
  });
});
