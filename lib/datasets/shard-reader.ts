import { InputError } from '../input-error.ts';
import { readTar } from '../tar.ts';

export interface ShardSample {
  key: string;
  png: Uint8Array;
  meta: { index: number; label: number; class: string; source: string };
}

/** Reads a WebDataset shard written by the ingest: `<key>.png` + `<key>.json` pairs, in order. */
export function readShard(bytes: Uint8Array, name: string): ShardSample[] {
  const entries = readTar(bytes, name);
  if (entries.length % 2 !== 0)
    throw new InputError(
      `${name}: odd number of tar entries (${entries.length}); expected .png/.json pairs`,
    );
  const samples: ShardSample[] = [];
  for (let i = 0; i < entries.length; i += 2) {
    const png = entries[i]!;
    const json = entries[i + 1]!;
    const key = png.name.replace(/\.png$/, '');
    if (png.name !== `${key}.png` || json.name !== `${key}.json`) {
      throw new InputError(
        `${name}: entries ${png.name} and ${json.name} are not a <key>.png/<key>.json pair`,
      );
    }
    samples.push({
      key,
      png: png.data,
      meta: JSON.parse(Buffer.from(json.data).toString('utf8')) as ShardSample['meta'],
    });
  }
  return samples;
}
