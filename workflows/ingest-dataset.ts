import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.ts';
import type { DatasetManifestRef } from '../activities/ingest.ts';
import { planShards } from '../lib/datasets/shard-plan.ts';
import type { SourceSpec } from '../lib/datasets/source.ts';

export interface IngestDatasetInput {
  source: SourceSpec;
  /** Images per shard; WebDataset's usual size is a few thousand. */
  shardSize?: number;
  /** The task queue of the ingest activities (default `cpu`). */
  cpuQueue?: string;
  /** The store location the run expects its workers to write to (checked by every activity). */
  store?: string;
}

export interface IngestProgress {
  stage: 'indexing' | 'sharding' | 'manifest' | 'done';
  shardsDone: number;
  shardsTotal: number;
  imagesDone: number;
  imagesTotal: number;
}

export const DEFAULT_SHARD_SIZE = 2000;

export const ingestProgress = defineQuery<IngestProgress>('ingestProgress');

const RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
} as const;
const INDEX_TIMEOUTS = { startToCloseTimeout: '2 hours', heartbeatTimeout: '2 minutes' } as const;
const SHARD_TIMEOUTS = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
} as const;

/**
 * Ingest: source -> pinned source index -> one shard activity per range (fan-out) -> manifest.
 * A worker crash loses at most the shards in flight; the retried shards write the same bytes.
 */
export async function ingestDataset(input: IngestDatasetInput): Promise<DatasetManifestRef> {
  const taskQueue = input.cpuQueue ?? 'cpu';
  const shardSize = input.shardSize ?? DEFAULT_SHARD_SIZE;
  const indexing = proxyActivities<IngestActivities>({
    taskQueue,
    retry: RETRY,
    ...INDEX_TIMEOUTS,
  });
  const sharding = proxyActivities<IngestActivities>({
    taskQueue,
    retry: RETRY,
    ...SHARD_TIMEOUTS,
  });

  const progress: IngestProgress = {
    stage: 'indexing',
    shardsDone: 0,
    shardsTotal: 0,
    imagesDone: 0,
    imagesTotal: 0,
  };
  setHandler(ingestProgress, () => progress);

  const indexed = await indexing.indexSource({ source: input.source, store: input.store });
  const shards = planShards(indexed.count, shardSize);
  Object.assign(progress, {
    stage: 'sharding',
    shardsTotal: shards.length,
    imagesTotal: indexed.count,
  });

  const records = await Promise.all(
    shards.map(async (shard) => {
      const record = await sharding.writeShard({
        indexDigest: indexed.indexDigest,
        shard,
        store: input.store,
      });
      progress.shardsDone++;
      progress.imagesDone += record.count;
      return record;
    }),
  );

  progress.stage = 'manifest';
  const manifest = await indexing.writeDatasetManifest({
    indexDigest: indexed.indexDigest,
    shards: records,
    store: input.store,
  });
  progress.stage = 'done';
  return manifest;
}
