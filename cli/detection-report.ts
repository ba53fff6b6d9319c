import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvText } from '../lib/report/csv.ts';
import {
  figure,
  page,
  paragraph,
  section,
  table as htmlTable,
  withCode,
  type Html,
} from '../lib/report/html.ts';
import { mdCode, mdTable } from '../lib/report/markdown.ts';
import type { Plot } from '../lib/report/plot.ts';
import { seriesPlot } from '../lib/report/series-plot.ts';
import { writePlot } from '../lib/report/write-plot.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import {
  formatAccuracy,
  formatInterval,
  percent,
  spectraSentence,
  summarizeDetectors,
  type DetectionTable,
} from './detection-table.ts';

/** The paper's figure: linear and MLP detectors on ResNet features, ImageNet vs SD-ImageNet. */
const PAPER_ACCURACY =
  'Hataya et al. (2023, section 6.1): about 85% for a linear classifier and an MLP on ImageNet-pretrained ResNet features, 10^4 + 10^4 training images, 2,000 test images (ImageNet vs Stable Diffusion).';

/**
 * Writes a detection study's report to `dir`: index.html and report.md (the spectra plot, mean
 * log power per radius of real and generated images with +-1 standard deviation bands, the
 * per-bin z plot, the spectra table and the detectors' accuracies with their intervals),
 * results.csv (one line per seed and detector), spectra.csv (one line per radius bin) and the
 * plots' SVGs and Vega-Lite specs under plots/. Returns the HTML path.
 */
export async function writeDetectionReport(
  table: DetectionTable,
  _store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const s = table.spectraReport;
  const significant = new Set(s.significantRadii);
  const fmt = (x: number | null, digits = 4) => (x === null ? 'inf' : x.toFixed(digits));

  writeFileSync(
    join(dir, 'results.csv'),
    csvText(
      [
        'seed',
        'features',
        'model',
        'trainPerClass',
        'testPerClass',
        'accuracy',
        'ci95_low',
        'ci95_high',
        'trainAccuracy',
        'report',
      ],
      table.rows.map((r) => [
        r.seed,
        r.features,
        r.model,
        r.trainPerClass,
        r.testPerClass,
        r.accuracy,
        r.low,
        r.high,
        r.trainAccuracy,
        r.report,
      ]),
    ),
  );
  writeFileSync(
    join(dir, 'spectra.csv'),
    csvText(
      [
        'radius',
        'frequencies',
        'real_mean',
        'real_std',
        'generated_mean',
        'generated_std',
        'z',
        'significant',
      ],
      s.radii.map((r) => [
        r,
        s.binSizes[r],
        s.real.mean[r],
        s.real.std[r],
        s.generated.mean[r],
        s.generated.std[r],
        s.z[r] ?? 'inf',
        significant.has(r),
      ]),
    ),
  );

  // plots: the spectra (paper Figure 6) and the z per bin with the significance threshold
  const sources = [table.spectra];
  const band = (mean: number[], std: number[]) =>
    mean.map((m, r) => ({ x: r, y: m, lo: m - std[r]!, hi: m + std[r]! }));
  const spectraPlot = await seriesPlot({
    title: 'Azimuthally averaged power spectra (mean +- 1 sd)',
    sources,
    xTitle: 'radius (spatial frequency, cycles per image)',
    yTitle: 'log10 mean power',
    legendTitle: 'set',
    series: [
      { name: `real (${s.real.count})`, points: band(s.real.mean, s.real.std) },
      {
        name: `generated (${s.generated.count})`,
        points: band(s.generated.mean, s.generated.std),
      },
    ],
  });
  const finiteZ = s.radii.filter((r) => s.z[r] !== null);
  const zPlot = await seriesPlot({
    title: "Welch's z of (generated - real) per radius",
    sources,
    xTitle: 'radius (spatial frequency, cycles per image)',
    yTitle: 'z',
    legendTitle: 'line',
    series: [
      { name: 'z', points: finiteZ.map((r) => ({ x: r, y: s.z[r]! })) },
      {
        name: `threshold +${s.criticalZ.toFixed(2)}`,
        points: [
          { x: 0, y: s.criticalZ },
          { x: s.radii.length - 1, y: s.criticalZ },
        ],
      },
      {
        name: `threshold -${s.criticalZ.toFixed(2)}`,
        points: [
          { x: 0, y: -s.criticalZ },
          { x: s.radii.length - 1, y: -s.criticalZ },
        ],
      },
    ],
  });
  const plots: { name: string; plot: Plot; caption: string }[] = [
    {
      name: 'spectra',
      plot: spectraPlot,
      caption: `Mean of ${s.quantity}, over each set; the band is +-1 standard deviation (paper Figure 6).`,
    },
    {
      name: 'z-per-radius',
      plot: zPlot,
      caption: `Welch's z of the difference of the means per radius bin; a bin is significant beyond +-${s.criticalZ.toFixed(2)} (Bonferroni over ${s.radii.length} bins, family-wise 5%).`,
    },
  ];
  const written = plots.map((p) => ({ ...p, files: writePlot(dir, p.name, p.plot) }));

  const summary = summarizeDetectors(table.rows);
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  const first = table.rows[0];
  // one seed: its Wilson interval; several: mean +- SE, each seed's interval in the per-seed table
  const detectorHeader = [
    'features',
    'model',
    seeds > 1 ? `test accuracy (%), mean +- SE over ${seeds} seeds` : 'test accuracy (%)',
    ...(seeds > 1 ? [] : ['Wilson 95% CI (%)']),
    'train (%)',
  ];
  const detectorCells = summary.map((d) => [
    d.features,
    d.model,
    formatAccuracy(d.accuracy),
    ...(seeds > 1 ? [] : [formatInterval(d.interval)]),
    formatAccuracy(d.trainAccuracy),
  ]);
  const perSeedHeader = ['seed', 'features', 'model', 'test accuracy (%)', 'Wilson 95% CI (%)'];
  const perSeedCells = table.rows.map((r) => [
    String(r.seed),
    r.features,
    r.model,
    percent(r.accuracy),
    formatInterval(r),
  ]);
  const spectraHeader = [
    'radius',
    'frequencies',
    'real mean',
    'real sd',
    'generated mean',
    'generated sd',
    'z',
  ];
  const spectraCells = s.radii.map((r) => [
    String(r),
    String(s.binSizes[r]),
    fmt(s.real.mean[r]!),
    fmt(s.real.std[r]!),
    fmt(s.generated.mean[r]!),
    fmt(s.generated.std[r]!),
    `${fmt(s.z[r] ?? null, 2)}${significant.has(r) ? ' *' : ''}`,
  ]);

  const { datasets } = table;
  const made =
    table.generatedBy === 'generator'
      ? `S \`${datasets.generated}\` sampled (|S| = |R|, R's class balance, temperature ${table.temperature}) from the PCA + Gaussian-mixture generator \`${table.generator}\` fitted on the real pool P \`${datasets.pool}\`, disjoint from R.`
      : `S \`${datasets.generated}\` taken from another run by digest.`;
  const about = [
    `Workflow \`${workflowId}\`. Real set R \`${datasets.real}\`; ${made}`,
    spectraSentence(table),
    `Detectors: logistic regression and a one-hidden-layer MLP, trained in TypeScript on standardised features (pixels, the log radial spectrum${table.embedding ? `, the embedding \`${table.embedding.id}\`` : ''})${first ? `, on ${first.trainPerClass} real + ${first.trainPerClass} generated images, tested on ${first.testPerClass} + ${first.testPerClass} held-out ones` : ''}; ${seeds === 1 ? 'one seed: the interval is the Wilson 95% score interval of the test accuracy' : `mean +- standard error over ${seeds} seeds (each seed draws its own split); each seed's Wilson 95% interval is in the per-seed table and results.csv`}.`,
  ];

  const md = [
    `# ${table.name}: detecting generated images (Hataya et al. 2023, section 6.1)`,
    '',
    ...about.flatMap((p) => [p, '']),
    '## Power spectra',
    '',
    ...written.flatMap((p) => [`![${p.plot.title}](${p.files.svg})`, '', p.caption, '']),
    mdTable(spectraHeader, spectraCells),
    '',
    `\\* |z| > ${s.criticalZ.toFixed(2)}. Spectra artifact ${mdCode(table.spectra)}; the table as CSV: \`spectra.csv\`.`,
    '',
    '## Detectors',
    '',
    mdTable(detectorHeader, detectorCells),
    '',
    PAPER_ACCURACY,
    '',
    ...(seeds > 1 ? [mdTable(perSeedHeader, perSeedCells), ''] : []),
    'One line per seed and detector, with its report digest: `results.csv`.',
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md + '\n');

  const TEXT_COLUMNS = new Set(['features', 'model']);
  const tableHtml = (header: string[], cells: string[][], caption?: string): Html =>
    htmlTable({
      columns: header.map((h) => (TEXT_COLUMNS.has(h) ? { title: h, left: true } : h)),
      rows: cells,
      ...(caption ? { caption } : {}),
    });
  const html = page(
    `${table.name}: detecting generated images`,
    about.map((p) => paragraph(withCode(p))),
    section('Power spectra', [
      written.map((p) =>
        figure({
          svg: p.plot.svg,
          caption: p.caption,
          sources: p.plot.sources,
          links: [
            { href: p.files.svg, text: 'SVG' },
            { href: p.files.spec, text: 'Vega-Lite spec' },
          ],
        }),
      ),
      tableHtml(
        spectraHeader,
        spectraCells,
        `* |z| > ${s.criticalZ.toFixed(2)}. ${s.quantity}. As CSV: spectra.csv.`,
      ),
    ]),
    section('Detectors', [
      tableHtml(detectorHeader, detectorCells, PAPER_ACCURACY),
      seeds > 1 ? tableHtml(perSeedHeader, perSeedCells) : null,
      paragraph(withCode('One line per seed and detector, with its report digest: `results.csv`.')),
    ]),
  );
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}
