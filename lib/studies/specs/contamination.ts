import { z } from 'zod';
import { SHIFT_NAMES, type ShiftName } from '../../images/shifts.ts';
import { classes, datasetName, int, seed, studyName } from './common.ts';
import { parseSpecYaml, validateSpec } from './parse.ts';

/** How many classes each dataset a study can name has (what per-class counts multiply). */
export const DATASET_CLASS_COUNT: Record<z.infer<typeof datasetName>, number> = {
  'fashion-mnist': 10,
};

const shiftName = z.enum(SHIFT_NAMES as [ShiftName, ...ShiftName[]]);

/**
 * The contamination study (Hataya et al., ICCV 2023; STUDIES.md A) as a validated spec: real R,
 * a generator pool P and a real control pool C, disjoint and class-balanced, drawn from the real
 * training split; S sampled from a generator fitted on P; mixes R/S-r% and R/C-r% for every
 * fraction r and replicate seed, each training the same downstream classifier, whose accuracy is
 * measured on the real test split and on shifted copies of it.
 */
export const contaminationSpecSchema = z
  .strictObject({
    study: z.literal('contamination'),
    name: studyName,
    /** The seed of the shared data: R, P, C, the generator, S, the test subset and the shifts. */
    seed,
    /** Replicates: each seed draws its own mixes and trains its own classifiers. */
    seeds: z.array(seed).min(1).max(64).default([1, 2, 3]),
    dataset: z.strictObject({
      name: datasetName,
      /** |R| / classes: the real training set every mix starts from. */
      perClass: int(1, 1_000_000).default(1000),
      /** |P| / classes: the real images the generator is fitted on (disjoint from R and C). */
      generatorPoolPerClass: int(1, 1_000_000).default(1000),
      /** |C| / classes: the real control pool (disjoint from R and P); at least perClass. */
      controlPerClass: int(1, 1_000_000).optional(),
      classes,
      /** Images of the real test split accuracy is measured on (all of it by default). */
      testSubset: int(10, 10_000_000).optional(),
    }),
    generator: z.strictObject({
      kind: z.enum(['gmm', 'gaussian']),
      latentDim: int(1, 1024),
      components: int(1, 256).default(4),
      iterations: int(1, 10_000).default(30),
      /** Sampling bias: covariance scale at sampling time (< 1 trades diversity for fidelity). */
      temperature: z.number().gt(0).max(100).default(1),
      /** |S| = ratio |R|, with R's class balance; at least 1 (a fraction 1 replaces all of R). */
      ratio: z.number().min(1).max(100).default(1),
    }),
    mixes: z.strictObject({
      /** Fractions r of R replaced (0 is R itself, trained once per seed for both sources). */
      fractions: z.array(z.number().min(0).max(1)).min(1).max(32).default([0, 0.2, 0.4, 0.8, 1]),
    }),
    /** The downstream classifier (trainers/classifier.py), the same for every mix. */
    classifier: z.strictObject({
      epochs: int(1, 1000).default(3),
      batchSize: int(1, 4096).default(128),
      learningRate: z.number().gt(0).lt(1).default(0.001),
      featureDim: int(2, 4096).default(128),
      validationFraction: z.number().min(0).lt(1).default(0.1),
      threads: int(1, 256).default(1),
    }),
    evaluation: z.strictObject({
      /** Shifted copies of the test set (lib/images/shifts.ts), each at a severity 1-5. */
      shifts: z
        .array(z.strictObject({ shift: shiftName, severity: int(1, 5).default(3) }))
        .max(32)
        .default([
          { shift: 'gaussian-noise', severity: 3 },
          { shift: 'blur', severity: 3 },
          { shift: 'rotation', severity: 3 },
        ]),
    }),
  })
  .superRefine((spec, ctx) => {
    const { perClass, controlPerClass, classes, testSubset } = spec.dataset;
    if (controlPerClass !== undefined && controlPerClass < perClass)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'controlPerClass'],
        message: `must be at least perClass (${perClass}): a fraction 1 replaces all of R by C`,
      });
    const repeated = (values: number[]) => values.find((v, i) => values.indexOf(v) !== i);
    const fraction = repeated(spec.mixes.fractions);
    if (fraction !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['mixes', 'fractions'],
        message: `lists ${fraction} twice`,
      });
    const replicate = repeated(spec.seeds);
    if (replicate !== undefined)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: `lists ${replicate} twice` });
    if (classes && testSubset === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'testSubset'],
        message: 'required with `classes`: the test set is drawn from those classes only',
      });
  });

export type ContaminationSpec = z.infer<typeof contaminationSpecSchema>;

/** The class count of the spec's draws: its `classes`, or all of its dataset's. */
export function classCountOf(spec: ContaminationSpec): number {
  return spec.dataset.classes?.length ?? DATASET_CLASS_COUNT[spec.dataset.name];
}

/** A shift's label in tables and stage labels, e.g. `blur-3`. */
export function shiftLabel(shift: { shift: string; severity: number }): string {
  return `${shift.shift}-${shift.severity}`;
}

/** Parses and validates a YAML (or JSON) study spec; errors name the file and each field path. */
export function parseContaminationSpec(text: string, fileName: string): ContaminationSpec {
  return validateSpec(contaminationSpecSchema, parseSpecYaml(text, fileName), fileName);
}
