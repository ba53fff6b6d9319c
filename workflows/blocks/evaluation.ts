import type { Sha256 } from '../../lib/digest.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';
import type { StageRunner } from '../stage-runner.ts';
import type { MetricEmbedding } from './metric-embedding.ts';

/** The metrics every evaluation reports: FID, improved precision / recall, class balance. */
export interface MetricFacts {
  fid: number;
  precision: number;
  recall: number;
  classHistogramDistance: number;
}

/** What generated or real images are measured against: the real test split and its features. */
export interface RealReference {
  dataset: Sha256;
  features: Sha256;
}

/** How a study evaluates (its spec's `evaluation`, with the spec's seed and classes). */
export interface EvaluationParams {
  /** Images embedded per dataset. */
  samples: number;
  /** Neighbours of the precision / recall radii. */
  k: number;
  seed: number;
  classes?: number[];
}

/**
 * Features of (at most `samples` images of) a dataset in the metric embedding (stage `embed`, on
 * the embedding's queue). Only the real reference names its classes: other datasets hold only
 * those classes already.
 */
export async function embedFeatures(
  runner: StageRunner,
  label: string,
  embedding: MetricEmbedding,
  params: { samples: number; seed: number; stream: string; classes?: number[] },
  dataset: Sha256,
): Promise<Sha256> {
  const { samples, seed, stream, classes } = params;
  const features = await runner.stage(
    label,
    embedding.queue,
    'embed',
    { maxSamples: samples, seed, stream, ...(classes ? { classes } : {}) },
    { dataset, embedding: embedding.digest },
  );
  return features.outputs.features!;
}

/** The real reference: features of the real test split (stage `real test features`). */
export async function realReference(
  runner: StageRunner,
  embedding: MetricEmbedding,
  evaluation: EvaluationParams,
  test: Sha256,
): Promise<RealReference> {
  const { samples, seed, classes } = evaluation;
  const features = await embedFeatures(
    runner,
    'real test features',
    embedding,
    { samples, seed, stream: 'real-test-features', ...(classes ? { classes } : {}) },
    test,
  );
  return { dataset: test, features };
}

/** FID, precision / recall and class metrics of `fake` against `real` (stage `evaluate`, cpu). */
export function evaluate(
  runner: StageRunner,
  label: string,
  embedding: MetricEmbedding,
  params: { k: number; classes?: number[] },
  inputs: { real: Sha256; fake: Sha256; realDataset: Sha256; fakeDataset: Sha256 },
): Promise<StageOutput> {
  const { k, classes } = params;
  return runner.stage(
    label,
    'cpu',
    'evaluate',
    { k, embeddingId: embedding.id, ...(classes ? { classes } : {}) },
    { ...inputs, embedding: embedding.digest },
  );
}

/**
 * Features of a dataset and its metrics against the real reference: stages `<label> features`
 * (drawn from stream `stream`) and `<label> metrics`.
 */
export async function featuresAndMetrics(
  runner: StageRunner,
  label: string,
  embedding: MetricEmbedding,
  evaluation: EvaluationParams,
  at: { stream: string; dataset: Sha256; reference: RealReference },
): Promise<StageOutput> {
  const { samples, seed, k, classes } = evaluation;
  const { stream, dataset, reference } = at;
  const features = await embedFeatures(
    runner,
    `${label} features`,
    embedding,
    { samples, seed, stream },
    dataset,
  );
  return evaluate(
    runner,
    `${label} metrics`,
    embedding,
    { k, ...(classes ? { classes } : {}) },
    {
      real: reference.features,
      fake: features,
      realDataset: reference.dataset,
      fakeDataset: dataset,
    },
  );
}

/** The metric facts of an `evaluate` stage's output. */
export function metricFacts(metrics: StageOutput): MetricFacts {
  return {
    fid: Number(metrics.facts.fid),
    precision: Number(metrics.facts.precision),
    recall: Number(metrics.facts.recall),
    classHistogramDistance: Number(metrics.facts.classHistogramDistance),
  };
}
