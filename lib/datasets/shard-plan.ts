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
