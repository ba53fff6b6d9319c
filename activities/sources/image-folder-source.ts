import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { SourceIndex } from '../../lib/datasets/source.ts';
import { InputError } from '../../lib/input-error.ts';
import { decodeImage } from '../png.ts';
import type { SourceSample } from './source-sample.ts';
import { pinFile, readPinnedFile } from './read-pinned-file.ts';

type FolderIndex = Extract<SourceIndex, { kind: 'image-folder' }>;

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|tiff?|gif)$/i;

/** The one class of a flat folder of images (no class sub-folders). */
export const UNLABELLED = 'unlabelled';

/** Files between two progress reports (which the activities turn into heartbeats). */
export const PROGRESS_EVERY_FILES = 100;

/** Byte-order comparison: the same on every machine and locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Indexes an ImageFolder directory (one sub-folder per class, as torchvision's ImageFolder): classes
 * are the sub-folder names in byte order, labels their positions, and every image is pinned by digest.
 * A folder with no sub-folders but images of its own is one class, `unlabelled`.
 */
export async function indexImageFolder(
  dir: string,
  name?: string,
  onProgress: (hashed: number) => void = () => {},
): Promise<FolderIndex> {
  const root = resolve(dir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new InputError(`ImageFolder ${root} cannot be read: ${(error as Error).message}`);
  }
  const imagesIn = (found: Dirent[]) =>
    found
      .filter((e) => e.isFile() && IMAGE_EXTENSIONS.test(e.name))
      .map((e) => e.name)
      .sort(byName);
  let classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byName);
  // A flat folder of images (e.g. a generator's output): one class, paths are the file names.
  const flat = classes.length === 0 && imagesIn(entries).length > 0;
  if (flat) classes = [UNLABELLED];
  if (classes.length === 0)
    throw new InputError(`ImageFolder ${root} has no class sub-folders and no images`);
  const samples: FolderIndex['samples'] = [];
  for (const [label, className] of classes.entries()) {
    const files = flat
      ? imagesIn(entries)
      : imagesIn(await readdir(join(root, className), { withFileTypes: true }));
    if (files.length === 0)
      throw new InputError(`ImageFolder ${root}: class folder ${className} holds no images`);
    for (const file of files) {
      const path = flat ? file : `${className}/${file}`;
      const { file: pinned } = await pinFile(join(root, path));
      samples.push({ path, label, sha256: pinned.sha256 });
      if (samples.length % PROGRESS_EVERY_FILES === 0) onProgress(samples.length);
    }
  }
  return {
    kind: 'image-folder',
    name: name ?? basename(root),
    root,
    classes,
    count: samples.length,
    samples,
  };
}

/** Samples [start, end) of an indexed ImageFolder, each verified against its pinned digest and decoded. */
export async function readFolderSamples(
  index: FolderIndex,
  start: number,
  end: number,
  onProgress: (read: number) => void = () => {},
): Promise<SourceSample[]> {
  const out: SourceSample[] = [];
  for (let i = start; i < end; i++) {
    const sample = index.samples[i]!;
    const path = join(index.root, sample.path);
    const bytes = await readPinnedFile({ path, sha256: sample.sha256 });
    out.push({
      index: i,
      label: sample.label,
      source: sample.path,
      image: await decodeImage(bytes, `${path} (sample ${i})`),
    });
    if (out.length % PROGRESS_EVERY_FILES === 0) onProgress(out.length);
  }
  return out;
}
