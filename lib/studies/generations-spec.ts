import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../input-error.ts';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The generational retraining study (Martinez et al., 2023; STUDIES.md B) as a validated spec. */
export const generationsSpecSchema = z.strictObject({
  study: z.literal('generations'),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  seed: int(0, 2 ** 31 - 1),
  dataset: z.strictObject({
    name: z.literal('fashion-mnist'),
    /** |D_0|: a class-balanced subset of the real training split. */
    subset: int(10, 10_000_000),
    /** Only these class indices (all by default): D_0, the real reference and the samples. */
    classes: z.array(int(0, 255)).min(1).max(256).optional(),
  }),
  evaluation: z.strictObject({
    /** Real test images and generated images embedded for FID / precision / recall. */
    samples: int(10, 1_000_000).default(2000),
    k: int(1, 100).default(3),
    embedding: z.discriminatedUnion('kind', [
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
    ]),
  }),
  generator: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.enum(['gmm', 'gaussian']),
      latentDim: int(1, 1024),
      components: int(1, 256).default(4),
      iterations: int(1, 10_000).default(30),
      /** Sampling bias: covariance scale at sampling time (< 1 trades diversity for fidelity). */
      temperature: z.number().gt(0).max(100).default(1),
    }),
    /** A class-conditional DDPM (trainers/ddpm.py) sampled with DDIM in TypeScript. */
    z.strictObject({
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
    }),
  ]),
  loop: z.strictObject({
    mode: z.enum(['accumulate', 'replace', 'fresh']),
    alphas: z.array(z.number().gt(0).max(1000)).min(1).max(32),
    generations: int(1, 1000),
    gridPerClass: int(1, 64).default(8),
  }),
});

export type GenerationsSpec = z.infer<typeof generationsSpecSchema>;
export type GeneratorSpec = GenerationsSpec['generator'];
export type EmbeddingSpec = GenerationsSpec['evaluation']['embedding'];

/** Parses and validates a YAML (or JSON) study spec; errors name the file and each field path. */
export function parseGenerationsSpec(text: string, fileName: string): GenerationsSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new InputError(`${fileName}: not valid YAML: ${(error as Error).message}`);
  }
  const result = generationsSpecSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.length ? issue.path.join('.') : '(top level)';
      const keys =
        'keys' in issue && Array.isArray(issue.keys)
          ? ` ${issue.keys.map((k) => `\`${String(k)}\``).join(', ')}`
          : '';
      return `  ${path}: ${issue.message}${keys}`;
    });
    throw new InputError(`${fileName}: invalid study spec:\n${lines.join('\n')}`);
  }
  return result.data;
}
