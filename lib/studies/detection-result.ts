import type { Sha256 } from '../digest.ts';

/**
 * The detection study's artifacts, table rows and result (Hataya et al. 2023, section 6.1), shared
 * by the stages that write them, the workflow and the reports that read them. Types only: workflow
 * code imports this module.
 */

/** What a detector sees of an image. */
export type DetectorFeatureKind =
  /** The pixels, scaled to [0, 1] (H W C values). */
  | 'pixels'
  /** The log radial power profile (lib/detection/power-spectrum.ts, (5)): one value per radius. */
  | 'log-spectrum'
  /** The study's embedding (CNN penultimate layer or PCA), from the `embed` stage. */
  | 'embedding';

export type DetectorModelKind = 'logistic' | 'mlp';

/** Mean and sample standard deviation per radius bin of one set's log radial profiles. */
export interface SpectrumSetStatistics {
  dataset: Sha256;
  /** Images the statistics are over. */
  count: number;
  mean: number[];
  std: number[];
}

/** The `powerSpectra` stage's artifact. */
export interface PowerSpectraReport {
  format: 'clab.power-spectra/v1';
  /** What each bin's value is, in words. */
  quantity: string;
  image: { width: number; height: number };
  /** The integer radius of each bin (0 .. max) and how many frequencies (u, v) it holds. */
  radii: number[];
  binSizes: number[];
  real: SpectrumSetStatistics;
  generated: SpectrumSetStatistics;
  /**
   * Welch's z of (generated - real) per bin; null where neither set varies and the means differ
   * (an unbounded z).
   */
  z: (number | null)[];
  /** The Bonferroni critical |z| over the bins at family-wise level `alpha`, and the bins above it. */
  alpha: number;
  criticalZ: number;
  significantRadii: number[];
  seed: number;
  stream: string;
  codeVersion: string;
}

/** The `trainDetector` stage's artifact: one detector trained and tested. */
export interface DetectorReport {
  format: 'clab.detector/v1';
  datasets: { real: Sha256; generated: Sha256 };
  features: {
    kind: DetectorFeatureKind;
    /** Values per image. */
    dims: number;
    /** The feature matrices the `embedding` features came from. */
    embedding?: { real: Sha256; generated: Sha256 };
  };
  /** The model and its settings, as the stage was called. */
  model: { kind: DetectorModelKind } & Record<string, unknown>;
  /** Images per class (real, generated) trained and tested on. */
  train: { real: number; generated: number };
  test: { real: number; generated: number };
  /** The `clab.detector-split/v1` artifact: the rows trained and tested on. */
  split: Sha256;
  labels: ['real', 'generated'];
  /** Rows: truth; columns: prediction (labels' order). */
  confusion: [[number, number], [number, number]];
  correct: number;
  accuracy: number;
  interval: { method: 'wilson'; level: number; low: number; high: number };
  trainAccuracy: number;
  trainLoss: number;
  seed: number;
  stream: string;
  codeVersion: string;
}

/** The rows (into each dataset) a seed's detectors train and test on: disjoint by construction. */
export interface DetectorSplit {
  format: 'clab.detector-split/v1';
  datasets: { real: Sha256; generated: Sha256 };
  realTrain: number[];
  realTest: number[];
  generatedTrain: number[];
  generatedTest: number[];
  seed: number;
  stream: string;
}

/** One row of the study's table: one detector (features x model) of one replicate seed. */
export interface DetectionRow {
  seed: number;
  features: DetectorFeatureKind;
  model: DetectorModelKind;
  /** Images per class trained and tested on. */
  trainPerClass: number;
  testPerClass: number;
  accuracy: number;
  /** The Wilson 95% interval of the test accuracy. */
  low: number;
  high: number;
  trainAccuracy: number;
  /** The `clab.detector/v1` report. */
  report: Sha256;
}

/** The spectra's headline figures, from the `powerSpectra` stage's facts. */
export interface SpectraSummary {
  bins: number;
  realCount: number;
  generatedCount: number;
  /** The largest |z| and the radius it is at. */
  maxAbsZ: number;
  peakRadius: number;
  criticalZ: number;
  significantBins: number;
}

export interface DetectionResult {
  study: 'detection';
  name: string;
  /** The last table piece (lib/studies/study-table.ts) and its counts. */
  table: Sha256;
  rowCount: number;
  stageCount: number;
  cacheHits: number;
  /**
   * R (real) and S (generated); P, the real pool the generator was fitted on, when the study
   * fitted one (disjoint from R).
   */
  datasets: { real: Sha256; generated: Sha256; pool?: Sha256 };
  /** How S was made: fitted and sampled here, or taken from another run by digest. */
  generatedBy: 'generator' | 'dataset';
  generator?: Sha256;
  temperature?: number;
  /** The `clab.power-spectra/v1` artifact and its headline figures. */
  spectra: Sha256;
  spectraSummary: SpectraSummary;
  /** The embedding of the `embedding` detectors (e.g. `fashion-mnist-cnn-features@...`). */
  embedding?: { id: string; digest: Sha256 };
}
