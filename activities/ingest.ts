import { buildManifest, type ShardRecord } from '../lib/datasets/manifest.ts';
import type { ShardBatchRef } from '../lib/datasets/shard-batch.ts';
import type { ShardRange } from '../lib/datasets/shard-plan.ts';
import type { SourceIndex, SourceSpec } from '../lib/datasets/source.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';
import { failFastOnBadInput, heartbeat } from './activity-context.ts';
import { putShardBatch, readShardBatches } from './shard-batches.ts';
import { encodeShard, putShard } from './shard-encoder.ts';
import { indexSource, readSamples } from './sources/sources.ts';
import { assertSameStore, type StoreExpectation } from './store-expectation.ts';

export interface IngestDeps {
  store: ArtifactStore;
  codeVersion: string;
}

export interface IndexedSource {
  indexDigest: Sha256;
  name: string;
  count: number;
}

export interface DatasetManifestRef {
  digest: Sha256;
  key: string;
  name: string;
  count: number;
  shards: number;
}

/**
 * The ingest stage's activities. Only digests, keys and counts go in and out: pixels stay in the
 * store. Every activity is idempotent: a retry writes the same bytes under the same key.
 */
export function createIngestActivities({ store, codeVersion }: IngestDeps) {
  // The index of the source being ingested, kept between the shard activities of one worker.
  let cachedIndex: { digest: Sha256; index: SourceIndex } | undefined;
  async function loadIndex(digest: Sha256): Promise<SourceIndex> {
    if (cachedIndex?.digest !== digest)
      cachedIndex = { digest, index: await getJson<SourceIndex>(store, digest) };
    return cachedIndex.index;
  }

  return {
    /** Reads and checks the source, pins every file by digest and stores that index. */
    async indexSource(input: { source: SourceSpec } & StoreExpectation): Promise<IndexedSource> {
      return failFastOnBadInput(async () => {
        assertSameStore(store, input.store);
        const index = await indexSource(input.source, (hashed) => heartbeat({ hashed }));
        const ref = await putJson(store, index);
        return { indexDigest: ref.digest, name: index.name, count: index.count };
      });
    },

    /** Encodes samples [start, end) of the source into one WebDataset tar shard. */
    async writeShard(
      input: { indexDigest: Sha256; shard: ShardRange } & StoreExpectation,
    ): Promise<ShardRecord> {
      return failFastOnBadInput(async () => {
        assertSameStore(store, input.store);
        const { shard } = input;
        const index = await loadIndex(input.indexDigest);
        if (shard.end > index.count) {
          throw new InputError(
            `Shard ${shard.index} ends at sample ${shard.end} but source index sha256:${input.indexDigest} (${index.name}) holds ${index.count} samples`,
          );
        }
        heartbeat({ shard: shard.index, encoded: 0 });
        const samples = await readSamples(index, shard.start, shard.end, (read) =>
          heartbeat({ shard: shard.index, read }),
        );
        const encoded = await encodeShard(samples, index.name, index.classes, (encoded) =>
          heartbeat({ shard: shard.index, encoded }),
        );
        return putShard(store, encoded, { ...shard, count: samples.length });
      });
    },

    /** Stores the records of one batch of shards as one artifact; returns its digest and counts. */
    async writeShardBatch(
      input: { indexDigest: Sha256; records: ShardRecord[] } & StoreExpectation,
    ): Promise<ShardBatchRef> {
      return failFastOnBadInput(async () => {
        assertSameStore(store, input.store);
        return putShardBatch(store, input.indexDigest, input.records);
      });
    },

    /**
     * Writes the manifest from the batches' records once every shard exists; a failed ingest
     * therefore has no manifest. The manifest does not depend on how the shards were batched.
     */
    async writeDatasetManifest(
      input: { indexDigest: Sha256; batches: Sha256[] } & StoreExpectation,
    ): Promise<DatasetManifestRef> {
      return failFastOnBadInput(async () => {
        assertSameStore(store, input.store);
        const index = await loadIndex(input.indexDigest);
        const shards = await readShardBatches(store, input.indexDigest, input.batches, (batches) =>
          heartbeat({ batches }),
        );
        const samples = shards.reduce((n, s) => n + s.count, 0);
        if (samples !== index.count) {
          throw new InputError(
            `The shards of ${index.name} hold ${samples} samples but its source index sha256:${input.indexDigest} has ${index.count}`,
          );
        }
        const manifest = buildManifest({
          name: index.name,
          source: {
            kind: index.kind,
            indexDigest: input.indexDigest,
            // a resized source says so in its manifest too, not only in its index
            ...('resize' in index && index.resize ? { params: { resize: index.resize } } : {}),
          },
          classes: index.classes,
          count: index.count,
          ...('image' in index ? { image: index.image } : {}),
          shards,
          codeVersion,
        });
        const ref = await putJson(store, manifest);
        return {
          digest: ref.digest,
          key: ref.key,
          name: manifest.name,
          count: manifest.count,
          shards: manifest.shards.length,
        };
      });
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
