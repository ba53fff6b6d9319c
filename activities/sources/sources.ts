import type { SourceIndex, SourceSpec } from '../../lib/datasets/source.ts';
import { indexFashionMnist, readIdxSamples } from './idx-source.ts';
import { indexImageFolder, readFolderSamples } from './image-folder-source.ts';
import { indexOpencvDigits, readOpencvDigitsSamples } from './opencv-digits-source.ts';
import { indexSklearnDigits, readSklearnDigitsSamples } from './sklearn-digits-source.ts';
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
    case 'opencv-digits':
      return indexOpencvDigits(spec);
    case 'sklearn-digits':
      return indexSklearnDigits(spec);
  }
}

/** Samples [start, end); `onProgress` hears the number of files read so far, now and then. */
export function readSamples(
  index: SourceIndex,
  start: number,
  end: number,
  onProgress?: (read: number) => void,
): Promise<SourceSample[]> {
  switch (index.kind) {
    case 'idx':
      return readIdxSamples(index, start, end);
    case 'image-folder':
      return readFolderSamples(index, start, end, onProgress);
    case 'opencv-digits':
      return readOpencvDigitsSamples(index, start, end);
    case 'sklearn-digits':
      return readSklearnDigitsSamples(index, start, end);
  }
}
