import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../../lib/datasets/idx.ts';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  fashionMnistFiles,
  type SourceIndex,
} from '../../lib/datasets/source.ts';
import { InputError } from '../../lib/input-error.ts';
import type { SourceSample } from './source-sample.ts';
import { pinFile, readPinnedFile } from './read-pinned-file.ts';

type IdxIndex = Extract<SourceIndex, { kind: 'idx' }>;

interface DecodedIdx {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** Reads, checks and pins the two gzipped IDX files of a Fashion-MNIST split. */
export async function indexFashionMnist(
  split: 'train' | 'test',
  dir = FASHION_MNIST_DIR,
): Promise<IdxIndex> {
  const names = fashionMnistFiles(split);
  const images = await pinFile(join(dir, names.images));
  const labels = await pinFile(join(dir, names.labels));
  const decoded = decode(
    images.file.path,
    images.bytes,
    labels.file.path,
    labels.bytes,
    FASHION_MNIST_CLASSES.length,
  );
  return {
    kind: 'idx',
    name: `fashion-mnist/${split}`,
    classes: FASHION_MNIST_CLASSES,
    count: decoded.count,
    image: { width: decoded.width, height: decoded.height, channels: 1 },
    images: images.file,
    labels: labels.file,
  };
}

// One decoded split per worker process: every shard of an ingest reads the same two files.
let cache: { key: string; decoded: DecodedIdx } | undefined;

/** Samples [start, end) of an indexed IDX source, read from the pinned (verified) files. */
export async function readIdxSamples(
  index: IdxIndex,
  start: number,
  end: number,
): Promise<SourceSample[]> {
  const key = `${index.images.sha256}:${index.labels.sha256}`;
  if (cache?.key !== key) {
    const images = await readPinnedFile(index.images);
    const labels = await readPinnedFile(index.labels);
    cache = {
      key,
      decoded: decode(index.images.path, images, index.labels.path, labels, index.classes.length),
    };
  }
  const { images, labels, width, height } = cache.decoded;
  const pixels = width * height;
  const file = index.images.path.split('/').pop()!;
  const samples: SourceSample[] = [];
  for (let i = start; i < end; i++) {
    samples.push({
      index: i,
      label: labels[i]!,
      source: `${file}#${i}`,
      image: {
        data: Buffer.from(images.subarray(i * pixels, (i + 1) * pixels)),
        width,
        height,
        channels: 1,
      },
    });
  }
  return samples;
}

function decode(
  imagesPath: string,
  imagesGz: Buffer,
  labelsPath: string,
  labelsGz: Buffer,
  classCount: number,
): DecodedIdx {
  const images = parseIdx(gunzip(imagesPath, imagesGz), imagesPath, 3);
  const labels = parseIdx(gunzip(labelsPath, labelsGz), labelsPath, 1);
  const [count = 0, height = 0, width = 0] = images.dims;
  if (labels.dims[0] !== count) {
    throw new InputError(
      `${labelsPath} holds ${labels.dims[0]} labels but ${imagesPath} holds ${count} images`,
    );
  }
  const bad = labels.data.findIndex((label) => label >= classCount);
  if (bad !== -1) {
    throw new InputError(
      `${labelsPath}: label ${labels.data[bad]} of sample ${bad} (byte offset ${8 + bad}) is not below the class count ${classCount}`,
    );
  }
  return { images: images.data, labels: labels.data, count, height, width };
}

function gunzip(path: string, bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new InputError(`${path}: not a complete gzip stream (${(error as Error).message})`);
  }
}
