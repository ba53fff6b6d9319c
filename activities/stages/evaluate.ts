import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { classHistogramDistance } from '../../lib/metrics/class-metrics.ts';
import { parseNpyMatrix } from '../../lib/npy.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import type { Fingerprinted } from './stage-input.ts';
import type FidAndPrecisionRecallTask from '../compute/tasks/fid-and-precision-recall.ts';

const fidAndPrecisionRecall = threadTask<typeof FidAndPrecisionRecallTask>(
  new URL('../compute/tasks/fid-and-precision-recall.ts', import.meta.url),
);

export function createEvaluateActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * FID, improved precision/recall (k) and class-balance distance of generated vs real features;
     * with `classes`, the real class histogram counts those classes only.
     */
    evaluate(
      input: {
        real: Sha256;
        fake: Sha256;
        realDataset: Sha256;
        fakeDataset: Sha256;
        k: number;
        embeddingId: string;
        /** The embedding artifact the features came from, recorded beside its id. */
        embedding?: Sha256;
        classes?: number[];
      } & Fingerprinted,
    ) {
      return runStage(async () => {
        const real = parseNpyMatrix(await store.get(input.real), `features ${input.real}`);
        const fake = parseNpyMatrix(await store.get(input.fake), `features ${input.fake}`);
        const [realManifest, fakeManifest] = [
          await getJson<DatasetManifest>(store, input.realDataset),
          await getJson<DatasetManifest>(store, input.fakeDataset),
        ];
        const pr = await runInThread(fidAndPrecisionRecall, { real, fake, k: input.k });
        const metrics = {
          embedding: input.embeddingId,
          fid: pr.fid,
          precision: pr.precision,
          recall: pr.recall,
          k: input.k,
          classHistogramDistance: classHistogramDistance(
            realManifest.classHistogram.map((n, c) =>
              !input.classes || input.classes.includes(c) ? n : 0,
            ),
            fakeManifest.classHistogram,
          ),
          classHistogram: fakeManifest.classHistogram,
        };
        const ref = await putJson(store, {
          format: 'clab.metrics/v1',
          ...metrics,
          real: input.real,
          fake: input.fake,
          ...(input.embedding ? { embeddingDigest: input.embedding } : {}),
        });
        return {
          outputs: { metrics: ref.digest },
          facts: {
            fid: metrics.fid,
            precision: metrics.precision,
            recall: metrics.recall,
            classHistogramDistance: metrics.classHistogramDistance,
          },
        };
      });
    },
  };
}
