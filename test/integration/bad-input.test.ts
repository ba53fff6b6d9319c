// Bad input through the real Temporal server: a clear, non-retried failure that names the input,
// and no manifest for the failed ingest. Plus the ImageFolder route on a small planted folder.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, inject, it } from 'vitest';
import { activityRows } from '../../cli/run-history.ts';
import { configFromEnv } from '../../lib/config.ts';
import { MANIFEST_FORMAT, type DatasetManifest } from '../../lib/datasets/manifest.ts';
import { readShard } from '../../lib/datasets/shard-reader.ts';
import type { SourceSpec } from '../../lib/datasets/source.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { digestOfKey } from '../../lib/storage/content-key.ts';
import { ingestDataset } from '../../workflows/ingest-dataset.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { listAll, testClient } from '../helpers/stack.ts';
import { failureChain } from '../helpers/failures.ts';

const FMNIST = '/usr/share/datasets/fashion-mnist';

/** Runs an ingest on a fresh local store; returns its outcome, history rows and the store. */
async function ingest(source: SourceSpec, shardSize = 1000) {
  const dir = mkdtempSync(join(tmpdir(), 'clab-bad-input-'));
  const config = configFromEnv({
    CLAB_HOME: dir,
    CLAB_TEMPORAL_ADDRESS: inject('temporalAddress'),
    CLAB_QUEUE_PREFIX: `bad-${Date.now()}-`,
  });
  const client = await testClient();
  const handle = await client.workflow.start(ingestDataset, {
    taskQueue: config.queues.cpu,
    workflowId: `bad-input-${Date.now()}`,
    args: [{ source, shardSize, cpuQueue: config.queues.cpu }],
  });
  const outcome = await withWorkers(config, () =>
    handle.result().then(
      (value) => ({ value, error: undefined }),
      (error: Error) => ({ value: undefined, error }),
    ),
  );
  const rows = activityRows((await handle.fetchHistory()).events ?? []);
  return { ...outcome, rows, store: new LocalArtifactStore(join(dir, 'store')) };
}

async function manifestsIn(store: LocalArtifactStore): Promise<number> {
  let count = 0;
  for (const key of await listAll(store.listKeys())) {
    const bytes = await store.get(digestOfKey(key)!);
    if (bytes.subarray(0, 200).toString('utf8').includes(MANIFEST_FORMAT)) count++;
  }
  return count;
}

function fmnistCopy(mutateImages: (idx: Buffer) => Buffer, gzipAfter = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'clab-fmnist-'));
  copyFileSync(join(FMNIST, 't10k-labels-idx1-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
  const idx = gunzipSync(readFileSync(join(FMNIST, 't10k-images-idx3-ubyte.gz')));
  const mutated = mutateImages(idx);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipAfter ? gzipSync(mutated) : mutated);
  return dir;
}

describe('bad input', () => {
  it('a truncated IDX file fails once, naming the file and the offset, and writes no manifest', async () => {
    const dir = fmnistCopy((idx) => idx.subarray(0, 16 + 784 * 100 + 5));
    const { error, rows, store } = await ingest({ kind: 'fashion-mnist', split: 'test', dir });
    expect(failureChain(error)).toContain(
      `${dir}/t10k-images-idx3-ubyte.gz: truncated IDX data: dimensions 10000x28x28 need 7840000 bytes from offset 16, the file ends after 78405`,
    );
    expect(rows.find((r) => r.type === 'indexSource')).toMatchObject({
      status: 'failed',
      attempts: 1,
    });
    expect(await manifestsIn(store)).toBe(0);
  });

  it('a truncated gzip stream fails, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-fmnist-'));
    copyFileSync(join(FMNIST, 't10k-labels-idx1-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
    writeFileSync(
      join(dir, 't10k-images-idx3-ubyte.gz'),
      readFileSync(join(FMNIST, 't10k-images-idx3-ubyte.gz')).subarray(0, 100_000),
    );
    const { error } = await ingest({ kind: 'fashion-mnist', split: 'test', dir });
    expect(failureChain(error)).toContain(
      `${dir}/t10k-images-idx3-ubyte.gz: not a complete gzip stream`,
    );
  });

  it('a wrong magic number fails, naming the file and both magics', async () => {
    const dir = fmnistCopy((idx) => {
      const copy = Buffer.from(idx);
      copy[3] = 2;
      return copy;
    });
    const { error, store } = await ingest({ kind: 'fashion-mnist', split: 'test', dir });
    expect(failureChain(error)).toContain(
      `${dir}/t10k-images-idx3-ubyte.gz: wrong IDX magic number at offset 0: expected 0x00000803 (unsigned bytes, 3 dimensions), got 0x00000802`,
    );
    expect(await manifestsIn(store)).toBe(0);
  });

  it('an undecodable image in an ImageFolder fails its shard once, naming the file and sample; no manifest', async () => {
    const root = await plantedFolder();
    writeFileSync(join(root, 'coat', 'z-broken.png'), Buffer.from('this is not a png'));
    const { error, rows, store } = await ingest({ kind: 'image-folder', dir: root }, 4);
    expect(failureChain(error)).toContain(
      `${root}/coat/z-broken.png (sample 8): cannot decode image`,
    );
    const failed = rows.filter((r) => r.type === 'writeShard' && r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attempts).toBe(1);
    expect(await manifestsIn(store)).toBe(0);
  });
});

describe('ImageFolder ingest', () => {
  it("labels classes by sorted folder name, keeps channels, and records each sample's source", async () => {
    const root = await plantedFolder();
    const { value, store } = await ingest({ kind: 'image-folder', dir: root, name: 'planted' }, 4);
    expect(value).toMatchObject({ name: 'planted', count: 8, shards: 2 });
    const manifest = await getJson<DatasetManifest>(store, value!.digest);
    expect(manifest.classes).toEqual(['bag', 'boot', 'coat']);
    expect(manifest.classHistogram).toEqual([2, 3, 3]);
    const samples = (
      await Promise.all(
        manifest.shards.map(async (s) => readShard(await store.get(s.sha256), s.key)),
      )
    ).flat();
    expect(samples.map((s) => s.meta.source)).toEqual([
      'bag/a.png',
      'bag/b.jpg',
      'boot/a.png',
      'boot/b.png',
      'boot/c.png',
      'coat/a.png',
      'coat/b.png',
      'coat/c.png',
    ]);
    expect(samples.map((s) => s.meta.label)).toEqual([0, 0, 1, 1, 1, 2, 2, 2]);
    expect(samples[0]!.key).toBe('planted-00000000');
    const grey = await sharp(samples[2]!.png).metadata();
    const colour = await sharp(samples[0]!.png).metadata();
    expect([grey.channels, colour.channels]).toEqual([1, 3]);
  });
});

/** bag: an RGB PNG and a JPEG; boot: three grey PNGs; coat: three grey PNGs; plus a non-image file. */
async function plantedFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'clab-folder-'));
  const grey = (v: number) =>
    sharp(Buffer.alloc(16 * 16, v), { raw: { width: 16, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
  const rgb = (v: number) =>
    sharp(Buffer.alloc(16 * 16 * 3, v), { raw: { width: 16, height: 16, channels: 3 } });
  for (const c of ['bag', 'boot', 'coat']) mkdirSync(join(root, c));
  writeFileSync(join(root, 'bag', 'a.png'), await rgb(10).png().toBuffer());
  writeFileSync(join(root, 'bag', 'b.jpg'), await rgb(200).jpeg().toBuffer());
  writeFileSync(join(root, 'bag', 'notes.txt'), 'not an image');
  for (const [i, f] of ['a', 'b', 'c'].entries()) {
    writeFileSync(join(root, 'boot', `${f}.png`), await grey(i * 40));
    writeFileSync(join(root, 'coat', `${f}.png`), await grey(255 - i * 40));
  }
  return root;
}
