import { z } from 'zod';
import { datasetName, gmmGenerator, int, metricEmbedding, seed, studyName } from './common.ts';
import { parseSpecYaml, validateSpec } from './parse.ts';

/** How many classes each dataset a study can name has (what per-class counts multiply). */
const DATASET_CLASS_COUNT: Record<z.infer<typeof datasetName>, number> = { 'fashion-mnist': 10 };

/** Images of the real test split of each dataset (what the embedding is fitted on). */
const TEST_SPLIT_SIZE = 10_000;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 digest (64 lowercase hex characters)');

const FEATURES = ['pixels', 'log-spectrum', 'embedding'] as const;
const MODELS = ['logistic', 'mlp'] as const;

/**
 * The detection study (Hataya et al. 2023, section 6.1; STUDIES.md D) as a validated spec: a real
 * set R and a generated set S, either S sampled here from a generator fitted on a real pool P
 * disjoint from R, or S (and optionally R) taken from another run by digest. Then the azimuthally
 * averaged power spectra of both (mean and spread per radius, Welch's z per bin), and detectors
 * (logistic regression and a small MLP, trained in TypeScript) on pixels, on the log spectrum and
 * on the embedding, each trained on `trainPerClass` real + `trainPerClass` generated images and
 * tested on `testPerClass` + `testPerClass` held-out ones, for every replicate seed.
 */
export const detectionSpecSchema = z
  .strictObject({
    study: z.literal('detection'),
    name: studyName,
    /** The seed of the shared data: R, P, the generator, S and the spectra's draws. */
    seed,
    /** Replicates: each seed draws its own train / test split and detector initialisation. */
    seeds: z.array(seed).min(1).max(64).default([1]),
    dataset: z.strictObject({
      name: datasetName,
      /** |R| / classes: drawn class-balanced from the training split (unused with `real`). */
      perClass: int(1, 1_000_000).default(1100),
      /** |P| / classes: the real images a generator fitted here is fitted on (disjoint from R). */
      generatorPoolPerClass: int(1, 1_000_000).default(1000),
    }),
    /** R from another run, by digest, instead of a draw from the training split. */
    real: z.strictObject({ dataset: sha256 }).optional(),
    /**
     * S: sampled here (|S| = |R|, R's class balance) from a PCA + Gaussian-mixture generator
     * fitted on P, or a generated set taken from another run by digest.
     */
    generated: z.union([
      z.strictObject({ dataset: sha256 }),
      z.strictObject({ generator: gmmGenerator }),
    ]),
    spectra: z
      .strictObject({
        /** Images of each set the spectra are averaged over (the paper: 1,000). */
        images: int(2, 10_000_000).default(1000),
      })
      .prefault({}),
    detectors: z
      .strictObject({
        features: z
          .array(z.enum(FEATURES))
          .min(1)
          .max(3)
          .default([...FEATURES]),
        models: z
          .array(z.enum(MODELS))
          .min(1)
          .max(2)
          .default([...MODELS]),
        /** Images of each class (real, generated) to train on (the paper: 10^4). */
        trainPerClass: int(1, 10_000_000).default(10_000),
        /** Held-out images of each class to test on (the paper: 1,000 + 1,000). */
        testPerClass: int(1, 10_000_000).default(1000),
        /** Full-batch Adam on the standardised features, from zero weights. */
        logistic: z
          .strictObject({
            epochs: int(1, 1_000_000).default(300),
            learningRate: z.number().gt(0).lt(10).default(0.05),
            l2: z.number().min(0).max(100).default(0.0001),
          })
          .prefault({}),
        /** One hidden ReLU layer; mini-batch Adam, He initialisation from the seed. */
        mlp: z
          .strictObject({
            hidden: int(1, 4096).default(64),
            epochs: int(1, 100_000).default(20),
            batchSize: int(1, 100_000).default(128),
            learningRate: z.number().gt(0).lt(10).default(0.001),
            l2: z.number().min(0).max(100).default(0.0001),
          })
          .prefault({}),
      })
      .prefault({}),
    /**
     * The embedding of the `embedding` detectors (the paper: ImageNet-pretrained ResNet features):
     * the CNN classifier's penultimate layer or a PCA, fitted on the real test split, which no
     * other part of the study reads.
     */
    embedding: metricEmbedding.optional(),
  })
  .superRefine((spec, ctx) => {
    const { detectors } = spec;
    const repeated = <T>(values: T[]) => values.find((v, i) => values.indexOf(v) !== i);
    for (const key of ['features', 'models'] as const) {
      const twice = repeated<string>(detectors[key]);
      if (twice !== undefined)
        ctx.addIssue({ code: 'custom', path: ['detectors', key], message: `lists ${twice} twice` });
    }
    const replicate = repeated(spec.seeds);
    if (replicate !== undefined)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: `lists ${replicate} twice` });
    if (detectors.features.includes('embedding') && !spec.embedding)
      ctx.addIssue({
        code: 'custom',
        path: ['embedding'],
        message: 'required by the `embedding` detectors: a `classifier` (CNN) or `pca` embedding',
      });
    // the embedding's training set is drawn from the real test split (10,000 Fashion-MNIST images)
    if (spec.embedding?.kind === 'classifier' && spec.embedding.trainSamples > TEST_SPLIT_SIZE)
      ctx.addIssue({
        code: 'custom',
        path: ['embedding', 'trainSamples'],
        message: `at most ${TEST_SPLIT_SIZE}: the embedding is trained on the real test split`,
      });
    if (spec.real && !('dataset' in spec.generated))
      ctx.addIssue({
        code: 'custom',
        path: ['generated'],
        message:
          'a real set taken by digest needs a generated set taken by digest: the generator pool could not be kept disjoint from it',
      });
    if (!spec.real) {
      const realCount = DATASET_CLASS_COUNT[spec.dataset.name] * spec.dataset.perClass;
      const need = detectors.trainPerClass + detectors.testPerClass;
      if (realCount < need)
        ctx.addIssue({
          code: 'custom',
          path: ['dataset', 'perClass'],
          message: `R holds ${realCount} images, fewer than trainPerClass + testPerClass = ${need}`,
        });
    }
  });

export type DetectionSpec = z.infer<typeof detectionSpecSchema>;

/** The class count of the spec's dataset. */
export function detectionClassCount(spec: DetectionSpec): number {
  return DATASET_CLASS_COUNT[spec.dataset.name];
}

/** Parses and validates a YAML (or JSON) study spec; errors name the file and each field path. */
export function parseDetectionSpec(text: string, fileName: string): DetectionSpec {
  return validateSpec(detectionSpecSchema, parseSpecYaml(text, fileName), fileName);
}
