// The detection study's own pieces without servers: its spec (the example file, defaults and what
// it rejects), the CLI's stage count, and its two stages on a local store: byte-identical
// artifacts from the same input, disjoint train and test rows, embedding features by row, and the
// errors of inputs that cannot work.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { createPowerSpectraActivities } from '../../activities/stages/power-spectra.ts';
import { createTrainDetectorActivities } from '../../activities/stages/train-detector.ts';
import { plannedDetectionStages } from '../../cli/studies/detection.ts';
import { writeNpyMatrix } from '../../lib/npy.ts';
import { Rng } from '../../lib/rng.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import type {
  DetectorReport,
  DetectorSplit,
  PowerSpectraReport,
} from '../../lib/studies/detection-result.ts';
import { parseDetectionSpec } from '../../lib/studies/specs/detection.ts';
import { parseStudySpec } from '../../lib/studies/specs/index.ts';

const DIGEST = 'ab'.repeat(32);

describe('detection spec', () => {
  it('parses the example study and fills the defaults', () => {
    const spec = parseStudySpec(readFileSync('studies/detection-gmm.yaml', 'utf8'), 'd.yaml');
    expect(spec.study).toBe('detection');
    const minimal = parseDetectionSpec(
      `study: detection\nname: d\nseed: 1\ndataset: { name: fashion-mnist }\ngenerated: { generator: { kind: gmm, latentDim: 8 } }\ndetectors: { features: [pixels, log-spectrum] }\n`,
      'm.yaml',
    );
    expect(minimal.seeds).toEqual([1]);
    expect(minimal.spectra.images).toBe(1000);
    expect(minimal.detectors).toMatchObject({
      models: ['logistic', 'mlp'],
      trainPerClass: 10_000,
      testPerClass: 1000,
      logistic: { epochs: 300, learningRate: 0.05, l2: 0.0001 },
      mlp: { hidden: 64, epochs: 20, batchSize: 128 },
    });
    // R = 10 x 1100 images: enough for 10^4 + 10^3
    expect(minimal.dataset.perClass).toBe(1100);
  });

  it('rejects what cannot run, naming the field', () => {
    const base = `study: detection\nname: d\nseed: 1\ndataset: { name: fashion-mnist, perClass: 100 }\n`;
    const parse = (rest: string) => () => parseDetectionSpec(base + rest, 'x.yaml');
    expect(
      parse(
        `generated: { dataset: ${DIGEST} }\ndetectors: { features: [embedding], trainPerClass: 10, testPerClass: 10 }\n`,
      ),
    ).toThrowError(/embedding: required by the `embedding` detectors/);
    expect(
      parse(
        `real: { dataset: ${DIGEST} }\ngenerated: { generator: { kind: gmm, latentDim: 4 } }\ndetectors: { trainPerClass: 10, testPerClass: 10, features: [pixels] }\n`,
      ),
    ).toThrowError(/generated: a real set taken by digest needs a generated set taken by digest/);
    expect(
      parse(`generated: { dataset: ${DIGEST} }\ndetectors: { features: [pixels] }\n`),
    ).toThrowError(
      /dataset.perClass: R holds 1000 images, fewer than trainPerClass \+ testPerClass/,
    );
    expect(
      parse(
        `generated: { dataset: nope }\ndetectors: { features: [pixels, pixels], trainPerClass: 1, testPerClass: 1 }\n`,
      ),
    ).toThrowError(/detectors.features: lists pixels twice/);
  });

  it('plans the stages the workflow runs', () => {
    const spec = parseStudySpec(readFileSync('studies/detection-gmm.yaml', 'utf8'), 'd.yaml');
    if (spec.study !== 'detection') throw new Error('expected a detection spec');
    // ingest, R + P, split, fit, sample; spectra; ingest test, CNN (subset, train, define), 2 embeds;
    // 3 seeds x 3 features x 2 models
    expect(plannedDetectionStages(spec)).toBe(5 + 1 + 6 + 18);
  });
});

describe('powerSpectra and trainDetector stages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clab-detection-'));
  const store = new LocalArtifactStore(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `count` 8 x 8 noise images around grey 128, with a checkerboard added when `plant`. */
  const images = (name: string, count: number, seed: number, plant: boolean): ImageSet => {
    const rng = Rng.stream(seed, name);
    const pixels = Uint8Array.from({ length: count * 64 }, (_, j) => {
      const x = j % 8;
      const y = Math.floor(j / 8) % 8;
      const checker = plant ? 20 * (-1) ** (x + y) : 0; // frequency (4, 4): radius 6
      return Math.round(128 + 25 * rng.normal() + checker);
    });
    return {
      name,
      classes: ['a', 'b'],
      width: 8,
      height: 8,
      channels: 1,
      count,
      pixels,
      labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    };
  };
  const put = async (set: ImageSet) =>
    (await storeImageSet(store, set, { kind: 'test' }, 't')).digest;
  const { powerSpectra } = createPowerSpectraActivities({ store });
  const { trainDetector } = createTrainDetectorActivities({ store });

  it('spectra: the planted frequency only, the same bytes every time', async () => {
    const real = await put(images('R', 120, 1, false));
    const generated = await put(images('S', 100, 2, true));
    const input = { real, generated, maxImages: 80, seed: 3, stream: 'spectra' };
    const first = await powerSpectra(input);
    const again = await powerSpectra(input);
    expect(again.outputs.spectra).toBe(first.outputs.spectra);
    const report = await getJson<PowerSpectraReport>(store, first.outputs.spectra!);
    expect(report.format).toBe('clab.power-spectra/v1');
    expect([report.real.count, report.generated.count]).toEqual([80, 80]);
    expect(report.radii).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(report.significantRadii).toEqual([6]);
    expect(first.facts).toMatchObject({ peakRadius: 6, significantBins: 1, bins: 7 });
  });

  it('detectors: disjoint train and test rows, the same report every time', async () => {
    const real = await put(images('R', 60, 4, false));
    const generated = await put(images('S', 60, 5, true));
    const input = {
      real,
      generated,
      features: 'log-spectrum' as const,
      model: { kind: 'logistic' as const, epochs: 100, learningRate: 0.05, l2: 0 },
      trainPerClass: 40,
      testPerClass: 20,
      seed: 1,
      stream: 'seed=1',
    };
    const first = await trainDetector(input);
    expect((await trainDetector(input)).outputs).toEqual(first.outputs);
    expect(first.facts.accuracy).toBe(1);
    const report = await getJson<DetectorReport>(store, first.outputs.report!);
    expect(report.features).toEqual({ kind: 'log-spectrum', dims: 7 });
    const split = await getJson<DetectorSplit>(store, first.outputs.split!);
    expect(report.split).toBe(first.outputs.split);
    expect(new Set([...split.realTrain, ...split.realTest]).size).toBe(60);
    expect(new Set([...split.generatedTrain, ...split.generatedTest]).size).toBe(60);
    // another model of the same seed: the same split
    const mlp = await trainDetector({
      ...input,
      model: { kind: 'mlp', hidden: 4, epochs: 5, batchSize: 16, learningRate: 0.01, l2: 0 },
    });
    expect(mlp.outputs.split).toBe(first.outputs.split);
  });

  it('embedding features: row i of the matrix is image i', async () => {
    const real = await put(images('R', 30, 6, false));
    const generated = await put(images('S', 30, 7, false));
    // one feature: the image's index, plus 1000 for generated images: perfectly separable
    const features = (offset: number) =>
      writeNpyMatrix({
        rows: 30,
        cols: 1,
        data: Float32Array.from({ length: 30 }, (_, i) => offset + i),
      });
    const realFeatures = (await store.put(features(0))).digest;
    const generatedFeatures = (await store.put(features(1000))).digest;
    const out = await trainDetector({
      real,
      generated,
      realFeatures,
      generatedFeatures,
      features: 'embedding',
      model: { kind: 'logistic', epochs: 200, learningRate: 0.1, l2: 0 },
      trainPerClass: 20,
      testPerClass: 10,
      seed: 2,
      stream: 'seed=2',
    });
    expect(out.facts.accuracy).toBe(1);
    const report = await getJson<DetectorReport>(store, out.outputs.report!);
    expect(report.features).toEqual({
      kind: 'embedding',
      dims: 1,
      embedding: { real: realFeatures, generated: generatedFeatures },
    });
  });

  it('fails fast on sets too small or of different sizes', async () => {
    const small = await put(images('R', 10, 8, false));
    const other = await put(images('S', 10, 9, false));
    const wide = await put({ ...images('W', 10, 10, false), width: 16, height: 4 });
    const input = {
      real: small,
      generated: other,
      features: 'pixels' as const,
      model: { kind: 'logistic' as const, epochs: 1, learningRate: 0.1, l2: 0 },
      trainPerClass: 8,
      testPerClass: 5,
      seed: 1,
      stream: 's',
    };
    // an InputError, failed at once (not retried)
    await expect(trainDetector(input)).rejects.toMatchObject({
      type: 'InputError',
      nonRetryable: true,
      message: expect.stringMatching(/R has 10 images, fewer than the 8 \+ 5/),
    });
    await expect(
      powerSpectra({ real: small, generated: wide, maxImages: 5, seed: 1, stream: 's' }),
    ).rejects.toThrowError(/8x8 and W 16x4/);
  });
});
