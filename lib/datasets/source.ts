import type { Sha256 } from '../digest.ts';

/** What the user asks to ingest. Paths are read on the worker that runs the activity. */
export type SourceSpec =
  | { kind: 'fashion-mnist'; split: 'train' | 'test'; dir?: string }
  | { kind: 'image-folder'; dir: string; name?: string };

export interface SourceFile {
  path: string;
  sha256: Sha256;
  bytes: number;
}

/**
 * The exact, verifiable description of a source, stored as an artifact before any shard is written:
 * every file it reads is pinned by digest, so a source that changes mid-ingest fails loudly.
 */
export type SourceIndex =
  | {
      kind: 'idx';
      name: string;
      classes: string[];
      count: number;
      image: { width: number; height: number; channels: number };
      images: SourceFile;
      labels: SourceFile;
    }
  | {
      kind: 'image-folder';
      name: string;
      root: string;
      classes: string[];
      count: number;
      samples: { path: string; label: number; sha256: Sha256 }[];
    };

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The label names of Fashion-MNIST, in label order (Xiao et al., 2017). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export function fashionMnistFiles(split: 'train' | 'test'): { images: string; labels: string } {
  const stem = split === 'train' ? 'train' : 't10k';
  return { images: `${stem}-images-idx3-ubyte.gz`, labels: `${stem}-labels-idx1-ubyte.gz` };
}

/** A WebDataset sample key: no dots (WebDataset splits keys from extensions at the first dot). */
export function sampleKey(datasetName: string, index: number): string {
  const slug = datasetName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${slug}-${String(index).padStart(8, '0')}`;
}
