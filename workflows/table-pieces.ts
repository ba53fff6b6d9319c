import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { Sha256 } from '../lib/digest.ts';
import type { StageRunner } from './stage-runner.ts';

/**
 * What a workflow run hands on (to the run it continues as, or to its parent): the digest of its
 * stored table piece and counts, never the rows and stage entries themselves.
 */
export interface TableRef {
  table: Sha256;
  rowCount: number;
  stageCount: number;
  cacheHits: number;
}

const tables = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/**
 * Stores this run's rows and stage entries as a StudyTablePiece that continues `earlier` (the
 * piece of the run this one continued from) and includes `parts` (children's pieces).
 */
export async function storeTablePiece(
  runner: StageRunner,
  rows: unknown[],
  options: { earlier?: TableRef; parts?: TableRef[] } = {},
): Promise<TableRef> {
  const { earlier, parts = [] } = options;
  const table = await tables.putStudyTablePiece({
    ...(earlier ? { previous: earlier.table } : {}),
    ...(parts.length ? { parts: parts.map((p) => p.table) } : {}),
    rows,
    stages: runner.entries,
  });
  const total = (pick: (r: TableRef) => number) =>
    (earlier ? pick(earlier) : 0) + parts.reduce((n, p) => n + pick(p), 0);
  return {
    table,
    rowCount: total((r) => r.rowCount) + rows.length,
    stageCount: total((r) => r.stageCount) + runner.entries.length,
    cacheHits: total((r) => r.cacheHits) + runner.entries.filter((e) => e.cacheHit).length,
  };
}

/** Whether a loop should continue as new now: the server suggests it, or the history is long. */
export function historyIsLong(afterEvents = 10_000): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= afterEvents;
}
