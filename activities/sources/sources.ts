import type { SourceIndex, SourceSpec } from '../../lib/datasets/source.ts';
import { indexFashionMnist, readIdxSamples } from './idx-source.ts';
import { indexImageFolder, readFolderSamples } from './image-folder-source.ts';
import type { SourceSample } from './source-sample.ts';

/** Indexes a source; `onProgress` hears the number of files hashed so far, now and then. */
export function indexSource(
  spec: SourceSpec,
  onProgress?: (hashed: number) => void,
): Promise<SourceIndex> {
  switch (spec.kind) {
    case 'fashion-mnist':
      return indexFashionMnist(spec.split, spec.dir);
    case 'image-folder':
      return indexImageFolder(spec.dir, spec.name, onProgress);
  }
}

/** Samples [start, end); `onProgress` hears the number of files read so far, now and then. */
export function readSamples(
  index: SourceIndex,
  start: number,
  end: number,
  onProgress?: (read: number) => void,
): Promise<SourceSample[]> {
  return index.kind === 'idx'
    ? readIdxSamples(index, start, end)
    : readFolderSamples(index, start, end, onProgress);
}
