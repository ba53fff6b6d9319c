import type { SourceIndex, SourceSpec } from '../../lib/datasets/source.ts';
import { indexFashionMnist, readIdxSamples } from './idx-source.ts';
import { indexImageFolder, readFolderSamples } from './image-folder-source.ts';
import type { SourceSample } from './source-sample.ts';

export function indexSource(spec: SourceSpec): Promise<SourceIndex> {
  switch (spec.kind) {
    case 'fashion-mnist':
      return indexFashionMnist(spec.split, spec.dir);
    case 'image-folder':
      return indexImageFolder(spec.dir, spec.name);
  }
}

export function readSamples(
  index: SourceIndex,
  start: number,
  end: number,
): Promise<SourceSample[]> {
  return index.kind === 'idx'
    ? readIdxSamples(index, start, end)
    : readFolderSamples(index, start, end);
}
