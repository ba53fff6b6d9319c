import sharp from 'sharp';
import {
  buildManifest,
  type DatasetManifest,
  type ManifestSource,
  type ShardRecord,
} from '../lib/datasets/manifest.ts';
import { planShards } from '../lib/datasets/shard-plan.ts';
import { readShard } from '../lib/datasets/shard-reader.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import { decodeSimplePng, UnsupportedPngError } from '../lib/png-decode.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';
import { encodeShard, putShard } from './shard-encoder.ts';

/** A labelled set of same-sized 8-bit images held in memory: what models fit and sample. */
export interface ImageSet {
  name: string;
  classes: string[];
  width: number;
  height: number;
  channels: number;
  count: number;
  /** count x (height * width * channels), row-major. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

const cache = new Map<Sha256, ImageSet>();
const CACHE_ENTRIES = 6;

/** Loads every image of a dataset manifest (verifying each shard's digest) into one ImageSet. */
export async function loadImageSet(
  store: ArtifactStore,
  manifestDigest: Sha256,
): Promise<ImageSet> {
  const cached = cache.get(manifestDigest);
  if (cached) return cached;
  const manifest = await getJson<DatasetManifest>(store, manifestDigest);
  let shape: { width: number; height: number; channels: number } | undefined;
  let pixels: Uint8Array | undefined;
  const labels = new Uint8Array(manifest.count);
  let next = 0;
  for (const shard of manifest.shards) {
    for (const sample of readShard(await store.get(shard.sha256), shard.key)) {
      const image = await decodePng(sample.png, `${shard.key}:${sample.key}`);
      if (!shape) {
        shape = { width: image.width, height: image.height, channels: image.channels };
        pixels = new Uint8Array(manifest.count * image.data.byteLength);
      } else if (
        image.width !== shape.width ||
        image.height !== shape.height ||
        image.channels !== shape.channels
      ) {
        throw new InputError(
          `${manifest.name}: sample ${sample.key} is ${image.width}x${image.height}x${image.channels}, the first was ${shape.width}x${shape.height}x${shape.channels}; models need same-sized images`,
        );
      }
      pixels!.set(image.data, next * image.data.byteLength);
      labels[next++] = sample.meta.label;
    }
  }
  if (!shape || next !== manifest.count)
    throw new InputError(
      `${manifest.name}: its shards hold ${next} samples, the manifest says ${manifest.count}`,
    );
  const set: ImageSet = {
    name: manifest.name,
    classes: manifest.classes,
    ...shape,
    count: next,
    pixels: pixels!,
    labels,
  };
  cache.set(manifestDigest, set);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return set;
}

/** Writes an ImageSet as WebDataset shards plus a manifest; returns the manifest's digest. */
export async function storeImageSet(
  store: ArtifactStore,
  set: ImageSet,
  source: ManifestSource,
  codeVersion: string,
  shardSize = 2000,
): Promise<{ digest: Sha256; manifest: DatasetManifest }> {
  const shards: ShardRecord[] = [];
  for (const range of planShards(set.count, shardSize)) {
    shards.push(await storeImageShard(store, set, range, source.kind));
  }
  const manifest = buildManifest({
    name: set.name,
    source,
    classes: set.classes,
    count: set.count,
    image: { width: set.width, height: set.height, channels: set.channels },
    shards,
    codeVersion,
  });
  const ref = await putJson(store, manifest);
  return { digest: ref.digest, manifest };
}

/** Encodes images [range.start, range.end) of a set as one WebDataset shard and stores it. */
export async function storeImageShard(
  store: ArtifactStore,
  set: ImageSet,
  range: { index: number; start: number; end: number },
  sourceKind: string,
): Promise<ShardRecord> {
  const size = set.width * set.height * set.channels;
  const samples = [];
  for (let i = range.start; i < range.end; i++) {
    samples.push({
      index: i,
      label: set.labels[i]!,
      source: `${sourceKind}#${i}`,
      image: {
        data: Buffer.from(set.pixels.subarray(i * size, (i + 1) * size)),
        width: set.width,
        height: set.height,
        channels: set.channels,
      },
    });
  }
  const encoded = await encodeShard(samples, set.name, set.classes);
  return putShard(store, encoded, { ...range, count: samples.length });
}

async function decodePng(
  png: Uint8Array,
  name: string,
): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  try {
    return decodeSimplePng(png);
  } catch (error) {
    if (!(error instanceof UnsupportedPngError)) throw error;
    const { data, info } = await sharp(png)
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((e: Error) => {
        throw new InputError(`${name}: cannot decode image: ${e.message}`);
      });
    return { data, width: info.width, height: info.height, channels: info.channels };
  }
}

/**
 * Where each sample of a dataset came from, in order: for an ingested ImageFolder the file's path
 * relative to the folder, for a derived dataset `<kind>#<index>` (the shards' `source` field).
 */
export async function loadSampleSources(
  store: ArtifactStore,
  manifestDigest: Sha256,
): Promise<string[]> {
  const manifest = await getJson<DatasetManifest>(store, manifestDigest);
  const sources: string[] = [];
  for (const shard of manifest.shards)
    for (const sample of readShard(await store.get(shard.sha256), shard.key))
      sources.push(sample.meta.source);
  return sources;
}
