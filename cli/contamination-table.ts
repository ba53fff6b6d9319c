import { formatMeanSe as formatScaled, meanSe, type MeanSe } from '../lib/report/stats.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import type {
  ContaminationResult,
  ContaminationRow,
  MixKind,
} from '../lib/studies/contamination-result.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import { formatTable } from './table.ts';

export { meanSe, type MeanSe };

/** A contamination study's result with its table read from the store. */
export type ContaminationTable = WithTable<ContaminationResult, ContaminationRow>;

/**
 * What the summary reads of a row. `kind` defaults to `replace`; `seed` and `model` let the
 * summary count R (r = 0, listed once per source or once as `R`) once per seed and model.
 */
export type SummarizedRow = Pick<ContaminationRow, 'source' | 'fraction' | 'accuracy' | 'shifted'> &
  Partial<Pick<ContaminationRow, 'kind' | 'seed' | 'model' | 'generator'>>;

/** Generator metrics (T3) over the seeds of one training set. */
export interface GeneratorSummary {
  fid: MeanSe;
  precision: MeanSe;
  recall: MeanSe;
  embedding: string;
}

/** One line of the summary: a training set (kind, source, fraction) over the seeds. */
export interface ContaminationSummaryRow<Row extends SummarizedRow = SummarizedRow> {
  kind: MixKind;
  /** `R` for R itself (replace at r = 0) and for subsamples of R. */
  source: string;
  fraction: number;
  accuracy: MeanSe;
  /** By test label, in the table's order. */
  shifted: Record<string, MeanSe>;
  generator?: GeneratorSummary;
  /** The rows behind the line, one per seed (and model). */
  rows: Row[];
}

export const MIX_KINDS: readonly MixKind[] = ['replace', 'subsample', 'fill', 'append'];

/** Whether a row is R itself: the replace mix at r = 0, whichever source it is listed under. */
export function isBaseline(row: { kind?: MixKind; fraction: number }): boolean {
  return (row.kind ?? 'replace') === 'replace' && row.fraction === 0;
}

/** The order of sources in tables: R, S, the result's controls, then any others by name. */
export function sourceRank(controls: readonly { name: string }[]): (source: string) => number {
  const names = ['R', 'S', ...controls.map((c) => c.name)];
  return (source) => {
    const i = names.indexOf(source);
    return i >= 0 ? i : names.length;
  };
}

/** Rows by kind (replace, subsample, fill, append), source, fraction, then seed. */
export function sortRows(rows: ContaminationRow[], controls: readonly { name: string }[]): void {
  const rank = sourceRank(controls);
  rows.sort(
    (a, b) =>
      MIX_KINDS.indexOf(a.kind) - MIX_KINDS.indexOf(b.kind) ||
      rank(a.source) - rank(b.source) ||
      a.source.localeCompare(b.source) ||
      a.fraction - b.fraction ||
      a.seed - b.seed,
  );
}

/** Reads the result's stored table, rows sorted by sortRows. */
export async function loadContaminationTable(
  store: ArtifactStore,
  result: ContaminationResult,
): Promise<ContaminationTable> {
  const full = await withTable<ContaminationResult, ContaminationRow>(store, result);
  sortRows(full.rows, full.controls ?? []);
  return full;
}

/** The test labels of a table besides the clean test set: the result's order, then the rows'. */
export function shiftLabels(table: {
  rows: readonly SummarizedRow[];
  shiftedTests?: Record<string, unknown>;
}): string[] {
  return [
    ...new Set([
      ...Object.keys(table.shiftedTests ?? {}),
      ...table.rows.flatMap((r) => Object.keys(r.shifted)),
    ]),
  ];
}

const finite = (values: (number | undefined)[]) =>
  values.filter((v): v is number => v !== undefined && Number.isFinite(v));

/**
 * Mean +- standard error over seeds per training set (kind, source, fraction), in the order the
 * rows come. R (replace, r = 0) is one line with source `R`, each seed's model counted once
 * however many sources list it. A missing value (a test set a seed did not run) is left out of
 * its mean, so `n` can be smaller there.
 */
export function summarize<Row extends SummarizedRow>(table: {
  rows: readonly Row[];
  shiftedTests?: Record<string, unknown>;
}): ContaminationSummaryRow<Row>[] {
  const shifts = shiftLabels(table);
  const groups = new Map<string, Row[]>();
  const seen = new Set<string>();
  for (const row of table.rows) {
    const baseline = isBaseline(row);
    const key = baseline
      ? 'replace\nR\n0'
      : `${row.kind ?? 'replace'}\n${row.source}\n${row.fraction}`;
    if (baseline && row.seed !== undefined && row.model !== undefined) {
      const id = `${row.seed}\n${row.model}`;
      if (seen.has(id)) continue;
      seen.add(id);
    }
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((rows) => {
    const first = rows[0]!;
    const baseline = isBaseline(first);
    const generated = rows.filter((r) => r.generator);
    return {
      kind: first.kind ?? 'replace',
      source: baseline ? 'R' : first.source,
      fraction: first.fraction,
      accuracy: meanSe(finite(rows.map((r) => r.accuracy))),
      shifted: Object.fromEntries(
        shifts.map((s) => [s, meanSe(finite(rows.map((r) => r.shifted[s])))]),
      ),
      ...(generated.length
        ? {
            generator: {
              fid: meanSe(generated.map((r) => r.generator!.fid)),
              precision: meanSe(generated.map((r) => r.generator!.precision)),
              recall: meanSe(generated.map((r) => r.generator!.recall)),
              embedding: [...new Set(generated.map((r) => r.generator!.embedding))].join(', '),
            },
          }
        : {}),
      rows,
    };
  });
}

/** An accuracy's mean +- SE in percent, e.g. `81.23 +- 0.40`. */
export function formatMeanSe(v: MeanSe): string {
  return formatScaled(v, { scale: 100, digits: 2 });
}

/** A fraction in percent without trailing zeros: 0.2 -> `20`, 0.025 -> `2.5`. */
export function percent(fraction: number): string {
  return String(Number((fraction * 100).toFixed(2)));
}

/**
 * A training set's name, in the paper's style: `R`, `R/S-20%` (replace), `R (5%)` (subsample),
 * `R (5%) + S` (the subsample filled up to |R| with S), `R + S (+20%)` (append).
 */
export function mixName(kind: MixKind, source: string, fraction: number): string {
  switch (kind) {
    case 'replace':
      return fraction === 0 ? 'R' : `R/${source}-${percent(fraction)}%`;
    case 'subsample':
      return `R (${percent(fraction)}%)`;
    case 'fill':
      return `R (${percent(fraction)}%) + ${source}`;
    case 'append':
      return fraction === 0 ? 'R' : `R + ${source} (+${percent(fraction)}%)`;
  }
}

/** Prints the summary: one line per training set, accuracies (%) as mean +- SE over seeds. */
export function printContaminationTable(table: ContaminationTable): void {
  const shifts = shiftLabels(table);
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  const summary = summarize(table);
  console.log(
    `${table.name}: downstream classifier accuracy (%), mean +- standard error over ${seeds} seed${seeds === 1 ? '' : 's'}; S sampled at temperature ${table.temperature}; r = 0 is R itself`,
  );
  console.log(
    formatTable(
      ['MIX', 'KIND', 'SOURCE', 'FRACTION', 'SEEDS', 'TEST', ...shifts.map((s) => s.toUpperCase())],
      summary.map((s) => [
        mixName(s.kind, s.source, s.fraction),
        s.kind,
        s.source,
        String(s.fraction),
        String(s.accuracy.n),
        formatMeanSe(s.accuracy),
        ...shifts.map((label) => formatMeanSe(s.shifted[label]!)),
      ]),
    ),
  );
  const generators = summary.filter((s) => s.generator);
  if (generators.length) {
    console.log('\nGenerators fitted on each mix (T3), against the real test split:');
    console.log(
      formatTable(
        ['MIX', 'FID', 'PRECISION', 'RECALL', 'EMBEDDING'],
        generators.map((s) => [
          mixName(s.kind, s.source, s.fraction),
          formatScaled(s.generator!.fid),
          formatScaled(s.generator!.precision, { digits: 3 }),
          formatScaled(s.generator!.recall, { digits: 3 }),
          s.generator!.embedding,
        ]),
      ),
    );
  }
  if (table.diversity?.length) {
    console.log('\nDiversity against the real test split (T4/T5):');
    console.log(
      formatTable(
        ['SET', 'TEMPERATURE', 'FID', 'PRECISION', 'RECALL', 'EMBEDDING'],
        table.diversity.map((d) => [
          d.set,
          d.temperature === null ? '-' : String(d.temperature),
          d.fid.toFixed(2),
          d.precision.toFixed(3),
          d.recall.toFixed(3),
          d.embedding,
        ]),
      ),
    );
  }
}
