import { join, relative, sep } from 'node:path';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { writeReportIndex, writeReportRecord } from './report-index.ts';
import type { AnyStudyKind } from './studies/index.ts';
import type { StudyTable } from './studies/kind.ts';

/** Where reports go: `$CLAB_HOME/reports`, one directory per workflow id, and the index. */
export function reportsDirOf(home: string): string {
  return join(home, 'reports');
}

/** The default directory of a run's report: `$CLAB_HOME/reports/<workflow-id>`. */
export function defaultReportDir(home: string, workflowId: string): string {
  return join(reportsDirOf(home), workflowId);
}

/**
 * Writes a study run's report into `dir` (its kind's writeReport), its report.json, and rewrites
 * the index of `$CLAB_HOME/reports`. What `clab run`, `clab demo` and `clab report` all call.
 * Returns the report's main page. An index that cannot be written is a warning, not a failure:
 * the report itself is there.
 */
export async function writeStudyReport({
  kind,
  table,
  store,
  dir,
  workflowId,
  home,
  status,
}: {
  kind: AnyStudyKind;
  table: StudyTable;
  store: ArtifactStore;
  dir: string;
  workflowId: string;
  home: string;
  /** The run's status (Temporal's name); only finished runs have a table, so `COMPLETED`. */
  status: string;
}): Promise<string> {
  const path = await kind.writeReport(table, store, dir, workflowId);
  writeReportRecord(dir, {
    name: table.name,
    kind: table.study,
    workflowId,
    status,
    writtenAt: new Date().toISOString(),
    page: relative(dir, path).split(sep).join('/'),
  });
  try {
    writeReportIndex(reportsDirOf(home));
  } catch (error) {
    console.error(
      `warning: could not rewrite the index of ${reportsDirOf(home)}: ${(error as Error).message}`,
    );
  }
  return path;
}
