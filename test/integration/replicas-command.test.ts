// `clab replicas` as a new user runs it: two ImageFolder directories of real Fashion-MNIST test
// images (a training folder with class sub-folders, a flat folder of "generated" images), through
// the real Temporal server, MinIO and workers. The generated folder holds planted copies (exact,
// and with small noise) of named training files and real images that are in no training folder;
// the pixel audit must flag every planted copy with its original as the best match, and no more
// than the calibration percentile lets through of the rest.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../lib/datasets/idx.ts';
import { encodeOnnxModel } from '../../lib/matrix/onnx-graph.ts';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from '../../lib/datasets/source.ts';
import { Rng } from '../../lib/rng.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig } from '../helpers/stack.ts';

const CLAB = fileURLToPath(new URL('../../bin/clab.mjs', import.meta.url));
const CLASSES = [0, 1, 7]; // t-shirt, trouser, sneaker
const TRAIN_PER_CLASS = 40;
const HELD_OUT_PER_CLASS = 100;
const FRESH = 24;
const EXACT = 4;
const NOISY = 4;

async function writePng(path: string, pixels: Uint8Array): Promise<void> {
  const png = await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  writeFileSync(path, png);
}

describe('clab replicas', () => {
  const root = mkdtempSync(join(tmpdir(), 'clab-replicas-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('flags planted copies in a flat generated folder by file name, with --json', async () => {
    const images = parseIdx(
      gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'))),
      't10k-images',
      3,
    ).data;
    const labels = parseIdx(
      gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'))),
      't10k-labels',
      1,
    ).data;
    const image = (i: number) => images.subarray(i * 784, (i + 1) * 784);
    const byClass = CLASSES.map((c) => [...labels.keys()].filter((i) => labels[i] === c));
    const dirs = {
      train: join(root, 'train'),
      heldOut: join(root, 'held-out'),
      gen: join(root, 'generated'),
    };
    const trainFiles: { file: string; index: number }[] = [];
    for (const [k, c] of CLASSES.entries()) {
      const name = FASHION_MNIST_CLASSES[c]!.replace(/\W+/g, '-');
      for (const [dir, from, count] of [
        [dirs.train, 0, TRAIN_PER_CLASS],
        [dirs.heldOut, TRAIN_PER_CLASS, HELD_OUT_PER_CLASS],
      ] as const) {
        mkdirSync(join(dir, name), { recursive: true });
        for (const index of byClass[k]!.slice(from, from + count)) {
          const file = `${name}/${index}.png`;
          await writePng(join(dir, file), image(index));
          if (dir === dirs.train) trainFiles.push({ file, index });
        }
      }
    }
    // generated: fresh real images (in no folder), exact copies and noisy copies of train files
    mkdirSync(dirs.gen);
    const rng = Rng.stream(7, 'replicas-test');
    const fresh = byClass.flatMap((ix) => ix.slice(200, 200 + FRESH / CLASSES.length));
    for (const index of fresh) await writePng(join(dirs.gen, `fresh-${index}.png`), image(index));
    const planted = new Map<string, string>();
    const originals = rng
      .sampleIndices(trainFiles.length, EXACT + NOISY)
      .map((i) => trainFiles[i]!);
    for (const [j, original] of originals.entries()) {
      const noisy = j >= EXACT;
      const pixels = Uint8Array.from(image(original.index), (v) =>
        noisy ? Math.min(255, Math.max(0, Math.round(v + 3 * rng.normal()))) : v,
      );
      const file = `${noisy ? 'noisy' : 'copy'}-${j}.png`;
      await writePng(join(dirs.gen, file), pixels);
      planted.set(file, original.file);
    }

    const { config, env } = isolatedConfig('replicas');
    const { stdout } = await withWorkers(config, () =>
      promisify(execFile)(
        process.execPath,
        [
          CLAB,
          'replicas',
          '--generated',
          dirs.gen,
          '--train',
          dirs.train,
          '--held-out',
          dirs.heldOut,
          '--percentile',
          '99',
          '--json',
        ],
        { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      ),
    );
    const out = JSON.parse(stdout) as {
      score: string;
      rate: number;
      threshold: number;
      calibratedBy: string;
      distinctMatches: number;
      flagged: { generated: string; train: string; score: number }[];
      report: string;
    };
    expect(out.score).toBe('normalised-l2');
    expect(out.calibratedBy).toBe('held-out');
    const flagged = new Map(out.flagged.map((f) => [f.generated, f]));
    for (const [file, original] of planted) {
      expect(flagged.get(file)?.train, file).toBe(original);
      // an exact copy is at distance 0; noise of sd 3 levels is an RMS of about 3/255
      expect(flagged.get(file)!.score).toBeLessThan(file.startsWith('copy') ? 1e-6 : 0.02);
    }
    const falsePositives = out.flagged.filter((f) => f.generated.startsWith('fresh'));
    // at the 99th percentile about 1% of never-trained images pass: 24 fresh ones, at most 2
    expect(falsePositives.length).toBeLessThanOrEqual(2);
    const total = FRESH + EXACT + NOISY;
    expect(out.rate).toBeCloseTo(out.flagged.length / total, 12);
    expect(out.distinctMatches).toBe(new Set(out.flagged.map((f) => f.train)).size);
    expect(existsSync(out.report)).toBe(true);
    expect(readFileSync(out.report, 'utf8')).toContain('copy-0.png');

    // the user's own ONNX model as the embedding: here a Flatten of the pixels, so cosine on raw
    // pixels; every exact copy has cosine 1 with its original
    const onnx = join(root, 'flatten.onnx');
    writeFileSync(
      onnx,
      encodeOnnxModel({
        name: 'flatten',
        inputs: [{ name: 'image', type: 'float32', shape: ['n', 1, 28, 28] }],
        outputs: [{ name: 'features', type: 'float32', shape: ['n', 784] }],
        nodes: [
          {
            op: 'Flatten',
            inputs: ['image'],
            outputs: ['features'],
            attributes: [{ name: 'axis', int: 1 }],
          },
        ],
      }),
    );
    const spec = join(root, 'flatten.json');
    writeFileSync(
      spec,
      JSON.stringify({
        input: {
          name: 'image',
          width: 28,
          height: 28,
          channels: 1,
          scale: 1 / 255,
          mean: [0],
          std: [1],
        },
        output: 'features',
      }),
    );
    const byOnnx = await withWorkers(config, () =>
      promisify(execFile)(
        process.execPath,
        [
          CLAB,
          'replicas',
          '--generated',
          dirs.gen,
          '--train',
          dirs.train,
          '--held-out',
          dirs.heldOut,
          '--embedding',
          onnx,
          '--onnx-spec',
          spec,
          '--percentile',
          '99',
          '--json',
        ],
        { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      ),
    );
    const cosine = JSON.parse(byOnnx.stdout) as typeof out & { embedding: string };
    expect(cosine.score).toBe('cosine');
    expect(cosine.embedding).toMatch(/^flatten@[0-9a-f]{12}$/);
    const byCosine = new Map(cosine.flagged.map((f) => [f.generated, f]));
    for (const [file, original] of planted)
      if (file.startsWith('copy')) {
        expect(byCosine.get(file)?.train, file).toBe(original);
        expect(byCosine.get(file)!.score).toBeCloseTo(1, 6);
      }
  }, 300_000);
});
