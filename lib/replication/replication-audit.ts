import { InputError } from '../input-error.ts';
import type { MatrixEngine, TopK } from '../matrix/matrix-engine.ts';
import { calibratedThreshold, DEFAULT_CALIBRATION_PERCENTILE } from './calibrated-threshold.ts';
import type { SetScores } from './best-matches.ts';
import type { EmbeddingSets } from './embedding-scores.ts';
import { DEFAULT_TOP_K, embeddingScores } from './embedding-scores.ts';
import type { ImageSet } from './image-set.ts';
import { assertImageSet, assertSameImageShape } from './image-set.ts';
import type { PixelMatches, PixelSearchOptions } from './pixel-scores.ts';
import { DEFAULT_PIXEL_SEARCH, pixelMatches } from './pixel-scores.ts';
import type { BestMatches, ReplicationRate } from './replication-rate.ts';
import { replicationRate } from './replication-rate.ts';
import type { ScoreDirection } from './score-direction.ts';
import type { ScoreKind } from './score-kinds.ts';
import { FIXED_THRESHOLDS, SCORE_DIRECTIONS } from './score-kinds.ts';

export interface ImageSets {
  generated: ImageSet;
  train: ImageSet;
  /** Held-out real images (never trained on), for calibration. */
  test: ImageSet;
}

/** Either or both spaces: embeddings give cosine (and split product), images the pixel scores. */
export interface ReplicationAuditInput {
  embeddings?: EmbeddingSets;
  images?: ImageSets;
}

export interface ReplicationAuditOptions {
  /** Most similar training images listed per generated image (embeddings; 20 as the paper). */
  topK: number;
  /** q of the calibrated threshold: (100 - q)% of held-out images lie beyond it. */
  calibrationPercentile: number;
  /** When set, also the split-product score with this many chunks (must divide the width). */
  splitProductChunks?: number;
  /** Candidate count and tile grid of the pixel scores. */
  pixel: PixelSearchOptions;
}

export const DEFAULT_AUDIT_OPTIONS: ReplicationAuditOptions = {
  topK: DEFAULT_TOP_K,
  calibrationPercentile: DEFAULT_CALIBRATION_PERCENTILE,
  pixel: DEFAULT_PIXEL_SEARCH,
};

/** A replication rate at a threshold, marked calibrated (held-out percentile) or not (published value). */
export type ThresholdedRate = ReplicationRate &
  ({ calibrated: true; percentile: number } | { calibrated: false; source: string });

export interface ScoreAudit {
  kind: ScoreKind;
  direction: ScoreDirection;
  /** Per generated image: its score and best training match (the generated histogram). */
  generated: BestMatches;
  /** Per generated image: the best training matches by this score, best first. */
  generatedTopK: TopK;
  /** Per training image: its score against the best other training image (the background histogram). */
  background: BestMatches;
  /** Per held-out image: its score against the training set (the calibration scores). */
  test: BestMatches;
  calibrated: ThresholdedRate;
  /** At the published cut-off, when there is one. */
  fixed?: ThresholdedRate;
  /** Tiled L2 only: 1 where the generated score is provably the minimum over the whole training set. */
  generatedExact?: Uint8Array;
}

export interface ReplicationAudit {
  /** One entry per score computed, in `SCORE_KINDS` order. */
  scores: ScoreAudit[];
}

/**
 * The replication audit of Somepalli et al. 2023 ("Diffusion Art or Digital Forgery?"), extended
 * with the pixel-space scores of Carlini et al. 2023 and Gu et al. 2023: per score, each generated
 * image's best training match and top-k, the train -> other-train background, the held-out test
 * -> train scores, and the replication rate, distinct training images matched and flagged pairs at
 * a threshold calibrated on the held-out scores and at the published (uncalibrated) cut-off.
 */
export async function replicationAudit(
  input: ReplicationAuditInput,
  options: ReplicationAuditOptions,
  engine: MatrixEngine,
): Promise<ReplicationAudit> {
  if (!input.embeddings && !input.images)
    throw new InputError('A replication audit needs embeddings, images, or both');
  for (const [space, sets] of [
    ['embeddings', input.embeddings],
    ['images', input.images],
  ] as const) {
    const test = sets?.test;
    const count = test === undefined ? undefined : 'rows' in test ? test.rows : test.count;
    if (count === 0)
      throw new InputError(
        `The test ${space} are empty; a calibrated threshold needs held-out images`,
      );
  }
  const scores: ScoreAudit[] = [];
  if (input.embeddings) {
    const cosine = await embeddingScores(
      input.embeddings,
      { kind: 'cosine' },
      engine,
      options.topK,
    );
    scores.push(scoreAudit('cosine', cosine, options));
    if (options.splitProductChunks !== undefined) {
      const split = await embeddingScores(
        input.embeddings,
        { kind: 'split-product', chunks: options.splitProductChunks },
        engine,
        options.topK,
      );
      scores.push(scoreAudit('split-product', split, options));
    }
  }
  if (input.images) {
    const { generated, train, test } = input.images;
    assertImageSet(generated, 'generated images');
    assertImageSet(train, 'train images');
    assertImageSet(test, 'test images');
    assertSameImageShape(generated, 'generated images', train, 'train images');
    assertSameImageShape(test, 'test images', train, 'train images');
    const pixel = options.pixel;
    const g = await pixelMatches(generated, train, engine, pixel);
    const b = await pixelMatches(train, train, engine, { ...pixel, excludeSelf: true });
    const t = await pixelMatches(test, train, engine, pixel);
    scores.push(
      scoreAudit('normalised-l2', pixelScores(g, b, t, 'normalisedL2', g.candidates), options),
    );
    scores.push({
      ...scoreAudit('tiled-l2', pixelScores(g, b, t, 'tiledL2', byTiledL2(g)), options),
      generatedExact: g.tiledL2Exact,
    });
    scores.push(scoreAudit('nn-ratio', pixelScores(g, b, t, 'ratio', g.candidates), options));
  }
  return { scores };
}

function scoreAudit(kind: ScoreKind, s: SetScores, options: ReplicationAuditOptions): ScoreAudit {
  const direction = SCORE_DIRECTIONS[kind];
  const calibration = calibratedThreshold(s.test.scores, direction, options.calibrationPercentile);
  const fixed = FIXED_THRESHOLDS[kind];
  return {
    kind,
    direction,
    generated: s.generated,
    generatedTopK: s.generatedTopK,
    background: s.background,
    test: s.test,
    calibrated: {
      ...replicationRate(s.generated, calibration.threshold, direction),
      calibrated: true,
      percentile: calibration.percentile,
    },
    ...(fixed && {
      fixed: {
        ...replicationRate(s.generated, fixed.threshold, direction),
        calibrated: false,
        source: fixed.source,
      },
    }),
  };
}

function pixelScores(
  generated: PixelMatches,
  background: PixelMatches,
  test: PixelMatches,
  score: 'normalisedL2' | 'tiledL2' | 'ratio',
  generatedTopK: TopK,
): SetScores {
  return {
    generatedTopK,
    generated: generated[score],
    background: background[score],
    test: test[score],
  };
}

/** The normalised-L2 candidates re-ranked by their tiled L2 (ties: lower index). */
function byTiledL2(m: PixelMatches): TopK {
  const { rows, k } = m.candidates;
  const indices = new Int32Array(rows * k);
  const scores = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const order = Array.from({ length: k }, (_, p) => i * k + p).sort(
      (a, b) =>
        m.candidateTiledL2[a]! - m.candidateTiledL2[b]! ||
        m.candidates.indices[a]! - m.candidates.indices[b]!,
    );
    order.forEach((from, p) => {
      indices[i * k + p] = m.candidates.indices[from]!;
      scores[i * k + p] = m.candidateTiledL2[from]!;
    });
  }
  return { rows, k, indices, scores };
}
