import type { OnnxInputSpec } from '../activities/onnx-embedding.ts';
import type { SourceSpec } from '../lib/datasets/source.ts';
import type { Sha256 } from '../lib/digest.ts';
import type { ReplicaAuditResult } from '../lib/studies/replication-result.ts';
import type { AuditSettings } from '../lib/studies/specs/replication.ts';
import { ingestSource } from './blocks/ingest.ts';
import type { MetricEmbedding } from './blocks/metric-embedding.ts';
import { openStudy } from './blocks/study.ts';
import type { StageRunner } from './stage-runner.ts';
import { auditReplicas } from './studies/replication.ts';

/** An image set to audit: a folder ingested here, or a dataset already in the store. */
export type AuditedSet = { source: SourceSpec } | { dataset: Sha256 };

/** The embedding `clab replicas` scores in. */
export type AuditEmbeddingChoice =
  | { kind: 'pixels' }
  /** The copy-detection trainer, trained here on the training set (self-supervised). */
  | { kind: 'copy'; config: Record<string, unknown> }
  /** The CNN classifier trainer's penultimate layer, trained here on the training set's classes. */
  | { kind: 'cnn'; config: Record<string, unknown> }
  /** An embedding record already in the store (e.g. a study's copy-detection embedding). */
  | { kind: 'stored'; digest: Sha256; queue: 'cpu' | 'gpu' }
  /** The user's own ONNX image model (e.g. an SSCD or DINO export), stored by digest. */
  | { kind: 'onnx'; name: string; onnx: Sha256; input: OnnxInputSpec; output: string };

export interface ReplicaAuditInput {
  generated: AuditedSet;
  train: AuditedSet;
  /** Real images never trained on: the calibration set (without it: leave-one-out on train). */
  heldOut?: AuditedSet;
  embedding: AuditEmbeddingChoice;
  audit: AuditSettings;
  /** A threshold for the primary score instead of the calibrated one. */
  threshold?: number;
  seed: number;
  cpuQueue?: string;
  gpuQueue?: string;
  store?: string;
}

/**
 * `clab replicas`: one audit of a generated set against a training set, as cached stages like any
 * study's (the ingests, the embedding's training when one is trained here, `auditReplicas`).
 */
export async function replicaAudit(input: ReplicaAuditInput): Promise<ReplicaAuditResult> {
  const { runner, cpuQueue } = openStudy({
    spec: { study: 'replicas', name: 'replicas', dataset: { name: 'image-folder' } },
    ...(input.cpuQueue ? { cpuQueue: input.cpuQueue } : {}),
    ...(input.gpuQueue ? { gpuQueue: input.gpuQueue } : {}),
  });
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };
  const datasetOf = async (set: AuditedSet, role: string): Promise<Sha256> =>
    'dataset' in set
      ? set.dataset
      : (
          await ingestSource(
            runner,
            { source: set.source, label: `ingest ${role}`, child: `ingest-${role}` },
            where,
          )
        ).dataset;
  const generated = await datasetOf(input.generated, 'generated');
  const train = await datasetOf(input.train, 'train');
  const heldOut = input.heldOut ? await datasetOf(input.heldOut, 'held-out') : undefined;
  const embedding = await embeddingFor(runner, input, train);
  const audited = await auditReplicas(
    runner,
    'audit',
    { audit: input.audit },
    {
      embedding,
      generated,
      train,
      ...(heldOut ? { heldOut } : {}),
      ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      seed: input.seed,
      stream: 'audit',
    },
  );
  return {
    audit: audited.audit,
    ...(audited.gallery ? { gallery: audited.gallery } : {}),
    summaries: audited.summaries,
    generated,
    train,
  };
}

async function embeddingFor(
  runner: StageRunner,
  input: ReplicaAuditInput,
  train: Sha256,
): Promise<MetricEmbedding | undefined> {
  const choice = input.embedding;
  if (choice.kind === 'pixels') return undefined;
  if (choice.kind === 'onnx') {
    const defined = await runner.stage(
      'embedding',
      'cpu',
      'defineOnnxEmbedding',
      { name: choice.name, input: choice.input, output: choice.output },
      { onnx: choice.onnx },
    );
    return {
      digest: defined.outputs.embedding!,
      id: String(defined.facts.embeddingId),
      queue: 'gpu',
    };
  }
  if (choice.kind === 'stored')
    return { digest: choice.digest, id: choice.digest, queue: choice.queue };
  const trained =
    choice.kind === 'copy'
      ? await runner.stage(
          'copy-detection embedding',
          'gpu',
          'train',
          {
            trainer: 'copy-detection',
            config: choice.config,
            seed: input.seed,
            stream: 'copy-detection',
          },
          { dataset: train },
        )
      : await runner.stage(
          'embedding classifier',
          'gpu',
          'train',
          { trainer: 'classifier', config: choice.config, seed: input.seed, stream: 'classifier' },
          { dataset: train },
        );
  const defined = await runner.stage(
    'embedding',
    'cpu',
    'defineOnnxEmbedding',
    { name: choice.kind === 'copy' ? 'copy-detection' : 'cnn-features' },
    { model: trained.outputs.model! },
  );
  return {
    digest: defined.outputs.embedding!,
    id: String(defined.facts.embeddingId),
    queue: 'gpu',
  };
}
