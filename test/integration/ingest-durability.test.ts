// Full Fashion-MNIST train ingest through the real Temporal server into the real MinIO, then the
// same ingest with its worker process SIGKILLed mid-run: both must give byte-identical manifests.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifestRef } from '../../activities/ingest.ts';
import { activityRows } from '../../cli/run-history.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { readShard } from '../../lib/datasets/shard-reader.ts';
import { sha256 } from '../../lib/digest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { ingestDataset, ingestProgress } from '../../workflows/ingest-dataset.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { parsePng } from '../helpers/png-reference.ts';
import { isolatedConfig, listAll, s3StoreOf, testClient } from '../helpers/stack.ts';
import { exited, spawnWorker } from '../helpers/worker-process.ts';

const DIR = '/usr/share/datasets/fashion-mnist';
// Read straight from the files (IDX: 8-byte label header, 16-byte image header), independently of the code under test.
const labels = gunzipSync(readFileSync(`${DIR}/train-labels-idx1-ubyte.gz`)).subarray(8);
const pixels = gunzipSync(readFileSync(`${DIR}/train-images-idx3-ubyte.gz`)).subarray(16);
const source = { kind: 'fashion-mnist', split: 'train' } as const;

describe('ingest of the Fashion-MNIST train split through Temporal into MinIO', () => {
  const reference = isolatedConfig('ingest-ref');
  let result: DatasetManifestRef;
  let manifest: DatasetManifest;

  beforeAll(async () => {
    const client = await testClient();
    result = await withWorkers(reference.config, () =>
      client.workflow.execute(ingestDataset, {
        taskQueue: reference.config.queues.cpu,
        workflowId: `ref-${Date.now()}`,
        args: [
          {
            source,
            cpuQueue: reference.config.queues.cpu,
            store: s3StoreOf(reference.config).location,
          },
        ],
      }),
    );
    manifest = await getJson<DatasetManifest>(s3StoreOf(reference.config), result.digest);
  }, 300_000);

  it('writes a manifest whose counts and class histogram match the IDX labels exactly', () => {
    const histogram = new Array(10).fill(0);
    for (const label of labels) histogram[label]++;
    expect(manifest.count).toBe(60000);
    expect(manifest.classHistogram).toEqual(histogram);
    expect(manifest.shards).toHaveLength(30);
    expect(manifest.shards.reduce((n, s) => n + s.count, 0)).toBe(60000);
    expect(manifest.image).toEqual({ width: 28, height: 28, channels: 1 });
    expect(manifest.classes[9]).toBe('Ankle boot');
  });

  it('writes shards whose digests verify and whose samples carry the right labels and pixels', async () => {
    const store = s3StoreOf(reference.config);
    for (const shard of manifest.shards) {
      const bytes = await store.get(shard.sha256); // verifies the digest
      expect(sha256(bytes)).toBe(shard.sha256);
      const samples = readShard(bytes, shard.key);
      expect(samples).toHaveLength(shard.count);
      samples.forEach((s, i) => {
        expect(s.meta.index).toBe(shard.firstSample + i);
        expect(s.meta.label).toBe(labels[s.meta.index]);
      });
      // pixels of the first sample of each shard, decoded independently of the ingest code
      const first = samples[0]!;
      const png = parsePng(first.png);
      expect([png.width, png.height, png.channels]).toEqual([28, 28, 1]);
      expect(
        png.pixels.equals(pixels.subarray(first.meta.index * 784, (first.meta.index + 1) * 784)),
      ).toBe(true);
    }
  });

  it('survives a SIGKILL of its worker mid-run: the manifest is byte-identical and nothing extra is stored', async () => {
    const killed = isolatedConfig('ingest-kill');
    const client = await testClient();
    const workflowId = `kill-${Date.now()}`;
    const handle = await client.workflow.start(ingestDataset, {
      taskQueue: killed.config.queues.cpu,
      workflowId,
      args: [
        { source, cpuQueue: killed.config.queues.cpu, store: s3StoreOf(killed.config).location },
      ],
    });

    const first = spawnWorker(
      { ...killed.env, CLAB_ACTIVITY_CONCURRENCY: '2' },
      '/tmp/clab-test-kill-worker-1.log',
    );
    let progress = await handle.query(ingestProgress);
    while (progress.shardsDone < 4) {
      await sleep(200);
      progress = await handle.query(ingestProgress);
    }
    first.kill('SIGKILL');
    await exited(first);
    expect(progress.shardsDone).toBeLessThan(30);

    const second = spawnWorker(killed.env, '/tmp/clab-test-kill-worker-2.log');
    try {
      const after = await handle.result();
      expect(after.digest).toBe(result.digest);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }

    // shards that were in flight at the kill ran again (a second attempt) after their heartbeat timed out
    const rows = activityRows((await handle.fetchHistory()).events ?? []);
    expect(rows.filter((r) => r.type === 'writeShard' && r.attempts > 1).length).toBeGreaterThan(0);

    // plus the one artifact of shard records per batch of shards (30 shards: one batch)
    const batches = rows
      .filter((r) => r.type === 'writeShardBatch' && r.status === 'completed')
      .map((r) => (r.output as { digest: string }).digest);
    expect(batches).toHaveLength(1);
    const expectedKeys = [
      manifest.source.indexDigest!,
      ...manifest.shards.map((s) => s.sha256),
      ...batches,
      result.digest,
    ].map((d) => `sha256/${d.slice(0, 2)}/${d}`);
    expect(await listAll(s3StoreOf(killed.config).listKeys())).toEqual([...expectedKeys].sort());
  }, 300_000);
});
