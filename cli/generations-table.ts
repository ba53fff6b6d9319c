import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import type { GenerationRow, GenerationsResult } from '../workflows/studies/generations.ts';
import { formatTable } from './table.ts';

/** A generational study's result with its table read from the store. */
export type GenerationsTable = WithTable<GenerationsResult, GenerationRow>;

/** Reads the result's stored table; rows by alpha, then generation (0 = the real D_0). */
export async function loadGenerationsTable(
  store: ArtifactStore,
  result: GenerationsResult,
): Promise<GenerationsTable> {
  const full = await withTable<GenerationsResult, GenerationRow>(store, result);
  full.rows.sort((a, b) => a.alpha - b.alpha || a.generation - b.generation);
  return full;
}

/** Prints the metric table: one line per alpha and generation. */
export function printGenerationsTable(result: GenerationsTable): void {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  console.log(
    `${result.name}: metrics in embedding ${result.embeddingId} (generation 0 = real D_0)`,
  );
  console.log(
    formatTable(
      ['ALPHA', 'G', 'TRAINED ON', 'SAMPLES', 'FID', 'PRECISION', 'RECALL', 'CLASS TV'],
      result.rows.map((r) => [
        String(r.alpha),
        String(r.generation),
        String(r.trainedOn),
        String(r.samples),
        f(r.fid),
        f(r.precision),
        f(r.recall),
        f(r.classHistogramDistance),
      ]),
    ),
  );
}
