/** A contiguous range of sample indices that becomes one shard. */
export interface ShardRange {
  index: number;
  start: number;
  end: number;
}

/** Splits `count` samples into shards of `shardSize` (the last one may be smaller). */
export function planShards(count: number, shardSize: number): ShardRange[] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(
      `Expected the sample count to be a whole number from 1 and up, got \`${count}\``,
    );
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new RangeError(
      `Expected \`shardSize\` to be a whole number from 1 and up, got \`${shardSize}\``,
    );
  }
  const shards: ShardRange[] = [];
  for (let start = 0, index = 0; start < count; start += shardSize, index++) {
    shards.push({ index, start, end: Math.min(count, start + shardSize) });
  }
  return shards;
}

/**
 * Shards per ingest batch. A batch's shard records travel through Temporal once, as the input of
 * the activity that stores them as one artifact: 100 records of a few hundred bytes each keep that
 * payload far below 64 KiB for sources of up to about a hundred classes.
 */
export const SHARD_BATCH_SIZE = 100;

/** Groups a shard plan into consecutive batches of at most `batchSize` shards. */
export function planBatches(
  shards: readonly ShardRange[],
  batchSize = SHARD_BATCH_SIZE,
): ShardRange[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Expected the batch size to be a whole number from 1 and up, got \`${batchSize}\``,
    );
  }
  const batches: ShardRange[][] = [];
  for (let start = 0; start < shards.length; start += batchSize)
    batches.push(shards.slice(start, start + batchSize));
  return batches;
}
