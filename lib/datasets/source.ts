import type { Sha256 } from '../digest.ts';

/** What the user asks to ingest. Paths are read on the worker that runs the activity. */
export type SourceSpec =
  | { kind: 'fashion-mnist'; split: 'train' | 'test'; dir?: string }
  | { kind: 'image-folder'; dir: string; name?: string }
  /** OpenCV's digits.png (opencv-doc), 5,000 20x20 digits; default file OPENCV_DIGITS_FILE. */
  | { kind: 'opencv-digits'; file?: string; resize?: ImageSize }
  /** scikit-learn's digits.csv.gz (python3-sklearn), 1,797 8x8 digits; SKLEARN_DIGITS_FILE. */
  | { kind: 'sklearn-digits'; file?: string; resize?: ImageSize };

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * How a source's images were resized when read (activities/sources/resize.ts): sharp's `kernel`
 * option, and the libvips version that did it (another version may round pixels differently, so
 * a worker with another version refuses to read the source).
 */
export interface ResizeRecord extends ImageSize {
  kernel: 'cubic';
  libvips: string;
}

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
    }
  | {
      kind: 'opencv-digits';
      name: string;
      classes: string[];
      count: number;
      /** The layout of the file's cells (lib/datasets/digit-grid.ts). */
      grid: DigitGridLayout;
      /** The images as the shards hold them: the cell size, or the resize. */
      image: { width: number; height: number; channels: number };
      resize?: ResizeRecord;
      file: SourceFile;
    }
  | {
      kind: 'sklearn-digits';
      name: string;
      classes: string[];
      count: number;
      /** Each CSV row: width x height values 0..maxValue (row-major), then the label. */
      values: { width: number; height: number; maxValue: number };
      /** How a value v becomes an 8-bit pixel (lib/datasets/digits-csv.ts). */
      scale: typeof DIGIT_VALUE_SCALE;
      image: { width: number; height: number; channels: number };
      resize?: ResizeRecord;
      file: SourceFile;
    };

/**
 * The cells of a grid image of digits: `columns` x `rows` cells of `cellWidth` x `cellHeight`,
 * labelled in runs of `perClass` consecutive cells (row-major).
 */
export interface DigitGridLayout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  perClass: number;
}

/** Recorded in a sklearn-digits index: the value scaling of lib/datasets/digits-csv.ts. */
export const DIGIT_VALUE_SCALE = 'round(v * 255 / 16), halves up';

export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Where Debian's opencv-doc installs OpenCV's digits (if it is missing, the `.gz` is read). */
export const OPENCV_DIGITS_FILE = '/usr/share/doc/opencv-doc/examples/data/digits.png';

/** Where Debian's python3-sklearn installs scikit-learn's digits (the UCI optdigits test set). */
export const SKLEARN_DIGITS_FILE =
  '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

/** A source's dataset name with its resize, if any: `opencv-digits@28x28`. */
export function resizedName(name: string, resize: ImageSize | undefined): string {
  return resize ? `${name}@${resize.width}x${resize.height}` : name;
}

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
