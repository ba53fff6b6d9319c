import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvText } from '../lib/report/csv.ts';
import {
  figure,
  figures,
  gallery,
  link,
  page,
  paragraph,
  section,
  table as htmlTable,
  withCode,
  type GalleryItem,
} from '../lib/report/html.ts';
import { mdCode, mdTable, mdText } from '../lib/report/markdown.ts';
import { pngSize } from '../lib/report/png-size.ts';
import { errorBarPlot } from '../lib/report/error-bar-plot.ts';
import { writePlot } from '../lib/report/write-plot.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import type { GenerationRow } from '../workflows/studies/generations.ts';
import {
  formatMetric,
  seedsOf,
  summarizeGenerations,
  type GenerationsTable,
} from './generations-table.ts';

const METRICS = [
  { key: 'fid', label: 'FID' },
  { key: 'precision', label: 'precision' },
  { key: 'recall', label: 'recall' },
  { key: 'classHistogramDistance', label: 'class TV distance' },
] as const;

/**
 * Writes a study's report to `dir`: index.html (metric table, FID / precision / recall / class
 * balance plots against the generation, one line per alpha, sample grids), report.md,
 * metrics.csv, the plots as SVG with their Vega-Lite specs (plots/) and the grid PNGs (grids/).
 * With replicate seeds, the table and plots show the mean +- standard error over seeds (error
 * bars), metrics.csv every seed's values, and the grids are the first seed's. Returns the HTML path.
 */
export async function writeGenerationsReport(
  result: GenerationsTable,
  store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(join(dir, 'grids'), { recursive: true });
  const seeds = seedsOf(result.rows);
  const gridSeed = seeds[0];
  const grids = new Map<GenerationRow, GalleryItem>();
  for (const row of result.rows) {
    if (!row.grid || row.seed !== gridSeed) continue;
    const bytes = await store.get(row.grid);
    const src = `grids/${gridName(row)}`;
    writeFileSync(join(dir, src), bytes);
    grids.set(row, {
      src,
      label: `generation ${row.generation}`,
      width: pngSize(bytes)?.width,
      sources: [row.grid],
    });
  }
  const columns = [
    'seed',
    'alpha',
    'generation',
    'trainedOn',
    'samples',
    'fid',
    'precision',
    'recall',
    'classHistogramDistance',
    'metrics',
  ] as const;
  writeFileSync(
    join(dir, 'metrics.csv'),
    csvText(
      columns,
      result.rows.map((r) => columns.map((c) => r[c])),
    ),
  );

  const summaries = summarizeGenerations(result.rows);
  const header = ['alpha', 'g', 'trained on', 'samples', 'FID', 'precision', 'recall', 'class TV'];
  const cells = summaries.map((s) => [
    String(s.alpha),
    String(s.generation),
    String(s.trainedOn),
    String(s.samples),
    ...METRICS.map((m) => formatMetric(s[m.key])),
  ]);
  const replicated = seeds.length > 1;
  const over = replicated
    ? ` Mean +- standard error over the replicate seeds ${seeds.join(', ')} (error bars: +-1 standard error; generation 0, the shared D_0, is the same for every seed); metrics.csv has every seed's values.`
    : '';
  const about = `Workflow \`${workflowId}\`. FID, improved precision and recall (k from the spec) and the class-balance distance (total variation) against the real test split in the embedding \`${result.embeddingId}\` (artifact \`${result.embedding}\`); generation 0 is the real D_0.${over}`;

  const alphas = [...new Set(summaries.map((s) => s.alpha))];
  const sources = [result.table, result.embedding];
  const plots = [];
  for (const metric of METRICS) {
    const plot = await errorBarPlot({
      title: `${metric.label} vs generation`,
      sources,
      xTitle: 'generation',
      yTitle: `${metric.label}${metric.key === 'classHistogramDistance' ? '' : ` (${result.embeddingId})`}`,
      legendTitle: 'alpha',
      xTicks: [...new Set(summaries.map((s) => s.generation))],
      xFormat: 'd',
      dodge: replicated,
      series: alphas.map((a) => ({
        name: `alpha ${a}`,
        points: summaries
          .filter((s) => s.alpha === a)
          .map((s) => ({ x: s.generation, ...s[metric.key] })),
      })),
    });
    const files = writePlot(dir, metric.key, plot);
    plots.push({ plot, files });
  }

  const md = [
    `# ${mdText(result.name)}: generational retraining (Martinez et al., 2023)`,
    '',
    about,
    '',
    mdTable(header, cells),
    '',
    ...plots.flatMap(({ plot, files }) => [
      `![${mdText(plot.title)}](${files.svg})`,
      '',
      `Made from ${plot.sources.map(mdCode).join(', ')}; spec: [${files.spec}](${files.spec}).`,
      '',
    ]),
    ...[...grids].map(([r, g]) => `![alpha ${r.alpha}, generation ${r.generation}](${g.src})`),
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md + '\n');

  const html = page(
    `${result.name}: generational retraining`,
    paragraph(withCode(about)),
    figures(
      plots.map(({ plot, files }) =>
        figure({
          src: files.svg,
          alt: plot.title,
          caption: `${plot.title}, one line per alpha${replicated ? `: mean +- standard error over ${seeds.length} seeds` : ''}.`,
          sources: plot.sources,
          links: [
            { href: files.svg, text: 'SVG' },
            { href: files.spec, text: 'Vega-Lite spec' },
          ],
        }),
      ),
    ),
    htmlTable({ columns: header, rows: cells }),
    paragraph(
      `One line per ${replicated ? 'seed, ' : ''}alpha and generation: `,
      link('metrics.csv', 'metrics.csv'),
      '.',
    ),
    replicated && paragraph(`Sample grids of seed ${gridSeed}.`),
    alphas.map((a) =>
      section(
        `alpha = ${a}`,
        gallery(
          [...grids].filter(([r]) => r.alpha === a).map(([, g]) => g),
          { scale: 2 },
        ),
      ),
    ),
  );
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}

function gridName(r: GenerationRow): string {
  return `alpha-${r.alpha}-g${r.generation}.png`;
}
