import type { Sha256 } from '../digest.ts';

/**
 * The contamination study's result and table rows (Hataya et al., ICCV 2023), shared by the
 * workflow that produces them and the reports that read them. Types only: workflow code imports
 * this module.
 */

/**
 * How a training set of the study was made from R and another source O:
 * - `replace` (T1): R/O-r%, a fraction r of R replaced by O class by class (r = 0 is R itself);
 * - `subsample` (T7): a class-balanced fraction p of R alone (O is none: source `R`);
 * - `fill` (T7): that p% subsample of R filled back up to |R| with O;
 * - `append` (T8): all of R plus O images amounting to +p% of |R|.
 */
export type MixKind = 'replace' | 'subsample' | 'fill' | 'append';

/** Generator metrics (T3) of a generator fitted on one mix, against the real test split. */
export interface MixGeneratorMetrics {
  fid: number;
  precision: number;
  recall: number;
  /** The embedding the metrics are computed in (e.g. `pca64@07ba0e4414c6`). */
  embedding: string;
  /** The generator's model card and the `evaluate` stage's metrics artifact. */
  model: Sha256;
  report: Sha256;
}

/** One row of the study's table: the classifier trained on one training set of one seed. */
export interface ContaminationRow {
  seed: number;
  kind: MixKind;
  /** Where the non-R images come from: `S` (generated), a control's name (e.g. `C`), or `R`. */
  source: string;
  /** r (replace) or p (subsample, fill, append). */
  fraction: number;
  /** Images of the training set from R and from the other source. */
  fromReal: number;
  fromOther: number;
  /** Accuracy on the real test split (or its subset). */
  accuracy: number;
  /** Accuracy on each shifted test set, by label (e.g. `blur-3`; the hard subset is `hard`). */
  shifted: Record<string, number>;
  /** Per-class accuracy on the real test split (null: no test image of the class). */
  perClassAccuracy: (number | null)[];
  /** The training set's manifest, the classifier's model card, the real test split's report. */
  mix: Sha256;
  model: Sha256;
  /** A `clab.classification/v1` report: accuracy, per-class counts and the confusion matrix. */
  report: Sha256;
  /** The reports of the shifted test sets, by label. */
  shiftedReports: Record<string, Sha256>;
  /** The classifier's training steps (the same for every training set of a study). */
  steps: number;
  /** T3: a generator fitted on this training set (replace rows, when the spec asks for it). */
  generator?: MixGeneratorMetrics;
}

/** The real-source controls: a disjoint real pool (optionally transformed), or another source. */
export interface ControlInfo {
  /** The control's name in tables (`C`, `C-web`, `C-sklearn`). */
  name: string;
  /** What it is, in words, for reports. */
  description: string;
  dataset: Sha256;
}

/** T4/T5: precision / recall of a real or generated set against the real test split. */
export interface DiversityRow {
  /** `R-train`, or `S` at a temperature. */
  set: string;
  /** The generator's sampling temperature (null for R-train). */
  temperature: number | null;
  fid: number;
  precision: number;
  recall: number;
  embedding: string;
  dataset: Sha256;
  /** The `evaluate` stage's metrics artifact. */
  report: Sha256;
}

/** The hard test subset (T6): test images most reference classifiers get wrong. */
export interface HardSubsetInfo {
  dataset: Sha256;
  count: number;
  /** The reference classifiers' model cards (each trained on its own disjoint real pool). */
  references: Sha256[];
  /** Their `clab.classification/v1` reports on the test set (with per-image predictions). */
  reports: Sha256[];
}

export interface ContaminationResult {
  study: 'contamination';
  name: string;
  /** The last table piece (lib/studies/study-table.ts) and its counts. */
  table: Sha256;
  rowCount: number;
  stageCount: number;
  cacheHits: number;
  /** The shared datasets: R, the generator pool P, S and the test set. */
  datasets: { real: Sha256; pool: Sha256; synthetic: Sha256; test: Sha256 };
  controls: ControlInfo[];
  /** The generator fitted on P, and the temperature S was sampled at. */
  generator: Sha256;
  temperature: number;
  /** The shifted test sets, by label (the hard subset included as `hard`). */
  shiftedTests: Record<string, Sha256>;
  hardSubset?: HardSubsetInfo;
  /** T4/T5 rows (empty when the spec asks for no generator metrics). */
  diversity: DiversityRow[];
  /** The embedding generator metrics are computed in, if any. */
  metricEmbedding?: string;
  /** Sample grids of R, S, every control and test set: label -> PNG digest. */
  grids: Record<string, Sha256>;
}
