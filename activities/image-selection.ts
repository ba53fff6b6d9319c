import { InputError } from '../lib/input-error.ts';
import type { FeatureMatrix } from '../lib/metrics/feature-matrix.ts';
import type { ImageSet } from './image-sets.ts';

/** Whether a class index is wanted; throws for an index the dataset does not have. */
export function classFilter(set: ImageSet, classes: number[] | undefined): (c: number) => boolean {
  if (!classes) return () => true;
  const bad = classes.filter((c) => c >= set.classes.length);
  if (bad.length)
    throw new InputError(
      `${set.name} has ${set.classes.length} classes; class index ${bad.join(', ')} does not exist`,
    );
  const wanted = new Set(classes);
  return (c) => wanted.has(c);
}

export function indicesOf(labels: Uint8Array, c: number): number[] {
  const out: number[] = [];
  labels.forEach((l, i) => l === c && out.push(i));
  return out;
}

/** The images at `rows`, in that order, as a new set called `name`. */
export function selectImages(set: ImageSet, rows: number[], name: string): ImageSet {
  const size = set.width * set.height * set.channels;
  const pixels = new Uint8Array(rows.length * size);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    pixels.set(set.pixels.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = set.labels[r]!;
  });
  return { ...set, name, count: rows.length, pixels, labels };
}

/** Pixels of the images at `rows` scaled to [0, 1], one row each: the PCA's input. */
export function toFeatures(set: ImageSet, rows: number[]): FeatureMatrix {
  const size = set.width * set.height * set.channels;
  const data = new Float64Array(rows.length * size);
  rows.forEach((r, i) => {
    for (let j = 0; j < size; j++) data[i * size + j] = set.pixels[r * size + j]! / 255;
  });
  return { rows: rows.length, cols: size, data };
}
