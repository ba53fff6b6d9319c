// The contamination study's mix, shift, transform, hard-subset and classify stages under Temporal's
// mock activity environment, on small synthetic datasets in a local store: what they store
// (manifests, shards, provenance, reports) and that the same inputs give the same bytes.
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
import { webLike } from '../../lib/images/web-like.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
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

/** A local store under `dir` and every activity bound to it. */
function openLab(dir: string) {
  const config = configFromEnv({ CLAB_HOME: dir });
  const store = new LocalArtifactStore(join(dir, 'store'));
  const activities = createActivities({
    store,
    code: new CodeFingerprints(config),
    codeVersion: 'test',
    trainer: config.trainer,
    inference: config.inference,
  });
  return { store, activities };
}

const storeSet = async (store: ArtifactStore, set: ImageSet) =>
  (await storeImageSet(store, set, { kind: 'subset' }, 'test', 16)).digest;

const run = (fn: (input: never) => Promise<StageOutput>, input: object): Promise<StageOutput> =>
  new MockActivityEnvironment().run(fn as (input: object) => Promise<StageOutput>, input);

describe('replaceMix, fillMix and shiftTestSet activities', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let activities: ReturnType<typeof createActivities>;
  let real: Sha256;
  let other: Sha256;
  let test: Sha256;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clab-mix-'));
    ({ store, activities } = openLab(dir));
    real = await storeSet(store, synthetic('R', 8, 1));
    other = await storeSet(store, synthetic('S', 10, 2));
    test = await storeSet(store, synthetic('R-test', 5, 3));
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

describe('hardSubset, transformImages and classify activities', () => {
  const dirs: string[] = [];
  let lab: ReturnType<typeof openLab>;
  let test: Sha256;
  let set: ImageSet;
  const labels = Array.from({ length: 20 }, (_, i) => i % CLASSES.length); // synthetic's labels

  beforeAll(async () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'clab-hard-')));
    lab = openLab(dirs[0]!);
    test = await storeSet(lab.store, synthetic('R-test', 5, 3));
    set = await loadImageSet(lab.store, test);
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A made-up report on `dataset`: the next class on the `wrong` rows, the label elsewhere. */
  const report = async (wrong: number[], dataset = test) =>
    (
      await putJson(lab.store, {
        format: 'clab.classification/v1',
        dataset,
        classes: CLASSES,
        predicted: labels.map((l, i) => (wrong.includes(i) ? (l + 1) % CLASSES.length : l)),
      })
    ).digest;

  it('hardSubset keeps exactly the test images most reference classifiers get wrong', async () => {
    const [r0, r1, r2] = await Promise.all([
      report([1, 4, 8, 10]),
      report([4, 8, 13]),
      report([4, 10, 13, 19]),
    ]);
    // wrong counts: image 4 by 3; 8, 10 and 13 by 2; 1 and 19 by 1. A majority of 3 is 2.
    const out = await run(lab.activities.hardSubset, {
      dataset: test,
      report0: r0,
      report1: r1,
      report2: r2,
    });
    expect(out.facts).toEqual({ count: 4, perClassCount: [2, 1, 1, 0] });
    const manifest = await getJson<DatasetManifest>(lab.store, out.outputs.dataset!);
    expect(manifest.name).toBe('R-test/hard-2of3');
    expect(manifest.classes).toEqual(CLASSES);
    expect(manifest.source).toEqual({
      kind: 'hard-subset',
      parents: [test, r0, r1, r2],
      params: { minWrong: 2, classifiers: 3 },
    });
    const hard = await loadImageSet(lab.store, out.outputs.dataset!);
    expect(Array.from(hard.labels)).toEqual([0, 0, 2, 1]);
    [4, 8, 10, 13].forEach((row, i) =>
      expect(Buffer.from(hard.pixels.subarray(i * SIZE, (i + 1) * SIZE))).toEqual(
        Buffer.from(set.pixels.subarray(row * SIZE, (row + 1) * SIZE)),
      ),
    );

    const reports = { dataset: test, report0: r0, report1: r1, report2: r2 };
    expect((await run(lab.activities.hardSubset, { ...reports, minWrong: 3 })).facts.count).toBe(1);
    expect((await run(lab.activities.hardSubset, { ...reports, minWrong: 1 })).facts.count).toBe(6);
  });

  it('hardSubset fails for good on a report of another dataset, an empty subset or a gap', async () => {
    const other = await storeSet(lab.store, synthetic('R-other', 5, 4));
    const [r0, elsewhere, perfect] = await Promise.all([
      report([4, 8]),
      report([4], other),
      report([]),
    ]);
    await expect(
      run(lab.activities.hardSubset, { dataset: test, report0: r0, report1: elsewhere }),
    ).rejects.toMatchObject({
      message: expect.stringContaining(`Input report1 (${elsewhere}) classified dataset ${other}`),
      nonRetryable: true,
    });
    await expect(
      run(lab.activities.hardSubset, { dataset: test, report0: r0, report1: perfect }),
    ).rejects.toMatchObject({
      message: expect.stringContaining(
        'no test image is misclassified by at least 2 of the 2 reference classifiers',
      ),
      nonRetryable: true,
    });
    await expect(
      run(lab.activities.hardSubset, { dataset: test, report0: r0, report2: perfect }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('without gaps'),
      nonRetryable: true,
    });
  });

  it('transformImages makes a web-like copy, image by image, the same in another store', async () => {
    const input = { dataset: test, transform: 'web-like', seed: 11, stream: 'C/web-like' };
    const out = await run(lab.activities.transformImages, input);
    expect(out.facts).toMatchObject({ count: 20, classHistogram: [5, 5, 5, 5] });
    expect(out.facts.meanAbsChange).toBeGreaterThan(1);
    const manifest = await getJson<DatasetManifest>(lab.store, out.outputs.dataset!);
    expect(manifest.name).toBe('R-test/web-like');
    expect(manifest.classes).toEqual(CLASSES);
    expect(manifest.source).toEqual({
      kind: 'transformed',
      parents: [test],
      params: {
        transform: 'web-like',
        ranges: { cropKeep: [0.8, 0.95], maxDegrees: 10, contrast: [0.7, 1.3], brightness: 20 },
        seed: 11,
        stream: 'C/web-like',
      },
    });
    const transformed = await loadImageSet(lab.store, out.outputs.dataset!);
    expect(transformed.labels).toEqual(set.labels);
    for (let i = 0; i < set.count; i++) {
      const image = {
        width: 6,
        height: 6,
        channels: 1,
        data: set.pixels.subarray(i * SIZE, (i + 1) * SIZE),
      };
      expect(Buffer.from(transformed.pixels.subarray(i * SIZE, (i + 1) * SIZE))).toEqual(
        Buffer.from(webLike(image, 11, 'C/web-like', i).data),
      );
    }

    dirs.push(mkdtempSync(join(tmpdir(), 'clab-hard-')));
    const second = openLab(dirs[1]!);
    expect(await storeSet(second.store, synthetic('R-test', 5, 3))).toBe(test);
    expect((await run(second.activities.transformImages, input)).outputs).toEqual(out.outputs);
    expect((await run(lab.activities.transformImages, { ...input, seed: 12 })).outputs).not.toEqual(
      out.outputs,
    );
    await expect(
      run(lab.activities.transformImages, { ...input, transform: 'sepia' }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('Unknown transform `sepia`'),
      nonRetryable: true,
    });
  });

  it("classify stores every image's prediction, consistent with its confusion matrix", async () => {
    // a linear model whose logit c is the sum of quadrant c's pixels (its negation: the smallest)
    const quadrant = (p: number) => (Math.floor(p / 6) < 3 ? 0 : 2) + (p % 6 < 3 ? 0 : 1);
    const classifier = async (sign: number) => {
      const weights = new Float32Array(SIZE * 4);
      for (let p = 0; p < SIZE; p++) weights[p * 4 + quadrant(p)] = sign;
      const onnx = await lab.store.put(linearOnnx(weights, [1, 6, 6], 4));
      return (
        await putJson(lab.store, {
          format: 'clab.model/v1',
          trainer: 'classifier',
          onnx: onnx.digest,
          classes: CLASSES,
          input: {
            name: 'image',
            width: 6,
            height: 6,
            channels: 1,
            scale: 1 / 255,
            mean: [0],
            std: [1],
          },
          outputs: { logits: 'float32 [batch, 4]' },
        })
      ).digest;
    };
    const sums = labels.map((_, i) => {
      const s = [0, 0, 0, 0];
      for (let p = 0; p < SIZE; p++) s[quadrant(p)]! += set.pixels[i * SIZE + p]!;
      return s;
    });
    const largest = sums.map((s) => s.indexOf(Math.max(...s)));
    const smallest = sums.map((s) => s.indexOf(Math.min(...s)));

    const reports: Sha256[] = [];
    for (const [sign, expected] of [
      [1, largest],
      [-1, smallest],
    ] as const) {
      const out = await run(lab.activities.classify, {
        model: await classifier(sign),
        dataset: test,
      });
      const stored = await getJson<{ dataset: Sha256; predicted: number[]; confusion: number[][] }>(
        lab.store,
        out.outputs.report!,
      );
      expect(stored.dataset).toBe(test);
      expect(stored.predicted).toEqual(expected);
      const confusion = CLASSES.map(() => CLASSES.map(() => 0));
      stored.predicted.forEach((p, i) => confusion[labels[i]!]![p]!++);
      expect(stored.confusion).toEqual(confusion);
      expect(out.facts.accuracy).toBe(expected.filter((p, i) => p === labels[i]).length / 20);
      reports.push(out.outputs.report!);
    }

    // real reports feed hardSubset: the images both models get wrong
    const both = labels.flatMap((l, i) => (largest[i] !== l && smallest[i] !== l ? [i] : []));
    const hard = await run(lab.activities.hardSubset, {
      dataset: test,
      report0: reports[0],
      report1: reports[1],
    });
    expect(both.length).toBeGreaterThan(0);
    expect(hard.facts.count).toBe(both.length);
    const hardSet = await loadImageSet(lab.store, hard.outputs.dataset!);
    expect(Array.from(hardSet.labels)).toEqual(both.map((i) => labels[i]));
  });
});

/**
 * A hand-written ONNX model (protobuf wire format, the few fields it needs): logits = flatten(image)
 * W, for an image input of `shape` (without the batch) and W a row-major float32 matrix.
 */
function linearOnnx(weights: Float32Array, shape: number[], classes: number): Uint8Array {
  type Bytes = number[];
  const varint = (n: number): Bytes => {
    const out: Bytes = [];
    for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
    return [...out, n];
  };
  const int = (field: number, value: number): Bytes => [...varint(field * 8), ...varint(value)];
  const bytes = (field: number, value: Bytes | Uint8Array | string): Bytes => {
    const b = typeof value === 'string' ? [...Buffer.from(value)] : [...value];
    return [...varint(field * 8 + 2), ...varint(b.length), ...b];
  };
  // NodeProto: input 1, output 2, op_type 4
  const node = (op: string, inputs: string[], output: string) =>
    bytes(1, [...inputs.flatMap((i) => bytes(1, i)), ...bytes(2, output), ...bytes(4, op)]);
  // ValueInfoProto: name 1, type 2 (TypeProto.tensor_type 1: elem_type 1 = float, shape 2 of
  // dims 1, each dim_value 1 or dim_param 2)
  const value = (name: string, dims: (number | string)[]) => [
    ...bytes(1, name),
    ...bytes(
      2,
      bytes(1, [
        ...int(1, 1),
        ...bytes(
          2,
          dims.flatMap((d) => bytes(1, typeof d === 'string' ? bytes(2, d) : int(1, d))),
        ),
      ]),
    ),
  ];
  const inputs = shape.reduce((a, b) => a * b, 1);
  // TensorProto: dims 1, data_type 2 (float), name 8, raw_data 9 (little-endian)
  const w = [
    ...int(1, inputs),
    ...int(1, classes),
    ...int(2, 1),
    ...bytes(8, 'W'),
    ...bytes(9, new Uint8Array(weights.buffer)),
  ];
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12
  const graph = [
    ...node('Flatten', ['image'], 'flat'),
    ...node('MatMul', ['flat', 'W'], 'logits'),
    ...bytes(2, 'linear'),
    ...bytes(5, w),
    ...bytes(11, value('image', ['batch', ...shape])),
    ...bytes(12, value('logits', ['batch', classes])),
  ];
  // ModelProto: ir_version 1, graph 7, opset_import 8 (version 2)
  return Uint8Array.from([...int(1, 8), ...bytes(7, graph), ...bytes(8, int(2, 13))]);
}
