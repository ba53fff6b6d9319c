import type { Sha256 } from '../digest.ts';
import type { ScoreDirection } from '../replication/score-direction.ts';
import type { ScoreKind as ReplicaScoreKind } from '../replication/score-kinds.ts';

/**
 * The replication audit's artifacts, table rows and result (Somepalli et al. 2023), shared by the
 * `auditReplicas` stage, the workflows and the reports. Types only: workflow code imports this.
 */

/** The scores an audit computes (lib/replication/score-kinds.ts), and which end marks a copy. */
export type { ScoreKind as ReplicaScoreKind } from '../replication/score-kinds.ts';
export type { ScoreDirection } from '../replication/score-direction.ts';

/** Where a calibrated threshold comes from. */
export type CalibrationSource =
  /** Held-out real images (never trained on) scored against the training set. */
  | 'held-out'
  /** Each training image against the other training images (leave one out). */
  | 'leave-one-out'
  /** A threshold the user gave (`clab replicas --threshold x`). */
  | 'user';

/** One score's verdict on a generated set. */
export interface ScoreSummary {
  score: ReplicaScoreKind;
  direction: ScoreDirection;
  /** The calibrated threshold: `percentile` of the calibration scores (the far end). */
  threshold: number;
  percentile: number;
  calibratedBy: CalibrationSource;
  /** Share of generated images beyond the threshold. */
  rate: number;
  /** Training images that are the best match of at least one flagged generated image. */
  distinctMatches: number;
  flagged: number;
  /** A threshold from the literature, not calibrated on this data (shown marked as such). */
  fixed?: { threshold: number; source: string; rate: number; distinctMatches: number };
}

/** A generated image and its best training matches (indices into the audited datasets). */
export interface ReplicaMatch {
  generated: number;
  /** Best first. */
  train: number[];
  scores: number[];
}

/** The `auditReplicas` stage's artifact (`clab.replica-audit/v1`). */
export interface ReplicaAuditReport {
  format: 'clab.replica-audit/v1';
  /** `pixels`, or the embedding's id. */
  embedding: string;
  generated: { dataset: Sha256; count: number; sources: string[] };
  train: { dataset: Sha256; count: number; sources: string[] };
  calibration: { source: CalibrationSource; dataset?: Sha256; count: number };
  summaries: ScoreSummary[];
  /** Per score: the flagged pairs at the summary's threshold, most copy-like first. */
  flagged: Record<string, { generated: number; train: number; score: number }[]>;
  /** Per score: every generated image's best score, the calibration scores, the background. */
  distributions: Record<
    string,
    { generated: number[]; calibration: number[]; background: number[] }
  >;
  /** The primary score's top-k matches of every generated image. */
  primary: ReplicaScoreKind;
  topK: ReplicaMatch[];
  /** Rows of the gallery PNG: the highest-scoring generated images, then random ones. */
  gallery?: {
    rows: { generated: number; kind: 'top' | 'random'; matches: ReplicaMatch }[];
    matches: number;
  };
}

/** One line of a replication table: one score of one audit. */
export interface ReplicationAuditRow {
  kind: 'audit';
  seed: number;
  /** |T_N|, the DDPM's training-set size. */
  n: number;
  guidance: number;
  embedding: string;
  summary: ScoreSummary;
  generatedCount: number;
  audit: Sha256;
  gallery?: Sha256;
}

/** FID / precision / recall of one sample set against the real test split. */
export interface ReplicationMetricRow {
  kind: 'metrics';
  seed: number;
  n: number;
  guidance: number;
  fid: number;
  precision: number;
  recall: number;
  samples: Sha256;
}

export type ReplicationRow = ReplicationAuditRow | ReplicationMetricRow;

/** What the replication study workflow returns (the rows are in its stored table). */
export interface ReplicationResult {
  study: 'replication';
  name: string;
  embeddings: { cnn?: { id: string; digest: Sha256 }; copy?: { id: string; digest: Sha256 } };
  heldOut: Sha256;
  table: Sha256;
  rowCount: number;
  stageCount: number;
  cacheHits: number;
}

/** What `clab replicas` (the replicaAudit workflow) returns. */
export interface ReplicaAuditResult {
  audit: Sha256;
  gallery?: Sha256;
  summaries: ScoreSummary[];
  generated: Sha256;
  train: Sha256;
}
