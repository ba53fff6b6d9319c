import { DEFAULT_INFERENCE, type ClabConfig } from '../../lib/config.ts';
import type { Sha256 } from '../../lib/digest.ts';
import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { deserializePca, type SerializedPca } from '../../lib/models/pca-serialization.ts';
import { writeNpyMatrix } from '../../lib/npy.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { classFilter, toFeatures } from '../image-selection.ts';
import { loadImageSet } from '../image-sets.ts';
import { embedWithOnnx, type OnnxEmbedding } from '../onnx-embedding.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';
import type PcaEncodeTask from '../compute/tasks/pca-encode.ts';

const pcaEncode = threadTask<typeof PcaEncodeTask>(
  new URL('../compute/tasks/pca-encode.ts', import.meta.url),
);

export function createEmbedActivities({
  store,
  inference = DEFAULT_INFERENCE,
}: {
  store: ArtifactStore;
  inference?: ClabConfig['inference'];
}) {
  return {
    /**
     * Embeds up to `maxSamples` images of a dataset with a stored embedding (the PCA of
     * `fitEmbedding`, or an ONNX model from `defineOnnxEmbedding`): a float32 .npy feature matrix.
     * With `classes`, only images of those classes count.
     */
    embed(
      input: {
        dataset: Sha256;
        embedding: Sha256;
        maxSamples: number;
        classes?: number[];
      } & Seeded &
        Fingerprinted,
    ) {
      return runStage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const embedding = await getJson<{ kind: string; pca?: SerializedPca }>(
          store,
          input.embedding,
        );
        const rng = Rng.stream(input.seed, input.stream);
        const allowed = classFilter(set, input.classes);
        const candidates = [...Array(set.count).keys()].filter((i) => allowed(set.labels[i]!));
        const rows =
          candidates.length <= input.maxSamples
            ? candidates
            : rng
                .sampleIndices(candidates.length, input.maxSamples)
                .sort((a, b) => a - b)
                .map((i) => candidates[i]!);
        let z: FeatureMatrix;
        if (embedding.kind === 'onnx') {
          z = await embedWithOnnx(
            store,
            inference,
            embedding as unknown as OnnxEmbedding,
            set,
            rows,
          );
        } else {
          const pca = deserializePca(embedding.pca!);
          z = await runInThread(pcaEncode, { model: pca, data: toFeatures(set, rows) });
        }
        const ref = await store.put(
          writeNpyMatrix({ rows: z.rows, cols: z.cols, data: Float32Array.from(z.data) }),
        );
        return { outputs: { features: ref.digest }, facts: { rows: z.rows } };
      });
    },
  };
}
