// The contamination study's report on the report kit, without servers or the workflow: a
// hand-made table (2 seeds; S and the control C at r = 0, 50%, 100%; subsample, fill and append
// rows; diversity rows) whose classification reports and grids sit in a local store. The files it
// writes are checked against values worked by hand.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeContaminationReport } from '../../cli/contamination-report.ts';
import {
  mixName,
  printContaminationTable,
  sortRows,
  summarize,
  type ContaminationTable,
} from '../../cli/contamination-table.ts';
import { sha256 } from '../../lib/digest.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import type { ContaminationRow, MixKind } from '../../lib/studies/contamination-result.ts';

const NAME = 'tiny <mix> & "study"';
const CLASSES = ['T-shirt', 'Trouser', 'Bag'];
const fake = (what: string) => sha256(what);

/** The items of a mark group in a Vega SVG. */
function marks(svg: string, name: string): string[] {
  const open = new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_marks"[^>]*>`).exec(svg);
  if (!open) return [];
  const body = svg.slice(open.index + open[0].length, svg.indexOf('</g>', open.index));
  return body.match(/<(line|path|text)\b[^>]*>/g) ?? [];
}

function texts(svg: string, role: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-text role-${role}"[^>]*>(.*?)</g>`, 'g');
  for (const m of svg.matchAll(re))
    for (const t of m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)) out.push(t[1]!);
  return out;
}

describe('the contamination report', () => {
  const root = mkdtempSync(join(tmpdir(), 'clab-contamination-report-'));
  const store = new LocalArtifactStore(join(root, 'store'));
  const dir = join(root, 'report');
  let table: ContaminationTable;
  let gridBytes: Buffer;
  /** Confusion matrices of the reports in the store, by mix name and seed. */
  const confusions: Record<string, number[][]> = {
    'R/1': [
      [8, 1, 1],
      [0, 9, 1],
      [2, 0, 8],
    ],
    'R/2': [
      [9, 1, 0],
      [1, 8, 1],
      [0, 1, 9],
    ],
    'R/S-100%/1': [
      [4, 6, 0],
      [0, 10, 0],
      [3, 3, 4],
    ],
    'R/S-100%/2': [
      [5, 5, 0],
      [0, 9, 1],
      [2, 4, 4],
    ],
    'R/C-100%/1': [
      [7, 2, 1],
      [1, 7, 2],
      [1, 1, 8],
    ],
    'R/C-100%/2': [
      [6, 2, 2],
      [1, 7, 2],
      [2, 1, 7],
    ],
  };
  const reports: Record<string, string> = {};

  beforeAll(async () => {
    for (const [key, confusion] of Object.entries(confusions)) {
      const correct = confusion.reduce((a, row, c) => a + row[c]!, 0);
      const ref = await putJson(store, {
        format: 'clab.classification/v1',
        model: fake(`model ${key}`),
        dataset: fake('test'),
        classes: CLASSES,
        count: 30,
        accuracy: correct / 30,
        perClassAccuracy: confusion.map((row, c) => row[c]! / 10),
        confusion,
      });
      reports[key] = ref.digest;
    }
    gridBytes = await sharp({
      create: { width: 56, height: 28, channels: 3, background: { r: 40, g: 40, b: 40 } },
    })
      .png()
      .toBuffer();
    const grid = (await store.put(gridBytes)).digest;

    // accuracy of (kind, source, fraction) per seed 1 and 2; shifted: blur = acc - 0.1, hard = acc / 4
    const row = (
      kind: MixKind,
      source: string,
      fraction: number,
      seed: number,
      accuracy: number,
      extra: Partial<ContaminationRow> = {},
    ): ContaminationRow => {
      const name = mixName(kind, source, fraction);
      const key = `${fraction === 0 && kind === 'replace' ? 'R' : name}/${seed}`;
      const perClass = confusions[key]?.map((r, c) => r[c]! / 10) ?? [0.5, 0.5, 0.5];
      return {
        seed,
        kind,
        source,
        fraction,
        fromReal: 30,
        fromOther: 0,
        accuracy,
        shifted: { 'blur-3': accuracy - 0.1, hard: accuracy / 4 },
        perClassAccuracy: perClass,
        mix: fake(`mix ${key}`),
        // r = 0 is one model per seed, listed under both sources
        model: fake(`model ${key}`),
        report: reports[key] ?? fake(`report ${key}`),
        shiftedReports: { 'blur-3': fake(`blur ${key}`), hard: fake(`hard ${key}`) },
        steps: 100,
        ...extra,
      };
    };
    const gen = (fid: number, precision: number, recall: number) => ({
      generator: {
        fid,
        precision,
        recall,
        embedding: 'pca64@07ba0e4414c6',
        model: fake(`gen ${fid}`),
        report: fake(`gen report ${fid}`),
      },
    });
    const rows: ContaminationRow[] = [
      // shuffled on purpose: sortRows orders them
      row('append', 'S', 0.2, 2, 0.83),
      row('replace', 'C', 1, 1, 0.7),
      row('replace', 'C', 1, 2, 0.66),
      row('replace', 'S', 0, 1, 0.8, gen(10, 0.6, 0.6)),
      row('replace', 'S', 0, 2, 0.84, gen(12, 0.62, 0.58)),
      row('replace', 'C', 0, 1, 0.8, gen(10, 0.6, 0.6)),
      row('replace', 'C', 0, 2, 0.84, gen(12, 0.62, 0.58)),
      row('replace', 'S', 0.5, 1, 0.76, gen(8, 0.7, 0.5)),
      row('replace', 'S', 0.5, 2, 0.78, gen(9, 0.72, 0.46)),
      row('replace', 'S', 1, 1, 0.4, gen(14, 0.8, 0.3)),
      row('replace', 'S', 1, 2, 0.46, gen(16, 0.84, 0.32)),
      row('replace', 'C', 0.5, 1, 0.79),
      row('replace', 'C', 0.5, 2, 0.81),
      row('subsample', 'R', 0.05, 1, 0.5),
      row('subsample', 'R', 0.05, 2, 0.52),
      row('fill', 'S', 0.05, 1, 0.6),
      row('fill', 'S', 0.05, 2, 0.64),
      row('fill', 'C', 0.05, 1, 0.7),
      row('fill', 'C', 0.05, 2, 0.7),
      row('append', 'S', 0.2, 1, 0.83),
    ];
    const controls = [
      { name: 'C', description: 'a disjoint <real> pool & more', dataset: fake('C') },
    ];
    sortRows(rows, controls);
    table = {
      study: 'contamination',
      name: NAME,
      table: fake('table'),
      rowCount: rows.length,
      stageCount: 40,
      cacheHits: 3,
      datasets: { real: fake('R'), pool: fake('P'), synthetic: fake('S'), test: fake('test') },
      controls,
      generator: fake('generator'),
      temperature: 1,
      shiftedTests: { 'blur-3': fake('blur'), hard: fake('hard') },
      hardSubset: {
        dataset: fake('hard'),
        count: 12,
        references: [fake('ref1'), fake('ref2')],
        reports: [fake('ref1 report'), fake('ref2 report')],
      },
      diversity: [
        {
          set: 'R-train',
          temperature: null,
          fid: 1.5,
          precision: 0.7,
          recall: 0.72,
          embedding: 'pca64@07ba0e4414c6',
          dataset: fake('R'),
          report: fake('div R'),
        },
        {
          set: 'S',
          temperature: 1,
          fid: 9.25,
          precision: 0.81,
          recall: 0.35,
          embedding: 'pca64@07ba0e4414c6',
          dataset: fake('S'),
          report: fake('div S'),
        },
      ],
      metricEmbedding: 'pca64@07ba0e4414c6',
      grids: { R: grid, S: grid, 'C <web>': grid, test: grid },
      rows,
      stages: [],
    };
    await writeContaminationReport(table, store, dir, 'wf-<1>');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const read = (name: string) => readFileSync(join(dir, name), 'utf8');

  it('orders rows by kind, source, fraction and seed; counts R once per seed', () => {
    expect(
      table.rows.map((r) => `${r.kind} ${r.source} ${r.fraction} ${r.seed}`).slice(0, 6),
    ).toEqual([
      'replace S 0 1',
      'replace S 0 2',
      'replace S 0.5 1',
      'replace S 0.5 2',
      'replace S 1 1',
      'replace S 1 2',
    ]);
    const summary = summarize(table);
    expect(summary.map((s) => [mixName(s.kind, s.source, s.fraction), s.accuracy.n])).toEqual([
      ['R', 2],
      ['R/S-50%', 2],
      ['R/S-100%', 2],
      ['R/C-50%', 2],
      ['R/C-100%', 2],
      ['R (5%)', 2],
      ['R (5%) + S', 2],
      ['R (5%) + C', 2],
      ['R + S (+20%)', 2],
    ]);
  });

  it('tables of mean +- standard error over seeds, worked by hand, beside the paper', () => {
    // two seeds a, b: mean (a + b) / 2, standard error |a - b| / 2
    const md = read('report.md');
    expect(md).toContain('| R | R | 0% | 2 | 82.00 +- 2.00 | 75.7 (Table 1, ImageNet) |');
    expect(md).toContain(
      '| R/S-50% | S | 50% | 2 | 77.00 +- 1.00 | - | 67.00 +- 1.00 | 19.25 +- 0.25 | - |',
    );
    expect(md).toContain(
      '| R/S-100% | S | 100% | 2 | 43.00 +- 3.00 | 15.7 (Table 1, SD-ImageNet) | 33.00 +- 3.00 | 10.75 +- 0.75 | - |',
    );
    expect(md).toContain('| R/C-100% | C | 100% | 2 | 68.00 +- 2.00 | 61.3 (Table 1, WebVision) |');
    expect(md).toContain(
      '| R (5%) | subsample | R | 5% | 2 | 51.00 +- 1.00 | 44.7 (Table 7, ImageNet (5%)) |',
    );
    expect(md).toContain(
      '| R (5%) + S | fill | S | 5% | 2 | 62.00 +- 2.00 | 52.1 (Table 7, IN/SD-95%) |',
    );
    expect(md).toContain(
      '| R (5%) + C | fill | C | 5% | 2 | 70.00 +- 0.00 | 61.4 (Table 7, IN/WV-95%) |',
    );
    expect(md).toContain(
      '| R + S (+20%) | append | S | 20% | 2 | 83.00 +- 0.00 | 75.7 (Table 8, ImageNet (100%) + SD-ImageNet (20%)) |',
    );
    // T3: FID 8, 9 -> 8.50 +- 0.50; precision 0.70, 0.72 -> 0.710 +- 0.010; recall 0.50, 0.46
    expect(md).toContain(
      '| R/S-50% | 50% | 2 | 8.50 +- 0.50 | 0.710 +- 0.010 | 0.480 +- 0.020 | pca64@07ba0e4414c6 | - |',
    );
    expect(md).toContain(
      '| R/S-100% | 100% | 2 | 15.00 +- 1.00 | 0.820 +- 0.020 | 0.310 +- 0.010 | pca64@07ba0e4414c6 | 16.9 / 0.831 / 0.364 (Table 3, SD-ImageNet-64 (ImageNet val)) |',
    );
    // T4/T5
    expect(md).toContain('| R-train | - | 1.50 | 0.700 | 0.720 | pca64@07ba0e4414c6 |');
    expect(md).toContain('0.757 / 0.791 (Table 4, ImageNet) |');
    expect(md).toContain('0.836 / 0.344 (Table 4, Original SD-ImageNet) |');
    // per-class accuracy: T-shirt 0.8, 0.9 for R; 0.4, 0.5 for R/S-100%
    expect(md).toContain('| T-shirt | 85.00 +- 5.00 | 45.00 +- 5.00 | 65.00 +- 5.00 |');
    expect(md).toContain('ImageNet-1k / ResNet-50');
  });

  it('CSV: one line per seed and training set, the summary with mean and SE', () => {
    const results = read('results.csv').trim().split('\n');
    expect(results).toHaveLength(1 + 20);
    expect(results[0]).toBe(
      'seed,kind,source,fraction,mix_name,from_real,from_other,accuracy,accuracy:blur-3,accuracy:hard,generator_fid,generator_precision,generator_recall,generator_embedding,steps,mix,model,report,generator_model,generator_report',
    );
    expect(results[1]).toMatch(
      /^1,replace,S,0,R,30,0,0\.8,0\.7\d*,0\.2,10,0\.6,0\.6,pca64@07ba0e4414c6,100,/,
    );
    const summary = read('summary.csv').trim().split('\n');
    expect(summary).toHaveLength(1 + 9);
    const header = summary[0]!.split(',');
    const line = summary.find((l) => l.includes(',R/S-50%,'))!.split(',');
    const value = (column: string) => Number(line[header.indexOf(column)]);
    expect(value('accuracy_mean')).toBeCloseTo(0.77, 12);
    expect(value('accuracy_se')).toBeCloseTo(0.01, 12);
    expect(value('hard_mean')).toBeCloseTo(0.1925, 12);
    expect(value('generator_fid_mean')).toBeCloseTo(8.5, 12);
    expect(read('per-class.csv').trim().split('\n')).toHaveLength(1 + 20 * 3);
    expect(read('per-class.csv')).toContain('\n1,replace,S,1,R/S-100%,1,Trouser,1\n');
    expect(read('diversity.csv').trim().split('\n')).toHaveLength(3);
  });

  it('plots: accuracy vs r per test set with error bars, axis titles and legends', () => {
    for (const test of ['test', 'blur-3', 'hard']) {
      const svg = read(`plots/t1-accuracy-${test}.svg`);
      expect(texts(svg, 'axis-title')).toEqual([
        'fraction r of R replaced',
        `accuracy on ${test} (%)`,
      ]);
      expect(texts(svg, 'legend-title')).toEqual(['other source']);
      expect(texts(svg, 'legend-label')).toEqual(['S', 'C']);
      expect(texts(svg, 'axis-label')).toEqual(expect.arrayContaining(['0%', '50%', '100%']));
      expect(marks(svg, 'errorbars')).toHaveLength(6); // 2 sources x 3 fractions
      const spec = JSON.parse(read(`plots/t1-accuracy-${test}.vl.json`)) as { description: string };
      expect(spec.description).toContain(fake('table'));
    }
    expect(read('plots/t1-accuracy-hard.vl.json')).toContain(fake('hard'));
    for (const metric of ['fid', 'precision', 'recall'])
      expect(texts(read(`plots/t3-${metric}.svg`), 'axis-title')[1]).toContain(
        'pca64@07ba0e4414c6',
      );
    expect(texts(read('plots/t7-accuracy.svg'), 'legend-label')).toEqual([
      'R alone',
      'filled with S',
      'filled with C',
    ]);
    expect(marks(read('plots/t8-accuracy.svg'), 'errorbars')).toHaveLength(2);
  });

  it('confusion matrices summed over seeds, with the reports they came from', () => {
    const svg = read('plots/confusion-R.svg');
    expect(marks(svg, 'cells')).toHaveLength(9);
    const sum = confusions['R/1']!.map((row, t) =>
      row.map((v, p) => v + confusions['R/2']![t]![p]!),
    );
    const open = /<g class="mark-text role-mark labels_marks"[^>]*>/.exec(svg)!;
    const labels = [
      ...svg
        .slice(open.index, svg.indexOf('</g>', open.index))
        .matchAll(/<text[^>]*>([^<]*)<\/text>/g),
    ].map((m) => Number(m[1]));
    expect(labels).toEqual(sum.flat());
    expect(svg).toContain(reports['R/1']!);
    expect(svg).toContain(reports['R/2']!);
    expect(existsSync(join(dir, 'plots/confusion-R-S-100-.svg'))).toBe(true);
    expect(existsSync(join(dir, 'plots/confusion-R-C-100-.svg'))).toBe(true);
  });

  it('HTML: escaped user strings, figures with digests, grids copied and shown large', () => {
    const html = read('index.html');
    expect(html).not.toContain('<mix>');
    expect(html).not.toContain('<real>');
    expect(html).not.toContain('<web>');
    expect(html).not.toContain('wf-<1>');
    expect(html).toContain('<title>tiny &lt;mix&gt; &amp; &quot;study&quot;: contamination mixes');
    expect(html).toContain('a disjoint &lt;real&gt; pool &amp; more');
    expect(html).toContain('<img class="plot" src="plots/t1-accuracy-test.svg"');
    expect(html).toContain(
      `Made from: <code>${fake('table')}</code>, <code>${fake('test')}</code>`,
    );
    expect(html).toContain('<td class="paper">15.7 (Table 1, SD-ImageNet)</td>');
    expect(html).toContain(
      '<a href="grids/C-web-.png"><img src="grids/C-web-.png" width="168" style="image-rendering:pixelated"',
    );
    expect(readFileSync(join(dir, 'grids/R.png'))).toEqual(gridBytes);
    expect(read('report.md')).toContain('# tiny \\<mix\\> \\& "study": contamination mixes');
  });

  it('prints the table to the terminal', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      printContaminationTable(table);
      const out = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(out).toContain('R/S-100%');
      expect(out).toContain('43.00 +- 3.00');
      expect(out).toContain('R-train');
    } finally {
      log.mockRestore();
    }
  });
});
