import type { RawImage } from '../png.ts';

/** One decoded sample of a source, ready to be written into a shard. */
export interface SourceSample {
  index: number;
  label: number;
  /** Where it came from inside the source (file and position), recorded in the sample's JSON. */
  source: string;
  image: RawImage;
}
