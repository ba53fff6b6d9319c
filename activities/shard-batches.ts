import type { ShardRecord } from '../lib/datasets/manifest.ts';
import {
  SHARD_BATCH_FORMAT,
  shardBatch,
  type ShardBatch,
  type ShardBatchRef,
} from '../lib/datasets/shard-batch.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';

/** Stores one batch's shard records as one artifact; the same records give the same digest. */
export async function putShardBatch(
  store: ArtifactStore,
  indexDigest: Sha256,
  records: readonly ShardRecord[],
): Promise<ShardBatchRef> {
  const ref = await putJson(store, shardBatch(indexDigest, records));
  return {
    digest: ref.digest,
    shards: records.length,
    images: records.reduce((n, r) => n + r.count, 0),
  };
}

/**
 * The shard records of the given batches, in batch order, after checking that each batch was cut
 * from `indexDigest` and that each of its shards is in the store.
 */
export async function readShardBatches(
  store: ArtifactStore,
  indexDigest: Sha256,
  digests: readonly Sha256[],
  onBatch: (done: number) => void = () => {},
): Promise<ShardRecord[]> {
  const records: ShardRecord[] = [];
  for (const [i, digest] of digests.entries()) {
    const batch = await getJson<ShardBatch>(store, digest);
    if (batch.format !== SHARD_BATCH_FORMAT || batch.indexDigest !== indexDigest) {
      throw new InputError(
        `Shard batch ${i} (sha256:${digest}) is not a ${SHARD_BATCH_FORMAT} of source index sha256:${indexDigest}`,
      );
    }
    const stored = await Promise.all(batch.records.map((r) => store.has(r.sha256)));
    const missing = batch.records.find((_, j) => !stored[j]);
    if (missing) {
      throw new Error(
        `Shard ${missing.index} (${missing.key}) of batch sha256:${digest} is missing from ${store.location}`,
      );
    }
    records.push(...batch.records);
    onBatch(i + 1);
  }
  return records;
}
