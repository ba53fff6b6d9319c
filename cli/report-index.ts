import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { code, link, page, paragraph, table, withCode } from '../lib/report/html.ts';

/** The file in each report directory that says what the report is of (see ReportRecord). */
export const REPORT_RECORD = 'report.json';
export const REPORT_RECORD_FORMAT = 'clab.report/v1';

/**
 * What a report directory holds besides the report: enough for the index of all reports
 * (`$CLAB_HOME/reports/index.html`) to be built from files alone.
 */
export interface ReportRecord {
  format: typeof REPORT_RECORD_FORMAT;
  /** The spec's name. */
  name: string;
  /** The study kind (`generations`, `contamination`, `detection`). */
  kind: string;
  workflowId: string;
  /** The run's status when the report was written (Temporal's name, e.g. `COMPLETED`). */
  status: string;
  /** When the report was written (ISO 8601, UTC). */
  writtenAt: string;
  /** The report's main page, relative to its directory. */
  page: string;
}

/** One line of the index: a report directory and what its record says (null: no readable record). */
export interface ReportEntry {
  /** The directory's name under reports/. */
  dir: string;
  record: ReportRecord | null;
  /** The record's time, else the main page's modification time (ISO 8601). */
  writtenAt: string;
  /** The main page, relative to reports/ (null: the directory has none). */
  page: string | null;
}

/** Writes `report.json` into a report directory. */
export function writeReportRecord(dir: string, record: Omit<ReportRecord, 'format'>): void {
  mkdirSync(dir, { recursive: true });
  const full: ReportRecord = { format: REPORT_RECORD_FORMAT, ...record };
  writeAtomically(join(dir, REPORT_RECORD), JSON.stringify(full, null, 2) + '\n');
}

/** A directory's record, or null when it has none or it cannot be read as one. */
export function readReportRecord(dir: string): ReportRecord | null {
  const path = join(dir, REPORT_RECORD);
  if (!existsSync(path)) return null;
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as Partial<ReportRecord>;
    if (record.format !== REPORT_RECORD_FORMAT) return null;
    const fields = ['name', 'kind', 'workflowId', 'status', 'writtenAt', 'page'] as const;
    return fields.every((f) => typeof record[f] === 'string') ? (record as ReportRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Every report directory under `reportsDir` (one with a report.json or an index.html), newest
 * first (then by name). Directories written before report.json existed are listed by their
 * page's modification time, with what they are of unknown.
 */
export function listReports(reportsDir: string): ReportEntry[] {
  if (!existsSync(reportsDir)) return [];
  const entries: ReportEntry[] = [];
  for (const item of readdirSync(reportsDir, { withFileTypes: true })) {
    if (!item.isDirectory()) continue;
    const dir = join(reportsDir, item.name);
    const record = readReportRecord(dir);
    const pageName = record?.page ?? 'index.html';
    const pagePath = join(dir, pageName);
    const hasPage = existsSync(pagePath);
    if (!record && !hasPage) continue;
    const writtenAt = record?.writtenAt ?? statSync(pagePath).mtime.toISOString();
    entries.push({
      dir: item.name,
      record,
      writtenAt,
      page: hasPage ? `${item.name}/${pageName}` : null,
    });
  }
  return entries.sort(
    (a, b) =>
      Date.parse(b.writtenAt) - Date.parse(a.writtenAt) ||
      (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0),
  );
}

/** A relative path as a URL path: each segment percent-encoded (ids may hold `#`, `?`, `%`). */
function hrefOf(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `2025-03-01 14:05:09 UTC` from an ISO 8601 time. */
function formatTime(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The index page of the reports under `reportsDir` (see listReports). */
export function reportIndexHtml(reportsDir: string, entries = listReports(reportsDir)): string {
  const rows = entries.map((e) => [
    formatTime(e.writtenAt),
    e.record?.name ?? '-',
    e.record?.kind ?? '-',
    e.record?.status ?? '-',
    e.page ? link(hrefOf(e.page), e.record?.workflowId ?? e.dir) : (e.record?.workflowId ?? e.dir),
    e.record ? '' : 'no report.json',
  ]);
  return page(
    'Study reports',
    paragraph(
      withCode(
        `${entries.length} report${entries.length === 1 ? '' : 's'} under \`${reportsDir}\`, newest first. Written by \`clab run\`, \`clab demo\` and \`clab report <workflow-id>\` (which regenerates a run's report from its recorded result); each directory's report.json says what its report is of, and this page is rebuilt from those files whenever a report is written.`,
      ),
    ),
    entries.length
      ? table({
          columns: [
            { title: 'written', left: true },
            { title: 'spec name', left: true },
            { title: 'study kind', left: true },
            { title: 'status', left: true },
            { title: 'report (workflow id)', left: true },
            { title: 'note', left: true },
          ],
          rows,
        })
      : paragraph('No reports yet: run a study with ', code('clab run <spec>'), '.'),
  );
}

/** (Re)writes `reportsDir/index.html` from the report directories' files; returns its path. */
export function writeReportIndex(reportsDir: string): string {
  mkdirSync(reportsDir, { recursive: true });
  const path = join(reportsDir, 'index.html');
  writeAtomically(path, reportIndexHtml(reportsDir));
  return path;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(path: string, text: string): void {
  const tmp = join(path, '..', `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
