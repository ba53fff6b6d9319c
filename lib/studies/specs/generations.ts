import { z } from 'zod';
import {
  classes,
  datasetName,
  ddpmGenerator,
  evaluation,
  gmmGenerator,
  int,
  seed,
  studyName,
  type EmbeddingSpec,
} from './common.ts';
import { parseSpecYaml, validateSpec } from './parse.ts';

/** The generational retraining study (Martinez et al., 2023; STUDIES.md B) as a validated spec. */
export const generationsSpecSchema = z
  .strictObject({
    study: z.literal('generations'),
    name: studyName,
    /** The seed of the shared stages: the embedding, D_0, its metrics and grid. */
    seed,
    /**
     * Replicates: each seed runs its own loop for every alpha (fits, samples, fresh real subsets,
     * grids and feature draws), from the shared D_0. Without it, one loop per alpha on `seed`.
     */
    seeds: z.array(seed).min(1).max(64).optional(),
    dataset: z.strictObject({
      name: datasetName,
      /** |D_0|: a class-balanced subset of the real training split. */
      subset: int(10, 10_000_000),
      /** Only these class indices (all by default): D_0, the real reference and the samples. */
      classes,
    }),
    evaluation,
    generator: z.discriminatedUnion('kind', [gmmGenerator, ddpmGenerator]),
    loop: z.strictObject({
      mode: z.enum(['accumulate', 'replace', 'fresh']),
      alphas: z.array(z.number().gt(0).max(1000)).min(1).max(32),
      generations: int(1, 1000),
      gridPerClass: int(1, 64).default(8),
    }),
  })
  .superRefine((spec, ctx) => {
    const twice = spec.seeds?.find((v, i) => spec.seeds!.indexOf(v) !== i);
    if (twice !== undefined)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: `lists ${twice} twice` });
  });

export type GenerationsSpec = z.infer<typeof generationsSpecSchema>;
export type GeneratorSpec = GenerationsSpec['generator'];
export type { EmbeddingSpec };

/** Parses and validates a YAML (or JSON) study spec; errors name the file and each field path. */
export function parseGenerationsSpec(text: string, fileName: string): GenerationsSpec {
  return validateSpec(generationsSpecSchema, parseSpecYaml(text, fileName), fileName);
}
