import type { Sha256 } from '../../lib/digest.ts';
import type {
  ReplicationResult,
  ReplicationRow,
  ScoreSummary,
} from '../../lib/studies/replication-result.ts';
import type {
  AuditEmbedding,
  AuditSettings,
  ReplicationSpec,
} from '../../lib/studies/specs/replication.ts';
import { featuresAndMetrics, metricFacts, realReference } from '../blocks/evaluation.ts';
import { fashionMnistSplit, ingestSource } from '../blocks/ingest.ts';
import { fitMetricEmbedding, type MetricEmbedding } from '../blocks/metric-embedding.ts';
import { realSubset } from '../blocks/real-subsets.ts';
import { openStudy, type StudyInput } from '../blocks/study.ts';
import type { StageRunner } from '../stage-runner.ts';
import { storeTablePiece } from '../table-pieces.ts';

export type ReplicationInput = StudyInput<ReplicationSpec>;

// The class counts of the datasets a spec can name (workflow code does not import the schemas).
const CLASS_COUNT: Record<ReplicationSpec['dataset']['name'], number> = { 'fashion-mnist': 10 };

/**
 * The replication study (Somepalli et al. 2023; STUDIES.md C). Shared: a held-out set H of real
 * training-split images and a pool T disjoint from it; the CNN embedding and the copy-detection
 * embedding, both trained on the real test split (which no DDPM sees). Then for every replicate
 * seed and size N: T_N (N images drawn class-balanced from T), a DDPM trained on T_N for the same
 * number of steps whatever N, `samples` images at each guidance scale, each set audited against
 * T_N in every embedding with thresholds calibrated on H -> T_N scores, and FID / precision /
 * recall against the real test split.
 */
export async function replicationStudy(input: ReplicationInput): Promise<ReplicationResult> {
  const { spec } = input;
  const { runner, cpuQueue } = openStudy(input);
  const { seed } = spec;
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };
  const classes = spec.dataset.classes;
  const classCount = classes?.length ?? CLASS_COUNT[spec.dataset.name];
  const classFilter = classes ? { classes } : {};

  const train = (await ingestSource(runner, fashionMnistSplit('train'), where)).dataset;
  const test = (await ingestSource(runner, fashionMnistSplit('test'), where)).dataset;

  // H and T: one class-balanced draw split in two, so that no held-out image is in any T_N.
  const largest = Math.max(...spec.dataset.sizes);
  const pool = await realSubset(
    runner,
    'real pool (H + T)',
    {
      count: largest + spec.dataset.heldOut,
      name: 'H+T',
      seed,
      stream: 'real-pool',
      ...classFilter,
    },
    train,
  );
  const split = await runner.stage(
    'H and T',
    'cpu',
    'splitSubset',
    {
      perClass: Math.floor(spec.dataset.heldOut / classCount),
      name: 'H',
      restName: 'T',
      seed,
      stream: 'split/H',
    },
    { dataset: pool.outputs.dataset! },
  );
  const heldOut = split.outputs.dataset!;
  const trainPool = split.outputs.rest!;

  const cnn = await fitMetricEmbedding(
    runner,
    { embedding: spec.evaluation.embedding, seed, datasetName: spec.dataset.name },
    test,
  );
  const copy = spec.audit.embeddings.includes('copy')
    ? await copyDetectionEmbedding(runner, spec, test)
    : undefined;
  const evaluation = {
    samples: spec.evaluation.samples,
    k: spec.evaluation.k,
    seed,
    ...classFilter,
  };
  const reference = await realReference(runner, cnn, evaluation, test);

  // Every (seed, N) is independent: they run concurrently (as many at once as the workers have
  // slots), and their rows are joined in spec order.
  const pairs = spec.seeds.flatMap((replicate) =>
    spec.dataset.sizes.map((n) => ({ replicate, n })),
  );
  const perPair = await Promise.all(
    pairs.map(async ({ replicate, n }): Promise<ReplicationRow[]> => {
      const rows: ReplicationRow[] = [];
      const at = `seed=${replicate}/N=${n}`;
      const subset = await realSubset(
        runner,
        `${at} T_N`,
        { count: n, name: `T${n}`, seed: replicate, stream: `T/N=${n}`, ...classFilter },
        trainPool,
      );
      const trainSet = subset.outputs.dataset!;
      const model = await runner.stage(
        `${at} train DDPM`,
        'gpu',
        'train',
        { trainer: 'ddpm', config: spec.generator.training, seed: replicate, stream: `N=${n}/fit` },
        { dataset: trainSet },
      );
      for (const guidance of spec.sampling.guidances) {
        const label = `${at}/w=${guidance}`;
        const sampled = await runner.stage(
          `${label} sample`,
          'gpu',
          'generate',
          {
            // |S| = round(alpha |T_N|) = samples, in T_N's class balance
            alpha: spec.sampling.samples / n,
            sampling: { ...spec.generator.sampling, guidance },
            name: `S-N${n}-w${guidance}`,
            seed: replicate,
            stream: `N=${n}/w=${guidance}/sample`,
          },
          { model: model.outputs.model!, reference: trainSet },
        );
        const samples = sampled.outputs.dataset!;
        for (const embedding of spec.audit.embeddings) {
          const audited = await auditReplicas(runner, `${label} audit ${embedding}`, spec, {
            embedding: embedding === 'cnn' ? cnn : embedding === 'copy' ? copy : undefined,
            generated: samples,
            train: trainSet,
            heldOut,
            seed: replicate,
            stream: `N=${n}/w=${guidance}/audit/${embedding}`,
          });
          for (const summary of audited.summaries)
            rows.push({
              kind: 'audit',
              seed: replicate,
              n,
              guidance,
              embedding: embeddingName(embedding, cnn, copy),
              summary,
              generatedCount: audited.generatedCount,
              audit: audited.audit,
              ...(audited.gallery ? { gallery: audited.gallery } : {}),
            });
        }
        const metrics = await featuresAndMetrics(runner, label, cnn, evaluation, {
          stream: `N=${n}/w=${guidance}/features`,
          dataset: samples,
          reference,
        });
        const { fid, precision, recall } = metricFacts(metrics);
        rows.push({
          kind: 'metrics',
          seed: replicate,
          n,
          guidance,
          fid,
          precision,
          recall,
          samples,
        });
      }
      return rows;
    }),
  );
  const rows = perPair.flat();

  const table = await storeTablePiece(runner, rows);
  return {
    study: 'replication',
    name: spec.name,
    embeddings: {
      cnn: { id: cnn.id, digest: cnn.digest },
      ...(copy ? { copy: { id: copy.id, digest: copy.digest } } : {}),
    },
    heldOut,
    ...table,
  };
}

/** The copy-detection embedding: trainers/copy_detection.py on a subset of the real test split. */
async function copyDetectionEmbedding(
  runner: StageRunner,
  spec: ReplicationSpec,
  test: Sha256,
): Promise<MetricEmbedding> {
  const { seed } = spec;
  const subset = await realSubset(
    runner,
    'copy-detection training set',
    { count: spec.copyDetection.trainSamples, name: 'E-copy', seed, stream: 'copy-train' },
    test,
  );
  const trained = await runner.stage(
    'copy-detection embedding',
    'gpu',
    'train',
    {
      trainer: 'copy-detection',
      config: spec.copyDetection.config,
      seed,
      stream: 'copy-detection',
    },
    { dataset: subset.outputs.dataset! },
  );
  const defined = await runner.stage(
    'copy embedding',
    'cpu',
    'defineOnnxEmbedding',
    { name: `${spec.dataset.name}-copy-detection` },
    { model: trained.outputs.model! },
  );
  return {
    digest: defined.outputs.embedding!,
    id: String(defined.facts.embeddingId),
    queue: 'gpu',
  };
}

function embeddingName(
  embedding: AuditEmbedding,
  cnn: MetricEmbedding,
  copy: MetricEmbedding | undefined,
): string {
  return embedding === 'pixels' ? 'pixels' : embedding === 'cnn' ? cnn.id : copy!.id;
}

/** An `auditReplicas` stage and the summaries in its facts. */
export async function auditReplicas(
  runner: StageRunner,
  label: string,
  spec: { audit: AuditSettings },
  at: {
    embedding: MetricEmbedding | undefined;
    generated: Sha256;
    train: Sha256;
    heldOut?: Sha256;
    /** A threshold for the primary score instead of the calibrated one. */
    threshold?: number;
    seed: number;
    stream: string;
  },
): Promise<{ summaries: ScoreSummary[]; audit: Sha256; gallery?: Sha256; generatedCount: number }> {
  const { topK, split, percentile, gallery } = spec.audit;
  const audited = await runner.stage(
    label,
    at.embedding ? at.embedding.queue : 'cpu',
    'auditReplicas',
    {
      topK,
      ...(split ? { split } : {}),
      percentile,
      gallery,
      ...(at.threshold !== undefined ? { threshold: at.threshold } : {}),
      seed: at.seed,
      stream: at.stream,
    },
    {
      generated: at.generated,
      train: at.train,
      ...(at.heldOut ? { heldOut: at.heldOut } : {}),
      ...(at.embedding ? { embedding: at.embedding.digest } : {}),
    },
  );
  return {
    summaries: JSON.parse(String(audited.facts.summaries)) as ScoreSummary[],
    audit: audited.outputs.audit!,
    ...(audited.outputs.gallery ? { gallery: audited.outputs.gallery } : {}),
    generatedCount: Number(audited.facts.generatedCount),
  };
}
