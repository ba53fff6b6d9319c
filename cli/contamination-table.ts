import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import type {
  ContaminationResult,
  ContaminationRow,
  MixSource,
} from '../workflows/studies/contamination.ts';
import { formatTable } from './table.ts';

/** A contamination study's result with its table read from the store. */
export type ContaminationTable = WithTable<ContaminationResult, ContaminationRow>;

/** A mean over the replicate seeds and its standard error (NaN with a single seed). */
export interface MeanSe {
  mean: number;
  se: number;
  n: number;
}

/** One line of the summary: a source and fraction, its accuracies over the seeds. */
export interface ContaminationSummaryRow {
  source: MixSource;
  fraction: number;
  accuracy: MeanSe;
  /** By shift label, in the table's order. */
  shifted: Record<string, MeanSe>;
}

/** What the summary reads of a row. */
export type SummarizedRow = Pick<ContaminationRow, 'source' | 'fraction' | 'accuracy' | 'shifted'>;

const SOURCE_ORDER: Record<MixSource, number> = { S: 0, C: 1 };

/** Reads the result's stored table; rows by source, then fraction, then seed. */
export async function loadContaminationTable(
  store: ArtifactStore,
  result: ContaminationResult,
): Promise<ContaminationTable> {
  const full = await withTable<ContaminationResult, ContaminationRow>(store, result);
  full.rows.sort(
    (a, b) =>
      SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || a.fraction - b.fraction || a.seed - b.seed,
  );
  return full;
}

/**
 * Mean and standard error of the mean, s / sqrt(n) with the sample standard deviation
 * s = sqrt(sum (x - mean)^2 / (n - 1)); NaN for n < 2.
 */
export function meanSe(values: readonly number[]): MeanSe {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { mean, se: NaN, n };
  const ss = values.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1) / n), n };
}

/** The shift labels of a table: the spec's order (the result's), then any others the rows name. */
export function shiftLabels(table: {
  rows: SummarizedRow[];
  shiftedTests?: Record<string, unknown>;
}): string[] {
  return [
    ...new Set([
      ...Object.keys(table.shiftedTests ?? {}),
      ...table.rows.flatMap((r) => Object.keys(r.shifted)),
    ]),
  ];
}

/** Mean +- standard error over seeds per (source, fraction), in the table's row order. */
export function summarize(table: {
  rows: SummarizedRow[];
  shiftedTests?: Record<string, unknown>;
}): ContaminationSummaryRow[] {
  const shifts = shiftLabels(table);
  const groups = new Map<string, SummarizedRow[]>();
  for (const row of table.rows) {
    const key = `${row.source}\n${row.fraction}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((rows) => ({
    source: rows[0]!.source,
    fraction: rows[0]!.fraction,
    accuracy: meanSe(rows.map((r) => r.accuracy)),
    shifted: Object.fromEntries(
      shifts.map((s) => [s, meanSe(rows.map((r) => r.shifted[s] ?? NaN))]),
    ),
  }));
}

/** `0.8123 +- 0.0040` (or without the error for a single seed), accuracies in percent. */
export function formatMeanSe(v: MeanSe): string {
  if (!Number.isFinite(v.mean)) return '-';
  const mean = (100 * v.mean).toFixed(2);
  return Number.isFinite(v.se) ? `${mean} +- ${(100 * v.se).toFixed(2)}` : mean;
}

/** The mix's name as in the paper, e.g. `R/S-20%`. */
export function mixName(source: MixSource, fraction: number): string {
  return fraction === 0 ? 'R' : `R/${source}-${Math.round(fraction * 100)}%`;
}

/** Prints the summary: one line per source and fraction, accuracies (%) as mean +- SE over seeds. */
export function printContaminationTable(table: ContaminationTable): void {
  const shifts = shiftLabels(table);
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  console.log(
    `${table.name}: downstream classifier accuracy (%), mean +- standard error over ${seeds} seed${seeds === 1 ? '' : 's'}; S sampled at temperature ${table.temperature}; r = 0 is R itself`,
  );
  console.log(
    formatTable(
      ['MIX', 'SOURCE', 'r', 'TEST', ...shifts.map((s) => s.toUpperCase())],
      summarize(table).map((s) => [
        mixName(s.source, s.fraction),
        s.source,
        String(s.fraction),
        formatMeanSe(s.accuracy),
        ...shifts.map((label) => formatMeanSe(s.shifted[label]!)),
      ]),
    ),
  );
}
