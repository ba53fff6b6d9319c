import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createIngestActivities,
  type DatasetManifestRef,
  type IndexedSource,
} from '../../activities/ingest.ts';
import type { ShardRecord } from '../../lib/datasets/manifest.ts';
import type { ShardBatchRef } from '../../lib/datasets/shard-batch.ts';
import { planBatches, planShards } from '../../lib/datasets/shard-plan.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';

const IMAGES = 250;

/** An ImageFolder of IMAGES tiny grey PNGs, in classes `a` (every third image) and `b`. */
async function tinyFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'clab-batches-'));
  for (const c of ['a', 'b']) mkdirSync(join(root, c));
  for (let i = 0; i < IMAGES; i++) {
    const png = await sharp(Buffer.alloc(16, i % 256), {
      raw: { width: 4, height: 4, channels: 1 },
    })
      .png()
      .toBuffer();
    writeFileSync(join(root, i % 3 === 0 ? 'a' : 'b', `${String(i).padStart(4, '0')}.png`), png);
  }
  return root;
}

describe('planBatches', () => {
  it('groups a shard plan into consecutive batches of at most the batch size', () => {
    const batches = planBatches(planShards(10, 2), 2);
    expect(batches.map((b) => b.map((s) => s.index))).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => planBatches(planShards(10, 2), 0)).toThrow(RangeError);
  });
});

describe('ingest in batches (MockActivityEnvironment, local store)', () => {
  const store = new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'clab-batches-store-')));
  const activities = createIngestActivities({ store, codeVersion: 'test' });
  const heartbeats: unknown[] = [];
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  let indexed: IndexedSource;
  let records: ShardRecord[];

  beforeAll(async () => {
    const dir = await tinyFolder();
    indexed = await env.run(activities.indexSource, {
      source: { kind: 'image-folder' as const, dir },
    });
    records = [];
    for (const shard of planShards(indexed.count, 50))
      records.push(
        await env.run(activities.writeShard, { indexDigest: indexed.indexDigest, shard }),
      );
  }, 60_000);

  it('heartbeat while hashing the source and while reading a shard, every 100 files', () => {
    expect(heartbeats).toContainEqual({ hashed: 100 });
    expect(heartbeats).toContainEqual({ hashed: 200 });
    expect(indexed.count).toBe(IMAGES);
  });

  it('write the same manifest however the shards were batched', async () => {
    const manifestOf = async (batchSize: number): Promise<DatasetManifestRef> => {
      const batches: ShardBatchRef[] = [];
      for (let i = 0; i < records.length; i += batchSize) {
        const batch = records.slice(i, i + batchSize);
        batches.push(
          await env.run(activities.writeShardBatch, {
            indexDigest: indexed.indexDigest,
            records: batch,
          }),
        );
      }
      expect(batches.map((b) => b.shards)).toEqual(
        planBatches(planShards(IMAGES, 50), batchSize).map((b) => b.length),
      );
      return env.run(activities.writeDatasetManifest, {
        indexDigest: indexed.indexDigest,
        batches: batches.map((b) => b.digest),
      });
    };
    const one = await manifestOf(5);
    const three = await manifestOf(2);
    expect(three.digest).toBe(one.digest);
    expect(one).toMatchObject({ count: IMAGES, shards: 5 });
  });

  it('read heartbeats every 100 files of a shard', async () => {
    await env.run(activities.writeShard, {
      indexDigest: indexed.indexDigest,
      shard: { index: 0, start: 0, end: IMAGES },
    });
    expect(heartbeats).toContainEqual({ shard: 0, read: 100 });
    expect(heartbeats).toContainEqual({ shard: 0, read: 200 });
  });

  it('refuse a batch of another source index, a partial set of batches and a shard past the end', async () => {
    const other: ShardBatchRef = await env.run(activities.writeShardBatch, {
      indexDigest: 'f'.repeat(64),
      records,
    });
    await expect(
      env.run(activities.writeDatasetManifest, {
        indexDigest: indexed.indexDigest,
        batches: [other.digest],
      }),
    ).rejects.toThrow(`is not a clab.shard-batch/v1 of source index sha256:${indexed.indexDigest}`);

    const partial: ShardBatchRef = await env.run(activities.writeShardBatch, {
      indexDigest: indexed.indexDigest,
      records: records.slice(0, 2),
    });
    await expect(
      env.run(activities.writeDatasetManifest, {
        indexDigest: indexed.indexDigest,
        batches: [partial.digest],
      }),
    ).rejects.toThrow(
      `hold 100 samples but its source index sha256:${indexed.indexDigest} has 250`,
    );

    await expect(
      env.run(activities.writeShard, {
        indexDigest: indexed.indexDigest,
        shard: { index: 5, start: 250, end: 300 },
      }),
    ).rejects.toThrow('Shard 5 ends at sample 300 but source index');
  });
});
