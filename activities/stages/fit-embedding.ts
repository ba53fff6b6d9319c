import type { Sha256 } from '../../lib/digest.ts';
import { serializePca } from '../../lib/models/pca-serialization.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { toFeatures } from '../image-selection.ts';
import { loadImageSet } from '../image-sets.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';
import type FitPcaTask from '../compute/tasks/fit-pca.ts';

const fitPca = threadTask<typeof FitPcaTask>(
  new URL('../compute/tasks/fit-pca.ts', import.meta.url),
);

export function createFitEmbeddingActivities({ store }: { store: ArtifactStore }) {
  return {
    /** Fits the PCA embedding used by the metrics, on up to `fitSamples` images of the dataset. */
    fitEmbedding(
      input: { dataset: Sha256; components: number; fitSamples: number } & Seeded & Fingerprinted,
    ) {
      return runStage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const rows =
          set.count <= input.fitSamples
            ? [...Array(set.count).keys()]
            : rng.sampleIndices(set.count, input.fitSamples).sort((a, b) => a - b);
        const pca = await runInThread(fitPca, {
          data: toFeatures(set, rows),
          components: input.components,
        });
        const ref = await putJson(store, {
          format: 'clab.embedding/v1',
          kind: 'pca',
          components: input.components,
          fittedOn: input.dataset,
          pca: serializePca(pca),
        });
        return {
          outputs: { embedding: ref.digest },
          facts: { embeddingId: `pca${input.components}@${ref.digest.slice(0, 12)}` },
        };
      });
    },
  };
}
