import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import type { GenerationRow, GenerationsResult } from '../workflows/generations.ts';

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
