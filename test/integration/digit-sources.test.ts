// OpenCV's and scikit-learn's digits through the real ingest workflow (Temporal, in-process
// workers, MinIO): counts, class histograms and the pixels of every sample, checked against the
// installed files decoded here independently of the ingest code (a PNG reader of our own for
// digits.png, a plain split for the CSV). Plus both at 28x28, the size a study mixes them at.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifestRef } from '../../activities/ingest.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { readShard, type ShardSample } from '../../lib/datasets/shard-reader.ts';
import {
  OPENCV_DIGITS_FILE,
  SKLEARN_DIGITS_FILE,
  type SourceSpec,
} from '../../lib/datasets/source.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { ingestDataset } from '../../workflows/ingest-dataset.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { decodeGreyPng } from '../helpers/png-grey-reference.ts';
import { parsePng } from '../helpers/png-reference.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';

// digits.png, decoded here: 50 rows of 100 20x20 cells, 500 consecutive cells per digit.
const grid = decodeGreyPng(readFileSync(OPENCV_DIGITS_FILE));
function opencvCell(index: number): Buffer {
  const x0 = (index % 100) * 20;
  const y0 = Math.floor(index / 100) * 20;
  const cell = Buffer.alloc(400);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 20; x++) cell[y * 20 + x] = grid.pixels[(y0 + y) * 2000 + x0 + x]!;
  return cell;
}

// digits.csv.gz, read here: 64 values 0-16 then the label per line.
const rows = gunzipSync(readFileSync(SKLEARN_DIGITS_FILE))
  .toString('utf8')
  .trimEnd()
  .split('\n')
  .map((line) => line.split(',').map(Number));
const sklearnPixels = (index: number) =>
  Buffer.from(rows[index]!.slice(0, 64).map((v) => Math.round((v * 255) / 16)));

interface Ingested {
  ref: DatasetManifestRef;
  manifest: DatasetManifest;
  samples: ShardSample[];
  ms: number;
}

describe('opencv-digits and sklearn-digits through the ingest workflow into MinIO', () => {
  const { config } = isolatedConfig('digits');
  const store = s3StoreOf(config);
  const results: Record<string, Ingested> = {};

  beforeAll(async () => {
    const client = await testClient();
    await withWorkers(config, async () => {
      const sources: [string, SourceSpec][] = [
        ['opencv', { kind: 'opencv-digits' }],
        ['sklearn', { kind: 'sklearn-digits' }],
        ['opencv28', { kind: 'opencv-digits', resize: { width: 28, height: 28 } }],
        ['sklearn28', { kind: 'sklearn-digits', resize: { width: 28, height: 28 } }],
      ];
      for (const [name, source] of sources) {
        const started = performance.now();
        const ref = await client.workflow.execute(ingestDataset, {
          taskQueue: config.queues.cpu,
          workflowId: `digits-${name}-${Date.now()}`,
          args: [{ source, cpuQueue: config.queues.cpu, store: store.location }],
        });
        const ms = performance.now() - started;
        const manifest = await getJson<DatasetManifest>(store, ref.digest);
        const samples: ShardSample[] = [];
        for (const shard of manifest.shards)
          samples.push(...readShard(await store.get(shard.sha256), shard.key));
        results[name] = { ref, manifest, samples, ms };
        console.log(`[digits] ingest of ${manifest.name}: ${Math.round(ms)} ms`);
      }
    });
  }, 120_000);

  it('opencv-digits: 5,000 20x20 digits, 500 per class, every label and pixel as in digits.png', () => {
    const { ref, manifest, samples } = results.opencv!;
    expect(ref).toMatchObject({ name: 'opencv-digits', count: 5000, shards: 3 });
    expect(manifest.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(manifest.classHistogram).toEqual(new Array(10).fill(500));
    expect(manifest.image).toEqual({ width: 20, height: 20, channels: 1 });
    expect(manifest.source).toMatchObject({ kind: 'opencv-digits' });
    expect(samples).toHaveLength(5000);
    samples.forEach((s, i) => {
      expect(s.meta).toMatchObject({ index: i, label: Math.floor(i / 500) });
      const png = parsePng(s.png);
      expect([png.width, png.height, png.channels]).toEqual([20, 20, 1]);
      if (!png.pixels.equals(opencvCell(i))) expect.fail(`sample ${i}: pixels differ`);
    });
    expect(samples[2345]!.meta.source).toBe('digits.png#r23c45');
  });

  it('sklearn-digits: 1,797 8x8 digits, histogram and pixels (value * 255 / 16) as in the CSV', () => {
    const { ref, manifest, samples } = results.sklearn!;
    const histogram = new Array(10).fill(0);
    for (const row of rows) histogram[row[64]!]++;
    expect(ref).toMatchObject({ name: 'sklearn-digits', count: 1797, shards: 1 });
    expect(manifest.classHistogram).toEqual(histogram);
    expect(manifest.image).toEqual({ width: 8, height: 8, channels: 1 });
    expect(samples).toHaveLength(1797);
    samples.forEach((s, i) => {
      expect(s.meta).toMatchObject({ index: i, label: rows[i]![64] });
      const png = parsePng(s.png);
      expect([png.width, png.height, png.channels]).toEqual([8, 8, 1]);
      if (!png.pixels.equals(sklearnPixels(i))) expect.fail(`sample ${i}: pixels differ`);
    });
  });

  it.each([
    ['opencv', 'opencv-digits', 20, opencvCell, [0, 499, 500, 2345, 4999]],
    ['sklearn', 'sklearn-digits', 8, sklearnPixels, [0, 1, 900, 1796]],
  ] as const)(
    '%s at 28x28: the resize is in the name, the manifest and every image',
    async (key, name, side, original, checked) => {
      const { ref, manifest, samples } = results[`${key}28`]!;
      const unresized = results[key]!;
      expect(ref).toMatchObject({ name: `${name}@28x28`, count: unresized.ref.count });
      expect(manifest.image).toEqual({ width: 28, height: 28, channels: 1 });
      expect(manifest.source.params).toEqual({
        resize: { width: 28, height: 28, kernel: 'cubic', libvips: sharp.versions.vips },
      });
      expect(manifest.classHistogram).toEqual(unresized.manifest.classHistogram);
      expect(samples[0]!.key).toBe(`${name}-28x28-00000000`);
      for (const s of samples) expect(parsePng(s.png).pixels).toHaveLength(784);
      // each cell resized on its own with the recorded kernel (what any sharp user would get)
      for (const i of checked) {
        const raw = { width: side, height: side, channels: 1 } as const;
        const expected = await sharp(original(i), { raw })
          .resize(28, 28, { kernel: 'cubic', fit: 'fill' })
          .toColourspace('b-w')
          .raw()
          .toBuffer();
        expect(parsePng(samples[i]!.png).pixels.equals(expected)).toBe(true);
      }
    },
  );
});
