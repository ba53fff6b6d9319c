// The opencv-digits and sklearn-digits sources: indexing (pinned file, layout checks, the resize
// record), reading (labels, pixels, resize), and bad input through the ingest activities, which
// must fail once (non-retryable) and name the file and what is wrong.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MockActivityEnvironment } from '@temporalio/testing';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createIngestActivities, type IndexedSource } from '../../activities/ingest.ts';
import { packagedFile } from '../../activities/sources/packaged-file.ts';
import { indexSource, readSamples } from '../../activities/sources/sources.ts';
import { sha256 } from '../../lib/digest.ts';
import {
  OPENCV_DIGITS_FILE,
  SKLEARN_DIGITS_FILE,
  type SourceIndex,
  type SourceSpec,
} from '../../lib/datasets/source.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { listAll } from '../helpers/stack.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'clab-digits-'));

/** A 2000x1000 grey PNG whose 20x20 cell i (row-major) is filled with i mod 251. */
async function syntheticGrid(width = 2000, height = 1000): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      pixels[y * width + x] = (Math.floor(y / 20) * 100 + Math.floor(x / 20)) % 251;
  return sharp(pixels, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** Runs indexSource through the activity wrapper on a fresh local store; returns the failure. */
async function indexFailure(source: SourceSpec) {
  const store = new LocalArtifactStore(tmp());
  const activities = createIngestActivities({ store, codeVersion: 'test' });
  const error = await new MockActivityEnvironment()
    .run(activities.indexSource, { source })
    .then(() => undefined)
    .catch((e: Error) => e);
  return { error, keys: await listAll(store.listKeys()) };
}

describe('opencv-digits source', () => {
  it('indexes the installed digits.png: pinned by sha256, 5,000 20x20 grey digits of 10 classes', async () => {
    const index = await indexSource({ kind: 'opencv-digits' });
    expect(index).toMatchObject({
      kind: 'opencv-digits',
      name: 'opencv-digits',
      classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      count: 5000,
      image: { width: 20, height: 20, channels: 1 },
      grid: { columns: 100, rows: 50, cellWidth: 20, cellHeight: 20, perClass: 500 },
      file: {
        path: OPENCV_DIGITS_FILE,
        sha256: sha256(readFileSync(OPENCV_DIGITS_FILE)),
        bytes: readFileSync(OPENCV_DIGITS_FILE).length,
      },
    });
    expect(index).not.toHaveProperty('resize');
  });

  it('cuts cells row-major, labels them in runs of 500, and reads a gzipped file the same', async () => {
    const dir = tmp();
    const png = await syntheticGrid();
    writeFileSync(join(dir, 'digits.png'), png);
    writeFileSync(join(dir, 'digits.png.gz'), gzipSync(png));
    const index = await indexSource({ kind: 'opencv-digits', file: join(dir, 'digits.png') });
    const samples = await readSamples(index, 495, 505);
    expect(samples.map((s) => s.label)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(samples[0]!.source).toBe('digits.png#r4c95');
    for (const s of samples) {
      expect(s.image).toMatchObject({ width: 20, height: 20, channels: 1 });
      expect(s.image.data).toEqual(Buffer.alloc(400, s.index % 251));
    }
    const gz = await indexSource({ kind: 'opencv-digits', file: join(dir, 'digits.png.gz') });
    expect((await readSamples(gz, 495, 505)).map((s) => s.image.data)).toEqual(
      samples.map((s) => s.image.data),
    );
  });

  it('finds the default file gzipped (as debhelper may install it) when the .png is missing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'digits.png.gz'), 'x');
    expect(await packagedFile(undefined, join(dir, 'digits.png'), 'opencv-doc')).toBe(
      join(dir, 'digits.png.gz'),
    );
    await expect(packagedFile(undefined, join(tmp(), 'digits.png'), 'opencv-doc')).rejects.toThrow(
      /digits\.png and .*digits\.png\.gz do not exist: install Debian's opencv-doc/,
    );
  });

  it('records the resize in the index and name, and resizes each cell on its own', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'digits.png'), await syntheticGrid());
    const index = await indexSource({
      kind: 'opencv-digits',
      file: join(dir, 'digits.png'),
      resize: { width: 28, height: 28 },
    });
    expect(index).toMatchObject({
      name: 'opencv-digits@28x28',
      image: { width: 28, height: 28, channels: 1 },
      resize: { width: 28, height: 28, kernel: 'cubic', libvips: sharp.versions.vips },
    });
    const [sample] = await readSamples(index, 1234, 1235);
    expect(sample!.image).toMatchObject({ width: 28, height: 28, channels: 1 });
    // a constant cell stays constant: no neighbouring cell bleeds in
    expect(sample!.image.data).toEqual(Buffer.alloc(28 * 28, 1234 % 251));
  });

  it('bad input: a digits.png of unexpected size fails indexing once, naming the file and sizes', async () => {
    const file = join(tmp(), 'digits.png');
    writeFileSync(file, await syntheticGrid(1990, 1000));
    const { error, keys } = await indexFailure({ kind: 'opencv-digits', file });
    expect(error).toMatchObject({
      nonRetryable: true,
      message: `${file}: expected a 2000x1000 greyscale image (50 rows of 100 20x20 digits), got 1990x1000 with 1 channel`,
    });
    expect(keys).toEqual([]);
  });

  it('bad input: a bad resize and a file that is not an image fail, naming the source or file', async () => {
    const bad = await indexFailure({ kind: 'opencv-digits', resize: { width: 0, height: 28 } });
    expect(bad.error).toMatchObject({
      nonRetryable: true,
      message: `opencv-digits (${OPENCV_DIGITS_FILE}): expected resize.width to be a whole number from 1 to 4096, got 0`,
    });
    const file = join(tmp(), 'digits.png');
    writeFileSync(file, 'not a png');
    const { error } = await indexFailure({ kind: 'opencv-digits', file });
    expect(error).toMatchObject({ nonRetryable: true });
    expect((error as Error).message).toMatch(`${file}: cannot decode image`);
  });
});

describe('sklearn-digits source', () => {
  const csv = gunzipSync(readFileSync(SKLEARN_DIGITS_FILE)).toString('utf8');
  const lines = csv.trimEnd().split('\n');

  it('indexes the installed digits.csv.gz: pinned by sha256, one sample per line, 8x8', async () => {
    const index = await indexSource({ kind: 'sklearn-digits' });
    expect(index).toMatchObject({
      kind: 'sklearn-digits',
      name: 'sklearn-digits',
      count: lines.length,
      values: { width: 8, height: 8, maxValue: 16 },
      image: { width: 8, height: 8, channels: 1 },
      file: { path: SKLEARN_DIGITS_FILE, sha256: sha256(readFileSync(SKLEARN_DIGITS_FILE)) },
    });
    expect(lines.length).toBe(1797);
  });

  it('reads line i + 1 as sample i: its label and its values scaled by 255/16', async () => {
    const index = await indexSource({ kind: 'sklearn-digits' });
    const samples = await readSamples(index, 1000, 1003);
    for (const s of samples) {
      const fields = lines[s.index]!.split(',').map(Number);
      expect(s.label).toBe(fields[64]);
      expect(s.source).toBe(`digits.csv.gz#line${s.index + 1}`);
      expect(Array.from(s.image.data)).toEqual(
        fields.slice(0, 64).map((v) => Math.round((v * 255) / 16)),
      );
    }
  });

  it('bad input: a truncated row fails indexing once, naming the file and the line', async () => {
    const file = join(tmp(), 'digits.csv.gz');
    const cut = csv.slice(0, csv.length - 100); // the last row loses its end
    writeFileSync(file, gzipSync(cut));
    const fields = cut.trimEnd().split('\n').pop()!.split(',').length;
    const { error, keys } = await indexFailure({ kind: 'sklearn-digits', file });
    expect(error).toMatchObject({
      nonRetryable: true,
      message: `${file}, line 1797: expected 65 comma-separated values (64 pixel values 0-16, then the label 0-9), got ${fields}`,
    });
    expect(keys).toEqual([]);
  });

  it('bad input: a garbled value and a truncated gzip stream name the file (and line)', async () => {
    const file = join(tmp(), 'digits.csv.gz');
    const garbled = lines.map((l, i) => (i === 41 ? l.replace(/^0,/, '0.5,') : l)).join('\n');
    writeFileSync(file, gzipSync(garbled));
    expect((await indexFailure({ kind: 'sklearn-digits', file })).error).toMatchObject({
      nonRetryable: true,
      message: `${file}, line 42, value 1: expected a pixel value from 0 to 16, got "0.5"`,
    });
    writeFileSync(file, readFileSync(SKLEARN_DIGITS_FILE).subarray(0, 20_000));
    const { error } = await indexFailure({ kind: 'sklearn-digits', file });
    expect((error as Error).message).toMatch(`${file}: not a complete gzip stream`);
  });

  it('a file that changes after indexing fails the shard, naming the file and both digests', async () => {
    const store = new LocalArtifactStore(tmp());
    const activities = createIngestActivities({ store, codeVersion: 'test' });
    const env = new MockActivityEnvironment();
    const file = join(tmp(), 'digits.csv.gz');
    writeFileSync(file, readFileSync(SKLEARN_DIGITS_FILE));
    const indexed: IndexedSource = await env.run(activities.indexSource, {
      source: { kind: 'sklearn-digits', file } as const,
    });
    const changed = gzipSync(lines.slice(0, 100).join('\n'));
    writeFileSync(file, changed);
    const error = await env
      .run(activities.writeShard, {
        indexDigest: indexed.indexDigest,
        shard: { index: 0, start: 0, end: 10 },
      })
      .catch((e: Error) => e);
    expect(error).toMatchObject({
      nonRetryable: true,
      message: `${file} changed since the ingest indexed it: sha256 is now ${sha256(changed)}, was ${sha256(readFileSync(SKLEARN_DIGITS_FILE))}`,
    });
  });

  it('refuses to resize on a worker whose libvips differs from the one the index records', async () => {
    const index = await indexSource({ kind: 'sklearn-digits', resize: { width: 28, height: 28 } });
    expect(index.name).toBe('sklearn-digits@28x28');
    const other = {
      ...index,
      resize: { ...(index as { resize: object }).resize, libvips: '0.0.1' },
    };
    await expect(readSamples(other as SourceIndex, 0, 1)).rejects.toThrow(
      `sklearn-digits@28x28 was indexed to be resized with libvips 0.0.1 but this worker has libvips ${sharp.versions.vips}`,
    );
    const [sample] = await readSamples(index, 0, 1);
    expect(sample!.image).toMatchObject({ width: 28, height: 28, channels: 1 });
    expect(sample!.image.data).toHaveLength(784);
  });
});
