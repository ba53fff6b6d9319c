// The contamination study's mix and shift stages under Temporal's mock activity environment, on
// small synthetic datasets in a local store: what they store (manifests, shards, provenance) and
// that the same inputs give the same bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeFingerprints } from '../../activities/code-fingerprints.ts';
import { createActivities } from '../../activities/index.ts';
import { loadImageSet, storeImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { configFromEnv } from '../../lib/config.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { MixManifestSource, MixProvenance } from '../../lib/datasets/replace-mix.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { Rng } from '../../lib/rng.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';

const CLASSES = ['a', 'b', 'c', 'd'];
const SIZE = 6 * 6;

/** `perClass` images of every class, labels cycling 0, 1, 2, 3; pixels from a named stream. */
function synthetic(name: string, perClass: number, seed: number): ImageSet {
  const rng = Rng.stream(seed, name);
  const count = perClass * CLASSES.length;
  return {
    name,
    classes: CLASSES,
    width: 6,
    height: 6,
    channels: 1,
    count,
    pixels: Uint8Array.from({ length: count * SIZE }, () => rng.int(256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % CLASSES.length),
  };
}

describe('replaceMix, fillMix and shiftTestSet activities', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let activities: ReturnType<typeof createActivities>;
  let real: Sha256;
  let other: Sha256;
  let test: Sha256;
  const run = (fn: (input: never) => Promise<StageOutput>, input: object): Promise<StageOutput> =>
    new MockActivityEnvironment().run(fn as (input: object) => Promise<StageOutput>, input);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clab-mix-'));
    const config = configFromEnv({ CLAB_HOME: dir });
    store = new LocalArtifactStore(join(dir, 'store'));
    activities = createActivities({
      store,
      code: new CodeFingerprints(config),
      codeVersion: 'test',
      trainer: config.trainer,
      inference: config.inference,
    });
    const stored = async (set: ImageSet) =>
      (await storeImageSet(store, set, { kind: 'subset' }, 'test', 16)).digest;
    real = await stored(synthetic('R', 8, 1));
    other = await stored(synthetic('S', 10, 2));
    test = await stored(synthetic('R-test', 5, 3));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaceMix stores a dataset with R size and classes, its composition and provenance', async () => {
    const input = { real, other, fraction: 0.25, name: 'R/S-25%', seed: 7, stream: 'mix' };
    const out = await run(activities.replaceMix, input);
    expect(out.facts).toMatchObject({
      count: 32,
      classHistogram: [8, 8, 8, 8],
      fromReal: 24,
      fromOther: 8,
      realPerClass: [6, 6, 6, 6],
      otherPerClass: [2, 2, 2, 2],
    });
    const manifest = await getJson<DatasetManifest>(store, out.outputs.dataset!);
    const source = manifest.source as MixManifestSource;
    expect(source).toMatchObject({
      kind: 'replace-mix',
      parents: [real, other],
      params: { fraction: 0.25, seed: 7, stream: 'mix' },
      composition: { real: [6, 6, 6, 6], other: [2, 2, 2, 2] },
      provenance: out.outputs.provenance,
    });
    expect(manifest.codeVersion).toMatch(/^[0-9a-f]{64}$/); // the stage's code fingerprint

    const provenance = await getJson<MixProvenance>(store, source.provenance);
    expect(provenance.format).toBe('clab.mix-provenance/v1');
    expect(provenance.sources).toEqual([real, other]);
    expect(provenance.rows).toHaveLength(32);
    expect(new Set(provenance.rows.map(([s, i]) => `${s}:${i}`)).size).toBe(32);

    // every stored image is the pixels and label of the origin its provenance names
    const [mix, r, s] = await Promise.all([
      loadImageSet(store, out.outputs.dataset!),
      loadImageSet(store, real),
      loadImageSet(store, other),
    ]);
    provenance.rows.forEach(([src, index], row) => {
      const from = src === 0 ? r : s;
      expect(mix.labels[row]).toBe(from.labels[index]);
      expect(mix.labels[row]).toBe(r.labels[row]);
      expect(Buffer.from(mix.pixels.subarray(row * SIZE, (row + 1) * SIZE))).toEqual(
        Buffer.from(from.pixels.subarray(index * SIZE, (index + 1) * SIZE)),
      );
    });

    // the same call gives the same bytes
    expect((await run(activities.replaceMix, input)).outputs).toEqual(out.outputs);
  });

  it('fillMix also outputs the p% subsample of R it kept', async () => {
    const out = await run(activities.fillMix, {
      real,
      other,
      fraction: 0.25,
      name: 'R/S-fill',
      seed: 7,
      stream: 'fill',
    });
    expect(out.facts).toMatchObject({ count: 32, fromReal: 8, fromOther: 24 });
    const subset = await getJson<DatasetManifest>(store, out.outputs.subset!);
    expect(subset.count).toBe(8);
    expect(subset.classHistogram).toEqual([2, 2, 2, 2]);
    const provenance = await getJson<MixProvenance>(store, out.outputs.provenance!);
    const kept = provenance.rows.filter(([s]) => s === 0).map(([, i]) => i);
    const [sub, r] = await Promise.all([
      loadImageSet(store, out.outputs.subset!),
      loadImageSet(store, real),
    ]);
    kept.forEach((index, row) =>
      expect(Buffer.from(sub.pixels.subarray(row * SIZE, (row + 1) * SIZE))).toEqual(
        Buffer.from(r.pixels.subarray(index * SIZE, (index + 1) * SIZE)),
      ),
    );
  });

  it('fails for good, naming the class, when the other dataset is too small', async () => {
    const small = (
      await storeImageSet(
        store,
        {
          ...synthetic('S-small', 10, 4),
          count: 39,
          pixels: new Uint8Array(39 * SIZE),
          labels: Uint8Array.from({ length: 39 }, (_, i) => i % 4),
        },
        { kind: 'subset' },
        'test',
      )
    ).digest;
    // class 3 (d) has 9 images in S-small; r = 1 needs 8 of every class from R's 8: fine; append
    // at +125% needs 10
    await expect(
      run(activities.appendMix, {
        real,
        other: small,
        fraction: 1.25,
        name: 'x',
        seed: 1,
        stream: 'a',
      }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('S-small has 9 images of class 3 (d); the mix needs 10'),
      nonRetryable: true,
    });
  });

  it('shiftTestSet transforms every image, keeps size and labels, and is the same for the same seed', async () => {
    const input = { dataset: test, shift: 'gaussian-noise', severity: 3, seed: 5, stream: 'shift' };
    const out = await run(activities.shiftTestSet, input);
    expect(out.facts).toMatchObject({
      count: 20,
      classHistogram: [5, 5, 5, 5],
      shift: 'gaussian-noise',
      severity: 3,
      parameter: 0.12,
    });
    expect(out.facts.meanAbsChange).toBeGreaterThan(10);
    const manifest = await getJson<DatasetManifest>(store, out.outputs.dataset!);
    expect(manifest.name).toBe('R-test/gaussian-noise-3');
    expect(manifest.source).toMatchObject({ kind: 'shifted', parents: [test] });
    const [shifted, original] = await Promise.all([
      loadImageSet(store, out.outputs.dataset!),
      loadImageSet(store, test),
    ]);
    expect(shifted.labels).toEqual(original.labels);
    expect(shifted.pixels.length).toBe(original.pixels.length);
    expect((await run(activities.shiftTestSet, input)).outputs).toEqual(out.outputs);
    expect((await run(activities.shiftTestSet, { ...input, seed: 6 })).outputs).not.toEqual(
      out.outputs,
    );

    const jpeg = await run(activities.shiftTestSet, { ...input, shift: 'jpeg', severity: 5 });
    expect(jpeg.facts).toMatchObject({ count: 20, parameter: 8 });
    await expect(run(activities.shiftTestSet, { ...input, shift: 'fog' })).rejects.toMatchObject({
      message: expect.stringContaining('Unknown shift `fog`'),
      nonRetryable: true,
    });
  });
});
