import type { Sha256 } from '../../lib/digest.ts';
import { serializeGenerator, type GeneratorOptions } from '../../lib/models/pca-gmm-generator.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { loadImageSet } from '../image-sets.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';
import type FitTaskTask from '../compute/tasks/fit-generator.ts';

const fitTask = threadTask<typeof FitTaskTask>(
  new URL('../compute/tasks/fit-generator.ts', import.meta.url),
);

export function createFitGeneratorActivities({ store }: { store: ArtifactStore }) {
  return {
    /** Fits the PCA + Gaussian-mixture generator on a dataset (the stand-in for training). */
    fitGenerator(input: { dataset: Sha256; generator: GeneratorOptions } & Seeded & Fingerprinted) {
      return runStage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const model = await runInThread(fitTask, {
          images: { ...set, classCount: set.classes.length },
          options: input.generator,
          seed: input.seed,
          stream: input.stream,
        });
        const ref = await putJson(store, {
          ...(serializeGenerator(model) as object),
          trainedOn: input.dataset,
          classes: set.classes,
        });
        return { outputs: { model: ref.digest }, facts: { trainedOn: set.count } };
      });
    },
  };
}
