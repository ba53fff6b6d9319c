import { formatMeanSe, meanSe, type MeanSe } from '../lib/report/stats.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import type {
  ReplicationAuditRow,
  ReplicationMetricRow,
  ReplicationResult,
  ReplicationRow,
  ScoreSummary,
} from '../lib/studies/replication-result.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import { formatTable } from './table.ts';

export type ReplicationTable = WithTable<ReplicationResult, ReplicationRow>;

/** One line of the summary: one score of one embedding at one (N, guidance), over the seeds. */
export interface ReplicationSummaryRow {
  n: number;
  guidance: number;
  embedding: string;
  score: ScoreSummary['score'];
  /** Share of generated images beyond the calibrated threshold. */
  rate: MeanSe;
  distinctMatches: MeanSe;
  threshold: MeanSe;
  /** At the literature's fixed threshold (uncalibrated), where the score has one. */
  fixedRate?: MeanSe;
  fixedThreshold?: number;
  percentile: number;
  calibratedBy: ScoreSummary['calibratedBy'];
}

/** FID / precision / recall at one (N, guidance), over the seeds. */
export interface ReplicationMetricSummary {
  n: number;
  guidance: number;
  fid: MeanSe;
  precision: MeanSe;
  recall: MeanSe;
}

export async function loadReplicationTable(
  store: ArtifactStore,
  result: ReplicationResult,
): Promise<ReplicationTable> {
  return withTable<ReplicationResult, ReplicationRow>(store, result);
}

export const auditRows = (rows: readonly ReplicationRow[]): ReplicationAuditRow[] =>
  rows.filter((r): r is ReplicationAuditRow => r.kind === 'audit');
export const metricRows = (rows: readonly ReplicationRow[]): ReplicationMetricRow[] =>
  rows.filter((r): r is ReplicationMetricRow => r.kind === 'metrics');

/** Groups rows by a key, in order of first appearance. */
function groupBy<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return [...groups.values()];
}

/** Rates over seeds, by N, guidance, embedding and score (rows sorted by N, then guidance). */
export function summarizeReplication(rows: readonly ReplicationRow[]): ReplicationSummaryRow[] {
  const audits = auditRows(rows).sort((a, b) => a.n - b.n || a.guidance - b.guidance);
  return groupBy(audits, (r) => `${r.n}\n${r.guidance}\n${r.embedding}\n${r.summary.score}`).map(
    (group) => {
      const first = group[0]!;
      const fixed = first.summary.fixed;
      return {
        n: first.n,
        guidance: first.guidance,
        embedding: first.embedding,
        score: first.summary.score,
        rate: meanSe(group.map((r) => r.summary.rate)),
        distinctMatches: meanSe(group.map((r) => r.summary.distinctMatches)),
        threshold: meanSe(group.map((r) => r.summary.threshold)),
        ...(fixed
          ? {
              fixedRate: meanSe(group.map((r) => r.summary.fixed!.rate)),
              fixedThreshold: fixed.threshold,
            }
          : {}),
        percentile: first.summary.percentile,
        calibratedBy: first.summary.calibratedBy,
      };
    },
  );
}

export function summarizeReplicationMetrics(
  rows: readonly ReplicationRow[],
): ReplicationMetricSummary[] {
  const metrics = metricRows(rows).sort((a, b) => a.n - b.n || a.guidance - b.guidance);
  return groupBy(metrics, (r) => `${r.n}\n${r.guidance}`).map((group) => ({
    n: group[0]!.n,
    guidance: group[0]!.guidance,
    fid: meanSe(group.map((r) => r.fid)),
    precision: meanSe(group.map((r) => r.precision)),
    recall: meanSe(group.map((r) => r.recall)),
  }));
}

/** A rate as `1.23 +- 0.40` percent, `-` for none. */
export const formatRate = (v: MeanSe | undefined): string =>
  v ? formatMeanSe(v, { scale: 100 }) : '-';

/** A mean +- SE with `digits` decimals, `-` for none. */
export const formatValue = (v: MeanSe | undefined, digits = 3): string =>
  v ? formatMeanSe(v, { digits }) : '-';

/** The columns of the rate table (print and report share them). */
export const RATE_HEADER = [
  'N',
  'guidance',
  'embedding',
  'score',
  'rate (%)',
  'distinct',
  'threshold',
  'rate at fixed threshold (%)',
];

/** One line per summary row: rates in percent, the fixed threshold marked uncalibrated. */
export function rateCells(summary: readonly ReplicationSummaryRow[]): string[][] {
  return summary.map((s) => [
    String(s.n),
    String(s.guidance),
    s.embedding,
    s.score,
    formatRate(s.rate),
    formatValue(s.distinctMatches, 1),
    formatValue(s.threshold, 4),
    s.fixedRate
      ? `${formatRate(s.fixedRate)} (at ${Number(s.fixedThreshold!.toPrecision(4))}, uncalibrated)`
      : '-',
  ]);
}

/** Prints the replication rates (calibrated and at the fixed thresholds) and FID per N. */
export function printReplicationTable(table: ReplicationTable): void {
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  const summary = summarizeReplication(table.rows);
  const first = summary[0];
  console.log(
    `${table.name}: replication rate (% of generated images beyond the threshold); ${seeds === 1 ? 'one seed' : `mean +- SE over ${seeds} seeds`}; calibrated at the ${first?.percentile ?? '-'}th percentile of held-out real -> train scores`,
  );
  console.log(
    formatTable(
      RATE_HEADER.map((h) => h.toUpperCase()),
      rateCells(summary),
    ),
  );
  const metrics = summarizeReplicationMetrics(table.rows);
  if (metrics.length)
    console.log(
      formatTable(
        ['N', 'GUIDANCE', 'FID', 'PRECISION', 'RECALL'],
        metrics.map((m) => [
          String(m.n),
          String(m.guidance),
          formatValue(m.fid, 2),
          formatValue(m.precision),
          formatValue(m.recall),
        ]),
      ),
    );
}
