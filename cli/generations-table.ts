import { formatMeanSe, meanSe, type MeanSe } from '../lib/report/stats.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import type { GenerationRow, GenerationsResult } from '../workflows/studies/generations.ts';
import { formatTable } from './table.ts';

/** A generational study's result with its table read from the store. */
export type GenerationsTable = WithTable<GenerationsResult, GenerationRow>;

/** The metrics of the rows, one per replicate seed, of one alpha and generation. */
export interface GenerationSummary {
  alpha: number;
  generation: number;
  /** The replicate seeds behind the means. */
  seeds: number[];
  trainedOn: number;
  samples: number;
  fid: MeanSe;
  precision: MeanSe;
  recall: MeanSe;
  classHistogramDistance: MeanSe;
}

export const GENERATION_METRICS = ['fid', 'precision', 'recall', 'classHistogramDistance'] as const;

/** Reads the result's stored table; rows by alpha, then generation (0 = the real D_0), then seed. */
export async function loadGenerationsTable(
  store: ArtifactStore,
  result: GenerationsResult,
): Promise<GenerationsTable> {
  const full = await withTable<GenerationsResult, GenerationRow>(store, result);
  full.rows.sort(
    (a, b) => a.alpha - b.alpha || a.generation - b.generation || (a.seed ?? 0) - (b.seed ?? 0),
  );
  return full;
}

/** The replicate seeds of a table's rows (tables recorded before replicate seeds have none). */
export function seedsOf(rows: readonly GenerationRow[]): number[] {
  return [...new Set(rows.map((r) => r.seed).filter((s) => s !== undefined))].sort((a, b) => a - b);
}

/**
 * Mean and standard error over the replicate seeds of each alpha and generation, ordered by alpha
 * then generation. One seed: the means are its values and the errors NaN.
 */
export function summarizeGenerations(rows: readonly GenerationRow[]): GenerationSummary[] {
  const groups = new Map<string, GenerationRow[]>();
  for (const row of rows) {
    const key = `${row.alpha}/${row.generation}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()]
    .map((group) => {
      const { alpha, generation } = group[0]!;
      const of = (key: (typeof GENERATION_METRICS)[number]) => meanSe(group.map((r) => r[key]));
      return {
        alpha,
        generation,
        seeds: seedsOf(group),
        // sizes do not depend on the seed: |S_g| = alpha |D_{g-1}|
        trainedOn: meanSe(group.map((r) => r.trainedOn)).mean,
        samples: meanSe(group.map((r) => r.samples)).mean,
        fid: of('fid'),
        precision: of('precision'),
        recall: of('recall'),
        classHistogramDistance: of('classHistogramDistance'),
      };
    })
    .sort((a, b) => a.alpha - b.alpha || a.generation - b.generation);
}

/** `0.1234 +- 0.0056` (the mean alone for one seed). */
export const formatMetric = (v: MeanSe) => formatMeanSe(v, { digits: 4 });

/** Prints the metric table: one line per alpha and generation, mean +- standard error over seeds. */
export function printGenerationsTable(result: GenerationsTable): void {
  const seeds = seedsOf(result.rows);
  const over = seeds.length > 1 ? `; mean +- standard error over seeds ${seeds.join(', ')}` : '';
  console.log(
    `${result.name}: metrics in embedding ${result.embeddingId} (generation 0 = real D_0${over})`,
  );
  console.log(
    formatTable(
      ['ALPHA', 'G', 'TRAINED ON', 'SAMPLES', 'FID', 'PRECISION', 'RECALL', 'CLASS TV'],
      summarizeGenerations(result.rows).map((s) => [
        String(s.alpha),
        String(s.generation),
        String(s.trainedOn),
        String(s.samples),
        ...GENERATION_METRICS.map((m) => formatMetric(s[m])),
      ]),
    ),
  );
}
