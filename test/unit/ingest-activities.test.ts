import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createIngestActivities, type IndexedSource } from '../../activities/ingest.ts';
import type { ShardRecord } from '../../lib/datasets/manifest.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { listAll } from '../helpers/stack.ts';

describe('ingest activities (MockActivityEnvironment, local store)', () => {
  it('heartbeat their progress and are idempotent: a retried shard writes the same bytes to the same key', async () => {
    const store = new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'clab-act-')));
    const activities = createIngestActivities({ store, codeVersion: 'test' });
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));

    const indexed: IndexedSource = await env.run(activities.indexSource, {
      source: { kind: 'fashion-mnist', split: 'test' } as const,
      store: store.location,
    });
    expect(indexed).toMatchObject({ name: 'fashion-mnist/test', count: 10000 });
    const shard = { index: 3, start: 300, end: 400 };
    const first: ShardRecord = await env.run(activities.writeShard, {
      indexDigest: indexed.indexDigest,
      shard,
    });
    const retry = await env.run(activities.writeShard, { indexDigest: indexed.indexDigest, shard });

    expect(retry).toEqual(first);
    expect(first).toMatchObject({ index: 3, count: 100, firstSample: 300 });
    expect(first.classHistogram.reduce((a, b) => a + b, 0)).toBe(100);
    expect(heartbeats).toContainEqual({ shard: 3, encoded: 0 });
    expect(heartbeats).toContainEqual({ shard: 3, encoded: 100 });
    expect(await listAll(store.listKeys())).toHaveLength(2); // the source index and one shard
  });
});

describe("a worker whose store differs from the run's", () => {
  it('refuses the task (retryably) and names both stores', async () => {
    const store = new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'clab-act-')));
    const activities = createIngestActivities({ store, codeVersion: 'test' });
    const env = new MockActivityEnvironment();
    const error = await env
      .run(activities.indexSource, {
        source: { kind: 'fashion-mnist', split: 'test' } as const,
        store: 's3://lab/runs/',
      })
      .catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `This worker writes to ${store.location} but the run uses s3://lab/runs/: check CLAB_STORE on the workers of this task queue`,
    );
    expect(error).not.toHaveProperty('nonRetryable', true);
    expect(await listAll(store.listKeys())).toEqual([]);
  });
});
