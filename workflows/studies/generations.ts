import { continueAsNew, executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Sha256 } from '../../lib/digest.ts';
import type { GenerationsSpec } from '../../lib/studies/specs/generations.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';
import {
  featuresAndMetrics,
  metricFacts,
  realReference,
  type EvaluationParams,
  type MetricFacts,
} from '../blocks/evaluation.ts';
import { sampleGrid } from '../blocks/grids.ts';
import { fashionMnistSplit, ingestSource } from '../blocks/ingest.ts';
import { fitMetricEmbedding, type MetricEmbedding } from '../blocks/metric-embedding.ts';
import { progressOf, studyProgress } from '../blocks/progress.ts';
import { realSubset } from '../blocks/real-subsets.ts';
import { openStudy, type StudyInput, type StudyResult } from '../blocks/study.ts';
import { StageRunner } from '../stage-runner.ts';
import { historyIsLong, storeTablePiece, type TableRef } from '../table-pieces.ts';

export interface GenerationsInput extends StudyInput<GenerationsSpec> {
  /** Passed to each loop child (see GenerationsLoopInput). */
  continueAsNewAfterEvents?: number;
}

/**
 * One row of the study's table: a generation of one alpha and replicate seed (generation 0 is the
 * real D_0, shared by every seed).
 */
export interface GenerationRow extends MetricFacts {
  /** The replicate seed of the loop (the spec's `seed` when it lists no `seeds`). */
  seed: number;
  alpha: number;
  generation: number;
  trainedOn: number;
  samples: number;
  grid?: Sha256;
  metrics: Sha256;
}

export interface GenerationsResult extends StudyResult {
  study: 'generations';
  embeddingId: string;
  /** The embedding artifact (PCA or ONNX model record) the metrics were computed in. */
  embedding: Sha256;
}

/**
 * The generational retraining study (Martinez et al., 2023): shared stages (ingest, the metric
 * embedding, D_0 and its baseline metrics), then one child workflow per alpha running the loop, or
 * with replicate `seeds`, one per seed and alpha (its id and stage labels prefixed `seed=<s>/`).
 */
export async function generationsStudy(input: GenerationsInput): Promise<GenerationsResult> {
  const { spec } = input;
  const { runner, cpuQueue, gpuQueue } = openStudy(input);
  const { seed } = spec;
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };
  const train = (await ingestSource(runner, fashionMnistSplit('train'), where)).dataset;
  const test = (await ingestSource(runner, fashionMnistSplit('test'), where)).dataset;

  const evaluation = evaluationOf(spec);
  const embedding = await fitMetricEmbedding(
    runner,
    { embedding: spec.evaluation.embedding, seed, datasetName: spec.dataset.name },
    train,
  );
  const reference = await realReference(runner, embedding, evaluation, test);

  const d0 = await realSubset(
    runner,
    'D0',
    { count: spec.dataset.subset, name: 'D0', seed, stream: 'D0', ...classesOf(spec) },
    train,
  );
  const d0Dataset = d0.outputs.dataset!;
  const d0Metrics = await featuresAndMetrics(runner, 'D0', embedding, evaluation, {
    stream: 'D0-features',
    dataset: d0Dataset,
    reference,
  });
  const d0Grid = await sampleGrid(
    runner,
    'D0 grid',
    { perClass: spec.loop.gridPerClass, seed, stream: 'D0-grid' },
    d0Dataset,
  );

  // Without `seeds`, the loops run on the spec's seed with unprefixed ids and labels (as before
  // replicates existed, so that their cached stages stay valid).
  const replicates = replicatesOf(spec);

  // V_1 is the same for every alpha (of a seed): fit it once here, so that the loops find it in
  // the cache instead of training it concurrently.
  if (spec.loop.generations >= 1)
    await Promise.all(
      replicates.map((r) =>
        fitModel(runner, spec, `${r.prefix}g=1 (shared)`, 1, d0Dataset, r.seed),
      ),
    );

  const loops = await Promise.all(
    replicates.flatMap((r) =>
      spec.loop.alphas.map((alpha) =>
        executeChild(generationsLoop, {
          workflowId: `${workflowInfo().workflowId}/${r.prefix}alpha=${alpha}`,
          taskQueue: cpuQueue,
          args: [
            {
              spec,
              ...(r.replicate ? { seed: r.seed } : {}),
              alpha,
              train,
              test,
              d0: d0Dataset,
              embedding: embedding.digest,
              embeddingId: embedding.id,
              embedQueue: embedding.queue,
              realFeatures: reference.features,
              force: input.force ?? [],
              forcedDigests: runner.forcedDigests,
              cpuQueue,
              gpuQueue,
              ...(input.continueAsNewAfterEvents
                ? { continueAsNewAfterEvents: input.continueAsNewAfterEvents }
                : {}),
              ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
            },
          ],
        }),
      ),
    ),
  );

  const baseline = (seed: number, alpha: number): GenerationRow => ({
    seed,
    alpha,
    generation: 0,
    trainedOn: 0,
    samples: Number(d0.facts.count),
    ...metricFacts(d0Metrics),
    grid: d0Grid,
    metrics: d0Metrics.outputs.metrics!,
  });
  const baselines = replicates.flatMap((r) => spec.loop.alphas.map((a) => baseline(r.seed, a)));
  const table = await storeTablePiece(runner, baselines, { parts: loops });
  return {
    study: 'generations',
    name: spec.name,
    embeddingId: embedding.id,
    embedding: embedding.digest,
    ...table,
  };
}

export interface GenerationsLoopInput {
  spec: GenerationsSpec;
  /**
   * The replicate seed of this loop (one of `spec.seeds`): it seeds the loop's stages and prefixes
   * their labels with `seed=<s>/`. Absent without `seeds`: the loop runs on `spec.seed`.
   */
  seed?: number;
  alpha: number;
  train: Sha256;
  test: Sha256;
  d0: Sha256;
  embedding: Sha256;
  embeddingId: string;
  /** Where features are computed: ONNX embeddings run on the gpu queue, the PCA on the cpu queue. */
  embedQueue: 'cpu' | 'gpu';
  realFeatures: Sha256;
  force: string[];
  forcedDigests: Sha256[];
  cpuQueue: string;
  gpuQueue: string;
  /** Continue as new after a generation once the history holds this many events (default 10,000). */
  continueAsNewAfterEvents?: number;
  attemptTimeouts?: Record<string, string>;
  /**
   * Where a continued run picks up: the generations done so far, D_g, and the stored table of the
   * earlier runs (a digest: the carried state does not grow with the generations).
   */
  resume?: {
    generation: number;
    dataset: Sha256;
    table: Sha256;
    rowCount: number;
    cacheHits: number;
    stageCount: number;
  };
}

/**
 * One alpha of the loop. For g = 1..G: fit V_g on D_{g-1}; sample S_g with |S_g| = alpha |D_{g-1}|;
 * then D_g = D_{g-1} + S_g (accumulate), S_g (replace) or a fresh real subset + S_g (fresh).
 */
export async function generationsLoop(input: GenerationsLoopInput): Promise<TableRef> {
  const { spec, alpha } = input;
  const runner = new StageRunner({
    cpuQueue: input.cpuQueue,
    gpuQueue: input.gpuQueue,
    force: input.force,
    forcedDigests: input.forcedDigests,
    ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
  });
  const earlier = input.resume;
  setHandler(studyProgress, () => progressOf(runner, earlier));
  const seed = input.seed ?? spec.seed;
  const prefix = input.seed === undefined ? '' : `seed=${seed}/`;
  const embedding: MetricEmbedding = {
    digest: input.embedding,
    id: input.embeddingId,
    queue: input.embedQueue,
  };
  const reference = { dataset: input.test, features: input.realFeatures };
  const evaluation = evaluationOf(spec, seed);
  const rows: GenerationRow[] = [];
  let dataset = earlier?.dataset ?? input.d0;
  // This run's rows and stages, stored as a piece that continues the earlier runs' table.
  const flush = () => storeTablePiece(runner, rows, earlier ? { earlier } : {});
  for (let g = (earlier?.generation ?? 0) + 1; g <= spec.loop.generations; g++) {
    // Labels name the replicate seed; random streams do not (the seed itself differs).
    const at = `alpha=${alpha}/g=${g}`;
    const label = `${prefix}${at}`;
    // The fit's stream does not name alpha: the first generation's fit on D_0 is shared by all alphas.
    const { model, sampled } = await fitAndSample(runner, spec, {
      label,
      at,
      g,
      alpha,
      dataset,
      seed,
    });
    const samples = sampled.outputs.dataset!;
    const grid = await sampleGrid(
      runner,
      `${label} grid`,
      { perClass: spec.loop.gridPerClass, seed, stream: `${at}/grid` },
      samples,
    );
    const metrics = await featuresAndMetrics(runner, label, embedding, evaluation, {
      stream: `${at}/features`,
      dataset: samples,
      reference,
    });
    rows.push({
      seed,
      alpha,
      generation: g,
      trainedOn: Number(model.facts.trainedOn),
      samples: Number(sampled.facts.count),
      ...metricFacts(metrics),
      grid,
      metrics: metrics.outputs.metrics!,
    });

    if (spec.loop.mode === 'replace') {
      dataset = samples;
    } else {
      let base = dataset;
      if (spec.loop.mode === 'fresh') {
        const fresh = await realSubset(
          runner,
          `${label} fresh real`,
          {
            count: spec.dataset.subset,
            name: `R${g}-alpha${alpha}`,
            seed,
            stream: `${at}/fresh-real`,
            ...classesOf(spec),
          },
          input.train,
        );
        base = fresh.outputs.dataset!;
      }
      dataset = (
        await runner.stage(
          `${label} D_g`,
          'cpu',
          'mixDatasets',
          { name: `D${g}-alpha${alpha}` },
          { a: base, b: samples },
        )
      ).outputs.dataset!;
    }
    // A long loop keeps its history small: carry the state into a fresh run of this workflow.
    if (g < spec.loop.generations && historyIsLong(input.continueAsNewAfterEvents)) {
      await continueAsNew<typeof generationsLoop>({
        ...input,
        forcedDigests: runner.forcedDigests,
        resume: { generation: g, dataset, ...(await flush()) },
      });
    }
  }
  return flush();
}

/**
 * V_g, fitted or trained on D_{g-1}. Its stream names the generation, not alpha, so V_1 (fitted on
 * the shared D_0) is one stage for all alphas.
 */
function fitModel(
  runner: StageRunner,
  spec: GenerationsSpec,
  label: string,
  g: number,
  dataset: Sha256,
  seed: number,
): Promise<StageOutput> {
  const generator = spec.generator;
  if (generator.kind === 'ddpm')
    return runner.stage(
      `${label} train V_g`,
      'gpu',
      'train',
      { trainer: 'ddpm', config: generator.training, seed, stream: `g=${g}/fit` },
      { dataset },
    );
  const { temperature: _temperature, ...options } = generator;
  // PCA + Gaussian mixture in TypeScript: no accelerator, so the cpu queue
  return runner.stage(
    `${label} fit V_g`,
    'cpu',
    'fitGenerator',
    { generator: options, seed, stream: `g=${g}/fit` },
    { dataset },
  );
}

/** Generation g's V_g and S_g = alpha |D_{g-1}| samples of it. */
async function fitAndSample(
  runner: StageRunner,
  spec: GenerationsSpec,
  at: { label: string; at: string; g: number; alpha: number; dataset: Sha256; seed: number },
): Promise<{ model: StageOutput; sampled: StageOutput }> {
  const { g, alpha, dataset, seed } = at;
  const name = `S${g}-alpha${alpha}`;
  const model = await fitModel(runner, spec, at.label, g, dataset, seed);
  const generator = spec.generator;
  const sampled =
    generator.kind === 'ddpm'
      ? await runner.stage(
          `${at.label} sample S_g`,
          'gpu',
          'generate',
          { alpha, sampling: generator.sampling, name, seed, stream: `${at.at}/sample` },
          { model: model.outputs.model!, reference: dataset },
        )
      : await runner.stage(
          `${at.label} sample S_g`,
          'cpu',
          'sampleImages',
          {
            alpha,
            temperature: generator.temperature,
            name,
            seed,
            stream: `${at.at}/sample`,
          },
          { model: model.outputs.model!, reference: dataset },
        );
  return { model, sampled };
}

/** The spec's evaluation settings, with a seed (the spec's by default) and its classes. */
function evaluationOf(spec: GenerationsSpec, seed = spec.seed): EvaluationParams {
  const { samples, k } = spec.evaluation;
  return { samples, k, seed, ...classesOf(spec) };
}

/**
 * The loops' seeds: each of `spec.seeds` (labels and child ids prefixed `seed=<s>/`), or without
 * `seeds`, the spec's own seed with no prefix.
 */
export function replicatesOf(
  spec: GenerationsSpec,
): { seed: number; prefix: string; replicate: boolean }[] {
  return spec.seeds
    ? spec.seeds.map((seed) => ({ seed, prefix: `seed=${seed}/`, replicate: true }))
    : [{ seed: spec.seed, prefix: '', replicate: false }];
}

function classesOf(spec: GenerationsSpec): { classes?: number[] } {
  return spec.dataset.classes ? { classes: spec.dataset.classes } : {};
}
