import { InputError } from '../input-error.ts';
import type { MatrixEngine, TopK, TopKOptions } from '../matrix/matrix-engine.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import type { SetScores } from './best-matches.ts';
import { bestOf } from './best-matches.ts';
import { l2NormalisedRows } from './normalised-embeddings.ts';
import { splitProductTopK } from './split-product.ts';

/** The top-k list per generated image in Somepalli et al. 2023 (they inspect the 20 most similar). */
export const DEFAULT_TOP_K = 20;

/**
 * How a (generated, training) pair of whole-normalised embeddings is scored: the cosine (the dot
 * product; Somepalli et al. 2023) or the split product of their public code (`split-product.ts`).
 */
export type EmbeddingSimilarity = { kind: 'cosine' } | { kind: 'split-product'; chunks: number };

export interface EmbeddingSets {
  generated: FeatureMatrix;
  train: FeatureMatrix;
  /** Held-out real images (never trained on), for calibration. */
  test: FeatureMatrix;
}

/** Embedding-space similarity scores (`SetScores`). */
export type EmbeddingScores = SetScores;

/**
 * Similarity scores of an embedding-space replication audit (Somepalli et al. 2023): each set
 * L2-normalised as whole embeddings (InputError on a zero, NaN or infinite row), then generated ->
 * train top-k, train -> other train best (the background histogram) and test -> train best.
 */
export async function embeddingScores(
  sets: EmbeddingSets,
  similarity: EmbeddingSimilarity,
  engine: MatrixEngine,
  topK: number = DEFAULT_TOP_K,
): Promise<EmbeddingScores> {
  for (const name of ['generated', 'test'] as const)
    if (sets[name].cols !== sets.train.cols)
      throw new InputError(
        `${name} embeddings have ${sets[name].cols} dimensions and train embeddings ${sets.train.cols}; they must match`,
      );
  if (sets.train.rows < 2)
    throw new InputError(
      `The train embeddings hold ${sets.train.rows} rows; an audit needs at least 2`,
    );
  const generated = l2NormalisedRows(sets.generated, 'generated embeddings');
  const train = l2NormalisedRows(sets.train, 'train embeddings');
  const test = l2NormalisedRows(sets.test, 'test embeddings');
  const k = Math.min(topK, train.rows);
  const generatedTopK = await similarityTopK(generated, train, similarity, k, engine);
  return {
    generatedTopK,
    generated: bestOf(generatedTopK),
    background: bestOf(
      await similarityTopK(train, train, similarity, 1, engine, { excludeSelf: true }),
    ),
    test: bestOf(await similarityTopK(test, train, similarity, 1, engine)),
  };
}

/** Top-k of whole-normalised embeddings by the chosen similarity (largest first). */
export function similarityTopK(
  queries: FeatureMatrix,
  keys: FeatureMatrix,
  similarity: EmbeddingSimilarity,
  k: number,
  engine: MatrixEngine,
  options?: TopKOptions,
): Promise<TopK> {
  return similarity.kind === 'cosine'
    ? engine.topKInnerProduct(queries, keys, k, options)
    : splitProductTopK(queries, keys, similarity.chunks, k, engine, options);
}
