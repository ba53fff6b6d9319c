// Every study kind's report as a person sees it: written from small hand-made tables
// (test/helpers/report-fixtures.ts) the way `clab run` and `clab report` write them (report.json,
// the index of $CLAB_HOME/reports), then opened in headless Chromium (Debian's, driven by
// playwright-core) from the index's links. Fails on console errors, page errors, failed requests,
// images that do not load, plots without axis titles or (with several series) without a legend,
// tables without their rows, and links to files that are not there. Screenshots go to
// test-output/report-browser/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReportRecord } from '../../cli/report-index.ts';
import { studyKindOfWorkflowType } from '../../cli/studies/index.ts';
import type { StudyTable } from '../../cli/studies/kind.ts';
import { writeStudyReport } from '../../cli/write-report.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import {
  contaminationFixture,
  DETECTION_RADII,
  detectionFixture,
  generationsFixture,
  replicationFixture,
} from '../helpers/report-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-output/report-browser', import.meta.url));

/** A table of a page: its header cells and each row's cells, as the browser shows them. */
interface PageTable {
  header: string[];
  rows: string[][];
}

/**
 * The little of the DOM the page functions read. The project compiles without lib.dom (nothing
 * else runs in a browser), so the page functions name these instead of HTMLElement and friends.
 */
interface Dom {
  textContent: string | null;
  querySelector(selector: string): Dom | null;
  querySelectorAll(selector: string): ArrayLike<Dom>;
  getBoundingClientRect(): { width: number; height: number };
  /** Of <img>; of <a> (resolved URLs). */
  src: string;
  complete: boolean;
  naturalWidth: number;
  href: string;
}

/** What a plot shows, read from the SVG the browser parsed. */
interface PlotFacts {
  title: string;
  axisTitles: string[];
  /** Line paths drawn (one per series of a line plot; 0 for heatmaps). */
  lines: number;
  legendLabels: string[];
  width: number;
  height: number;
}

/** A plot of a report: what the browser shows, and the series its Vega-Lite spec colours. */
interface Plot extends PlotFacts {
  series: string[];
}

/** Reads the plot facts of an <svg> element (runs in the browser). */
function plotFactsInBrowser(svg: Dom): PlotFacts {
  const texts = (selector: string) =>
    Array.from(svg.querySelectorAll(selector))
      .map((t) => (t.textContent ?? '').trim())
      .filter(Boolean);
  const box = svg.getBoundingClientRect();
  return {
    title: svg.querySelector('title')?.textContent ?? '',
    axisTitles: texts('g.role-axis-title text'),
    lines: svg.querySelectorAll('g.lines_marks path').length,
    legendLabels: texts('g.role-legend-label text'),
    width: box.width,
    height: box.height,
  };
}

interface VlEncoding {
  color?: { field?: string; type?: string };
}
interface VlSpec {
  data?: { values?: Record<string, unknown>[] };
  encoding?: VlEncoding;
  layer?: { encoding?: VlEncoding }[];
}

/** The series of a Vega-Lite spec: the values of its nominal colour fields, in data order. */
function seriesOf(spec: VlSpec): string[] {
  const fields = [spec.encoding, ...(spec.layer ?? []).map((l) => l.encoding)]
    .map((e) => e?.color)
    .filter((c) => c?.field && c.type === 'nominal')
    .map((c) => c!.field!);
  const values = spec.data?.values ?? [];
  return [...new Set(fields.flatMap((f) => values.map((v) => String(v[f]))))];
}

/** A page of a report and what went wrong while it loaded. */
interface Opened {
  page: Page;
  problems: string[];
}

describe('reports in a browser', () => {
  const root = mkdtempSync(join(tmpdir(), 'clab-report-browser-'));
  const home = join(root, 'home');
  const store = new LocalArtifactStore(join(root, 'store'));
  const ids = {
    generations: 'study-gens-fixture-1',
    contamination: 'study-mix-fixture-2',
    detection: 'study-det-fixture-3',
    replication: 'study-rep-fixture-4',
  } as const;
  const workflowTypes = {
    generations: 'generationsStudy',
    contamination: 'contaminationStudy',
    detection: 'detectionStudy',
    replication: 'replicationStudy',
  } as const;
  let browser: Browser | undefined;
  /** The report pages as the index links to them, by study kind. */
  const reportUrls = new Map<string, string>();

  beforeAll(async () => {
    // without the browser every test fails (in open) with what to do, rather than being skipped
    if (!existsSync(CHROMIUM)) return;
    const tables: Record<keyof typeof ids, StudyTable> = {
      generations: await generationsFixture(store, 'gens <fixture> & co'),
      contamination: await contaminationFixture(store),
      detection: detectionFixture(),
      replication: await replicationFixture(store),
    };
    // one after the other, so that the index has a newest-first order to show
    for (const kind of ['generations', 'contamination', 'detection', 'replication'] as const) {
      await writeStudyReport({
        kind: studyKindOfWorkflowType(workflowTypes[kind], ids[kind]),
        table: tables[kind],
        store,
        dir: join(home, 'reports', ids[kind]),
        workflowId: ids[kind],
        home,
        status: 'COMPLETED',
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Opens a file in a new page, recording console errors, page errors and failed requests. */
  async function open(url: string): Promise<Opened> {
    if (!browser)
      throw new Error(
        `${CHROMIUM} is missing: the report browser test needs Debian's chromium; run bash infra/setup.sh`,
      );
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) =>
      problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`),
    );
    await page.goto(url, { waitUntil: 'load' });
    return { page, problems };
  }

  /** Every <img> that did not load (not complete, or no natural width). */
  const brokenImages = (page: Page) =>
    page.$$eval('img', (images) =>
      (images as unknown as Dom[])
        .filter((i) => !(i.complete && i.naturalWidth > 0))
        .map((i) => i.src),
    );

  const tablesOf = (page: Page): Promise<PageTable[]> =>
    page.$$eval('table', (tables) =>
      (tables as unknown as Dom[]).map((t) => {
        const rows = Array.from(t.querySelectorAll('tr')).map((tr) =>
          Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()),
        );
        return { header: rows[0] ?? [], rows: rows.slice(1) };
      }),
    );

  /** The first table whose header starts with these cells. */
  function tableStarting(tables: PageTable[], ...header: string[]): PageTable {
    const found = tables.find((t) => header.every((h, i) => t.header[i] === h));
    if (!found) throw new Error(`no table with header ${header.join(', ')}`);
    return found;
  }

  /**
   * Every plot of a report page: inline SVG figures read in place, <img class="plot"> figures by
   * opening their SVG file (whose load problems count too), each with the series of the
   * Vega-Lite spec its caption links to.
   */
  async function plotsOf(opened: Opened): Promise<Plot[]> {
    const figures = await opened.page.$$eval(
      'figure',
      (figures, fn) => {
        const facts = new Function(`return (${fn})`)() as typeof plotFactsInBrowser;
        return (figures as unknown as Dom[])
          .filter((f) => f.querySelector(':scope > svg, :scope > img.plot'))
          .map((f) => {
            const svg = f.querySelector(':scope > svg');
            const img = f.querySelector(':scope > img.plot');
            const spec = Array.from(f.querySelectorAll('figcaption a')).find(
              (a) => a.textContent === 'Vega-Lite spec',
            );
            return {
              facts: svg ? facts(svg) : null,
              src: img?.src ?? null,
              spec: spec?.href ?? null,
            };
          });
      },
      plotFactsInBrowser.toString(),
    );
    const svgPage = figures.some((f) => f.src) ? await open('about:blank') : undefined;
    const plots: Plot[] = [];
    for (const f of figures) {
      let facts = f.facts;
      if (f.src) {
        await svgPage!.page.goto(f.src, { waitUntil: 'load' });
        facts = await svgPage!.page.$eval(
          'svg',
          (svg, fn) =>
            (new Function(`return (${fn})`)() as typeof plotFactsInBrowser)(svg as unknown as Dom),
          plotFactsInBrowser.toString(),
        );
      }
      expect(f.spec, `the Vega-Lite spec link of "${facts!.title}"`).toBeTruthy();
      const spec = JSON.parse(readFileSync(fileURLToPath(f.spec!), 'utf8')) as VlSpec;
      plots.push({ ...facts!, series: seriesOf(spec) });
    }
    if (svgPage) {
      opened.problems.push(...svgPage.problems.map((p) => `plot SVG: ${p}`));
      await svgPage.page.close();
    }
    return plots;
  }

  /** Axis titles on every plot; a legend naming every series where there are several. */
  function checkPlots(plots: Plot[], expected: number): void {
    expect(plots).toHaveLength(expected);
    for (const p of plots) {
      expect(p.axisTitles, `axis titles of "${p.title}"`).toHaveLength(2);
      expect(p.width * p.height, `size of "${p.title}"`).toBeGreaterThan(0);
      if (p.series.length > 1)
        expect(p.legendLabels, `legend of "${p.title}"`).toEqual(expect.arrayContaining(p.series));
    }
  }

  /** Every relative link of a page points at a file that is there. */
  async function checkLinks(page: Page): Promise<void> {
    const hrefs = await page.$$eval('a', (links) => (links as unknown as Dom[]).map((a) => a.href));
    const missing = hrefs
      .filter((h) => h.startsWith('file:'))
      .filter((h) => !existsSync(fileURLToPath(h)));
    expect(missing).toEqual([]);
  }

  /** A full-page screenshot under test-output/report-browser/; checks the PNG is there. */
  async function screenshot(page: Page, name: string): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    rmSync(path, { force: true });
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(path).size).toBeGreaterThan(10_000);
  }

  it('the index lists the four reports, newest first, with working links', async () => {
    const indexPath = join(home, 'reports', 'index.html');
    const opened = await open(pathToFileURL(indexPath).href);
    const { page, problems } = opened;
    const [index] = await tablesOf(page);
    expect(index!.header).toEqual([
      'written',
      'spec name',
      'study kind',
      'status',
      'report (workflow id)',
      'note',
    ]);
    expect(index!.rows.map((r) => [r[1], r[2], r[3], r[4]])).toEqual([
      ['rep fixture', 'replication', 'COMPLETED', ids.replication],
      ['det fixture', 'detection', 'COMPLETED', ids.detection],
      ['mix fixture', 'contamination', 'COMPLETED', ids.contamination],
      ['gens <fixture> & co', 'generations', 'COMPLETED', ids.generations],
    ]);
    const links = await page.$$eval('td a', (as) =>
      (as as unknown as Dom[]).map((a) => ({ text: a.textContent, href: a.href })),
    );
    for (const kind of Object.keys(ids) as (keyof typeof ids)[]) {
      const link = links.find((l) => l.text === ids[kind]);
      expect(link, `index link to ${ids[kind]}`).toBeDefined();
      reportUrls.set(kind, link!.href);
      expect(readReportRecord(join(home, 'reports', ids[kind]))).toMatchObject({
        kind,
        workflowId: ids[kind],
        status: 'COMPLETED',
        page: 'index.html',
      });
    }
    await checkLinks(page);
    expect(problems).toEqual([]);
    await screenshot(page, 'index');
    await page.close();
  });

  it('generations: plots, metric table, sample grids', async () => {
    const opened = await open(reportUrls.get('generations')!);
    const { page, problems } = opened;
    expect(await page.title()).toBe('gens <fixture> & co: generational retraining');
    expect(await brokenImages(page)).toEqual([]);
    expect(await page.$$eval('.gallery img', (i) => i.length)).toBe(8);
    const plots = await plotsOf(opened);
    checkPlots(plots, 4);
    expect(plots.map((p) => p.lines)).toEqual([2, 2, 2, 2]);
    expect(plots.map((p) => p.series.length)).toEqual([2, 2, 2, 2]);
    expect(plots[0]!.legendLabels).toEqual(['alpha 0.5', 'alpha 2']);
    expect(plots[0]!.axisTitles).toEqual(['generation', 'FID (pca64@07ba0e4414c6)']);
    const metrics = tableStarting(await tablesOf(page), 'alpha', 'g');
    expect(metrics.rows.map((r) => `${r[0]}/${r[1]}`)).toEqual([
      '0.5/0',
      '0.5/1',
      '0.5/2',
      '0.5/3',
      '2/0',
      '2/1',
      '2/2',
      '2/3',
    ]);
    // two seeds: mean +- standard error; generation 0 (the shared D_0) is the same for both
    expect(metrics.rows[0]![4]).toBe('1.2000 +- 0.0000');
    expect(metrics.rows[1]![4]).toMatch(/^\d+\.\d{4} \+- 0\.\d{4}$/);
    await checkLinks(page);
    expect(problems).toEqual([]);
    await screenshot(page, 'generations');
    await page.close();
  });

  it('contamination: plots with error bars and legends, confusion matrices, tables, grids', async () => {
    const opened = await open(reportUrls.get('contamination')!);
    const { page, problems } = opened;
    expect(await page.title()).toBe('mix fixture: contamination mixes (Hataya et al., ICCV 2023)');
    expect(await brokenImages(page)).toEqual([]);
    expect(await page.$$eval('.gallery img', (i) => i.length)).toBe(6);
    const plots = await plotsOf(opened);
    // T1 on 3 test sets, 3 confusion matrices, T3 FID / precision / recall, T7, T8
    checkPlots(plots, 11);
    const t1 = plots.find((p) => p.axisTitles[0] === 'fraction r of R replaced');
    expect(t1?.legendLabels).toEqual(['S', 'C']);
    expect(plots.filter((p) => p.lines === 0)).toHaveLength(3); // the confusion matrices
    // several series on T1 (3 test sets) and T7, each named in the legend; T3 and T8 have one
    expect(plots.filter((p) => p.series.length > 1)).toHaveLength(4);
    const tables = await tablesOf(page);
    const t1Table = tableStarting(tables, 'mix', 'source', 'r');
    expect(t1Table.rows.map((r) => r[0])).toEqual([
      'R',
      'R/S-50%',
      'R/S-100%',
      'R/C-50%',
      'R/C-100%',
    ]);
    expect(t1Table.rows[0]![3]).toBe('2'); // seeds
    expect(t1Table.rows[0]![4]).toBe('83.00 +- 1.00');
    const perClass = tableStarting(tables, 'class');
    expect(perClass.rows.map((r) => r[0])).toEqual(['T-shirt', 'Trouser', 'Bag']);
    const t7 = tables.find(
      (t) => t.rows.some((r) => r[0] === 'R (5%) + S') && t.header[1] === 'kind',
    );
    expect(t7?.rows.map((r) => r[0])).toEqual(['R (5%)', 'R (5%) + S', 'R (5%) + C']);
    await checkLinks(page);
    expect(problems).toEqual([]);
    await screenshot(page, 'contamination');
    await page.close();
  });

  it('detection: inline spectra plots with bands and thresholds, spectra and detector tables', async () => {
    const opened = await open(reportUrls.get('detection')!);
    const { page, problems } = opened;
    expect(await page.title()).toBe('det fixture: detecting generated images');
    expect(await brokenImages(page)).toEqual([]);
    const plots = await plotsOf(opened);
    checkPlots(plots, 2);
    expect(plots.map((p) => p.lines)).toEqual([2, 3]);
    expect(plots[1]!.legendLabels).toEqual(plots[1]!.series);
    expect(plots[0]!.legendLabels).toEqual(['real (1000)', 'generated (1000)']);
    expect(plots[0]!.axisTitles).toEqual([
      'radius (spatial frequency, cycles per image)',
      'log10 mean power',
    ]);
    const tables = await tablesOf(page);
    expect(tableStarting(tables, 'radius').rows).toHaveLength(DETECTION_RADII);
    const detectors = tableStarting(tables, 'features', 'model');
    expect(detectors.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'pixels logistic',
      'pixels mlp',
      'log-spectrum logistic',
      'log-spectrum mlp',
    ]);
    expect(tableStarting(tables, 'seed', 'features').rows).toHaveLength(8);
    await checkLinks(page);
    expect(problems).toEqual([]);
    await screenshot(page, 'detection');
    await page.close();
  });

  it('replication: rate against N with error bars, rate tables, histograms, galleries with their matches', async () => {
    const opened = await open(reportUrls.get('replication')!);
    const { page, problems } = opened;
    expect(await page.title()).toBe('rep fixture: do generators copy their training images?');
    expect(await brokenImages(page)).toEqual([]);
    // the first seed's copy-detection audits, one per N, each with its gallery
    expect(await page.$$eval('.gallery img', (i) => i.length)).toBe(2);
    const plots = await plotsOf(opened);
    // the rate plot (one guidance), then one histogram per N (the copy embedding has one score)
    checkPlots(plots, 3);
    expect(plots[0]!.axisTitles).toEqual([
      'log10 N (training images)',
      'replication rate (calibrated threshold)',
    ]);
    expect(plots[0]!.series).toHaveLength(4);
    expect(plots[0]!.lines).toBe(4);
    expect(plots[1]!.series).toEqual([
      'generated (100) -> train',
      'held-out real (100) -> train',
      'train (100) -> other train',
    ]);
    const tables = await tablesOf(page);
    const rates = tableStarting(tables, 'N', 'guidance', 'embedding', 'score');
    expect(rates.rows).toHaveLength(8);
    // N = 30 over seeds 1 and 2: 45% and 50% -> 47.50 +- 2.50
    expect(rates.rows.find((r) => r[0] === '30' && r[3] === 'cosine')![4]).toBe('47.50 +- 2.50');
    expect(tableStarting(tables, 'N', 'guidance', 'FID').rows).toHaveLength(2);
    const matches = tableStarting(tables, 'row', 'kind', 'generated image');
    expect(matches.rows.map((r) => r[1])).toEqual(['top', 'top', 'random', 'random']);
    expect(matches.rows[0]![2]).toBe('generate/0000.png');
    expect(matches.rows[0]![3]).toBe(
      'train/0000.png (0.9500), train/0001.png (0.9000), train/0002.png (0.8500)',
    );
    await checkLinks(page);
    expect(problems).toEqual([]);
    await screenshot(page, 'replication');
    await page.close();
  });
});
