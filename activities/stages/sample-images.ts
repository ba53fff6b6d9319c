import { apportion } from '../../lib/datasets/apportion.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { deserializeGenerator } from '../../lib/models/pca-gmm-generator.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { storeImageSet, type ImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';
import type SampleTaskTask from '../compute/tasks/sample-generator.ts';

const sampleTask = threadTask<typeof SampleTaskTask>(
  new URL('../compute/tasks/sample-generator.ts', import.meta.url),
);

export function createSampleImagesActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * Samples round(alpha * |reference|) images with the reference's class balance
     * (Martinez et al.: |S_g| = alpha |D_{g-1}|), at the given temperature.
     */
    sampleImages(
      input: {
        model: Sha256;
        reference: Sha256;
        alpha: number;
        temperature: number;
        name: string;
      } & Seeded &
        Fingerprinted,
    ) {
      return runStage(async () => {
        const reference = await getJson<DatasetManifest>(store, input.reference);
        const json = await getJson<{ classes: string[] }>(store, input.model);
        const model = deserializeGenerator(json);
        const counts = apportion(
          reference.classHistogram,
          Math.round(input.alpha * reference.count),
        );
        const sampled = await runInThread(sampleTask, {
          model,
          counts,
          temperature: input.temperature,
          seed: input.seed,
          stream: input.stream,
        });
        const set: ImageSet = {
          name: input.name,
          classes: json.classes,
          ...model.shape,
          count: sampled.count,
          pixels: sampled.pixels,
          labels: sampled.labels,
        };
        const { digest, manifest } = await storeImageSet(
          store,
          set,
          {
            kind: 'generated',
            parents: [input.model, input.reference],
            params: {
              alpha: input.alpha,
              temperature: input.temperature,
              seed: input.seed,
              stream: input.stream,
            },
          },
          codeOf(input),
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },
  };
}
