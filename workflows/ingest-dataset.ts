import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.ts';
import type { DatasetManifestRef } from '../activities/ingest.ts';
import type { ShardBatchRef } from '../lib/datasets/shard-batch.ts';
import { planBatches, planShards, type ShardRange } from '../lib/datasets/shard-plan.ts';
import type { SourceSpec } from '../lib/datasets/source.ts';
import type { Sha256 } from '../lib/digest.ts';

interface IngestOptions {
  /** Images per shard; WebDataset's usual size is a few thousand. */
  shardSize?: number;
  /** The task queue of the ingest activities (default `cpu`). */
  cpuQueue?: string;
  /** The store location the run expects its workers to write to (checked by every activity). */
  store?: string;
  /** The batches written so far: set by the workflow itself when it continues as new. */
  batchesDone?: ShardBatchRef[];
}

/** A source to index first (the normal path). */
interface FromSource {
  source: SourceSpec;
  indexDigest?: undefined;
}

/**
 * A source the caller already indexed (the `indexSource` activity's result), e.g. to key a cache
 * on its digest: it is not indexed again.
 */
interface FromIndex {
  source?: SourceSpec;
  indexDigest: Sha256;
  /** The index's sample count (`indexSource` returns it). */
  count: number;
}

export type IngestDatasetInput = IngestOptions & (FromSource | FromIndex);

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
const BATCH_TIMEOUTS = { startToCloseTimeout: '5 minutes' } as const;

/**
 * Ingest: source -> pinned source index -> shards in batches of at most SHARD_BATCH_SIZE -> manifest.
 * Each run writes one batch (one shard activity per shard, fanned out), stores the batch's shard
 * records as one artifact, and continues as new with that artifact's digest, so no history or
 * payload grows with the number of shards. The manifest activity reads the records back from the
 * batch artifacts. A worker crash loses at most the shards in flight; retried shards write the
 * same bytes.
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
  const batching = proxyActivities<IngestActivities>({
    taskQueue,
    retry: RETRY,
    ...BATCH_TIMEOUTS,
  });

  const done = [...(input.batchesDone ?? [])];
  const progress: IngestProgress = {
    stage: 'indexing',
    shardsDone: done.reduce((n, b) => n + b.shards, 0),
    shardsTotal: 0,
    imagesDone: done.reduce((n, b) => n + b.images, 0),
    imagesTotal: 0,
  };
  setHandler(ingestProgress, () => progress);

  if (input.indexDigest === undefined && !input.source)
    throw ApplicationFailure.nonRetryable(
      'Ingest needs a `source`, or an `indexDigest` and `count`',
    );
  const indexed =
    input.indexDigest !== undefined
      ? { indexDigest: input.indexDigest, count: input.count }
      : await indexing.indexSource({ source: input.source, store: input.store });
  const batches = plan(indexed.count, shardSize);
  Object.assign(progress, {
    stage: 'sharding',
    shardsTotal: batches.reduce((n, b) => n + b.length, 0),
    imagesTotal: indexed.count,
  });

  const batch = batches[done.length];
  if (batch) {
    const records = await Promise.all(
      batch.map(async (shard) => {
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
    done.push(
      await batching.writeShardBatch({
        indexDigest: indexed.indexDigest,
        records,
        store: input.store,
      }),
    );
    if (done.length < batches.length) {
      await continueAsNew<typeof ingestDataset>({
        ...input,
        indexDigest: indexed.indexDigest,
        count: indexed.count,
        batchesDone: done,
      });
    }
  }

  progress.stage = 'manifest';
  const manifest = await indexing.writeDatasetManifest({
    indexDigest: indexed.indexDigest,
    batches: done.map((b) => b.digest),
    store: input.store,
  });
  progress.stage = 'done';
  return manifest;
}

/** The shard batches of `count` samples; a bad count or shard size fails the run, not its task. */
function plan(count: number, shardSize: number): ShardRange[][] {
  try {
    return planBatches(planShards(count, shardSize));
  } catch (error) {
    throw ApplicationFailure.nonRetryable(`Ingest: ${(error as Error).message}`, 'RangeError');
  }
}
