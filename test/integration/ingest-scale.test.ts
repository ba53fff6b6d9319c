// An ImageFolder of 2,000 tiny images ingested with one image per shard (2,000 shards) through the
// real Temporal server into MinIO: the manifest is complete, and no payload of any run of the
// ingest (nor of any child) grows with the number of shards. CLAB_SCALE_IMAGES sets another size.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifestRef } from '../../activities/ingest.ts';
import { activityRows } from '../../cli/run-history.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { ingestDataset, type IngestDatasetInput } from '../../workflows/ingest-dataset.ts';
import { historyFigures } from '../helpers/history-figures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';

const IMAGES = Number(process.env.CLAB_SCALE_IMAGES ?? 2000);
const CLASSES = ['even', 'odd'];
const PAYLOAD_LIMIT = 64 * 1024;

/** IMAGES distinct 4x4 grey PNGs, image i in class `even` or `odd` by the parity of i. */
async function tinyImageFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'clab-scale-'));
  for (const c of CLASSES) mkdirSync(join(root, c));
  for (let i = 0; i < IMAGES; i++) {
    const pixels = Buffer.alloc(16, i % 256);
    pixels[0] = i >> 8;
    const png = await sharp(pixels, { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(join(root, CLASSES[i % 2]!, `${String(i).padStart(6, '0')}.png`), png);
  }
  return root;
}

describe(`ingest of an ImageFolder of ${IMAGES} images, one image per shard`, () => {
  const { config } = isolatedConfig('ingest-scale');
  const store = s3StoreOf(config);
  let root: string;
  let client: Client;

  async function ingest(args: IngestDatasetInput, id: string) {
    const started = performance.now();
    const handle = await client.workflow.start(ingestDataset, {
      taskQueue: config.queues.cpu,
      workflowId: `${id}-${Date.now()}`,
      args: [{ ...args, cpuQueue: config.queues.cpu, store: store.location }],
    });
    const result: DatasetManifestRef = await withWorkers(config, () => handle.result());
    const seconds = (performance.now() - started) / 1000;
    const history = await historyFigures(client, handle.workflowId, handle.firstExecutionRunId);
    const manifest = await getJson<DatasetManifest>(store, result.digest);
    return { result, manifest, history, seconds };
  }

  beforeAll(async () => {
    root = await tinyImageFolder();
    client = await testClient();
  }, 120_000);

  it('writes a complete manifest, and every payload of every run stays below 64 KiB', async () => {
    const { result, manifest, history, seconds } = await ingest(
      { source: { kind: 'image-folder', dir: root, name: 'scale' }, shardSize: 1 },
      'ingest-scale',
    );
    console.log(
      `ingest of ${IMAGES} images in ${IMAGES} shards: ${history.runs} workflow runs, ` +
        `${history.events} history events (at most ${history.maxEventsPerRun} in one run), ` +
        `largest payload ${history.largest.bytes} bytes (${history.largest.where}), ` +
        `wall time ${seconds.toFixed(1)} s`,
    );

    expect(result).toMatchObject({ name: 'scale', count: IMAGES, shards: IMAGES });
    expect(manifest.count).toBe(IMAGES);
    expect(manifest.classes).toEqual(CLASSES);
    expect(manifest.classHistogram).toEqual([Math.ceil(IMAGES / 2), Math.floor(IMAGES / 2)]);
    expect(manifest.shards).toHaveLength(IMAGES);
    manifest.shards.forEach((s, i) => {
      expect(s).toMatchObject({ index: i, firstSample: i, count: 1 });
    });
    // image-folder samples are ordered class by class: all of `even`, then all of `odd`
    const evens = Math.ceil(IMAGES / 2);
    expect(manifest.shards.map((s) => s.classHistogram)).toEqual(
      manifest.shards.map((_, i) => (i < evens ? [1, 0] : [0, 1])),
    );

    const rows = history.histories.flatMap((events) => activityRows(events));
    expect(rows.filter((r) => r.type === 'writeShard' && r.status === 'completed')).toHaveLength(
      IMAGES,
    );
    expect(history.largest.bytes).toBeGreaterThan(0);
    expect(history.largest.bytes).toBeLessThan(PAYLOAD_LIMIT);
  }, 300_000);

  it('takes an already indexed source without indexing it again, and writes the same manifest', async () => {
    const fromSource = await ingest(
      { source: { kind: 'image-folder', dir: root, name: 'scale' }, shardSize: 500 },
      'ingest-scale-source',
    );
    const indexDigest = fromSource.manifest.source.indexDigest!;
    const fromIndex = await ingest(
      { indexDigest, count: fromSource.result.count, shardSize: 500 },
      'ingest-scale-index',
    );
    expect(fromIndex.result.digest).toBe(fromSource.result.digest);
    const rows = fromIndex.history.histories.flatMap((events) => activityRows(events));
    expect(rows.filter((r) => r.type === 'indexSource')).toEqual([]);
    expect(rows.filter((r) => r.type === 'writeShard')).toHaveLength(Math.ceil(IMAGES / 500));
  }, 120_000);
});
