import type { TopK } from '../matrix/matrix-engine.ts';
import type { BestMatches } from './replication-rate.ts';

/** One score's raw material: generated -> train top-k and bests, train -> other train, test -> train. */
export interface SetScores {
  /** Per generated image, its best training matches by this score, best first. */
  generatedTopK: TopK;
  /** Per generated image, its score and best training match. */
  generated: BestMatches;
  /** Per training image, its score against the best other training image (self excluded). */
  background: BestMatches;
  /** Per held-out image, its score against the training set (the calibration scores). */
  test: BestMatches;
}

/** The first (best) column of a top-k result: each query's best score and training index. */
export function bestOf(topK: TopK): BestMatches {
  const scores = new Float64Array(topK.rows);
  const train = new Int32Array(topK.rows);
  for (let i = 0; i < topK.rows; i++) {
    scores[i] = topK.scores[i * topK.k]!;
    train[i] = topK.indices[i * topK.k]!;
  }
  return { scores, train };
}
