import { replicationSpecSchema } from '../../lib/studies/specs/replication.ts';

/**
 * The replication study at the smallest size that runs every stage kind: two training-set sizes
 * of two classes, tiny DDPMs sampled at two guidance scales, every audit embedding (pixels, the
 * CNN, the copy-detection embedding). For the integration test and the replay gate's recorder.
 */
export const tinyReplicationSpec = replicationSpecSchema.parse({
  study: 'replication',
  name: 'tiny-replication',
  seed: 5,
  seeds: [1],
  dataset: { name: 'fashion-mnist', sizes: [10, 40], classes: [1, 7], heldOut: 40 },
  generator: {
    kind: 'ddpm',
    training: {
      steps: 30,
      batchSize: 16,
      channels: [8, 8, 8],
      warmupSteps: 5,
      timesteps: 100,
      checkpointEvery: 1000,
    },
    sampling: { steps: 4, batchSize: 50 },
  },
  sampling: { samples: 30, guidances: [1, 2] },
  audit: {
    embeddings: ['pixels', 'cnn', 'copy'],
    topK: 5,
    percentile: 99,
    gallery: { top: 4, random: 4, matches: 3 },
  },
  evaluation: {
    samples: 40,
    k: 3,
    embedding: { kind: 'classifier', trainSamples: 100, epochs: 1, batchSize: 32, featureDim: 8 },
  },
  copyDetection: { trainSamples: 100, config: { steps: 20, batchSize: 32, embeddingDim: 16 } },
});
