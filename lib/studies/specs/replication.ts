import { z } from 'zod';
import { classes, datasetName, ddpmGenerator, evaluation, int, seed, studyName } from './common.ts';

/** Images of the real test split of each dataset (what the embeddings are trained on). */
const TEST_SPLIT_SIZE = 10_000;
/** Images of the real training split (what T_N and the held-out set are drawn from). */
const TRAIN_SPLIT_SIZE = 60_000;

/** The embeddings a replication audit can score in. */
export const AUDIT_EMBEDDINGS = ['pixels', 'cnn', 'copy'] as const;
export type AuditEmbedding = (typeof AUDIT_EMBEDDINGS)[number];

/** The settings of one audit: how generated images are matched to training images. */
export const auditSettings = z.strictObject({
  /** Training images kept per generated image (the paper: 20). */
  topK: int(1, 1000).default(20),
  /**
   * The split-product variant of the authors' code: the whole-normalised embedding cut into this
   * many chunks, score = max over corresponding chunks (not comparable with the 0.5 threshold).
   */
  split: int(2, 64).optional(),
  /** The calibrated threshold: this percentile of held-out real -> train best scores. */
  percentile: z.number().gt(50).lt(100).default(99.9),
  /** The gallery: the highest-scoring and some random generated images with their matches. */
  gallery: z
    .strictObject({
      top: int(0, 1000).default(20),
      random: int(0, 1000).default(20),
      matches: int(1, 20).default(5),
    })
    .prefault({}),
});

/**
 * The replication study (Somepalli et al. 2023; STUDIES.md C) as a validated spec: for every
 * replicate seed and every training-set size N, a DDPM trained on N real images (the same number
 * of steps for every N), `samples` images sampled at each guidance scale, and each sample set
 * audited against its training set in each embedding (pixels, CNN features, the copy-detection
 * embedding), with thresholds calibrated on held-out real images; plus FID / precision / recall.
 */
export const replicationSpecSchema = z
  .strictObject({
    study: z.literal('replication'),
    name: studyName,
    /** The seed of the shared stages: the embeddings and the held-out set. */
    seed,
    /** Replicates: each seed draws its own T_N, trains its own DDPMs and samples. */
    seeds: z.array(seed).min(1).max(64).default([1, 2]),
    dataset: z.strictObject({
      name: datasetName,
      /** Training-set sizes N (class-balanced draws from the real training split). */
      sizes: z.array(int(2, TRAIN_SPLIT_SIZE)).min(1).max(32).default([30, 100, 300, 1000, 3000]),
      classes,
      /** Real training-split images disjoint from every T_N: what thresholds are calibrated on. */
      heldOut: int(10, TRAIN_SPLIT_SIZE).default(1000),
    }),
    generator: ddpmGenerator,
    sampling: z
      .strictObject({
        /** Images sampled per model and guidance scale. */
        samples: int(1, 1_000_000).default(1000),
        /** Classifier-free guidance scales (1 = the plain conditional model); each its own set. */
        guidances: z.array(z.number().min(0).max(100)).min(1).max(8).default([1, 3]),
      })
      .prefault({}),
    audit: auditSettings
      .extend({
        embeddings: z
          .array(z.enum(AUDIT_EMBEDDINGS))
          .min(1)
          .max(3)
          .default([...AUDIT_EMBEDDINGS]),
      })
      .prefault({}),
    /** FID / precision / recall; its embedding is also the audit's `cnn` embedding. */
    evaluation,
    /** The copy-detection embedding (trainers/copy_detection.py), trained on the real test split. */
    copyDetection: z
      .strictObject({
        trainSamples: int(10, TEST_SPLIT_SIZE).default(5000),
        /** The trainer's settings (its SCHEMA refuses unknown keys). */
        config: z.record(z.string(), z.unknown()).default({}),
      })
      .prefault({}),
  })
  .superRefine((spec, ctx) => {
    const repeated = <T>(values: T[]) => values.find((v, i) => values.indexOf(v) !== i);
    for (const [path, values] of [
      [['seeds'], spec.seeds],
      [['dataset', 'sizes'], spec.dataset.sizes],
      [['sampling', 'guidances'], spec.sampling.guidances],
      [['audit', 'embeddings'], spec.audit.embeddings],
    ] as const) {
      const twice = repeated<unknown>([...values]);
      if (twice !== undefined)
        ctx.addIssue({ code: 'custom', path: [...path], message: `lists ${String(twice)} twice` });
    }
    const largest = Math.max(...spec.dataset.sizes);
    if (largest + spec.dataset.heldOut > TRAIN_SPLIT_SIZE)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'heldOut'],
        message: `the largest N (${largest}) plus the held-out images exceed the ${TRAIN_SPLIT_SIZE} training images`,
      });
    if (
      spec.generator.training.conditional === false &&
      spec.sampling.guidances.some((w) => w !== 1)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['sampling', 'guidances'],
        message: 'an unconditional DDPM (`conditional: false`) samples without guidance: use [1]',
      });
    if (spec.audit.embeddings.includes('cnn') && spec.evaluation.embedding.kind !== 'classifier')
      ctx.addIssue({
        code: 'custom',
        path: ['audit', 'embeddings'],
        message:
          'the `cnn` audit scores in the evaluation embedding, which must then be a `classifier`',
      });
    if (
      spec.evaluation.embedding.kind === 'classifier' &&
      spec.evaluation.embedding.trainSamples > TEST_SPLIT_SIZE
    )
      ctx.addIssue({
        code: 'custom',
        path: ['evaluation', 'embedding', 'trainSamples'],
        message: `at most ${TEST_SPLIT_SIZE}: the embedding is trained on the real test split`,
      });
  });

export type ReplicationSpec = z.infer<typeof replicationSpecSchema>;
export type AuditSettings = z.infer<typeof auditSettings>;
