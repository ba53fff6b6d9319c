// The index of $CLAB_HOME/reports, built from the report directories' files alone: three fake
// report directories (one named with `<` and `&`), one older directory without a report.json,
// and what is not a report (a loose file, an empty directory).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  listReports,
  readReportRecord,
  writeReportIndex,
  writeReportRecord,
} from '../../cli/report-index.ts';

describe('the reports index', () => {
  const reports = mkdtempSync(join(tmpdir(), 'clab-report-index-'));
  afterAll(() => rmSync(reports, { recursive: true, force: true }));

  const fakeReport = (id: string, name: string, kind: string, writtenAt: string) => {
    const dir = join(reports, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>report</title>');
    writeReportRecord(dir, {
      name,
      kind,
      workflowId: id,
      status: 'COMPLETED',
      writtenAt,
      page: 'index.html',
    });
  };
  fakeReport('study-gens-a1', 'gens', 'generations', '2025-03-01T10:00:00.000Z');
  fakeReport('study-mix-b2', 'mix <tiny> & "odd"', 'contamination', '2025-03-03T08:30:00.000Z');
  fakeReport('study-det-c3', 'det', 'detection', '2025-03-02T12:00:00.000Z');
  // a report written before report.json existed: listed by its page's time, kind unknown
  mkdirSync(join(reports, 'study-old-d4'));
  writeFileSync(join(reports, 'study-old-d4', 'index.html'), '<!doctype html>');
  const old = new Date('2024-12-31T23:00:00Z');
  utimesSync(join(reports, 'study-old-d4', 'index.html'), old, old);
  // not reports
  mkdirSync(join(reports, 'empty'));
  writeFileSync(join(reports, 'notes.txt'), 'x');

  it('lists every report directory newest first', () => {
    const entries = listReports(reports);
    expect(entries.map((e) => e.dir)).toEqual([
      'study-mix-b2',
      'study-det-c3',
      'study-gens-a1',
      'study-old-d4',
    ]);
    expect(entries[0]!.record).toMatchObject({
      format: 'clab.report/v1',
      name: 'mix <tiny> & "odd"',
      kind: 'contamination',
      status: 'COMPLETED',
    });
    expect(entries[3]).toMatchObject({
      record: null,
      writtenAt: old.toISOString(),
      page: 'study-old-d4/index.html',
    });
  });

  it('writes index.html: names escaped, a link to each report, newest first', () => {
    const path = writeReportIndex(reports);
    expect(path).toBe(join(reports, 'index.html'));
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<title>Study reports</title>');
    expect(html).not.toContain('<tiny>');
    expect(html).toContain('<td class="left">mix &lt;tiny&gt; &amp; &quot;odd&quot;</td>');
    const links = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      ['study-mix-b2/index.html', 'study-mix-b2'],
      ['study-det-c3/index.html', 'study-det-c3'],
      ['study-gens-a1/index.html', 'study-gens-a1'],
      ['study-old-d4/index.html', 'study-old-d4'],
    ]);
    const rows = html.split('<tr>').slice(2); // after the header row
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain('<td class="left">2025-03-03 08:30:00 UTC</td>');
    expect(rows[0]).toContain('<td class="left">contamination</td>');
    expect(rows[0]).toContain('<td class="left">COMPLETED</td>');
    expect(rows[1]).toContain('<td class="left">detection</td>');
    expect(rows[2]).toContain('<td class="left">generations</td>');
    expect(rows[3]).toContain('no report.json');
    expect(html).toContain('4 reports under');
    // the index is not itself a report, and rewriting it gives the same page
    expect(listReports(reports)).toHaveLength(4);
    writeReportIndex(reports);
    expect(readFileSync(path, 'utf8')).toBe(html);
  });

  it('escapes directory names in links; ignores an unreadable report.json', () => {
    const other = mkdtempSync(join(tmpdir(), 'clab-report-index-odd-'));
    try {
      const dir = join(other, 'run #1 & <x>');
      mkdirSync(dir);
      writeFileSync(join(dir, 'index.html'), '');
      writeFileSync(join(dir, 'report.json'), '{ not json');
      expect(readReportRecord(dir)).toBeNull();
      const html = readFileSync(writeReportIndex(other), 'utf8');
      expect(html).toContain(
        '<a href="run%20%231%20%26%20%3Cx%3E/index.html">run #1 &amp; &lt;x&gt;</a>',
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('an empty reports directory gives a page that says so', () => {
    const empty = mkdtempSync(join(tmpdir(), 'clab-report-index-empty-'));
    try {
      const html = readFileSync(writeReportIndex(empty), 'utf8');
      expect(html).toContain('No reports yet');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
