import type { Sha256 } from '../../lib/digest.ts';
import type { DetectorModelSpec } from '../../lib/detection/detector.ts';
import { InputError } from '../../lib/input-error.ts';
import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { parseNpyMatrix } from '../../lib/npy.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import type {
  DetectorFeatureKind,
  DetectorReport,
  DetectorSplit,
} from '../../lib/studies/detection-result.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { loadImageSet, type ImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';
import type TrainDetectorTask from '../compute/tasks/train-detector.ts';
import type { DetectorRows } from '../compute/tasks/train-detector.ts';

const trainDetectorTask = threadTask<typeof TrainDetectorTask>(
  new URL('../compute/tasks/train-detector.ts', import.meta.url),
);

export const DETECTOR_FORMAT = 'clab.detector/v1';
export const DETECTOR_SPLIT_FORMAT = 'clab.detector-split/v1';

export type TrainDetectorInput = {
  /** The real and the generated dataset (manifests). */
  real: Sha256;
  generated: Sha256;
  /** Features `embedding`: each dataset's features (.npy, one row per image, in order). */
  realFeatures?: Sha256;
  generatedFeatures?: Sha256;
  features: DetectorFeatureKind;
  /** The detector and its training settings (lib/detection/detector.ts). */
  model: DetectorModelSpec;
  /** Images per class (real, generated) to train and to test on: disjoint draws. */
  trainPerClass: number;
  testPerClass: number;
} & Seeded &
  Fingerprinted;

/** The rows (into a dataset) a detector trains and tests on. */
interface Split {
  train: number[];
  test: number[];
}

export function createTrainDetectorActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * Trains a real-vs-generated detector (Hataya et al. 2023, section 6.1) and tests it on held-out
     * images. From each dataset it draws `trainPerClass + testPerClass` distinct images (stream
     * `<stream>/split/real` and `<stream>/split/generated`: the same split for every detector of a
     * seed) and gives the first `trainPerClass` to training, the rest to the test, so train and
     * test never share an image. The model (logistic regression or MLP, in TypeScript, on
     * standardised features) draws its own randomness from `<stream>/<features>/<model>`. Stores
     * a `clab.detector/v1` report (output `report`): test accuracy with its Wilson 95% interval
     * and the confusion matrix; and the rows trained and tested on (output `split`, a
     * `clab.detector-split/v1` artifact, the same for every detector of a seed).
     */
    trainDetector(input: TrainDetectorInput) {
      return runStage(async () => {
        const { trainPerClass, testPerClass, features } = input;
        const real = await loadImageSet(store, input.real);
        const generated = await loadImageSet(store, input.generated);
        if (real.width !== generated.width || real.height !== generated.height)
          throw new InputError(
            `${real.name} is ${real.width}x${real.height} and ${generated.name} ${generated.width}x${generated.height}; a detector needs one image size`,
          );
        if (features !== 'embedding' && real.channels !== generated.channels)
          throw new InputError(
            `${real.name} has ${real.channels} channels and ${generated.name} ${generated.channels}; ${features} features need the same`,
          );
        const split = (set: ImageSet, part: string): Split => {
          const need = trainPerClass + testPerClass;
          if (set.count < need)
            throw new InputError(
              `${set.name} has ${set.count} images, fewer than the ${trainPerClass} + ${testPerClass} to train and test on`,
            );
          const rows = Rng.stream(input.seed, `${input.stream}/split/${part}`).sampleIndices(
            set.count,
            need,
          );
          const ascending = (a: number, b: number) => a - b;
          return {
            train: rows.slice(0, trainPerClass).sort(ascending),
            test: rows.slice(trainPerClass).sort(ascending),
          };
        };
        const realSplit = split(real, 'real');
        const generatedSplit = split(generated, 'generated');

        let embedded: { real: FeatureMatrix; generated: FeatureMatrix } | undefined;
        if (features === 'embedding') {
          if (!input.realFeatures || !input.generatedFeatures)
            throw new InputError('Features `embedding` need realFeatures and generatedFeatures');
          const load = async (digest: Sha256, set: ImageSet) => {
            const m = parseNpyMatrix(await store.get(digest), `features ${digest}`);
            if (m.rows !== set.count)
              throw new InputError(
                `Features ${digest} have ${m.rows} rows, ${set.name} has ${set.count} images: embed every image, in order`,
              );
            return m;
          };
          embedded = {
            real: await load(input.realFeatures, real),
            generated: await load(input.generatedFeatures, generated),
          };
          if (embedded.real.cols !== embedded.generated.cols)
            throw new InputError(
              `The real features have ${embedded.real.cols} dimensions, the generated ${embedded.generated.cols}`,
            );
        }
        const side = (part: 'train' | 'test'): DetectorRows => {
          const r = realSplit[part];
          const g = generatedSplit[part];
          const labels = Uint8Array.from([...r.map(() => 0), ...g.map(() => 1)]);
          if (embedded) {
            const cols = embedded.real.cols;
            const out = new Float64Array((r.length + g.length) * cols);
            const copy = (m: FeatureMatrix, rows: number[], offset: number) =>
              rows.forEach((row, i) =>
                out.set(m.data.subarray(row * cols, (row + 1) * cols), (offset + i) * cols),
              );
            copy(embedded.real, r, 0);
            copy(embedded.generated, g, r.length);
            return { count: labels.length, features: out, cols, labels };
          }
          return { count: labels.length, pixels: packPixels([real, r], [generated, g]), labels };
        };
        const modelStream = `${input.stream}/${features}/${input.model.kind}`;
        const result = await runInThread(trainDetectorTask, {
          features,
          shape: { width: real.width, height: real.height, channels: real.channels },
          train: side('train'),
          test: side('test'),
          model: input.model,
          seed: input.seed,
          stream: modelStream,
        });
        const { test } = result;
        // one artifact per split: every detector of a seed shares it
        const splitRef = await putJson(store, {
          format: DETECTOR_SPLIT_FORMAT,
          datasets: { real: input.real, generated: input.generated },
          realTrain: realSplit.train,
          realTest: realSplit.test,
          generatedTrain: generatedSplit.train,
          generatedTest: generatedSplit.test,
          seed: input.seed,
          stream: input.stream,
        } satisfies DetectorSplit);
        const report: DetectorReport = {
          format: DETECTOR_FORMAT,
          datasets: { real: input.real, generated: input.generated },
          features: {
            kind: features,
            dims: result.dims,
            ...(input.realFeatures && input.generatedFeatures && features === 'embedding'
              ? { embedding: { real: input.realFeatures, generated: input.generatedFeatures } }
              : {}),
          },
          model: { ...input.model },
          train: { real: trainPerClass, generated: trainPerClass },
          test: { real: testPerClass, generated: testPerClass },
          split: splitRef.digest,
          labels: ['real', 'generated'],
          confusion: result.confusion,
          correct: test.correct,
          accuracy: test.accuracy,
          interval: { method: 'wilson', level: test.level, low: test.low, high: test.high },
          trainAccuracy: result.trainAccuracy,
          trainLoss: result.trainLoss,
          seed: input.seed,
          stream: input.stream,
          codeVersion: codeOf(input),
        };
        const stored = await putJson(store, report);
        return {
          outputs: { report: stored.digest, split: splitRef.digest },
          facts: {
            accuracy: test.accuracy,
            low: test.low,
            high: test.high,
            correct: test.correct,
            testCount: test.count,
            trainCount: 2 * trainPerClass,
            trainAccuracy: result.trainAccuracy,
          },
        };
      });
    },
  };
}

/** The pixels of rows `r` of the first set then rows `g` of the second, packed (same image size). */
function packPixels(...parts: [ImageSet, number[]][]): Uint8Array {
  const size = (s: ImageSet) => s.width * s.height * s.channels;
  const total = parts.reduce((n, [set, rows]) => n + rows.length * size(set), 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [set, rows] of parts) {
    const n = size(set);
    for (const row of rows) {
      out.set(set.pixels.subarray(row * n, (row + 1) * n), at);
      at += n;
    }
  }
  return out;
}
