import { z } from 'zod';

// Schema pieces every study kind shares: a study's name and seed, its dataset, and how its
// metrics are computed (the embedding, the samples, k).

export const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const studyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export const seed = int(0, 2 ** 31 - 1);

/** The datasets a study can ingest by name. */
export const datasetName = z.literal('fashion-mnist');

/** Only these class indices (all by default). */
export const classes = z.array(int(0, 255)).min(1).max(256).optional();

/** The embedding the metrics are computed in. */
export const metricEmbedding = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('pca'),
    components: int(2, 1024).default(64),
    fitSamples: int(100, 10_000_000).default(5000),
  }),
  /** The CNN classifier trainer's penultimate layer, trained on real training images. */
  z.strictObject({
    kind: z.literal('classifier'),
    trainSamples: int(100, 10_000_000).default(10_000),
    epochs: int(1, 1000).default(2),
    batchSize: int(1, 4096).default(128),
    featureDim: int(2, 4096).default(128),
    learningRate: z.number().gt(0).lt(1).default(0.001),
    threads: int(1, 256).default(1),
  }),
]);

/** FID, precision / recall and class metrics against the real test split. */
export const evaluation = z.strictObject({
  /** Real test images and generated images embedded for FID / precision / recall. */
  samples: int(10, 1_000_000).default(2000),
  k: int(1, 100).default(3),
  embedding: metricEmbedding,
});

export type EmbeddingSpec = z.infer<typeof metricEmbedding>;
export type EvaluationSpec = z.infer<typeof evaluation>;

/** The PCA + Gaussian-mixture generator (lib/models), fitted and sampled in TypeScript. */
export const gmmGenerator = z.strictObject({
  kind: z.enum(['gmm', 'gaussian']),
  latentDim: int(1, 1024),
  components: int(1, 256).default(4),
  iterations: int(1, 10_000).default(30),
  /** Sampling bias: covariance scale at sampling time (< 1 trades diversity for fidelity). */
  temperature: z.number().gt(0).max(100).default(1),
});

/** A class-conditional DDPM (trainers/ddpm.py) sampled with DDIM in TypeScript. */
export const ddpmGenerator = z.strictObject({
  kind: z.literal('ddpm'),
  training: z.strictObject({
    steps: int(1, 10_000_000),
    batchSize: int(1, 4096).default(64),
    learningRate: z.number().gt(0).lt(1).default(0.001),
    warmupSteps: int(0, 1_000_000).default(100),
    emaDecay: z.number().min(0).lt(1).default(0.999),
    channels: z.tuple([int(8, 512), int(8, 512), int(8, 512)]).default([32, 64, 64]),
    timesteps: int(10, 10_000).default(1000),
    schedule: z.enum(['linear', 'cosine']).default('cosine'),
    /** Probability of the null label in training: what classifier-free guidance needs. */
    labelDropout: z.number().min(0).lt(1).default(0.1),
    /** false: an unconditional DDPM (the null label always; sampled without guidance). */
    conditional: z.boolean().optional(),
    checkpointEvery: int(1, 10_000_000).default(250),
    threads: int(1, 256).default(1),
  }),
  sampling: z.strictObject({
    steps: int(1, 10_000).default(25),
    eta: z.number().min(0).max(1).default(0),
    /** Sampling bias: classifier-free guidance scale (1 = none). */
    guidance: z.number().min(0).max(100).default(1),
    batchSize: int(1, 4096).default(128),
    timestepSpacing: z.enum(['leading', 'trailing', 'linspace']).default('trailing'),
  }),
});
