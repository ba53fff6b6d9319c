import {
  continueAsNew,
  defineQuery,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { Sha256 } from '../lib/digest.ts';
import type { GenerationsSpec } from '../lib/studies/generations-spec.ts';
import type { StageOutput } from '../lib/studies/stage.ts';
import { ingestDataset } from './ingest-dataset.ts';
import { StageRunner } from './stage-runner.ts';
import { historyIsLong, storeTablePiece, type TableRef } from './table-pieces.ts';

export interface GenerationsInput {
  spec: GenerationsSpec;
  force?: string[];
  cpuQueue?: string;
  gpuQueue?: string;
  /** The store the run expects its workers to use (checked by the ingest activities). */
  store?: string;
  /** Passed to each loop child (see GenerationsLoopInput). */
  continueAsNewAfterEvents?: number;
  /** Per-attempt time limits by stage name (see StageRunnerOptions). */
  attemptTimeouts?: Record<string, string>;
}

/** One row of the study's table: a generation of one alpha (generation 0 is the real D_0). */
export interface GenerationRow {
  alpha: number;
  generation: number;
  trainedOn: number;
  samples: number;
  fid: number;
  precision: number;
  recall: number;
  classHistogramDistance: number;
  grid?: Sha256;
  metrics: Sha256;
}

export interface GenerationsResult {
  study: 'generations';
  name: string;
  embeddingId: string;
  /** The embedding artifact (PCA or ONNX model record) the metrics were computed in. */
  embedding: Sha256;
  /** The study table (rows and stage entries) as a stored StudyTablePiece; see readStudyTable. */
  table: Sha256;
  rowCount: number;
  stageCount: number;
  cacheHits: number;
}

// Indexing hashes every file of a source (it heartbeats while it reads).
const sources = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Stages finished so far in one workflow of a study (the parent or one loop), and the last one. */
export interface StudyProgress {
  stagesDone: number;
  cacheHits: number;
  lastStage?: string;
}

export const studyProgress = defineQuery<StudyProgress>('studyProgress');

/**
 * The generational retraining study (Martinez et al., 2023): shared stages (ingest, the metric
 * embedding, D_0 and its baseline metrics), then one child workflow per alpha running the loop.
 */
export async function generationsStudy(input: GenerationsInput): Promise<GenerationsResult> {
  const { spec } = input;
  const cpuQueue = input.cpuQueue ?? 'cpu';
  const gpuQueue = input.gpuQueue ?? 'gpu';
  upsertSearchAttributes({
    ClabStudyKind: ['generations'],
    ClabSpecName: [spec.name],
    ClabDataset: [spec.dataset.name],
  });
  const runner = new StageRunner({
    cpuQueue,
    gpuQueue,
    force: input.force ?? [],
    ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
  });
  setHandler(studyProgress, () => progressOf(runner));
  const seed = spec.seed;

  // The ingest stage is keyed on the source's content: indexing pins every source file by digest.
  const ingest = async (split: 'train' | 'test') => {
    const source = { kind: 'fashion-mnist', split } as const;
    const indexed = await sources.indexSource({
      source,
      ...(input.store ? { store: input.store } : {}),
    });
    return runner.custom(
      `ingest fashion-mnist/${split}`,
      { name: 'ingest', version: 2, params: {}, inputs: { source: indexed.indexDigest } },
      async () => {
        const manifest = await executeChild(ingestDataset, {
          workflowId: `${workflowInfo().workflowId}/ingest-${split}`,
          taskQueue: cpuQueue,
          args: [
            {
              indexDigest: indexed.indexDigest,
              count: indexed.count,
              cpuQueue,
              ...(input.store ? { store: input.store } : {}),
            },
          ],
        });
        return {
          outputs: { dataset: manifest.digest },
          facts: { count: manifest.count },
          attempt: 1,
          computeMs: 0,
        };
      },
    );
  };
  const train = (await ingest('train')).outputs.dataset!;
  const test = (await ingest('test')).outputs.dataset!;

  const maxSamples = spec.evaluation.samples;
  const classes = spec.dataset.classes ? { classes: spec.dataset.classes } : {};
  const metricEmbedding = await fitMetricEmbedding(runner, spec, train);
  const { digest: embeddingDigest, id: embeddingId, queue: embedQueue } = metricEmbedding;
  const realFeatures = (
    await runner.stage(
      'real test features',
      embedQueue,
      'embed',
      { maxSamples, seed, stream: 'real-test-features', ...classes },
      { dataset: test, embedding: embeddingDigest },
    )
  ).outputs.features!;

  const d0 = await runner.stage(
    'D0',
    'cpu',
    'realSubset',
    { count: spec.dataset.subset, name: 'D0', seed, stream: 'D0', ...classes },
    { dataset: train },
  );
  const d0Dataset = d0.outputs.dataset!;
  const d0Features = (
    await runner.stage(
      'D0 features',
      embedQueue,
      'embed',
      { maxSamples, seed, stream: 'D0-features' },
      { dataset: d0Dataset, embedding: embeddingDigest },
    )
  ).outputs.features!;
  const d0Metrics = await runner.stage(
    'D0 metrics',
    'cpu',
    'evaluate',
    { k: spec.evaluation.k, embeddingId, ...classes },
    {
      real: realFeatures,
      fake: d0Features,
      realDataset: test,
      fakeDataset: d0Dataset,
      embedding: embeddingDigest,
    },
  );
  const d0Grid = (
    await runner.stage(
      'D0 grid',
      'cpu',
      'sampleGrid',
      { perClass: spec.loop.gridPerClass, seed, stream: 'D0-grid' },
      { dataset: d0Dataset },
    )
  ).outputs.grid!;

  // V_1 is the same for every alpha: fit it once here, so that the loops find it in the cache
  // instead of training it concurrently.
  if (spec.loop.generations >= 1) await fitModel(runner, spec, 'g=1 (shared)', 1, d0Dataset);

  const loops = await Promise.all(
    spec.loop.alphas.map((alpha) =>
      executeChild(generationsLoop, {
        workflowId: `${workflowInfo().workflowId}/alpha=${alpha}`,
        taskQueue: cpuQueue,
        args: [
          {
            spec,
            alpha,
            train,
            test,
            d0: d0Dataset,
            embedding: embeddingDigest,
            embeddingId,
            embedQueue,
            realFeatures,
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
  );

  const baseline = (alpha: number): GenerationRow => ({
    alpha,
    generation: 0,
    trainedOn: 0,
    samples: Number(d0.facts.count),
    ...metricFacts(d0Metrics),
    grid: d0Grid,
    metrics: d0Metrics.outputs.metrics!,
  });
  const table = await storeTablePiece(runner, spec.loop.alphas.map(baseline), { parts: loops });
  return {
    study: 'generations',
    name: spec.name,
    embeddingId,
    embedding: embeddingDigest,
    ...table,
  };
}

export interface GenerationsLoopInput {
  spec: GenerationsSpec;
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
  const seed = spec.seed;
  const rows: GenerationRow[] = [];
  let dataset = earlier?.dataset ?? input.d0;
  // This run's rows and stages, stored as a piece that continues the earlier runs' table.
  const flush = () => storeTablePiece(runner, rows, earlier ? { earlier } : {});
  for (let g = (earlier?.generation ?? 0) + 1; g <= spec.loop.generations; g++) {
    const at = `alpha=${alpha}/g=${g}`;
    // The fit's stream does not name alpha: the first generation's fit on D_0 is shared by all alphas.
    const { model, sampled } = await fitAndSample(runner, spec, {
      at,
      g,
      alpha,
      dataset,
    });
    const samples = sampled.outputs.dataset!;
    const grid = await runner.stage(
      `${at} grid`,
      'cpu',
      'sampleGrid',
      { perClass: spec.loop.gridPerClass, seed, stream: `${at}/grid` },
      { dataset: samples },
    );
    const features = await runner.stage(
      `${at} features`,
      input.embedQueue,
      'embed',
      { maxSamples: spec.evaluation.samples, seed, stream: `${at}/features` },
      { dataset: samples, embedding: input.embedding },
    );
    const metrics = await runner.stage(
      `${at} metrics`,
      'cpu',
      'evaluate',
      {
        k: spec.evaluation.k,
        embeddingId: input.embeddingId,
        ...(spec.dataset.classes ? { classes: spec.dataset.classes } : {}),
      },
      {
        real: input.realFeatures,
        fake: features.outputs.features!,
        realDataset: input.test,
        fakeDataset: samples,
        embedding: input.embedding,
      },
    );
    rows.push({
      alpha,
      generation: g,
      trainedOn: Number(model.facts.trainedOn),
      samples: Number(sampled.facts.count),
      ...metricFacts(metrics),
      grid: grid.outputs.grid!,
      metrics: metrics.outputs.metrics!,
    });

    if (spec.loop.mode === 'replace') {
      dataset = samples;
    } else {
      let base = dataset;
      if (spec.loop.mode === 'fresh') {
        const fresh = await runner.stage(
          `${at} fresh real`,
          'cpu',
          'realSubset',
          {
            count: spec.dataset.subset,
            name: `R${g}-alpha${alpha}`,
            seed,
            stream: `${at}/fresh-real`,
            ...(spec.dataset.classes ? { classes: spec.dataset.classes } : {}),
          },
          { dataset: input.train },
        );
        base = fresh.outputs.dataset!;
      }
      dataset = (
        await runner.stage(
          `${at} D_g`,
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
 * The embedding the metrics use: a PCA fitted on real training images, or the penultimate layer of
 * the CNN classifier trained on them (the domain-specific analogue of FID's Inception features).
 */
async function fitMetricEmbedding(
  runner: StageRunner,
  spec: GenerationsSpec,
  train: Sha256,
): Promise<{ digest: Sha256; id: string; queue: 'cpu' | 'gpu' }> {
  const embedding = spec.evaluation.embedding;
  const seed = spec.seed;
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
  const subset = await runner.stage(
    'embedding training set',
    'cpu',
    'realSubset',
    { count: trainSamples, name: 'E-classifier', seed, stream: 'embedding-train' },
    { dataset: train },
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
    { name: `${spec.dataset.name}-cnn-features` },
    { model: classifier.outputs.model! },
  );
  return {
    digest: defined.outputs.embedding!,
    id: String(defined.facts.embeddingId),
    queue: 'gpu',
  };
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
): Promise<StageOutput> {
  const seed = spec.seed;
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
  return runner.stage(
    `${label} fit V_g`,
    'gpu',
    'fitGenerator',
    { generator: options, seed, stream: `g=${g}/fit` },
    { dataset },
  );
}

/** Generation g's V_g and S_g = alpha |D_{g-1}| samples of it. */
async function fitAndSample(
  runner: StageRunner,
  spec: GenerationsSpec,
  at: { at: string; g: number; alpha: number; dataset: Sha256 },
): Promise<{ model: StageOutput; sampled: StageOutput }> {
  const { g, alpha, dataset } = at;
  const seed = spec.seed;
  const name = `S${g}-alpha${alpha}`;
  const model = await fitModel(runner, spec, at.at, g, dataset);
  const generator = spec.generator;
  const sampled =
    generator.kind === 'ddpm'
      ? await runner.stage(
          `${at.at} sample S_g`,
          'gpu',
          'generate',
          { alpha, sampling: generator.sampling, name, seed, stream: `${at.at}/sample` },
          { model: model.outputs.model!, reference: dataset },
        )
      : await runner.stage(
          `${at.at} sample S_g`,
          'gpu',
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

function metricFacts(
  m: StageOutput,
): Pick<GenerationRow, 'fid' | 'precision' | 'recall' | 'classHistogramDistance'> {
  return {
    fid: Number(m.facts.fid),
    precision: Number(m.facts.precision),
    recall: Number(m.facts.recall),
    classHistogramDistance: Number(m.facts.classHistogramDistance),
  };
}

function progressOf(
  runner: StageRunner,
  earlier?: { stageCount: number; cacheHits: number },
): StudyProgress {
  const last = runner.entries[runner.entries.length - 1];
  return {
    stagesDone: (earlier?.stageCount ?? 0) + runner.entries.length,
    cacheHits: (earlier?.cacheHits ?? 0) + countHits(runner),
    ...(last ? { lastStage: last.label } : {}),
  };
}

function countHits(runner: StageRunner): number {
  return runner.entries.filter((e) => e.cacheHit).length;
}

/** How many stages the parent and each loop of a study run: what progress bars count towards. */
export function plannedStages(spec: GenerationsSpec): { shared: number; perLoop: number } {
  const mixStages = { accumulate: 1, replace: 0, fresh: 2 }[spec.loop.mode];
  const embeddingStages = spec.evaluation.embedding.kind === 'classifier' ? 2 : 0;
  return { shared: 9 + embeddingStages, perLoop: spec.loop.generations * (5 + mixStages) };
}
