import type { Sha256 } from '../../lib/digest.ts';
import type {
  DetectionResult,
  DetectionRow,
  DetectorFeatureKind,
  DetectorModelKind,
  SpectraSummary,
} from '../../lib/studies/detection-result.ts';
import type { DetectionSpec } from '../../lib/studies/specs/detection.ts';
import { embedFeatures } from '../blocks/evaluation.ts';
import { fashionMnistSplit, ingestSource } from '../blocks/ingest.ts';
import { fitMetricEmbedding, type MetricEmbedding } from '../blocks/metric-embedding.ts';
import { realSubset } from '../blocks/real-subsets.ts';
import { openStudy, type StudyInput } from '../blocks/study.ts';
import type { StageRunner } from '../stage-runner.ts';
import { storeTablePiece } from '../table-pieces.ts';

export type DetectionInput = StudyInput<DetectionSpec>;

/** More rows than any dataset has: the `embed` stage then embeds every image, in order. */
const EVERY_IMAGE = 2_000_000_000;

// The class counts of the datasets a spec can name (lib/studies/specs/detection.ts holds the same
// table; workflow code does not import the schema module).
const CLASS_COUNT: Record<DetectionSpec['dataset']['name'], number> = { 'fashion-mnist': 10 };

/**
 * The detection study (Hataya et al. 2023, section 6.1): a real set R and a generated set S, their
 * azimuthally averaged power spectra (mean and spread per radius, Welch's z per bin), then for
 * each replicate seed, each feature kind (pixels, log spectrum, embedding) and each model
 * (logistic regression, MLP) a detector trained on real + generated images and tested on
 * held-out ones. R is drawn from the real training split (or taken by digest); S is sampled from
 * a generator fitted on a real pool P disjoint from R (or taken by digest); the embedding is
 * fitted on the real test split, which nothing else reads.
 */
export async function detectionStudy(input: DetectionInput): Promise<DetectionResult> {
  const { spec } = input;
  const { runner, cpuQueue } = openStudy(input);
  const { seed } = spec;
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };

  const sets = await realAndGenerated(runner, spec, where);
  const spectra = await runner.stage(
    'power spectra',
    'cpu',
    'powerSpectra',
    { maxImages: spec.spectra.images, seed, stream: 'spectra' },
    { real: sets.real, generated: sets.generated },
  );

  const { features, models } = spec.detectors;
  let embedding: MetricEmbedding | undefined;
  let embedded: { realFeatures: Sha256; generatedFeatures: Sha256 } | undefined;
  if (features.includes('embedding')) {
    const testSplit = (await ingestSource(runner, fashionMnistSplit('test'), where)).dataset;
    embedding = await fitMetricEmbedding(
      runner,
      { embedding: spec.embedding!, seed, datasetName: spec.dataset.name },
      testSplit,
    );
    const every = { samples: EVERY_IMAGE, seed };
    embedded = {
      realFeatures: await embedFeatures(
        runner,
        'R features',
        embedding,
        { ...every, stream: 'features/R' },
        sets.real,
      ),
      generatedFeatures: await embedFeatures(
        runner,
        'S features',
        embedding,
        { ...every, stream: 'features/S' },
        sets.generated,
      ),
    };
  }

  const rows: DetectionRow[] = [];
  const { trainPerClass, testPerClass } = spec.detectors;
  for (const replicate of spec.seeds)
    for (const kind of features)
      for (const model of models) {
        const trained = await runner.stage(
          `seed=${replicate} ${kind} ${model}`,
          'cpu',
          'trainDetector',
          {
            features: kind,
            model: modelSpec(spec, model),
            trainPerClass,
            testPerClass,
            seed: replicate,
            // one split per seed, shared by its detectors (the stage derives its sub-streams)
            stream: `seed=${replicate}`,
          },
          {
            real: sets.real,
            generated: sets.generated,
            ...(kind === 'embedding' ? embedded! : {}),
          },
        );
        rows.push(row(replicate, kind, model, spec, trained.facts, trained.outputs.report!));
      }

  const table = await storeTablePiece(runner, rows);
  return {
    study: 'detection',
    name: spec.name,
    datasets: {
      real: sets.real,
      generated: sets.generated,
      ...(sets.pool ? { pool: sets.pool } : {}),
    },
    generatedBy: sets.generator ? 'generator' : 'dataset',
    ...(sets.generator ? { generator: sets.generator, temperature: sets.temperature! } : {}),
    spectra: spectra.outputs.spectra!,
    spectraSummary: spectraSummary(spectra.facts),
    ...(embedding ? { embedding: { id: embedding.id, digest: embedding.digest } } : {}),
    ...table,
  };
}

/** R and S (and P with the generator fitted on it, when the study fits one). */
async function realAndGenerated(
  runner: StageRunner,
  spec: DetectionSpec,
  where: { cpuQueue: string; store?: string },
): Promise<{
  real: Sha256;
  generated: Sha256;
  pool?: Sha256;
  generator?: Sha256;
  temperature?: number;
}> {
  const { seed } = spec;
  const fitted = 'generator' in spec.generated ? spec.generated.generator : undefined;
  const given = 'dataset' in spec.generated ? spec.generated.dataset : undefined;
  if (spec.real) return { real: spec.real.dataset, generated: given! };

  // R (and P): one class-balanced draw from the training split, split in two when a generator
  // is fitted here, so that no image is in both.
  const train = (await ingestSource(runner, fashionMnistSplit('train'), where)).dataset;
  const { perClass, generatorPoolPerClass } = spec.dataset;
  const classes = CLASS_COUNT[spec.dataset.name];
  const pool = await realSubset(
    runner,
    fitted ? 'real pool (R + P)' : 'R',
    {
      count: classes * (perClass + (fitted ? generatorPoolPerClass : 0)),
      name: fitted ? 'R+P' : 'R',
      seed,
      stream: 'real-pool',
    },
    train,
  );
  if (!fitted) return { real: pool.outputs.dataset!, generated: given! };
  const split = await runner.stage(
    'R and P',
    'cpu',
    'splitSubset',
    { perClass, name: 'R', restName: 'P', seed, stream: 'split/R' },
    { dataset: pool.outputs.dataset! },
  );
  const real = split.outputs.dataset!;
  const generatorPool = split.outputs.rest!;
  const { temperature, ...generatorOptions } = fitted;
  const model = await runner.stage(
    'fit G on P',
    'gpu',
    'fitGenerator',
    { generator: generatorOptions, seed, stream: 'generator/fit' },
    { dataset: generatorPool },
  );
  const sampled = await runner.stage(
    'sample S',
    'gpu',
    'sampleImages',
    { alpha: 1, temperature, name: 'S', seed, stream: 'generator/sample' },
    { model: model.outputs.model!, reference: real },
  );
  return {
    real,
    generated: sampled.outputs.dataset!,
    pool: generatorPool,
    generator: model.outputs.model!,
    temperature,
  };
}

/** The `model` parameter of a trainDetector stage: the kind and its settings from the spec. */
function modelSpec(spec: DetectionSpec, model: DetectorModelKind): Record<string, unknown> {
  return model === 'logistic'
    ? { kind: 'logistic', ...spec.detectors.logistic }
    : { kind: 'mlp', ...spec.detectors.mlp };
}

function row(
  seed: number,
  features: DetectorFeatureKind,
  model: DetectorModelKind,
  spec: DetectionSpec,
  facts: Record<string, unknown>,
  report: Sha256,
): DetectionRow {
  return {
    seed,
    features,
    model,
    trainPerClass: spec.detectors.trainPerClass,
    testPerClass: spec.detectors.testPerClass,
    accuracy: Number(facts.accuracy),
    low: Number(facts.low),
    high: Number(facts.high),
    trainAccuracy: Number(facts.trainAccuracy),
    report,
  };
}

function spectraSummary(facts: Record<string, unknown>): SpectraSummary {
  return {
    bins: Number(facts.bins),
    realCount: Number(facts.realCount),
    generatedCount: Number(facts.generatedCount),
    maxAbsZ: Number(facts.maxAbsZ),
    peakRadius: Number(facts.peakRadius),
    criticalZ: Number(facts.criticalZ),
    significantBins: Number(facts.significantBins),
  };
}
