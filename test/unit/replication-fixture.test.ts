import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { featureMatrix, type FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import type { ImageSet } from '../../lib/replication/image-set.ts';
import { percentile } from '../../lib/replication/percentile.ts';
import { pixelMatches } from '../../lib/replication/pixel-scores.ts';
import { replicationAudit, type ScoreAudit } from '../../lib/replication/replication-audit.ts';
import type { ReplicationRate } from '../../lib/replication/replication-rate.ts';

// Reference values from numpy (test/fixtures/replication/make_fixture.py), not from this code.
interface Rate {
  threshold: number;
  rate: number;
  flaggedCount: number;
  distinctMatches: number;
  flaggedGenerated: number[];
}
interface EmbeddingCase {
  topIndices: number[][];
  topScores: number[][];
  background: number[];
  backgroundIndex: number[];
  test: number[];
  testIndex: number[];
  calibrated: Rate;
  fixed?: Rate;
}
interface PixelCase {
  candidates: number[][];
  candidateL2: number[][];
  candidateTiledL2: number[][];
  l2: number[];
  l2Index: number[];
  tiled: number[];
  tiledIndex: number[];
  tiledOverAllTrain: number[];
  tiledExact: number[];
  ratio: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/replication/fixture.json', import.meta.url), 'utf8'),
) as {
  topK: number;
  chunks: number;
  q: number;
  candidates: number;
  grid: { rows: number; cols: number };
  embeddings: Record<'generated' | 'train' | 'test', number[][]>;
  cosine: EmbeddingCase;
  splitProduct: EmbeddingCase;
  images: { shape: [number, number, number] } & Record<'generated' | 'train' | 'test', number[]>;
  pixel: Record<'generated' | 'background' | 'test', PixelCase> & {
    rates: Record<'l2' | 'tiled' | 'ratio' | 'l2Fixed' | 'ratioFixed', Rate>;
  };
  percentiles: { values: number[]; q: number[]; percentile: number[] }[];
};

const TOLERANCE = 1e-12;
const matrix = (rows: number[][]): FeatureMatrix =>
  featureMatrix(rows.length, rows[0]!.length, Float64Array.from(rows.flat()));
const [height, width, channels] = fixture.images.shape;
const images = (values: number[]): ImageSet => ({
  count: values.length / (height * width * channels),
  height,
  width,
  channels,
  data: Float64Array.from(values),
});

function expectClose(actual: ArrayLike<number>, expected: number[], tolerance = TOLERANCE): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(Math.abs(actual[i]! - v)).toBeLessThan(tolerance));
}

function expectRate(actual: ReplicationRate, expected: Rate): void {
  expect(Math.abs(actual.threshold - expected.threshold)).toBeLessThan(TOLERANCE);
  expect(actual.flaggedCount).toBe(expected.flaggedCount);
  expect(actual.rate).toBeCloseTo(expected.rate, 14);
  expect(actual.distinctMatches).toBe(expected.distinctMatches);
  expect(actual.flagged.map((f) => f.generated).sort((a, b) => a - b)).toEqual(
    expected.flaggedGenerated,
  );
}

function expectEmbeddingCase(audit: ScoreAudit, expected: EmbeddingCase): void {
  expect(Array.from(audit.generatedTopK.indices)).toEqual(expected.topIndices.flat());
  expectClose(audit.generatedTopK.scores, expected.topScores.flat());
  expect(Array.from(audit.background.train)).toEqual(expected.backgroundIndex);
  expectClose(audit.background.scores, expected.background);
  expect(Array.from(audit.test.train)).toEqual(expected.testIndex);
  expectClose(audit.test.scores, expected.test);
  expectRate(audit.calibrated, expected.calibrated);
}

const audit = await replicationAudit(
  {
    embeddings: {
      generated: matrix(fixture.embeddings.generated),
      train: matrix(fixture.embeddings.train),
      test: matrix(fixture.embeddings.test),
    },
    images: {
      generated: images(fixture.images.generated),
      train: images(fixture.images.train),
      test: images(fixture.images.test),
    },
  },
  {
    topK: fixture.topK,
    calibrationPercentile: fixture.q,
    splitProductChunks: fixture.chunks,
    pixel: { candidates: fixture.candidates, grid: fixture.grid },
  },
  referenceEngine,
);
const score = (kind: ScoreAudit['kind']): ScoreAudit => audit.scores.find((s) => s.kind === kind)!;

describe('replication audit against numpy (make_fixture.py), within 1e-12', () => {
  it('computes every score kind, in order', () => {
    expect(audit.scores.map((s) => s.kind)).toEqual([
      'cosine',
      'split-product',
      'normalised-l2',
      'tiled-l2',
      'nn-ratio',
    ]);
  });

  it('cosine: top-k, train -> other train background, test scores, calibrated and fixed 0.5 rates', () => {
    expectEmbeddingCase(score('cosine'), fixture.cosine);
    expect(score('cosine').fixed?.calibrated).toBe(false);
    expectRate(score('cosine').fixed!, fixture.cosine.fixed!);
  });

  it('split product: exact blocked top-k equals numpy einsum max over chunks; no fixed threshold', () => {
    expectEmbeddingCase(score('split-product'), fixture.splitProduct);
    expect(score('split-product').fixed).toBeUndefined();
  });

  it('pixel candidates: exact normalised L2 and tiled L2 of the 5 nearest, for generated, background and test', async () => {
    const train = images(fixture.images.train);
    const options = { candidates: fixture.candidates, grid: fixture.grid };
    for (const [queries, expected, excludeSelf] of [
      [images(fixture.images.generated), fixture.pixel.generated, false],
      [train, fixture.pixel.background, true],
      [images(fixture.images.test), fixture.pixel.test, false],
    ] as const) {
      const m = await pixelMatches(queries, train, referenceEngine, { ...options, excludeSelf });
      expect(Array.from(m.candidates.indices)).toEqual(expected.candidates.flat());
      expectClose(m.candidates.scores, expected.candidateL2.flat());
      expectClose(m.candidateTiledL2, expected.candidateTiledL2.flat());
      expect(Array.from(m.tiledL2Exact)).toEqual(expected.tiledExact);
      expectClose(m.ratio.scores, expected.ratio);
    }
  });

  it('pixel scores: nearest by normalised L2, best tiled L2 among candidates, ratio; calibrated and fixed rates', () => {
    const g = fixture.pixel.generated;
    const l2 = score('normalised-l2');
    expectClose(l2.generated.scores, g.l2);
    expect(Array.from(l2.generated.train)).toEqual(g.l2Index);
    expectClose(l2.background.scores, fixture.pixel.background.l2);
    expectClose(l2.test.scores, fixture.pixel.test.l2);
    expectRate(l2.calibrated, fixture.pixel.rates.l2);
    expectRate(l2.fixed!, fixture.pixel.rates.l2Fixed);
    const tiled = score('tiled-l2');
    expectClose(tiled.generated.scores, g.tiled);
    expect(Array.from(tiled.generated.train)).toEqual(g.tiledIndex);
    expectRate(tiled.calibrated, fixture.pixel.rates.tiled);
    const ratio = score('nn-ratio');
    expectClose(ratio.generated.scores, g.ratio);
    expectRate(ratio.calibrated, fixture.pixel.rates.ratio);
    expectRate(ratio.fixed!, fixture.pixel.rates.ratioFixed);
  });

  it('where the tiled L2 is marked exact, it is the minimum over the whole training set', () => {
    const tiled = score('tiled-l2');
    fixture.pixel.generated.tiledExact.forEach((exact, i) => {
      if (exact === 1)
        expect(tiled.generated.scores[i]).toBeCloseTo(
          fixture.pixel.generated.tiledOverAllTrain[i]!,
          12,
        );
    });
    expect(Array.from(tiled.generatedExact!)).toEqual(fixture.pixel.generated.tiledExact);
  });

  it('percentile matches np.percentile (linear) for 1 to 2001 values, ties, q = 0 .. 100, within 1e-12', () => {
    for (const c of fixture.percentiles)
      c.q.forEach((q, i) => {
        expect(Math.abs(percentile(c.values, q) - c.percentile[i]!)).toBeLessThan(TOLERANCE);
      });
  });
});
