import type { Sha256 } from '../digest.ts';

export const MANIFEST_FORMAT = 'clab.dataset-manifest/v1';
export const SHARD_FORMAT =
  'webdataset-tar/v1: <key>.png (8-bit PNG) + <key>.json ({index, label, class, source})';

/**
 * Where a dataset came from: an ingested source (its pinned index), or the stage that derived it
 * from other datasets or models (`parents`, by digest), with the parameters that mattered.
 */
export interface ManifestSource {
  kind: string;
  indexDigest?: Sha256;
  parents?: Sha256[];
  params?: Record<string, unknown>;
}

export interface ShardRecord {
  index: number;
  key: string;
  sha256: Sha256;
  bytes: number;
  count: number;
  firstSample: number;
  classHistogram: number[];
}

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  shardFormat: typeof SHARD_FORMAT;
  name: string;
  source: ManifestSource;
  classes: string[];
  count: number;
  classHistogram: number[];
  image?: { width: number; height: number; channels: number };
  shards: ShardRecord[];
  codeVersion: string;
}

export interface ManifestInput {
  name: string;
  source: ManifestSource;
  classes: string[];
  count: number;
  image?: { width: number; height: number; channels: number };
  shards: ShardRecord[];
  codeVersion: string;
}

/**
 * Assembles a dataset manifest and checks that its shards tile samples 0..count-1 exactly once, so
 * a manifest can never describe a partial ingest.
 */
export function buildManifest(input: ManifestInput): DatasetManifest {
  const shards = [...input.shards].sort((a, b) => a.index - b.index);
  let next = 0;
  for (const [i, shard] of shards.entries()) {
    if (shard.index !== i || shard.firstSample !== next || shard.count < 1) {
      throw new Error(
        `${input.name}: shard records do not tile the samples: shard ${shard.index} starts at ${shard.firstSample} with ${shard.count} samples, expected shard ${i} at ${next}`,
      );
    }
    if (shard.classHistogram.length !== input.classes.length) {
      throw new Error(
        `${input.name}: shard ${shard.index} has a histogram over ${shard.classHistogram.length} classes, expected ${input.classes.length}`,
      );
    }
    next += shard.count;
  }
  if (next !== input.count) {
    throw new Error(`${input.name}: shards hold ${next} samples, the source has ${input.count}`);
  }
  const classHistogram = input.classes.map((_, c) =>
    shards.reduce((n, s) => n + s.classHistogram[c]!, 0),
  );
  return {
    format: MANIFEST_FORMAT,
    shardFormat: SHARD_FORMAT,
    name: input.name,
    source: input.source,
    classes: input.classes,
    count: input.count,
    classHistogram,
    ...(input.image ? { image: input.image } : {}),
    shards,
    codeVersion: input.codeVersion,
  };
}
