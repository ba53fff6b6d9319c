import type { Sha256 } from '../../lib/digest.ts';
import type { EmbeddingSpec } from '../../lib/studies/specs/common.ts';
import type { StageRunner } from '../stage-runner.ts';
import { realSubset } from './real-subsets.ts';

/** The embedding a study's metrics are computed in. */
export interface MetricEmbedding {
  /** The embedding artifact: a PCA, or an ONNX model record. */
  digest: Sha256;
  /** What results name it by, e.g. `pca64@07ba0e4414c6`. */
  id: string;
  /** Where features are computed: ONNX embeddings run on the gpu queue, the PCA on the cpu queue. */
  queue: 'cpu' | 'gpu';
}

/**
 * The embedding the metrics use: a PCA fitted on real training images, or the penultimate layer of
 * the CNN classifier trained on them (the domain-specific analogue of FID's Inception features).
 */
export async function fitMetricEmbedding(
  runner: StageRunner,
  spec: { embedding: EmbeddingSpec; seed: number; datasetName: string },
  train: Sha256,
): Promise<MetricEmbedding> {
  const { embedding, seed } = spec;
  if (embedding.kind === 'pca') {
    const fitted = await runner.stage(
      'metric embedding',
      'cpu',
      'fitEmbedding',
      {
        components: embedding.components,
        fitSamples: embedding.fitSamples,
        seed,
        stream: 'embedding',
      },
      { dataset: train },
    );
    return {
      digest: fitted.outputs.embedding!,
      id: String(fitted.facts.embeddingId),
      queue: 'cpu',
    };
  }
  const { trainSamples, ...training } = embedding;
  const subset = await realSubset(
    runner,
    'embedding training set',
    { count: trainSamples, name: 'E-classifier', seed, stream: 'embedding-train' },
    train,
  );
  const { kind: _kind, ...config } = training;
  const classifier = await runner.stage(
    'embedding classifier',
    'gpu',
    'train',
    { trainer: 'classifier', config, seed, stream: 'embedding-classifier' },
    { dataset: subset.outputs.dataset! },
  );
  const defined = await runner.stage(
    'metric embedding',
    'cpu',
    'defineOnnxEmbedding',
    { name: `${spec.datasetName}-cnn-features` },
    { model: classifier.outputs.model! },
  );
  return {
    digest: defined.outputs.embedding!,
    id: String(defined.facts.embeddingId),
    queue: 'gpu',
  };
}
