import type { ShardRecord } from '../lib/datasets/manifest.ts';
import { sampleKey } from '../lib/datasets/source.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { writeTar, type TarEntry } from '../lib/tar.ts';
import { encodePng } from './png.ts';
import type { SourceSample } from './sources/source-sample.ts';

const ENCODE_BATCH = 64;

export interface EncodedShard {
  tar: Buffer;
  classHistogram: number[];
}

/**
 * Encodes samples as a WebDataset tar: `<key>.png` then `<key>.json` for each sample, in index
 * order, so the same samples always give the same bytes.
 */
export async function encodeShard(
  samples: readonly SourceSample[],
  datasetName: string,
  classes: readonly string[],
  onProgress: (done: number) => void = () => {},
): Promise<EncodedShard> {
  const classHistogram = classes.map(() => 0);
  const entries: TarEntry[] = [];
  for (let start = 0; start < samples.length; start += ENCODE_BATCH) {
    const batch = samples.slice(start, start + ENCODE_BATCH);
    const pngs = await Promise.all(batch.map((s) => encodePng(s.image)));
    batch.forEach((sample, i) => {
      const key = sampleKey(datasetName, sample.index);
      const meta = {
        index: sample.index,
        label: sample.label,
        class: classes[sample.label],
        source: sample.source,
      };
      entries.push({ name: `${key}.png`, data: pngs[i]! });
      entries.push({ name: `${key}.json`, data: Buffer.from(JSON.stringify(meta)) });
      classHistogram[sample.label]!++;
    });
    onProgress(Math.min(samples.length, start + ENCODE_BATCH));
  }
  return { tar: writeTar(entries), classHistogram };
}

/** Stores an encoded shard and describes it for the manifest. */
export async function putShard(
  store: ArtifactStore,
  encoded: EncodedShard,
  shard: { index: number; start: number; count: number },
): Promise<ShardRecord> {
  const ref = await store.put(encoded.tar);
  return {
    index: shard.index,
    key: ref.key,
    sha256: ref.digest,
    bytes: ref.bytes,
    count: shard.count,
    firstSample: shard.start,
    classHistogram: encoded.classHistogram,
  };
}
