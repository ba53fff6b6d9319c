import type { Sha256 } from '../digest.ts';
import type { ArtifactStore } from '../storage/artifact-store.ts';
import { getJson } from '../storage/json-artifacts.ts';
import type { StageEntry } from './stage.ts';

export const STUDY_TABLE_FORMAT = 'clab.study-table/v1';

/**
 * A study's result table, stored in pieces so that no workflow carries it whole: each piece holds
 * the rows and stage entries one workflow run added, the piece it continues (`previous`, across
 * continue-as-new) and the pieces of child workflows (`parts`). Only the last piece's digest
 * travels through Temporal.
 */
export interface StudyTablePiece<Row> {
  format: typeof STUDY_TABLE_FORMAT;
  previous?: Sha256;
  parts?: Sha256[];
  rows: Row[];
  stages: StageEntry[];
}

/** The whole table: every piece's rows and stages, earlier pieces and parts first. */
export async function readStudyTable<Row>(
  digest: Sha256,
  read: (digest: Sha256) => Promise<StudyTablePiece<Row>>,
): Promise<{ rows: Row[]; stages: StageEntry[] }> {
  const rows: Row[] = [];
  const stages: StageEntry[] = [];
  // Iterative over `previous` (a loop of 1,000 generations is a chain of many pieces).
  const chain: StudyTablePiece<Row>[] = [];
  for (let d: Sha256 | undefined = digest; d;) {
    const piece = await read(d);
    if (piece.format !== STUDY_TABLE_FORMAT)
      throw new Error(`Artifact ${d} is not a study table piece (format ${String(piece.format)})`);
    chain.push(piece);
    d = piece.previous;
  }
  for (const piece of chain.reverse()) {
    for (const part of piece.parts ?? []) {
      const sub = await readStudyTable(part, read);
      rows.push(...sub.rows);
      stages.push(...sub.stages);
    }
    rows.push(...piece.rows);
    stages.push(...piece.stages);
  }
  return { rows, stages };
}

/** A study result with its stored table read back: what reports and the CLI show. */
export type WithTable<R, Row> = R & { rows: Row[]; stages: StageEntry[] };

export async function withTable<R extends { table: Sha256 }, Row>(
  store: ArtifactStore,
  result: R,
): Promise<WithTable<R, Row>> {
  const table = await readStudyTable<Row>(result.table, (d) =>
    getJson<StudyTablePiece<Row>>(store, d),
  );
  return { ...result, ...table };
}
