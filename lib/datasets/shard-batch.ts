import type { Sha256 } from '../digest.ts';
import type { ShardRecord } from './manifest.ts';

export const SHARD_BATCH_FORMAT = 'clab.shard-batch/v1';

/**
 * The shard records of one ingest batch, stored as one canonical-JSON artifact: the manifest is
 * assembled from these, so no Temporal payload ever holds every shard's record.
 */
export interface ShardBatch {
  format: typeof SHARD_BATCH_FORMAT;
  /** The source index the shards were cut from. */
  indexDigest: Sha256;
  /** In shard order. */
  records: ShardRecord[];
}

/** What a batch hands back through Temporal: its artifact's digest and counts, never its records. */
export interface ShardBatchRef {
  digest: Sha256;
  shards: number;
  images: number;
}

export function shardBatch(indexDigest: Sha256, records: readonly ShardRecord[]): ShardBatch {
  return {
    format: SHARD_BATCH_FORMAT,
    indexDigest,
    records: [...records].sort((a, b) => a.index - b.index),
  };
}
