import { z } from 'zod';
import { SHIFT_NAMES, type ShiftName } from '../../images/shifts.ts';
import { classes, gmmGenerator, int, seed, studyName } from './common.ts';
import { parseSpecYaml, validateSpec } from './parse.ts';

/** The datasets a contamination study can draw R from, and their class counts. */
export const CONTAMINATION_DATASETS = {
  /** R, P and the disjoint controls from the training split; the test set from the test split. */
  'fashion-mnist': 10,
  /**
   * OpenCV's digits.png (5,000 20x20 MNIST-derived digits): R, P, the disjoint controls and the
   * test set all from it (it has no split); the source control is scikit-learn's 8x8 digits.
   */
  digits: 10,
} as const;

export type ContaminationDatasetName = keyof typeof CONTAMINATION_DATASETS;

const shiftName = z.enum(SHIFT_NAMES as [ShiftName, ...ShiftName[]]);

const controlName = z
  .string()
  .regex(/^C[A-Za-z0-9-]{0,31}$/, 'a name starting with C: letters, digits and dashes');

/**
 * A real-source control C (Hataya et al. compare generated S with real images from elsewhere, to
 * separate "generated" from "merely different"):
 * - `disjoint`: a real pool of R's own source, disjoint from R, P and the other pools; with
 *   `transform: web-like` it is recropped, rotated and contrast-jittered per image
 *   (lib/images/web-like.ts), imitating images scraped from the web. Without a transform it is the
 *   null control: it should behave like r = 0.
 * - `source`: another real source of the same classes (scikit-learn's 8x8 digits, resized by code
 *   to R's size), for the digits dataset.
 */
const control = z.discriminatedUnion('kind', [
  z.strictObject({
    name: controlName,
    kind: z.literal('disjoint'),
    /** Images per class (at least the dataset's perClass: a fraction 1 replaces all of R). */
    perClass: int(1, 1_000_000).optional(),
    transform: z.enum(['web-like']).optional(),
  }),
  z.strictObject({
    name: controlName,
    kind: z.literal('source'),
    source: z.literal('sklearn-digits'),
  }),
]);

export type ControlSpec = z.infer<typeof control>;

/**
 * The contamination study (Hataya et al., ICCV 2023; STUDIES.md A) as a validated spec: real R,
 * a generator pool P and real control pools, disjoint and class-balanced; S sampled from a
 * generator fitted on P; for every replicate seed, the mixes R/S-r% and R/C-r% for every fraction
 * r and control C (T1), optionally the size controls (T7: a p% subsample of R alone and filled up
 * with S or C; T8: all of R plus +p% of S or C), each training the same downstream classifier,
 * whose accuracy is measured on the test set, shifted copies of it and a hard subset (T6);
 * optionally a generator fitted on each mix (T3) and the diversity of R and S (T4/T5).
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
      name: z.enum(Object.keys(CONTAMINATION_DATASETS) as [ContaminationDatasetName]),
      /** |R| / classes: the real training set every mix starts from. */
      perClass: int(1, 1_000_000).default(1000),
      /** |P| / classes: the real images the generator is fitted on (disjoint from R and C). */
      generatorPoolPerClass: int(1, 1_000_000).default(1000),
      classes,
      /** fashion-mnist: images of the test split accuracy is measured on (all by default). */
      testSubset: int(10, 10_000_000).optional(),
      /** digits: test images per class, held out of the pool (digits.png has no test split). */
      testPerClass: int(1, 1_000_000).optional(),
    }),
    /** The real-source controls, each giving its own R/C-r% curve. */
    controls: z
      .array(control)
      .min(1)
      .max(8)
      .default([{ name: 'C', kind: 'disjoint' }]),
    generator: gmmGenerator.extend({
      /** |S| = ratio |R|, with R's class balance; at least 1 (a fraction 1 replaces all of R). */
      ratio: z.number().min(1).max(100).default(1),
    }),
    mixes: z.strictObject({
      /** T1: fractions r of R replaced (0 is R itself, trained once per seed for every source). */
      fractions: z.array(z.number().min(0).max(1)).min(1).max(32).default([0, 0.2, 0.4, 0.8, 1]),
      /** T7: fractions p of R kept alone, and filled back up to |R| by each size-control source. */
      subsample: z.array(z.number().gt(0).lt(1)).max(16).default([]),
      /** T8: all of R plus +p |R| images of each size-control source (p may exceed 1). */
      append: z.array(z.number().gt(0).max(10)).max(16).default([]),
      /** The sources of T7 / T8: `S` and control names (by default S and the first control). */
      sizeControlSources: z.array(z.string()).max(9).optional(),
    }),
    /** The downstream classifier (trainers/classifier.py), the same for every training set. */
    classifier: z.strictObject({
      epochs: int(1, 1000).default(3),
      batchSize: int(1, 4096).default(128),
      learningRate: z.number().gt(0).lt(1).default(0.001),
      featureDim: int(2, 4096).default(128),
      validationFraction: z.number().min(0).lt(1).default(0.1),
      threads: int(1, 256).default(1),
      /** Steps between checkpoints a retried training resumes from (the trainer's default: 200). */
      checkpointEvery: int(1, 1_000_000).optional(),
    }),
    /**
     * Generator metrics (FID, precision / recall with k neighbours, as the paper's k = 5) in a
     * PCA embedding fitted on R: T3, a generator fitted on every R/S-r% and R/C-r% mix of the first
     * seed; T4/T5, R's training images and S sampled at each of `temperatures` against the test set.
     */
    generatorMetrics: z
      .strictObject({
        embedding: z
          .strictObject({
            kind: z.literal('pca'),
            components: int(2, 1024).default(32),
            fitSamples: int(100, 10_000_000).default(5000),
          })
          .default({ kind: 'pca', components: 32, fitSamples: 5000 }),
        samples: int(10, 1_000_000).default(1000),
        k: int(1, 100).default(5),
        perMix: z.boolean().default(true),
        temperatures: z.array(z.number().gt(0).max(100)).max(8).default([0.5, 1]),
      })
      .optional(),
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
      /**
       * T6's hard subset: test images that more than half of `references` reference classifiers,
       * each trained on its own disjoint real pool of `perClass` images per class, get wrong.
       */
      hardSubset: z
        .strictObject({ references: int(1, 16).default(3), perClass: int(1, 1_000_000) })
        .optional(),
    }),
    /** Sample grids in the report: images per class. */
    grids: z.strictObject({ perClass: int(1, 64).default(8) }).default({ perClass: 8 }),
  })
  .superRefine((spec, ctx) => {
    const { perClass, classes, testSubset, testPerClass, name } = spec.dataset;
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    for (const [i, c] of spec.controls.entries()) {
      if (c.kind === 'disjoint' && c.perClass !== undefined && c.perClass < perClass)
        issue(
          ['controls', i, 'perClass'],
          `must be at least perClass (${perClass}): a fraction 1 replaces all of R by C`,
        );
      if (c.kind === 'source' && name !== 'digits')
        issue(['controls', i, 'source'], `${c.source} has the digit classes: dataset digits only`);
    }
    const repeated = <T>(values: T[]) => values.find((v, i) => values.indexOf(v) !== i);
    const control = repeated(spec.controls.map((c) => c.name));
    if (control !== undefined) issue(['controls'], `names ${control} twice`);
    for (const key of ['fractions', 'subsample', 'append'] as const) {
      const value = repeated(spec.mixes[key]);
      if (value !== undefined) issue(['mixes', key], `lists ${value} twice`);
    }
    const known = ['S', ...spec.controls.map((c) => c.name)];
    for (const [i, source] of (spec.mixes.sizeControlSources ?? []).entries())
      if (!known.includes(source))
        issue(
          ['mixes', 'sizeControlSources', i],
          `\`${source}\` is not S or a control (${known.join(', ')})`,
        );
    const replicate = repeated(spec.seeds);
    if (replicate !== undefined) issue(['seeds'], `lists ${replicate} twice`);
    if (name === 'fashion-mnist') {
      if (testPerClass !== undefined)
        issue(
          ['dataset', 'testPerClass'],
          'digits only: fashion-mnist has a test split (testSubset)',
        );
      if (classes && testSubset === undefined)
        issue(
          ['dataset', 'testSubset'],
          'required with `classes`: the test set is drawn from those classes only',
        );
    } else {
      if (testSubset !== undefined)
        issue(['dataset', 'testSubset'], 'fashion-mnist only: digits draws testPerClass per class');
      if (testPerClass === undefined)
        issue(['dataset', 'testPerClass'], 'required: digits.png has no test split');
    }
  });

export type ContaminationSpec = z.infer<typeof contaminationSpecSchema>;

/** The class count of the spec's draws: its `classes`, or all of its dataset's. */
export function classCountOf(spec: ContaminationSpec): number {
  return spec.dataset.classes?.length ?? CONTAMINATION_DATASETS[spec.dataset.name];
}

/** The sources of the T7 / T8 size controls: the spec's, or S and the first control. */
export function sizeControlSources(spec: ContaminationSpec): string[] {
  return spec.mixes.sizeControlSources ?? ['S', spec.controls[0]!.name];
}

/** A shift's label in tables and stage labels, e.g. `blur-3`. */
export function shiftLabel(shift: { shift: string; severity: number }): string {
  return `${shift.shift}-${shift.severity}`;
}

/** Parses and validates a YAML (or JSON) study spec; errors name the file and each field path. */
export function parseContaminationSpec(text: string, fileName: string): ContaminationSpec {
  return validateSpec(contaminationSpecSchema, parseSpecYaml(text, fileName), fileName);
}
